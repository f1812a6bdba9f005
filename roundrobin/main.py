"""Composition root and lifecycle: database, Slack (Socket Mode), web server and scheduler, together."""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin import logs
from roundrobin.access import Access
from roundrobin.background import Background, Doorbell
from roundrobin.config import PD_API_URLS, Settings
from roundrobin.db import Database, DatabaseError, in_transaction
from roundrobin.feeds.pages import TimelinePages
from roundrobin.feeds.service import CalendarFeeds
from roundrobin.housekeeping import Housekeeping
from roundrobin.links import SignedLinks
from roundrobin.metrics import Metrics
from roundrobin.pagerduty.connection import PagerDutyConnection
from roundrobin.pagerduty.covers import PagerDutyCovers
from roundrobin.pagerduty.key_check import check_secret_key
from roundrobin.pagerduty.people import PeopleLinks
from roundrobin.pagerduty.sync import PagerDutySync
from roundrobin.preferences import Preferences
from roundrobin.rotations.away import AwayService
from roundrobin.rotations.duty import DutyService
from roundrobin.rotations.editing import RotationEditor
from roundrobin.rotations.following import GroupFollowing
from roundrobin.rotations.handoff_notes import HandoffNotes
from roundrobin.rotations.load_report import LoadReports
from roundrobin.rotations.reading import RotationQueries
from roundrobin.rotations.requests import RequestExpiry, RequestService
from roundrobin.rotations.shifts import ShiftService
from roundrobin.scheduler import Scheduler
from roundrobin.services import Services
from roundrobin.signals import Signals
from roundrobin.slack.gateway.accounts import AccountWatch
from roundrobin.slack.gateway.delivery import SlackDelivery
from roundrobin.slack.gateway.directory import SlackDirectory
from roundrobin.slack.gateway.home_publisher import HomePublisher
from roundrobin.slack.gateway.home_refresh import HomeRefresh
from roundrobin.slack.gateway.identity import SlackIdentity, fetch_identity
from roundrobin.slack.gateway.load_home import LoadHome
from roundrobin.slack.gateway.modals import Modals
from roundrobin.slack.gateway.pacing import Pacer
from roundrobin.slack.gateway.permissions import SlackRoles
from roundrobin.slack.gateway.replies import Replies
from roundrobin.slack.gateway.rotations_home import RotationsHome
from roundrobin.slack.gateway.usergroups import Usergroups
from roundrobin.slack.gateway.workspace import SlackWorkspace
from roundrobin.slack.surfaces.app import build_slack_app
from roundrobin.slack.views.handoff import formats as handoff_formats
from roundrobin.slack.views.requests import formats as request_formats
from roundrobin.slack.views.settings import SyncSummary
from roundrobin.slack.views.shifts import formats as shift_formats
from roundrobin.slack.views.status import formats as status_formats
from roundrobin.store import pagerduty as pd_store
from roundrobin.store import pd_failures
from roundrobin.store import rotations as rotation_store
from roundrobin.store.pd_failures import SCHEDULE
from roundrobin.vault import Vault, VaultError, load_or_create_key
from roundrobin.web import build_web_app
from roundrobin.webhooks.addresses import GuardedResolver
from roundrobin.webhooks.incoming import IncomingWebhooks
from roundrobin.webhooks.outgoing import WebhookDelivery
from roundrobin.webhooks.settings import WebhookSettings

log = logging.getLogger("roundrobin")


class StartupError(Exception):
    """Start-up cannot continue; the message says what to fix, in one line."""


@dataclass
class Running:
    services: Services
    web_url: str
    socket_mode: AsyncSocketModeHandler
    scheduler: Scheduler


def prepare_data_dir(settings: Settings) -> None:
    """The data directory holds the database and the generated key: it must exist and be writable."""
    folder = settings.data_dir
    try:
        # 0700 when we create it (it holds the key and people's emails); an existing one is left as set.
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as e:
        raise StartupError(f"the data directory {folder} cannot be created: {e.strerror}") from None
    if not _writable(folder):
        raise StartupError(f"the data directory {folder} is not writable by this user")


async def open_secret_key(settings: Settings) -> Vault:
    try:
        key = settings.secret_key or load_or_create_key(settings.data_dir / "secret.key")
        return Vault(key)
    except VaultError as e:
        raise StartupError(str(e)) from None


