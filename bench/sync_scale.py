"""What one PagerDuty sync cycle costs at scale: 1,000 bound schedules, 5,000 people.

Runs the real sync (the app's own services, wired as in production) against the loopback
simulators of PagerDuty and Slack, and prints requests and Slack calls per cycle, wall time and
peak memory for: the first (cold) cycle, a steady cycle where nothing changed, and a cycle where
10 schedules changed hands.

    .venv/bin/python bench/sync_scale.py [--schedules 1000] [--users 5000] [--changed 10]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import tracemalloc
from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp
from cryptography.fernet import Fernet
from slack_sdk.web.async_client import AsyncWebClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from roundrobin.config import load_settings  # noqa: E402
from roundrobin.db import Database  # noqa: E402
from roundrobin.main import build_services  # noqa: E402
from roundrobin.rotations.draft import RotationDraft  # noqa: E402
from roundrobin.sim.pagerduty import FakePagerDuty  # noqa: E402
from roundrobin.sim.slack import FakeSlack  # noqa: E402
from roundrobin.slack.identity import fetch_identity  # noqa: E402
from roundrobin.vault import Vault  # noqa: E402

BOT, APP = "xoxb-bench-0000", "xapp-1-A0001-bench"
SLACK_WRITES = ("chat.postMessage", "usergroups.users.update", "usergroups.enable", "usergroups.disable")
WEEK = 7 * 86400


def seed(pd: FakePagerDuty, slack: FakeSlack, schedules: int, users: int) -> None:
    for i in range(users):
        email = f"person{i}@corp.example"
        pd.add_user(f"PU{i:05d}", f"Person {i}", email)
        slack.add_user(f"U{i:06d}", f"person{i}", f"Person {i}", email)
    slack.add_channel("C0ONCALL", "oncall", bot_is_member=True)
    now = time.time()
    for s in range(schedules):
        members = [f"PU{(s * 5 + k) % users:05d}" for k in range(5)]
        pd.add_schedule(
            f"PS{s:05d}", f"Schedule {s}", user_ids=members, escalation_policy_ids=[f"PE{s // 2:05d}"]
        )
        # weekly shifts: the current one and the next, each a week long
        start = now - (s % 7) * 86400
        pd.set_shifts(
            f"PS{s:05d}", [(members[0], start, start + WEEK), (members[1], start + WEEK, start + 2 * WEEK)]
        )
        slack.add_usergroup(f"S{s:05d}", f"oncall-{s}", f"On call {s}")
    pd.add_api_key("u+benchReadOnlyKey1", read_only=True)


async def cycle(services, pd: FakePagerDuty, slack: FakeSlack) -> dict:
    pd.reset_requests()
    calls_before = len(slack.calls)
    started = time.perf_counter()
    report = await services.sync.run()
    await services.background.drain(timeout=120)
    elapsed = time.perf_counter() - started
    calls = slack.calls[calls_before:]
    return {
        "ok": report.ok,
        "pd_requests": len(pd.requests),
        "slack_reads": len([c for c in calls if c[0] not in SLACK_WRITES]),
        "slack_writes": len([c for c in calls if c[0] in SLACK_WRITES]),
        "changes": len(report.changes),
        "seconds": elapsed,
    }


async def main(schedules: int, users: int, changed: int) -> None:
    tracemalloc.start()
    async with AsyncExitStack() as stack:
        pd = await stack.enter_async_context(FakePagerDuty())
        slack = await stack.enter_async_context(FakeSlack(bot_token=BOT, app_token=APP))
        print(f"seeding {schedules} schedules, {users} people ...", file=sys.stderr)
        seed(pd, slack, schedules, users)
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        settings = load_settings(
            {
                "SLACK_BOT_TOKEN": BOT,
                "SLACK_APP_TOKEN": APP,
                "SLACK_API_URL": slack.api_url,
                "PAGERDUTY_API_URL": pd.url,
                "PAGERDUTY_IDENTITY_URL": pd.url,
                "DATABASE_PATH": str(folder / "bench.db"),
            },
            dotenv=None,
        )
        db = await Database.open(settings.database_path)
        stack.push_async_callback(db.close)
        http = await stack.enter_async_context(aiohttp.ClientSession())
        client = AsyncWebClient(token=BOT, base_url=slack.api_url)
        services = build_services(
            settings,
            db,
            Vault(Fernet.generate_key().decode()),
            http,
            client,
            await fetch_identity(client),
            time.time,
        )
        await services.pagerduty.connect_api_key("U000000", "u+benchReadOnlyKey1", "us")
        await services.sync.run()  # learn the schedules, so rotations can bind to them
        for s in range(schedules):
            draft = RotationDraft(
                name=f"Rotation {s}",
                code=f"R{s}",
                source="pagerduty",
                pd_schedule_id=f"PS{s:05d}",
                channels=("C0ONCALL",),
                usergroup_id=f"S{s:05d}",
                usergroup_handle=f"oncall-{s}",
            )
            await services.rotations.create(draft, "U000000", pagerduty_connected=True)
        await services.background.drain(timeout=300)  # the sync that binding asked for: not measured
        await db.execute("DELETE FROM rotation_members")  # start cold: nobody known to be on duty
        await db.execute("DELETE FROM meta")  # and no cached Slack directory or PagerDuty users
        tracemalloc.reset_peak()

        rows = [("first cycle (cold)", await cycle(services, pd, slack))]
        rows.append(("steady, nothing changed", await cycle(services, pd, slack)))
        for s in range(changed):
            pd.set_on_call(f"PS{s:05d}", f"PU{(s * 5 + 2) % users:05d}")
        rows.append((f"{changed} schedules changed hands", await cycle(services, pd, slack)))
        _, peak = tracemalloc.get_traced_memory()

    print(f"\nPagerDuty sync at {schedules} bound schedules, {users} people (loopback simulators)\n")
    print("| cycle | PagerDuty requests | Slack reads | Slack writes | duty changes | wall time |")
    print("|---|---|---|---|---|---|")
    for name, r in rows:
        print(
            f"| {name} | {r['pd_requests']} | {r['slack_reads']} | {r['slack_writes']} | {r['changes']} "
            f"| {r['seconds']:.2f} s |"
        )
    print(f"\npeak Python memory during the cycles: {peak / 2**20:.1f} MiB (tracemalloc)")
    print(f"steady-state PagerDuty budget used: {rows[1][1]['pd_requests']} of 960 requests per minute")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--changed", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(main(args.schedules, args.users, args.changed))
