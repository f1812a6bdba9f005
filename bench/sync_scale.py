"""What following PagerDuty costs at scale, how soon a planned hand-over reaches Slack, and whether
Slack's acks stay fast meanwhile.

Runs the app's real services (the sync, the scheduler, the Slack delivery worker and the Bolt app
over Socket Mode, wired as in production) against the loopback simulators of PagerDuty and Slack,
with a realistic account from the scenario generator: daily hand-overs at each team's local hour
across the 7-day window, two escalation levels, 10% of the schedules in no escalation policy, 5%
follow-the-sun with 8-hour shifts. `--bound` of them (all by default) are bound to a rotation with
its own channel and user group. It prints:

- the first Sync now after binding them (cold: everyone goes on duty);
- PagerDuty requests in steady state, measured over `--minutes` of ticks on a clock moved one
  interval a tick: per poll, per look-ahead pass (every bound schedule's week read again), per minute
  (mean and the busiest minute), against Round Robin's budget of 96 a minute (a tenth of PagerDuty's
  960); and how long applying the plan took at the busiest hand-over;
- the lag from a planned boundary to the user group and to the channel message, in real time;
- Slack's ack times for opening the App Home, `/rr list` and typing in the schedule picker,
  measured while that happens, and the PagerDuty requests the typing cost;
- the process's memory (the simulators' share measured before the app starts);
- with `--naive`, the loop most open-source syncs run (one request per schedule per cycle): its
  requests counted against the same simulator, its lag worked out from that run's timing.

    .venv/bin/python bench/sync_scale.py [--schedules 1000] [--bound N] [--people 5000]
        [--interval 60] [--minutes 60] [--hourly 0] [--naive]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import resource
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
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.web.async_client import AsyncWebClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from roundrobin.config import load_settings  # noqa: E402
from roundrobin.db import Database  # noqa: E402
from roundrobin.main import build_services  # noqa: E402
from roundrobin.pagerduty.budget import BUDGET_PER_MINUTE  # noqa: E402
from roundrobin.pagerduty.client import MAX_OFFSET_PLUS_LIMIT, PagerDutyClient, StaticApiKey  # noqa: E402
from roundrobin.pagerduty.plan import iso  # noqa: E402
from roundrobin.rotations.draft import RotationDraft  # noqa: E402
from roundrobin.scheduler import Scheduler  # noqa: E402
from roundrobin.sim.pagerduty import FakePagerDuty  # noqa: E402
from roundrobin.sim.pagerduty.scenarios import DAILY, AccountShape, SeededAccount, seed_account  # noqa: E402
from roundrobin.sim.slack import FakeSlack  # noqa: E402
from roundrobin.slack.gateway.identity import fetch_identity  # noqa: E402
from roundrobin.slack.ids import Rotations  # noqa: E402
from roundrobin.slack.surfaces.app import build_slack_app  # noqa: E402
from roundrobin.store import outbox  # noqa: E402
from roundrobin.store import pagerduty as pd_store  # noqa: E402
from roundrobin.store import rotations as rotation_store  # noqa: E402
from roundrobin.vault import Vault  # noqa: E402

BOT, APP = "xoxb-bench-0000", "xapp-1-A0001-bench"
KEY = "u+benchReadOnlyKey1"
ADMIN, GENERAL = "U0ADMIN", "C0GENERAL"
DAY, WEEK = 86400, 7 * 86400
WARM_UP = 15  # simulated minutes before the steady state is measured (a Sync now's debt is paid back)
# Planned hand-overs measured at once: within Slack's Tier 2 burst (20 group updates a minute), so
# the lag is Round Robin's, not Slack's (bench/slack_storm.py measures a storm under the tiers).
MEASURED = 15
LEAD = 25.0  # seconds from the plan being read to the measured boundary
TYPED = 6  # schedule names typed key by key in the picker while the hand-over is measured


class BenchClock:
    """Real time, which the steady-state phase moves ahead one interval a tick."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def jump_to(self, moment: float) -> None:
        self.offset = max(self.offset, moment - time.time())