async def open_database(settings: Settings, vault: Vault) -> Database:
    """The migrated database, refused when the secret key cannot read the credentials stored in it."""
    try:
        db = await Database.open(settings.database_path)
    except DatabaseError as e:
        raise StartupError(str(e)) from None
    key_source = "ROUNDROBIN_SECRET_KEY" if settings.secret_key else str(settings.data_dir / "secret.key")
    try:
        await check_secret_key(db, vault, key_source, str(settings.database_path))
    except VaultError as e:
        await db.close()
        raise StartupError(str(e)) from None
    return db


def _writable(path) -> bool:
    import os

    return os.access(path, os.W_OK | os.X_OK)


async def connect_slack(client: AsyncWebClient, settings: Settings) -> SlackIdentity:
    """Check both tokens before anything else: a bad token should stop start-up, not loop."""
    try:
        identity = await fetch_identity(client)
    except SlackApiError as e:
        raise StartupError(
            f"Slack refused SLACK_BOT_TOKEN ({e.response.get('error')}): check the bot token"
        ) from None
    except aiohttp.ClientError as e:
        raise StartupError(f"cannot reach Slack at {settings.slack_api_url}: {e}") from None
    try:
        await client.apps_connections_open(app_token=settings.slack_app_token)
    except SlackApiError as e:
        raise StartupError(
            f"Slack refused SLACK_APP_TOKEN ({e.response.get('error')}): it must be an app-level token "
            "with connections:write, and Socket Mode must be on"
        ) from None
    return identity


async def start(settings: Settings, stack: AsyncExitStack, clock=time.time) -> Running:
    """Start every component; each one registers its own shutdown on `stack`."""
    prepare_data_dir(settings)
    vault = await open_secret_key(settings)
    db = await open_database(settings, vault)
    stack.push_async_callback(db.close)
    log.info(
        "ready: database", extra={"path": str(settings.database_path), "schema": await db.schema_version()}
    )

    # One session for every outbound call; requests without their own timeout give up after 30 s.
    metrics = Metrics()
    http = aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=30),
        trace_configs=[no_network_in_transactions(), metrics.http_trace(*_counted_urls(settings))],
    )
    stack.push_async_callback(http.close)
    slack = AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, session=http)
    # Interactive calls (views.open within a trigger_id's 3 s) may wait out one short 429; the
    # delivery worker paces its own writes and needs no retry handler (see slack/pacing.py).
    slack.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    effects_client = AsyncWebClient(
        token=settings.slack_bot_token, base_url=settings.slack_api_url, session=http
    )
    effects_client.retry_handlers.clear()
    identity = await connect_slack(slack, settings)

    # Outgoing webhooks get a session of their own: its resolver refuses private addresses.
    hooks_http = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(resolver=GuardedResolver(settings.webhook_allow_private_urls)),
        timeout=aiohttp.ClientTimeout(total=30),
        trace_configs=[no_network_in_transactions()],
    )
    stack.push_async_callback(hooks_http.close)
    services = build_services(
        settings, db, vault, http, slack, effects_client, identity, clock, metrics, hooks_http=hooks_http
    )
    stack.push_async_callback(services.background.drain)
    await services.delivery.start()  # work a crash or an outage left behind goes out now
    stack.push_async_callback(services.delivery.close)
    await services.webhook_delivery.start()  # events a crash or an outage left behind go out now
    stack.push_async_callback(services.webhook_delivery.close)
    await services.accounts.start()  # rotations follow Slack accounts as they come and go
    stack.push_async_callback(services.accounts.close)
    expiry = RequestExpiry(services.requests, clock)
    await expiry.start()  # requests that expired while the app was down are closed now, once
    stack.push_async_callback(expiry.close)
    shift_expiry = RequestExpiry(services.shifts, clock, name="shift-request-expiry")
    await shift_expiry.start()  # cover and swap requests nobody answered say so
    stack.push_async_callback(shift_expiry.close)
    home_refresh = HomeRefresh(services.home, services.signals.changed)
    await home_refresh.start()
    stack.push_async_callback(home_refresh.close)
    scheduler = Scheduler(
        db,
        services.duty,
        services.sync,
        services.signals,
        settings.sync_interval_seconds,
        clock,
        following=services.following,
        members_check_seconds=settings.members_check_interval_seconds,
        housekeeping=Housekeeping(db, settings.history_days, clock, metrics),
    )
    scheduler.start()
    stack.push_async_callback(scheduler.shutdown)
    await services.duty.run_due()  # anything that came due while the app was down, once
    await scheduler.rearm()
    log.info("ready: scheduler", extra={"sync_every_seconds": settings.sync_interval_seconds})

    handler = AsyncSocketModeHandler(
        build_slack_app(services, slack), settings.slack_app_token, web_client=slack
    )
    handler.client.message_listeners.append(metrics.socket_mode_listener())
    await handler.connect_async()
    stack.push_async_callback(handler.close_async)
    log.info("ready: socket mode", extra={"team": identity.team_id, "app": identity.app_id})

    web_url = await _start_web(services, db, handler.client.is_connected, stack)
    log.info("ready: web server", extra={"listening": web_url, "redirect_url": settings.redirect_url})
    return Running(services, web_url, handler, scheduler)


