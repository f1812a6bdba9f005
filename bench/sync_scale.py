"""What following PagerDuty costs at scale, and how soon a planned hand-over reaches Slack.

Runs the app's real services (the sync, the scheduler and the Slack delivery worker, wired as in
production) against the loopback simulators of PagerDuty and Slack, with a realistic account from
the scenario generator: daily hand-overs at each team's local hour across the 7-day window, two
escalation levels, 10% of the schedules in no escalation policy, 5% follow-the-sun with 8-hour
shifts; every schedule bound to a rotation with its own channel and user group. It prints:

- PagerDuty requests per steady poll and per look-ahead refresh, and both per minute;
- the lag from a planned boundary to the user group and to the channel message, measured;
- the same for the loop every open-source sync runs (one request per schedule per cycle): its
  requests counted by running it against the same simulator, its lag worked out from that run's
  timing (when each schedule is read) for every hand-over of the next 24 hours, at random phases;
- how many cycles the 10,000 offset+limit cap failed, and the largest offset+limit asked.

    .venv/bin/python bench/sync_scale.py [--schedules 1000] [--people 5000] [--interval 60] [--hourly 0]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from cryptography.fernet import Fernet
from slack_sdk.web.async_client import AsyncWebClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from roundrobin.config import load_settings  # noqa: E402
from roundrobin.db import Database  # noqa: E402
from roundrobin.main import build_services  # noqa: E402
from roundrobin.pagerduty.client import MAX_OFFSET_PLUS_LIMIT, PagerDutyClient, StaticApiKey  # noqa: E402
from roundrobin.pagerduty.plan import iso  # noqa: E402
from roundrobin.pagerduty.sync import REFRESH_EVERY, SyncReport  # noqa: E402
from roundrobin.rotations.draft import RotationDraft  # noqa: E402
from roundrobin.scheduler import Scheduler  # noqa: E402
from roundrobin.sim.pagerduty import FakePagerDuty  # noqa: E402
from roundrobin.sim.pagerduty.scenarios import DAILY, AccountShape, SeededAccount, seed_account  # noqa: E402
from roundrobin.sim.slack import FakeSlack  # noqa: E402
from roundrobin.slack.identity import fetch_identity  # noqa: E402
from roundrobin.store import outbox  # noqa: E402
from roundrobin.store import rotations as rotation_store  # noqa: E402
from roundrobin.vault import Vault  # noqa: E402

BOT, APP = "xoxb-bench-0000", "xapp-1-A0001-bench"
KEY = "u+benchReadOnlyKey1"
ADMIN = "U0ADMIN"
DAY, WEEK = 86400, 7 * 86400
STEADY_POLLS = 3
CHANGED = 10
# Planned hand-overs measured at once: within Slack's Tier 2 burst (20 group updates a minute), so
# the lag is Round Robin's, not Slack's (bench/slack_storm.py measures a storm under the tiers).
MEASURED = 15
LEAD = 25.0  # seconds from the plan being read to the measured boundary


@dataclass
class Cycle:
    name: str
    requests: Counter[str]
    changes: int
    seconds: float
    ok: bool

    @property
    def total(self) -> int:
        return sum(self.requests.values())


@dataclass
class Cap:
    """What the 10,000 offset+limit cap did to every cycle run."""

    cycles: int = 0
    failed: int = 0
    largest: int = 0
    pages: list[int] = field(default_factory=list)

    def note(self, pd: FakePagerDuty, report: SyncReport) -> None:
        self.cycles += 1
        self.failed += not report.ok and "paging limit" in (report.error or "")
        for r in pd.requests:
            if "offset" in r.query and not r.path.startswith("/v3/"):  # v3 lists have no such cap
                self.largest = max(self.largest, int(r.query["offset"][0]) + int(r.query["limit"][0]))


# -- the world -----------------------------------------------------------------------------------


def seed(pd: FakePagerDuty, slack: FakeSlack, shape: AccountShape) -> SeededAccount:
    account = seed_account(pd, shape)
    slack.add_user(ADMIN, "admin", "Admin", "admin@corp.example", is_admin=True)
    for n, person in enumerate(account.people):
        slack.add_user(slack_id(n), person.id.lower(), person.name, person.email)
    for n, _ in enumerate(account.schedule_ids):
        slack.add_channel(f"C{n:05d}", f"team-{n}", bot_is_member=True, members=[ADMIN])
        slack.add_usergroup(f"S{n:05d}", f"oncall-{n}", f"On call {n}")
    pd.add_api_key(KEY, read_only=True)
    return account


def slack_id(n: int) -> str:
    return f"U{n:06d}"


async def bind_all(services, account: SeededAccount) -> None:
    for n, schedule_id in enumerate(account.schedule_ids):
        draft = RotationDraft(
            name=f"Rotation {n}",
            code=f"R{n}",
            source="pagerduty",
            pd_schedule_id=schedule_id,
            channels=(f"C{n:05d}",),
            usergroup_id=f"S{n:05d}",
            usergroup_handle=f"oncall-{n}",
        )
        await services.rotations.create(draft, ADMIN, pagerduty_connected=True)


async def slack_shows_the_truth(db: Database) -> None:
    """Steady state: Slack already shows who is on duty (as after a long run), nothing left to send."""
    for rotation in await rotation_store.bound(db):
        await outbox.group_applied(db, rotation.id, rotation.usergroup_id, rotation.group_state)
    await db.execute("DELETE FROM slack_outbox")


async def measure(name: str, pd: FakePagerDuty, cap: Cap, run) -> Cycle:
    pd.reset_requests()
    started = time.perf_counter()
    report = await run()
    seconds = time.perf_counter() - started
    cap.note(pd, report)
    if not report.ok:
        raise SystemExit(f"{name} failed: {report.error}")
    return Cycle(name, pd.request_counts(), len(report.changes), seconds, report.ok)


# -- hand-over lag, measured -----------------------------------------------------------------------


async def planned_hand_overs(pd, account: SeededAccount, boundary: float) -> dict[str, str]:
    """MEASURED daily schedules (some in no escalation policy) get a new person from `boundary` on,
    an override made well before it: schedule id -> who takes over."""
    unrouted = [s for s in account.unrouted if account.kinds[s] == DAILY][: MEASURED // 5]
    routed = [s for s in account.routed if account.kinds[s] == DAILY][: MEASURED - len(unrouted)]
    takers = {}
    for schedule_id in [*routed, *unrouted]:
        [current] = pd.directory.schedules[schedule_id].shifts_between(boundary, boundary)
        members = account.members[schedule_id]
        takers[schedule_id] = next(m for m in members if m not in current.user_ids)
        pd.add_override(schedule_id, takers[schedule_id], boundary, boundary + 3600)
    return takers


async def watch_slack(slack: FakeSlack, targets: dict[int, str], until: float) -> tuple[dict, dict]:
    """When each rotation's group first shows its new person, and its channel first names them."""
    grouped: dict[int, float] = {}
    told: dict[int, float] = {}
    seen_messages = 0
    while time.time() < until and (len(grouped) < len(targets) or len(told) < len(targets)):
        now = time.time()
        for n, person in targets.items():
            if n not in grouped and slack.usergroups[f"S{n:05d}"]["users"] == [person]:
                grouped[n] = now
        for message in slack.messages[seen_messages:]:
            n = int(message["channel"][1:]) if message["channel"].startswith("C") else -1
            if n in targets and n not in told and f"<@{targets[n]}>" in message["text"]:
                told[n] = now
        seen_messages = len(slack.messages)
        await asyncio.sleep(0.01)
    return grouped, told