@dataclass
class Cold:
    """The first Sync now after binding."""

    requests: int
    changes: int
    seconds: float
    endpoints: Counter[str]


@dataclass
class Steady:
    """The steady state, tick by tick."""

    poll: list[int] = field(default_factory=list)  # requests of each tick's poll
    ahead: list[int] = field(default_factory=list)  # requests of each tick's look-ahead (and people, census)
    groups: int = 1
    per_minute: list[int] = field(default_factory=list)
    endpoints: Counter[str] = field(default_factory=Counter)
    tick_seconds: list[float] = field(default_factory=list)
    pass_minutes: float | None = None  # until every bound schedule's week was read again
    pass_requests: int = 0
    failed: int = 0
    largest_offset: int = 0


def rss_mb() -> tuple[float, float]:
    """(resident now, peak) in MB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the world -----------------------------------------------------------------------------------


def seed(pd: FakePagerDuty, slack: FakeSlack, shape: AccountShape, bound: int) -> SeededAccount:
    account = seed_account(pd, shape)
    slack.add_user(ADMIN, "admin", "Admin", "admin@corp.example", is_admin=True)
    slack.add_channel(GENERAL, "general", bot_is_member=True, members=[ADMIN])
    for n, person in enumerate(account.people):
        slack.add_user(slack_id(n), person.id.lower(), person.name, person.email)
    for n in range(bound):
        slack.add_channel(f"C{n:05d}", f"team-{n}", bot_is_member=True, members=[ADMIN])
        slack.add_usergroup(f"S{n:05d}", f"oncall-{n}", f"On call {n}")
    pd.add_api_key(KEY, read_only=True)
    return account


def slack_id(n: int) -> str:
    return f"U{n:06d}"


def bound_ids(account: SeededAccount, bound: int) -> list[str]:
    """Which schedules are bound: spread over the account, so every kind is among them."""
    ids = account.schedule_ids
    step = len(ids) / bound
    return [ids[int(n * step)] for n in range(bound)]


async def bind_all(
    services, db: Database, pd: FakePagerDuty, schedule_ids: list[str], now: float, per_rotation: int = 1
) -> None:
    """A rotation per `per_rotation` schedules (2: primary and secondary together, as one union)."""
    # As if each had been offered in the picker's search (the rotation service checks it was).
    offered = [pd_store.PdSchedule(s, pd.directory.schedules[s].name) for s in schedule_ids]
    await pd_store.remember_schedules(db, offered, now)
    groups = [schedule_ids[i : i + per_rotation] for i in range(0, len(schedule_ids), per_rotation)]
    for n, followed in enumerate(groups):
        draft = RotationDraft(
            name=f"Rotation {n}",
            code=f"R{n}",
            source="pagerduty",
            pd_schedule_id=followed[0],
            pd_more_schedule_ids=tuple(followed[1:]),
            channels=(f"C{n:05d}",),
            usergroup_id=f"S{n:05d}",
            usergroup_handle=f"oncall-{n}",
        )
        await services.editor.create(draft, ADMIN, pagerduty_connected=True)


async def slack_shows_the_truth(db: Database) -> None:
    """Steady state: Slack already shows who is on duty (as after a long run), nothing left to send."""
    for rotation in await rotation_store.bound(db):
        await outbox.group_applied(db, rotation.id, rotation.usergroup_id, rotation.group_state)
    await db.execute("DELETE FROM slack_outbox")


def largest_offset(pd: FakePagerDuty) -> int:
    found = 0
    for r in pd.requests:
        if "offset" in r.query and not r.path.startswith("/v3/"):  # v3 lists have no such cap
            found = max(found, int(r.query["offset"][0]) + int(r.query.get("limit", ["25"])[0]))
    return found


# -- the steady state, on a clock moved one interval a tick ----------------------------------------


async def steady_state(services, db: Database, pd, clock: BenchClock, bound: list[str], args) -> Steady:
    sync = services.sync
    steady = Steady()
    ticks = int((WARM_UP + args.minutes) * 60 / args.interval)
    measured_from = int(WARM_UP * 60 / args.interval)
    started = None
    minute_requests = 0
    for tick in range(ticks):
        target = clock() + args.interval
        await hand_overs_until(sync, db, clock, target)
        clock.jump_to(target)
        pd.reset_requests()
        began = time.perf_counter()
        report = await sync.tick(args.interval)
        seconds = time.perf_counter() - began
        await db.execute("DELETE FROM slack_outbox")  # nobody delivers it in this phase
        if not report.ok:
            raise SystemExit(f"a tick failed: {report.error}")
        if tick < measured_from:
            continue
        if started is None:
            started = clock()
        counts = pd.request_counts()
        steady.poll.append(report.poll_requests)
        steady.ahead.append(report.requests - report.poll_requests)
        steady.groups = max(steady.groups, report.poll_groups)
        steady.endpoints += counts
        steady.tick_seconds.append(seconds)
        steady.largest_offset = max(steady.largest_offset, largest_offset(pd))
        minute_requests += report.requests
        if (tick - measured_from + 1) * args.interval % 60 == 0:
            steady.per_minute.append(minute_requests)
            minute_requests = 0
        if steady.pass_minutes is None:
            steady.pass_requests += report.requests - report.poll_requests
            oldest = await db.fetchone(
                "SELECT MIN(planned_at) FROM pd_schedules WHERE id IN "
                "(SELECT pd_schedule_id FROM rotations WHERE source = 'pagerduty')"
            )
            if oldest[0] is not None and oldest[0] >= started:
                steady.pass_minutes = (clock() - started) / 60
    return steady


async def busiest_boundary(sync, db, clock: BenchClock) -> tuple[int, float]:
    """The moment when the most rotations have their next hand-over: how long applying the
    plan there takes (duty stored, Slack work queued), every change before it applied first."""
    row = await db.fetchone(
        "SELECT next_change_at, COUNT(*) FROM rotations WHERE next_change_at IS NOT NULL "
        "GROUP BY next_change_at ORDER BY COUNT(*) DESC, next_change_at LIMIT 1"
    )
    if row is None:
        return 0, 0.0
    await hand_overs_until(sync, db, clock, row[0])  # every hand-over before it, in order
    clock.jump_to(row[0])
    began = time.perf_counter()
    changes = await sync.hand_over_due()
    return len(changes), time.perf_counter() - began


async def hand_overs_until(sync, db, clock: BenchClock, until: float) -> None:
    """Apply PagerDuty's planned hand-overs at their own second, as the scheduler does."""
    last = None
    while (due := await rotation_store.next_change_at(db)) is not None and due < until and due != last:
        clock.jump_to(due)
        await sync.hand_over_due()
        last = due