class NetworkInTransaction(RuntimeError):
    """A bug: a request to Slack or PagerDuty while a database transaction is open."""


def no_network_in_transactions() -> aiohttp.TraceConfig:
    """Refuse (and log) any request made while the same task holds a database transaction: the
    process-wide database lock would be held for as long as Slack or PagerDuty takes to answer."""
    trace = aiohttp.TraceConfig()

    async def on_request_start(session, context, params) -> None:
        if in_transaction():
            log.error(
                "network call inside a database transaction",
                extra={"method": params.method, "host": params.url.host, "path": params.url.path},
            )
            raise NetworkInTransaction(f"{params.method} {params.url.path} inside a database transaction")

    trace.on_request_start.append(on_request_start)
    return trace


def _counted_urls(settings: Settings) -> tuple[str, list[str]]:
    """Slack's Web API base, and PagerDuty's (every region, and OAuth): where metrics count requests."""
    pagerduty = [settings.pagerduty_api_base(region) for region in PD_API_URLS]
    return settings.slack_api_url, [*pagerduty, settings.pagerduty_identity_url]


def build_services(
    settings,
    db,
    vault,
    http,
    slack,
    effects_client,
    identity,
    clock,
    metrics: Metrics | None = None,
    hooks_http=None,
) -> Services:
    """Wire every service once; listeners, web routes and jobs receive this one object."""
    metrics = metrics or Metrics()
    signals = Signals.new()
    roles = SlackRoles(slack, clock)
    access = Access(db, roles, settings.owners)
    accounts_changed = Doorbell()  # the directory learned that someone's Slack account changed
    directory = SlackDirectory(slack, db, clock, changed=accounts_changed)
    usergroups = Usergroups(slack, clock)
    workspace = SlackWorkspace(slack, directory, usergroups)
    rotations = RotationQueries(db, access, workspace)
    duty = DutyService(db, access, signals, clock, metrics=metrics)
    pagerduty = PagerDutyConnection(db, vault, settings, http, duty.revert_bound_to_manual, access, clock)
    editor = RotationEditor(
        db, access, workspace, signals, clock, pagerduty_connected=pagerduty.connected, metrics=metrics
    )
    background = Background()
    sync = PagerDutySync(
        db,
        pagerduty,
        duty,
        directory,
        clock,
        background,
        interval=settings.sync_interval_seconds,
        metrics=metrics,
    )
    people = PeopleLinks(db, access, directory, workspace, sync.request_soon, clock)
    rotations_home = RotationsHome(db, access, clock, people.unlinked_ahead)
    links = SignedLinks(vault.derived_key("links"))
    feeds = CalendarFeeds(
        db,
        vault.derived_key("calendar feeds"),
        settings.public_url,
        identity.app_redirect_url,
        access,
        people,
        clock,
    )
    load = LoadReports(db, clock)
    load_home = LoadHome(load, links, settings.public_url, clock)
    home = HomePublisher(
        slack,
        db,
        identity,
        pagerduty,
        access,
        settings.owners,
        rotations_section=rotations_home.blocks,
        sync_summary=lambda: sync_summary(db),
        clock=clock,
        metrics=metrics,
        calendar_link=feeds.person_link,
        load_section=load_home.blocks,
    )
    shifts = ShiftService(db, access, signals, clock, metrics=metrics)
    return Services(
        settings=settings,
        identity=identity,
        signals=signals,
        roles=roles,
        access=access,
        pagerduty=pagerduty,
        home=home,
        background=background,
        clock=clock,
        rotations=rotations,
        editor=editor,
        duty=duty,
        shifts=shifts,
        away=AwayService(db, access, signals, clock, metrics=metrics),
        delivery=SlackDelivery(
            effects_client,
            db,
            signals.effects,
            Pacer(),
            clock,
            call_timeout=settings.slack_timeout_seconds,
            drift_every=settings.slack_check_interval_seconds,
            formats={
                **request_formats(identity.url),
                **shift_formats(),
                **status_formats(),
                **handoff_formats(),
            },
            directory=directory,
            group_created=editor.group_created,
            bot_user_id=identity.bot_user_id,
        ),
        directory=directory,
        sync=sync,
        rotations_home=rotations_home,
        usergroups=usergroups,
        preferences=Preferences(db, clock),
        people=people,
        requests=RequestService(db, signals.effects, Doorbell(), clock),
        modals=Modals(slack, db, clock),
        replies=Replies(http, settings.slack_api_url),
        accounts=AccountWatch(directory, duty, sync, accounts_changed),
        following=GroupFollowing(db, access, workspace, signals, clock, metrics=metrics),
        links=links,
        metrics=metrics,
        feeds=feeds,
        timelines=TimelinePages(db, links, settings.public_url, identity.app_redirect_url, people, clock),
        load=load,
        load_home=load_home,
        handoff=HandoffNotes(db, signals, clock),
        webhooks=IncomingWebhooks(db, vault, duty, shifts, clock),
        webhook_settings=WebhookSettings(
            db,
            vault,
            access,
            settings.public_url,
            settings.webhook_allow_private_urls,
            signals.webhooks,
            clock,
        ),
        webhook_delivery=WebhookDelivery(
            db, vault, hooks_http or http, signals.webhooks, settings.webhook_allow_private_urls, clock
        ),
        pd_covers=PagerDutyCovers(db, pagerduty, directory, sync.request_reread, clock),
    )


