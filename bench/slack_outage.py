"""Recovery after a Slack outage: N rotations hand over while all of Slack answers 5xx pages, and the
time from Slack's return until every group is right and every channel told is measured.

Runs the app's real rotation service and Slack delivery worker against the loopback Slack simulator
with Slack's rate tiers enforced (at their real per-minute size). Before a piece of work waiting out
its own backoff (up to a minute) was what set the recovery time; now the first call that gets
through releases the backlog, so it is set by the tiers and a probe every couple of seconds.

    .venv/bin/python bench/slack_outage.py [--rotations 10 20] [--outage 7 8 9.5]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.slack_storm import ADMIN, APP, BOT, _Roles  # noqa: E402
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


async def outage(rotations: int, seconds: float) -> tuple[float, int, int]:
    """Seconds from the end of the outage until Slack shows the truth; groups right; channels told."""
    with tempfile.TemporaryDirectory() as scratch:
        async with FakeSlack(bot_token=BOT, app_token=APP) as slack, aiohttp.ClientSession() as http:
            slack.add_user(ADMIN, "admin", "Admin", "admin@corp.example", is_admin=True)
            for i in range(rotations):
                for k in (0, 1):
                    slack.add_user(f"U{i:05d}{k}", f"p{i}-{k}", f"Person {i}-{k}", f"p{i}-{k}@corp.example")
                slack.add_channel(f"C{i:05d}", f"team-{i}", bot_is_member=True)
                slack.add_usergroup(f"S{i:05d}", f"oncall-{i}", f"On call {i}", users=[f"U{i:05d}0"])
            db = await Database.open(Path(scratch) / "outage.db")
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
                await outbox.group_applied(
                    db, rotation.id, rotation.usergroup_id, GroupState(True, (f"U{i:05d}0",))
                )
            await db.execute("DELETE FROM slack_outbox")
            delivery = SlackDelivery(client, db, signals.effects, Pacer(), drift_every=0)
            slack.enforce_rate_limits()
            await delivery.start()
            down = slack.outage(seconds, status=503)
            for rotation_id in ids:
                await duty.rotate(rotation_id, ADMIN)
            await asyncio.sleep(max(0.0, down.until - time.time()))
            back = time.perf_counter()
            await delivery.wait_idle(timeout=600)
            took = time.perf_counter() - back
            await delivery.close()
            groups = sum(slack.usergroups[f"S{i:05d}"]["users"] == [f"U{i:05d}1"] for i in range(rotations))
            told = [m["channel"] for m in slack.messages]
            channels = sum(told.count(f"C{i:05d}") == 1 for i in range(rotations))
            await db.close()
            return took, groups, channels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rotations", type=int, nargs="+", default=[10, 20])
    parser.add_argument(
        "--outage", type=float, nargs="+", default=[7.0, 8.0, 9.5], help="seconds all of Slack answers 5xx"
    )
    args = parser.parse_args()
    print(
        "| hand-overs in the outage | outage | Slack right again after | groups right | channels told once |"
    )
    print("|---|---|---|---|---|")
    for seconds in args.outage:
        for n in args.rotations:
            took, groups, channels = asyncio.run(outage(n, seconds))
            print(f"| {n} | {seconds:g} s | {took:.1f} s | {groups}/{n} | {channels}/{n} |")


if __name__ == "__main__":
    main()