# -- hand-over lag and acks, in real time ----------------------------------------------------------


class GcPauses:
    """How long each collection of the oldest generation held the process."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._began = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._began)


async def loop_stalls(stalls: list[float], every: float = 0.005) -> None:
    """How late a 5 ms sleep wakes up: how long the event loop was held by something else (the app's
    work, or the simulators', which share the process here)."""
    while True:
        began = time.perf_counter()
        await asyncio.sleep(every)
        stalls.append(time.perf_counter() - began - every)


async def planned_hand_overs(pd, account: SeededAccount, bound: list[str], boundary: float) -> dict[str, str]:
    """MEASURED daily schedules (some in no escalation policy) get a new person from `boundary` on,
    an override made well before it: schedule id -> who takes over."""
    unrouted = [s for s in bound if s in set(account.unrouted) and account.kinds[s] == DAILY][: MEASURED // 5]
    routed = [s for s in bound if s not in set(account.unrouted) and account.kinds[s] == DAILY]
    takers = {}
    for schedule_id in [*routed[: MEASURED - len(unrouted)], *unrouted]:
        [current] = pd.directory.schedules[schedule_id].shifts_between(boundary, boundary)
        members = account.members[schedule_id]
        takers[schedule_id] = next(m for m in members if m not in current.user_ids)
        pd.add_override(schedule_id, takers[schedule_id], boundary, boundary + 3600)
    return takers


async def watch_slack(slack: FakeSlack, targets: dict[int, str], until: float) -> tuple[dict, dict]:
    """When each rotation's group first holds its new person, and its channel first names them."""
    grouped: dict[int, float] = {}
    told: dict[int, float] = {}
    seen_messages = 0
    while time.time() < until and (len(grouped) < len(targets) or len(told) < len(targets)):
        now = time.time()
        for n, person in targets.items():
            # in it (a rotation following several schedules has the others' people in it too)
            if n not in grouped and person in slack.usergroups[f"S{n:05d}"]["users"]:
                grouped[n] = now
        for message in slack.messages[seen_messages:]:
            n = int(message["channel"][1:]) if message["channel"][1:].isdigit() else -1
            if n in targets and n not in told and f"<@{targets[n]}>" in message["text"]:
                told[n] = now
        seen_messages = len(slack.messages)
        await asyncio.sleep(0.01)
    return grouped, told


async def probe_acks(slack: FakeSlack, search, names: list[str], until: float) -> dict[str, list[float]]:
    """A person types schedule names into the picker key by key (each name twice), opens the App Home
    and runs /rr list, round after round until `until`: Slack's ack time for each."""
    admin = slack.user(ADMIN)
    acks: dict[str, list[float]] = {
        "App Home opened": [],
        "/rr list": [],
        "picker: a key PagerDuty was asked about": [],
        "picker: a key answered from the cache": [],
    }

    async def timed(kind: str, action) -> None:
        before, asked = len(slack.acks), search.requests
        await action
        if kind == "picker":
            kind = f"picker: a key {'PagerDuty was asked about' if search.requests > asked else 'answered from the cache'}"
        acks[kind] += [a.seconds for a in slack.acks[before:]]

    await admin.open_home()
    await admin.click(Rotations.CREATE)
    await slack.wait_for(lambda: admin.modal is not None, description="the rotation form")
    await admin.fill(Rotations.SOURCE, "pagerduty")
    await slack.wait_for(lambda: _has(admin, Rotations.PD_SCHEDULE), description="the schedule picker")
    for round_ in range(2 * len(names)):
        name = names[round_ // 2]
        for n in range(1, len(name) + 1):
            await timed("picker", admin.suggest(Rotations.PD_SCHEDULE, name[:n]))
        await timed("App Home opened", admin.open_home())
        await timed("/rr list", admin.command("list"))
        await asyncio.sleep(max(0.0, (until - time.time()) / (2 * len(names) - round_)))
    return acks


def _has(user, action_id: str) -> bool:
    try:
        user.find(action_id)
    except LookupError:
        return False
    return True


# -- the naive loop --------------------------------------------------------------------------------


async def naive_cycle(client: PagerDutyClient, ids: list[str], pd: FakePagerDuty) -> dict[str, float]:
    """One request per schedule: its final schedule from now on. Returns when each one was read
    (seconds from the cycle's start)."""
    read_at = {}
    started = time.perf_counter()
    now = time.time()
    window = [("since", iso(now)), ("until", iso(now + WEEK)), ("time_zone", "UTC")]
    for schedule_id in ids:
        if pd.directory.schedules[schedule_id].shift_based:
            await client.get(f"/v3/schedules/{schedule_id}", [("include[]", "final_schedule"), *window])
        else:
            await client.get(f"/schedules/{schedule_id}", [*window, ("overflow", "true")])
        read_at[schedule_id] = time.perf_counter() - started
    return read_at


def naive_lags(pd: FakePagerDuty, read_at: dict[str, float], interval: float, now: float) -> list[float]:
    """For every hand-over in the next 24 hours, how long until the loop reads that schedule,
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
    bound_count = args.bound or args.schedules
    shape = AccountShape(
        schedules=args.schedules,
        people=args.people,
        levels=2,
        unrouted_share=0.10,
        follow_the_sun_share=0.05,
        hourly_schedules=args.hourly,
        window_days=7,
    )
    clock = BenchClock()
    memory: dict[str, tuple[float, float]] = {}
    async with AsyncExitStack() as stack:
        pd = await stack.enter_async_context(FakePagerDuty(clock=clock))
        pd.rate_limit_per_minute = None
        slack = await stack.enter_async_context(FakeSlack(bot_token=BOT, app_token=APP))
        print(f"seeding {args.schedules} schedules, {args.people} people ...", file=sys.stderr)
        account = seed(pd, slack, shape, bound_count)
        bound = bound_ids(account, bound_count)
        # The simulators' millions of objects live as long as the run: kept out of the collector's
        # way, so its pauses are the app's (the app keeps its state in SQLite, not in memory).
        gc.collect()
        gc.freeze()
        memory["simulators, seeded"] = rss_mb()
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
        services = build_services(settings, db, vault, http, client, effects, identity, clock)
        stack.push_async_callback(services.background.drain)
        handler = AsyncSocketModeHandler(build_slack_app(services, client), APP, web_client=client)
        await handler.connect_async()
        stack.push_async_callback(handler.close_async)
        sync = services.sync
        await services.pagerduty.connect_api_key(ADMIN, KEY, "us")
        print(f"binding {bound_count} rotations ...", file=sys.stderr)
        began = time.perf_counter()
        await bind_all(services, db, pd, bound, clock(), args.per_rotation)
        bind_seconds = time.perf_counter() - began
        slack.calls.clear()  # the simulator's log of every Web API call: its memory is not the app's
        memory["rotations bound"] = rss_mb()

        print("the first Sync now ...", file=sys.stderr)
        pd.reset_requests()
        began = time.perf_counter()
        report = await sync.run()
        cold = Cold(report.requests, len(report.changes), time.perf_counter() - began, pd.request_counts())
        cold_offset = largest_offset(pd)
        if not report.ok:
            raise SystemExit(f"the first Sync now failed: {report.error}")
        del report  # its 10,000 duty changes are not the app's to keep
        await slack_shows_the_truth(db)
        slack.calls.clear()
        # What the simulators made while answering (the PagerDuty one renders shifts lazily) lives
        # as long as the run too: out of the collector's way as well, with the app's few long-lived
        # objects (its caches).
        gc.collect()
        gc.freeze()
        memory["after the first Sync now"] = rss_mb()

        print(f"measuring {MEASURED} planned hand-overs ({LEAD:.0f} s) and Slack's acks ...", file=sys.stderr)
        boundary = float(int(time.time() + LEAD))
        takers = await planned_hand_overs(pd, account, bound, boundary)
        await sync.run()  # Sync now: the poll sees the overrides, and those weeks are read again
        await slack_shows_the_truth(db)
        await services.delivery.start()
        scheduler = Scheduler(db, services.rotations, sync, services.signals, args.interval, clock)
        scheduler.start()
        await scheduler.rearm()
        person = {p.id: slack_id(n) for n, p in enumerate(account.people)}
        index = {s: n // args.per_rotation for n, s in enumerate(bound)}  # schedule -> its rotation
        targets = {index[s]: person[taker] for s, taker in takers.items()}
        names = [
            pd.directory.schedules[s].name for s in random.Random(3).sample(bound, min(TYPED, len(bound)))
        ]
        pd.reset_requests()
        searched_before = sync.search.requests
        stalls: list[float] = []
        collections = GcPauses()
        gc.callbacks.append(collections)
        monitor = asyncio.create_task(loop_stalls(stalls))
        probes = asyncio.create_task(probe_acks(slack, sync.search, names, boundary + 8))
        grouped, told = await watch_slack(slack, targets, boundary + 15)
        acks = await probes
        monitor.cancel()
        gc.callbacks.remove(collections)
        typed_requests = sync.search.requests - searched_before
        memory["after the hand-over and the acks"] = rss_mb()
        asked_at_boundary = [
            r for r in pd.requests if boundary - 1 <= r.at <= boundary + 5 and "query" not in r.query
        ]
        await scheduler.shutdown()
        await services.delivery.close()

        print(f"steady state: {WARM_UP} + {args.minutes} simulated minutes of ticks ...", file=sys.stderr)
        steady = await steady_state(services, db, pd, clock, bound, args)
        memory["end"] = rss_mb()
        busiest = await busiest_boundary(sync, db, clock)

        naive = None
        if args.naive:
            print("running the naive loop ...", file=sys.stderr)
            naive_client = PagerDutyClient(http, pd.url, StaticApiKey(KEY))
            pd.reset_requests()
            began = time.perf_counter()
            read_at = await naive_cycle(naive_client, bound, pd)
            naive = (
                len(pd.requests),
                time.perf_counter() - began,
                naive_lags(pd, read_at, args.interval, time.time()),
            )

    print(
        f"\n## PagerDuty sync: {args.schedules:,} schedules, {bound_count:,} bound, {args.interval} s interval"
        + (f", {args.per_rotation} schedules per rotation" if args.per_rotation > 1 else "")
    )
    print(f"\n{account.summary()}. Binding took {bind_seconds:.0f} s.")
    report_cold(cold, cold_offset)
    report_steady(steady, args, busiest)
    report_lag(grouped, told, boundary, targets, asked_at_boundary)
    report_acks(acks, typed_requests, names, stalls, collections.pauses)
    report_memory(memory)
    if naive:
        report_naive(args, steady, *naive)


def report_cold(cold: Cold, offset: int) -> None:
    endpoints = ", ".join(f"{k.removeprefix('GET ')} {v}" for k, v in sorted(cold.endpoints.items()))
    print(
        f"\nFirst Sync now after binding (cold: everyone goes on duty): {cold.requests:,} requests "
        f"({endpoints}), {cold.changes:,} duty changes, {cold.seconds:.1f} s; largest offset+limit "
        f"asked {offset:,} (PagerDuty's cap: {MAX_OFFSET_PLUS_LIMIT:,})."
    )


def report_steady(s: Steady, args, busiest: tuple[int, float]) -> None:
    minutes = s.per_minute or [0]
    mean = statistics.mean(minutes)
    print(f"\n| steady state, {args.minutes} simulated minutes | requests |")
    print("|---|---|")
    print(
        f"| per poll (the poll goes round in {s.groups} tick{'s' if s.groups != 1 else ''}) | {_mean(s.poll)} |"
    )
    print(f"| per tick, reading ahead (weeks, pages, people, census) | {_mean(s.ahead)} |")
    if s.pass_minutes is not None:
        print(
            f"| per look-ahead pass (every bound week read again), taking {s.pass_minutes:.0f} min | "
            f"{s.pass_requests:,} |"
        )
    else:
        print(f"| look-ahead pass | not complete within {args.minutes} minutes |")
    print(
        f"| per minute: mean / busiest minute | {mean:.1f} / {max(minutes)} "
        f"({mean / 9.6:.1f}% / {max(minutes) / 9.6:.1f}% of PagerDuty's 960; budget {BUDGET_PER_MINUTE:.0f}) |"
    )
    endpoints = ", ".join(
        f"{k.removeprefix('GET ')} {v / len(minutes):.1f}" for k, v in sorted(s.endpoints.items())
    )
    print(f"| by endpoint, per minute | {endpoints} |")
    print(
        f"\nA tick took {_med(s.tick_seconds)} at the median, {_max(s.tick_seconds)} at most (loopback); "
        f"largest offset+limit asked {s.largest_offset:,}."
    )
    print(
        f"The busiest next hand-over moves {busiest[0]} rotations at once: applied "
        f"from the stored plan in {busiest[1]:.2f} s (duty stored, their Slack work queued)."
    )


def report_lag(grouped, told, boundary, takers, asked) -> None:
    """`takers`: rotation -> who takes over (two schedules of one rotation count once)."""
    g = [grouped[n] - boundary for n in grouped]
    t = [told[n] - boundary for n in told]
    print(f"\n| after a planned boundary ({len(takers)} rotations at once) | seen | median | max |")
    print("|---|---|---|---|")
    print(f"| user group set to the new person | {len(g)}/{len(takers)} | {_med(g)} | {_max(g)} |")
    print(f"| channel told | {len(t)}/{len(takers)} | {_med(t)} | {_max(t)} |")
    print(f"PagerDuty requests (other than searches) in the 5 s after the boundary: {len(asked)}.")


def report_acks(
    acks: dict[str, list[float]],
    typed_requests: int,
    names: list[str],
    stalls: list[float],
    pauses: list[float],
) -> None:
    print("\n| Slack's ack, while the hand-over happens | acks | median | p99 | max |")
    print("|---|---|---|---|---|")
    for kind, seconds in acks.items():
        ms = sorted(s * 1000 for s in seconds)
        print(f"| {kind} | {len(ms)} | {_pct(ms, 50)} | {_pct(ms, 99)} | {_pct(ms, 100)} |")
    keys = sum(len(v) for k, v in acks.items() if k.startswith("picker"))
    print(
        f"Typing {len(names)} schedule names key by key, twice each ({keys} keys), cost {typed_requests} "
        "PagerDuty requests."
    )
    held = sorted(s * 1000 for s in stalls)
    print(
        f"Meanwhile the event loop (app and simulators) was held {_pct(held, 50)} at the median, "
        f"{_pct(held, 99)} at the 99th percentile, {_pct(held, 100)} at most; the garbage collector's "
        f"full collections: {len(pauses)}, the longest {max(pauses, default=0) * 1000:.0f} ms."
    )


def report_memory(memory: dict[str, tuple[float, float]]) -> None:
    base = memory["simulators, seeded"][0]
    print(
        "\n| memory (one process: simulators and app) | resident | peak | app's share (resident - simulators) |"
    )
    print("|---|---|---|---|")
    for moment, (now, peak) in memory.items():
        print(f"| {moment} | {now:.0f} MB | {peak:.0f} MB | {now - base:.0f} MB |")


def report_naive(args, steady: Steady, requests: int, seconds: float, lags: list[float]) -> None:
    mean = statistics.mean(steady.per_minute or [0])
    print("\n| | Round Robin | naive loop (one request per schedule per cycle) |")
    print("|---|---|---|")
    print(f"| PagerDuty requests per cycle | {_mean(steady.poll)} (poll) | {requests} |")
    print(
        f"| requests per minute at a {args.interval} s interval | {mean:.1f} | {requests * 60 / args.interval:.0f} |"
    )
    print(f"| wall time of a cycle (loopback) | {_med(steady.tick_seconds)} | {seconds:.2f} s |")
    print(
        f"| hand-over seen by the sync, median / p95 / max | at the boundary (wake-up) | "
        f"{_p(lags, 50)} / {_p(lags, 95)} / {_max(lags)} ({len(lags)} hand-overs in the next 24 h) |"
    )


def _mean(values: list[int]) -> str:
    return f"{statistics.mean(values):.1f}" if values else "-"


def _med(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s" if values else "-"


def _max(values: list[float]) -> str:
    return f"{max(values):.2f} s" if values else "-"


def _pct(ms: list[float], percent: int) -> str:
    if not ms:
        return "-"
    return f"{ms[min(len(ms) - 1, int(len(ms) * percent / 100))]:.1f} ms"


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
    parser.add_argument("--bound", type=int, default=0, help="schedules bound to a rotation (0: all)")
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--interval", type=int, default=60, help="SYNC_INTERVAL_SECONDS")
    parser.add_argument("--minutes", type=int, default=60, help="simulated minutes of steady state measured")
    parser.add_argument("--hourly", type=int, default=0, help="schedules handing over every hour")
    parser.add_argument("--naive", action="store_true", help="also run one request per schedule per cycle")
    parser.add_argument(
        "--per-rotation", type=int, default=1, help="schedules each rotation follows (2: primary + secondary)"
    )
    asyncio.run(main(parser.parse_args()))
