"""`python app.py check`: is this installation ready? One line per check, non-zero exit on a problem."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import yaml
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.config import Settings
from roundrobin.migrations import MIGRATIONS
from roundrobin.pagerduty.client import PagerDutyClient, PagerDutyError, StaticApiKey
from roundrobin.slack.gateway.identity import fetch_identity
from roundrobin.slack.gateway.scopes import BOT_SCOPES
from roundrobin.slack.views.blocks import ago
from roundrobin.store.integrations import Connection
from roundrobin.store.outbox import WAITING_SQL
from roundrobin.store.webhook_outbox import WAITING_SQL as WEBHOOKS_WAITING_SQL
from roundrobin.vault import Vault, VaultError, is_valid_key

MANIFEST = Path(__file__).resolve().parents[1] / "manifest.yml"
STUCK_AFTER = 300.0  # Slack work waiting longer than this is worth a look (as /healthz says)


@dataclass(frozen=True)
class Line:
    ok: bool | None  # None: worth knowing, not a problem
    text: str

    def __str__(self) -> str:
        mark = {True: "ok  ", False: "FAIL", None: "note"}[self.ok]
        return f"{mark}  {self.text}"


def wanted_scopes() -> tuple[set[str], str]:
    """The bot scopes manifest.yml asks for (the code's own list when the manifest is not beside it)."""
    if MANIFEST.is_file():
        manifest = yaml.safe_load(MANIFEST.read_text())
        return set(manifest["oauth_config"]["scopes"]["bot"]), "manifest.yml"
    return set(BOT_SCOPES), "Round Robin's scope list"


async def check_slack(settings: Settings) -> list[Line]:
    client = AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)
    try:
        identity = await fetch_identity(client)
    except SlackApiError as e:
        return [
            Line(
                False,
                f"Slack refused SLACK_BOT_TOKEN ({e.response.get('error')}): copy the Bot User OAuth Token again",
            )
        ]
    except (aiohttp.ClientError, TimeoutError) as e:
        return [Line(False, f"cannot reach Slack at {settings.slack_api_url}: {e}")]
    lines = [Line(True, f"Slack bot token works: workspace {identity.team_name} ({identity.team_id})")]
    wanted, source = wanted_scopes()
    missing = sorted(wanted - identity.scopes)
    for scope in missing:
        lines.append(
            Line(
                False,
                f"the bot token lacks the {scope} scope that {source} asks for: add it and reinstall the app",
            )
        )
    if not missing:
        lines.append(Line(True, f"the bot token has every scope {source} asks for"))
    try:
        await client.apps_connections_open(app_token=settings.slack_app_token)
        lines.append(Line(True, "Slack app token opens Socket Mode connections"))
    except SlackApiError as e:
        lines.append(
            Line(
                False,
                f"Slack refused SLACK_APP_TOKEN ({e.response.get('error')}): it needs connections:write, and Socket Mode must be on",
            )
        )
    return lines


def check_storage(settings: Settings) -> tuple[list[Line], Vault | None]:
    lines = []
    folder = settings.data_dir
    if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
        lines.append(Line(False, f"the data directory {folder} is not writable by this user"))
    elif not folder.exists():
        lines.append(Line(None, f"the data directory {folder} will be created at first start"))
    vault = None
    key_file = folder / "secret.key"
    if settings.secret_key:
        vault = Vault(settings.secret_key)
        lines.append(Line(True, "ROUNDROBIN_SECRET_KEY is a valid key"))
    elif key_file.exists():
        key = key_file.read_text().strip()
        if is_valid_key(key):
            vault = Vault(key)
            lines.append(Line(True, f"secret key {key_file} is valid"))
        else:
            lines.append(Line(False, f"{key_file} does not hold a valid key: restore it from your backup"))
    else:
        lines.append(Line(None, f"no secret key yet: one will be generated into {key_file} at first start"))
    path = settings.database_path
    if not path.exists():
        lines.append(Line(None, f"no database yet: {path} will be created at first start"))
        return lines, vault
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            healthy = db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            about = _about_database(db, path) if healthy else []
    except sqlite3.Error as e:
        return [*lines, Line(False, f"cannot read the database {path}: {e}")], vault
    latest = len(MIGRATIONS)
    if not healthy:
        lines.append(Line(False, f"the database {path} is damaged (quick_check failed): restore a backup"))
    elif version > latest:
        lines.append(
            Line(
                False,
                f"the database {path} is from a newer Round Robin (schema {version} > {latest}): upgrade",
            )
        )
    elif version < latest:
        lines.append(
            Line(None, f"the database {path} will be migrated from schema {version} to {latest} at start")
        )
    else:
        lines.append(Line(True, f"database {path} is readable (schema {version})"))
    return lines + about, vault