async def sync_summary(db: Database) -> SyncSummary:
    failing = await pd_failures.failing(db)
    ids = [f.schedule_id for f in failing if f.schedule_id][:10]
    names = {s.id: s.name for s in (await pd_store.schedules(db, ids)).values()}
    followers = dict(await rotation_store.bound_labels(db, ids))
    return SyncSummary(
        census=await pd_store.census(db),
        bound_rotations=await rotation_store.count(db, "pagerduty"),
        bound_names=tuple(label for _, label in await rotation_store.bound_labels(db, limit=3)),
        failing=tuple(failing),
        failing_names={f"{SCHEDULE}{s}": (names.get(s, s), followers.get(s)) for s in ids},
    )


async def _start_web(services: Services, db: Database, socket_mode_connected, stack: AsyncExitStack) -> str:
    settings = services.settings
    runner = web.AppRunner(build_web_app(services, db, socket_mode_connected), access_log=None)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    site = web.TCPSite(runner, settings.http_host, settings.http_port)
    try:
        await site.start()
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            raise StartupError(
                f"HTTP_PORT {settings.http_port} is already in use on {settings.http_host}: stop the other "
                "program or choose another port"
            ) from None
        raise StartupError(
            f"cannot listen on {settings.http_host}:{settings.http_port}: {e.strerror}"
        ) from None
    host, port = runner.addresses[0][:2]
    return f"http://{host}:{port}"


async def serve(settings: Settings) -> int:
    """Run until SIGINT/SIGTERM; returns the process exit code."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with AsyncExitStack() as stack:
        try:
            await start(settings, stack)
        except StartupError as e:
            log.error(f"cannot start: {e}")
            return 1
        log.info("Round Robin is running", extra={"public_url": settings.public_url})
        await stop.wait()
        log.info("stopping")
    log.info("stopped")
    return 0


def run(settings: Settings) -> int:
    logs.install(logging.getLevelName(settings.log_level), settings.secrets())
    return asyncio.run(serve(settings))
