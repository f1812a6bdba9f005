"""A hand-over storm: N rotations change hands at once (Monday 09:00) while Slack enforces its tiers.

Runs the app's real rotation service and Slack delivery worker against the loopback Slack simulator
with rate limits on, and reports how long Slack took to show the truth everywhere (every on-duty
group set, every channel told once), the writes and 429s it took, failures (must be 0), and the
ratio of that drain time to the least Slack's tiers allow. Slack's per-minute windows are scaled
down (`--window`, default 2 s for Slack's 60 s) so the run is quick; ratios do not change.

    .venv/bin/python bench/slack_storm.py [--rotations 200 1000] [--window 2]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from roundrobin.access import Access  # noqa: E402
from roundrobin.db import Database  # noqa: E402
from roundrobin.rotations.draft import RotationDraft  # noqa: E402
from roundrobin.rotations.duty import DutyService
from roundrobin.rotations.editing import RotationEditor
from roundrobin.rotations.model import GroupState  # noqa: E402
from roundrobin.signals import Signals  # noqa: E402
from roundrobin.sim.slack import FakeSlack  # noqa: E402
from roundrobin.slack.gateway.delivery import SlackDelivery  # noqa: E402
from roundrobin.slack.gateway.directory import SlackDirectory  # noqa: E402
from roundrobin.slack.gateway.pacing import Pacer  # noqa: E402
from roundrobin.slack.gateway.usergroups import Usergroups  # noqa: E402
from roundrobin.slack.gateway.workspace import SlackWorkspace  # noqa: E402
from roundrobin.store import outbox  # noqa: E402

BOT, APP = "xoxb-storm-0000", "xapp-1-A0001-storm"
ADMIN = "UADMIN"
TIER_2_PER_WINDOW = 20
POSTS_PER_WINDOW = 300


class _Roles:
    async def is_workspace_admin(self, user_id: str) -> bool:
        return user_id == ADMIN

    async def name(self, user_id: str) -> str:
        return user_id

    async def is_person(self, user_id: str) -> bool:
        return True


@dataclass
class StormReport:
    rotations: int
    window: float
    drain_seconds: float
    minimum_seconds: float
    writes: int
    rate_limited: int
    failures: int
    groups_right: int
    channels_told_once: int

    @property
    def ratio(self) -> float:
        return self.drain_seconds / self.minimum_seconds if self.minimum_seconds else 1.0


def minimum_drain(rotations: int, window: float) -> float:
    """The least time Slack's tiers allow: each group needs one Tier 2 update (20 per window), each
    channel one message (one per second per channel, 300 per window across the workspace)."""
    groups = (math.ceil(rotations / TIER_2_PER_WINDOW) - 1) * window
    posts = (math.ceil(rotations / POSTS_PER_WINDOW) - 1) * window
    return max(groups, posts)


async def storm(rotations: int, window: float = 2.0, folder: Path | None = None) -> StormReport:
    speedup = 60.0 / window
    with tempfile.TemporaryDirectory() as scratch:
        folder = folder or Path(scratch)
        async with FakeSlack(bot_token=BOT, app_token=APP) as slack, aiohttp.ClientSession() as http:
            slack.add_user(ADMIN, "admin", "Admin", "admin@corp.example", is_admin=True)
            for i in range(rotations):
                for k in (0, 1):
                    slack.add_user(f"U{i:05d}{k}", f"p{i}-{k}", f"Person {i}-{k}", f"p{i}-{k}@corp.example")
                slack.add_channel(f"C{i:05d}", f"team-{i}", bot_is_member=True)
                slack.add_usergroup(f"S{i:05d}", f"oncall-{i}", f"On call {i}", users=[f"U{i:05d}0"])
            db = await Database.open(folder / "storm.db")
            signals = Signals.new()
            client = AsyncWebClient(token=BOT, base_url=slack.api_url, session=http)
            client.retry_handlers.clear()
            workspace = SlackWorkspace(client, SlackDirectory(client, db), Usergroups(client))
            access = Access(db, _Roles(), ())
            editor, duty = RotationEditor(db, access, workspace, signals), DutyService(db, access, signals)
            ids = []
            for i in range(rotations):
                draft = RotationDraft(
                    name=f"Team {i}",
                    code=f"T{i}",
                    members=(f"U{i:05d}0", f"U{i:05d}1"),
                    channels=(f"C{i:05d}",),
                    usergroup_id=f"S{i:05d}",
                    usergroup_handle=f"oncall-{i}",
                )
                rotation = await editor.create(draft, ADMIN, False)
                ids.append(rotation.id)
                # Steady state before the storm: Slack already shows the first person.
                await outbox.group_applied(
                    db, rotation.id, rotation.usergroup_id, GroupState(True, (f"U{i:05d}0",))
                )
            await db.execute("DELETE FROM slack_outbox")

            delivery = SlackDelivery(client, db, signals.effects, Pacer(speedup=speedup), drift_every=0)
            slack.enforce_rate_limits(window_seconds=window)
            before_calls, before_messages = len(slack.calls), len(slack.messages)
            await delivery.start()
            started = time.perf_counter()
            for rotation_id in ids:  # 09:00: everyone hands over at once
                await duty.rotate(rotation_id, ADMIN)
            await delivery.wait_idle(timeout=3600)
            drained = time.perf_counter() - started
            await delivery.close()

            told = [m["channel"] for m in slack.messages[before_messages:]]
            report = StormReport(
                rotations=rotations,
                window=window,
                drain_seconds=drained,
                minimum_seconds=minimum_drain(rotations, window),
                writes=len(slack.calls) - before_calls,
                rate_limited=sum(slack.rate_limited.values()),
                failures=len(await db.fetchall("SELECT 1 FROM slack_outbox WHERE failed = 1"))
                + len(await db.fetchall("SELECT 1 FROM usergroup_sync WHERE error IS NOT NULL")),
                groups_right=sum(
                    slack.usergroups[f"S{i:05d}"]["users"] == [f"U{i:05d}1"] for i in range(rotations)
                ),
                channels_told_once=sum(told.count(f"C{i:05d}") == 1 for i in range(rotations)),
            )
            await db.close()
            return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rotations", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--window", type=float, default=2.0, help="seconds standing in for Slack's minute")
    args = parser.parse_args()
    print(
        f"Slack's 60-second windows run as {args.window:g} s ({60 / args.window:g}x); times below are scaled back."
    )
    print(
        "| hand-overs | drain | minimum by tiers | ratio | writes | 429s | failures | groups right | channels told once |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    scale = 60.0 / args.window
    for n in args.rotations:
        r = asyncio.run(storm(n, args.window))
        print(
            f"| {n} | {r.drain_seconds * scale:.0f} s | {r.minimum_seconds * scale:.0f} s | {r.ratio:.2f}x | "
            f"{r.writes} | {r.rate_limited} | {r.failures} | {r.groups_right}/{n} | {r.channels_told_once}/{n} |"
        )


if __name__ == "__main__":
    main()