# -- the naive loop --------------------------------------------------------------------------------


async def naive_cycle(client: PagerDutyClient, account: SeededAccount, pd: FakePagerDuty) -> dict[str, float]:
    """One request per schedule: its final schedule from now on. Returns when each one was read
    (seconds from the cycle's start)."""
    read_at = {}
    started = time.perf_counter()
    now = time.time()
    window = [("since", iso(now)), ("until", iso(now + WEEK)), ("time_zone", "UTC")]
    for schedule_id in account.schedule_ids:
        if pd.directory.schedules[schedule_id].shift_based:
            await client.get(f"/v3/schedules/{schedule_id}", [("include[]", "final_schedule"), *window])
        else:
            await client.get(f"/schedules/{schedule_id}", [*window, ("overflow", "true")])
        read_at[schedule_id] = time.perf_counter() - started
    return read_at


def naive_lags(pd: FakePagerDuty, read_at: dict[str, float], interval: float, now: float) -> list[float]:
    """For every change of hands in the next 24 hours, how long until the loop reads that schedule,
    its cycles starting at a random phase: wait for the next cycle to reach it."""
    rng = random.Random(7)
    lags = []
    for schedule_id, offset in read_at.items():
        shifts = pd.directory.schedules[schedule_id].shifts
        for before, after in zip(shifts, shifts[1:], strict=False):
            boundary = after.start
            if not now < boundary <= now + DAY or before.user_ids == after.user_ids:
                continue
            phase = rng.uniform(0, interval)  # a cycle starts at phase + k * interval
            first = phase + interval * max(0, -(-(boundary - now - offset - phase) // interval))
            lags.append(first + offset - (boundary - now))
    return lags


# -- the run ---------------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> None:
    shape = AccountShape(
        schedules=args.schedules,
        people=args.people,
        levels=2,
        unrouted_share=0.10,
        follow_the_sun_share=0.05,
        hourly_schedules=args.hourly,
        window_days=7,
    )
    cap = Cap()
    async with AsyncExitStack() as stack:
        pd = await stack.enter_async_context(FakePagerDuty())
        pd.rate_limit_per_minute = None
        slack = await stack.enter_async_context(FakeSlack(bot_token=BOT, app_token=APP))
        print(f"seeding {args.schedules} schedules, {args.people} people ...", file=sys.stderr)
        account = seed(pd, slack, shape)
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        settings = load_settings(
            {
                "SLACK_BOT_TOKEN": BOT,
                "SLACK_APP_TOKEN": APP,
                "SLACK_API_URL": slack.api_url,
                "PAGERDUTY_API_URL": pd.url,
                "PAGERDUTY_IDENTITY_URL": pd.url,
                "DATABASE_PATH": str(folder / "bench.db"),
                "SYNC_INTERVAL_SECONDS": str(args.interval),
                "SLACK_CHECK_INTERVAL_SECONDS": "0",
            },
            dotenv=None,
        )
        db = await Database.open(settings.database_path)
        stack.push_async_callback(db.close)
        http = await stack.enter_async_context(aiohttp.ClientSession())
        client = AsyncWebClient(token=BOT, base_url=slack.api_url, session=http)
        effects = AsyncWebClient(token=BOT, base_url=slack.api_url, session=http)
        effects.retry_handlers.clear()
        identity = await fetch_identity(client)
        vault = Vault(Fernet.generate_key().decode())
        services = build_services(settings, db, vault, http, client, effects, identity, time.time)
        stack.push_async_callback(services.background.drain)
        sync = services.sync
        await services.pagerduty.connect_api_key(ADMIN, KEY, "us")
        await sync.run()  # learn the schedules, so rotations can bind to them
        print("binding a rotation to every schedule ...", file=sys.stderr)
        await bind_all(services, account)

        print("measuring cycles ...", file=sys.stderr)
        cycles = [await measure("first refresh (cold: everyone goes on duty)", pd, cap, sync.run)]
        await slack_shows_the_truth(db)
        polls = [
            await measure("poll", pd, cap, lambda: sync.tick(args.interval)) for _ in range(STEADY_POLLS)
        ]
        refresh = await measure("look-ahead refresh", pd, cap, sync.run)
        changed = [s for s in account.routed if account.kinds[s] == DAILY][-CHANGED:]
        for schedule_id in changed:
            now = pd.account.now()
            [current] = pd.directory.schedules[schedule_id].shifts_between(now, now)
            members = account.members[schedule_id]
            pd.add_override(
                schedule_id, next(m for m in members if m not in current.user_ids), now, current.end
            )
        after_change = await measure(
            f"poll after {CHANGED} schedules changed hands", pd, cap, lambda: sync.tick(args.interval)
        )

        print(f"measuring {MEASURED} planned hand-overs ({LEAD:.0f} s) ...", file=sys.stderr)
        boundary = float(int(time.time() + LEAD))
        takers = await planned_hand_overs(pd, account, boundary)
        await measure("refresh that reads the plan", pd, cap, sync.run)
        await slack_shows_the_truth(db)
        await services.delivery.start()
        stack.push_async_callback(services.delivery.close)
        scheduler = Scheduler(db, services.rotations, sync, services.signals, args.interval)
        scheduler.start()
        stack.push_async_callback(scheduler.shutdown)
        await scheduler.rearm()
        person = {p.id: slack_id(n) for n, p in enumerate(account.people)}
        index = {s: n for n, s in enumerate(account.schedule_ids)}
        targets = {index[s]: person[taker] for s, taker in takers.items()}
        pd.reset_requests()
        grouped, told = await watch_slack(slack, targets, boundary + 15)
        asked_at_boundary = [r for r in pd.requests if boundary - 1 <= r.at <= boundary + 5]

        print("running the naive loop ...", file=sys.stderr)
        naive_client = PagerDutyClient(http, pd.url, StaticApiKey(KEY))
        pd.reset_requests()
        started = time.perf_counter()
        read_at = await naive_cycle(naive_client, account, pd)
        naive_seconds = time.perf_counter() - started
        naive_requests = len(pd.requests)
        lags = naive_lags(pd, read_at, args.interval, time.time())

    report(args, account, cycles, polls, refresh, after_change, grouped, told, boundary, takers)
    report_naive(args, polls, refresh, naive_requests, naive_seconds, lags)
    print(
        f"\nCycles failed by the {MAX_OFFSET_PLUS_LIMIT:,} offset+limit cap: {cap.failed} of {cap.cycles}; "
        f"largest offset+limit asked: {cap.largest:,}. PagerDuty requests in the 5 s after the measured "
        f"boundary: {len(asked_at_boundary)} (the hand-overs came from the stored plan)."
    )


def per_minute(polls: list[Cycle], refresh: Cycle, interval: int) -> tuple[float, float, float]:
    poll = statistics.mean(c.total for c in polls)
    cycles = REFRESH_EVERY / interval  # one of them a refresh
    per_min = (refresh.total + (cycles - 1) * poll) / (REFRESH_EVERY / 60)
    return poll, refresh.total / (REFRESH_EVERY / 60), per_min


def report(args, account, cycles, polls, refresh, after_change, grouped, told, boundary, takers) -> None:
    print(
        f"\nPagerDuty sync, {args.schedules} bound schedules, {args.interval} s interval (loopback simulators)"
    )
    print(account.summary())
    print("\n| cycle | PagerDuty requests | by endpoint | duty changes | wall time |")
    print("|---|---|---|---|---|")
    mean_poll = Cycle(
        f"steady poll, nothing changed (mean of {len(polls)})",
        sum((c.requests for c in polls), Counter()),
        0,
        statistics.mean(c.seconds for c in polls),
        True,
    )
    for c in [*cycles, mean_poll, refresh, after_change]:
        divisor = len(polls) if c is mean_poll else 1
        total = c.total / divisor
        endpoints = ", ".join(
            f"{k.removeprefix('GET ')} {v / divisor:g}" for k, v in sorted(c.requests.items())
        )
        print(f"| {c.name} | {total:g} | {endpoints} | {c.changes} | {c.seconds:.2f} s |")
    poll, refresh_per_min, total = per_minute(polls, refresh, args.interval)
    print(
        f"\nPer minute at a {args.interval} s interval: {poll * 60 / args.interval:.1f} for polls + "
        f"{refresh_per_min:.1f} for the refresh every {REFRESH_EVERY / 60:.0f} min (amortised) = "
        f"{total:.1f} of PagerDuty's 960 requests a minute ({total / 9.6:.1f}%)."
    )
    g = [grouped[n] - boundary for n in grouped]
    t = [told[n] - boundary for n in told]
    print(f"\n| after a planned boundary ({len(takers)} rotations at once) | seen | median | max |")
    print("|---|---|---|---|")
    print(f"| user group set to the new person | {len(g)}/{len(takers)} | {_med(g)} | {_max(g)} |")
    print(f"| channel told | {len(t)}/{len(takers)} | {_med(t)} | {_max(t)} |")


def report_naive(args, polls, refresh, requests, seconds, lags) -> None:
    poll, _, total = per_minute(polls, refresh, args.interval)
    print("\n| | Round Robin | naive loop (one request per schedule per cycle) |")
    print("|---|---|---|")
    print(f"| PagerDuty requests per cycle | {poll:g} (poll), {refresh.total} (refresh) | {requests} |")
    print(
        f"| requests per minute at a {args.interval} s interval | {total:.1f} | "
        f"{requests * 60 / args.interval:.0f} |"
    )
    print(
        f"| wall time of a cycle (loopback) | {statistics.mean(c.seconds for c in polls):.2f} s | {seconds:.2f} s |"
    )
    print(
        f"| hand-over seen by the sync, median / p95 / max | at the boundary (wake-up) | "
        f"{_p(lags, 50)} / {_p(lags, 95)} / {_max(lags)} ({len(lags)} hand-overs in the next 24 h) |"
    )


def _med(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s" if values else "-"


def _max(values: list[float]) -> str:
    return f"{max(values):.2f} s" if values else "-"


def _p(values: list[float], percent: int) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(len(ordered) * percent / 100))]:.1f} s"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--interval", type=int, default=60, help="SYNC_INTERVAL_SECONDS")
    parser.add_argument("--hourly", type=int, default=0, help="schedules handing over every hour")
    asyncio.run(main(parser.parse_args()))