def _about_database(db: sqlite3.Connection, path: Path) -> list[Line]:
    """Worth knowing, not a problem: how big the database is, and what Slack work waits."""
    size = sum(f.stat().st_size for f in (path, Path(f"{path}-wal")) if f.exists())
    free = db.execute("PRAGMA freelist_count").fetchone()[0] * db.execute("PRAGMA page_size").fetchone()[0]
    spare = f", {_bytes(free)} of it free for reuse" if free else ""
    lines = [Line(None, f"the database takes {_bytes(size)} on disk{spare}")]
    try:
        items, since = db.execute(WAITING_SQL, (time.time(),)).fetchone()
    except sqlite3.Error:  # a schema before the outbox: it is migrated at start
        return lines
    if not items:
        lines.append(Line(None, "Slack backlog: nothing waiting"))
        return lines + _about_webhooks(db)
    age = max(0.0, time.time() - since)
    stuck = (
        " (longer than 5 minutes: is Round Robin running? Slack's refusals show on the rotations)"
        if age >= STUCK_AFTER
        else ""
    )
    work = f"{items} piece{'s' if items != 1 else ''} of Slack work"
    lines.append(Line(None, f"Slack backlog: {work} waiting, the oldest for {_duration(age)}{stuck}"))
    return lines + _about_webhooks(db)


def _about_webhooks(db: sqlite3.Connection) -> list[Line]:
    """Outgoing webhook events waiting for their receivers (each rotation's Details says why)."""
    try:
        events, since = db.execute(WEBHOOKS_WAITING_SQL).fetchone()
    except sqlite3.Error:  # a schema before webhooks: it is migrated at start
        return []
    if not events:
        return []
    age = max(0.0, time.time() - since)
    many = f"{events} event{'s' if events != 1 else ''}"
    return [
        Line(
            None,
            f"webhook backlog: {many} waiting for their receivers, the oldest for {_duration(age)} "
            "(a rotation's Details › Webhooks… shows its last deliveries)",
        )
    ]


def _bytes(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def _duration(seconds: float) -> str:
    """'12 seconds', '5 minutes', '3 hours', '2 days'."""
    whole = int(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if whole >= size:
            n = whole // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return "less than a second"


async def check_pagerduty(settings: Settings, vault: Vault | None) -> list[Line]:
    connection = _stored_connection(settings.database_path)
    if connection is None:
        return [
            Line(None, "PagerDuty is not connected (connect it in Slack: App Home › Settings › Integrations)")
        ]
    if vault is None:
        return [Line(False, "PagerDuty credentials are stored but there is no secret key to read them")]
    try:
        stored = connection.api_key_enc if connection.method == "api_key" else connection.refresh_token_enc
        if stored is None:
            return [
                Line(False, f"The stored PagerDuty connection ({connection.method}) lacks its credential")
            ]
        secret = vault.decrypt(stored)
    except VaultError as e:
        return [Line(False, str(e))]
    synced = (
        f", last good sync {ago(connection.last_sync_ok_at, time.time())}"
        if connection.last_sync_ok_at
        else ""
    )
    if connection.status == "needs_reauth":
        return [Line(False, f"PagerDuty needs re-authorisation: {connection.last_error}")]
    if connection.method == "oauth":
        return [Line(True, f"PagerDuty connected with OAuth as {connection.pd_user_name}{synced}")]
    async with aiohttp.ClientSession() as http:
        client = PagerDutyClient(
            http,
            settings.pagerduty_api_base(connection.region),
            StaticApiKey(secret),
            timeout=10,
            max_retries=1,
        )
        try:
            await client.get("/users", [("limit", 1)])
        except PagerDutyError as e:
            return [Line(False, f"PagerDuty API key ending in …{connection.api_key_last4}: {e}")]
    return [Line(True, f"PagerDuty API key ending in …{connection.api_key_last4} works{synced}")]


def _stored_connection(path: Path) -> Connection | None:
    if not path.exists():
        return None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            db.row_factory = sqlite3.Row
            row = db.execute("SELECT * FROM pagerduty_connection WHERE id = 1").fetchone()
    except sqlite3.Error:
        return None
    if row is None:
        return None
    fields = Connection.__dataclass_fields__
    return Connection(**{k: row[k] for k in row.keys() if k in fields})  # noqa: SIM118 - sqlite3.Row


async def run_checks(settings: Settings) -> list[Line]:
    lines = [Line(True, "configuration is complete")]
    storage, vault = check_storage(settings)
    lines += storage
    lines += await check_slack(settings)
    lines += await check_pagerduty(settings, vault)
    return lines


def main(settings: Settings) -> int:
    lines = asyncio.run(run_checks(settings))
    for line in lines:
        print(line)
    problems = sum(1 for line in lines if line.ok is False)
    print(
        f"\n{problems} problem{'s' if problems != 1 else ''} found." if problems else "\nReady to run.",
        file=sys.stderr,
    )
    return 1 if problems else 0
