"""The sync against the fake PagerDuty (contract mode on) on a real database and a manual clock:
what each kind of cycle asks PagerDuty, and what the bound rotations show afterwards."""

from __future__ import annotations

import aiohttp
import pytest

from roundrobin.access import Access
from roundrobin.pagerduty import budget
from roundrobin.pagerduty.backoff import RETRY_FIRST
from roundrobin.pagerduty.budget import REFRESH_EVERY
from roundrobin.pagerduty.client import PagerDutyClient, StaticApiKey
from roundrobin.pagerduty.plan import ts
from roundrobin.pagerduty.reading import Reader
from roundrobin.pagerduty.sync import PagerDutySync
from roundrobin.rotations.model import Rotation
from roundrobin.signals import Signals
from roundrobin.sim.pagerduty import FakePagerDuty, ManualClock
from roundrobin.sim.pagerduty.scenarios import AccountShape, seed_account
from roundrobin.store import pd_failures
from roundrobin.store import rotations as rotation_store
from roundrobin.store.pagerduty import PdSchedule
from tests.contract.checker import ContractChecker
from tests.support import Rotations
from tests.unit.test_rotation_service import Roles, Workspace

KEY = "u+syncTestReadOnlyKey"
HOUR = 3600
INTERVAL = 60
DENIED = {"error": {"message": "Access Denied", "code": 2010}}


class Connection:
    """Stands in for PagerDutyConnection: a client for the fake, and what the sync records."""

    def __init__(self, http: aiohttp.ClientSession, url: str):
        self._http, self._url = http, url
        self.recorded: list[str | None] = []

    async def client(self, timeout: float = 10.0, max_retries: int = 0) -> PagerDutyClient:
        return PagerDutyClient(self._http, self._url, StaticApiKey(KEY), max_retries=0)

    async def record_sync(self, error: str | None) -> None:
        self.recorded.append(error)

    async def mark_key_rejected(self) -> str | None:
        return None


class Directory:
    """Slack people by email, as the cached Slack directory answers."""

    def __init__(self, by_email: dict[str, str]):
        self.by_email = by_email

    async def match(self, emails) -> dict[str, str]:
        return {e.lower(): self.by_email[e.lower()] for e in emails if e.lower() in self.by_email}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def pd(clock):
    fake = FakePagerDuty(clock=clock, contract=ContractChecker.default())
    for user_id, name in (("PANN", "Ann"), ("PBEN", "Ben"), ("PCAT", "Cat"), ("PDAN", "Dan")):
        fake.add_user(user_id, name, f"{name.lower()}@corp.example")
    fake.add_schedule("PSOPS", "Ops", user_ids=["PANN", "PBEN"], escalation_policy_ids=["PEOPS"])
    fake.add_schedule("PSDESK", "Support desk", user_ids=["PCAT", "PDAN"])  # in no escalation policy
    fake.add_api_key(KEY)
    async with fake:  # leaving it fails the test on any contract violation
        yield fake


@pytest.fixture
async def sync(db, pd, clock):
    async with aiohttp.ClientSession() as http:
        yield new_sync(db, http, pd, clock)


def new_sync(db, http, pd, clock, **options) -> PagerDutySync:
    rotations = Rotations(db, Access(db, Roles(), ()), Workspace(), Signals.new(), clock=clock)
    slack = {u.email: f"U{u.id.removeprefix('P')}" for u in pd.directory.users.values()}
    return PagerDutySync(db, Connection(http, pd.url), rotations, Directory(slack), clock, **options)


async def bind(db, code: str, schedule_id: str) -> int:
    return await rotation_store.insert(
        db,
        Rotation(id=0, name=code, code=code, created_by="U9", source="pagerduty", pd_schedule_id=schedule_id),
    )


async def shown(db, rotation_id: int) -> tuple:
    r = await rotation_store.get(db, rotation_id)
    return r.on_duty, r.pd_next_up, r.next_change_at, r.pd_status


async def test_a_schedule_no_policy_uses_is_followed_from_its_final_schedule(db, pd, sync, clock):
    now = clock.now
    pd.set_shifts("PSDESK", [("PCAT", now - HOUR, now + HOUR), ("PDAN", now + HOUR, now + 25 * HOUR)])
    desk = await bind(db, "DESK", "PSDESK")

    pd.reset_requests()
    report = await sync.run()

    assert report.ok and report.kind == "sync_now"
    assert await shown(db, desk) == (("UCAT",), ("UDAN",), now + HOUR, "final_schedule")
    assert pd.request_counts()["GET /schedules/{id}"] == 1
    assert (await rotation_store.get(db, desk)).on_duty_until == now + HOUR

    clock.advance(INTERVAL)
    pd.reset_requests()
    report = await sync.tick(INTERVAL)
    assert report.kind == "tick" and report.ok
    assert pd.request_counts()["GET /schedules/{id}"] == 0, "read once per look-ahead, not once per poll"


async def test_a_shift_based_schedule_in_no_policy_with_two_at_once_and_a_gap(db, pd, sync, clock):
    now = clock.now
    pd.add_schedule("PSSUN", "Sun", version=3, user_ids=["PANN", "PBEN", "PCAT"])
    pd.set_shifts(
        "PSSUN", [(("PANN", "PBEN"), now - HOUR, now + HOUR), ("PCAT", now + 2 * HOUR, now + 9 * HOUR)]
    )
    sun = await bind(db, "SUN", "PSSUN")

    await sync.run()

    assert await shown(db, sun) == (("UANN", "UBEN"), (), now + HOUR, "final_schedule")
    rotation = await rotation_store.get(db, sun)
    assert set(rotation.members) == {"UANN", "UBEN", "UCAT"}, "members from the v3 rotation's events"

    clock.advance(HOUR)
    await sync.hand_over_due()
    assert await shown(db, sun) == ((), ("UCAT",), now + 2 * HOUR, "final_schedule"), "nobody in the gap"


async def test_a_poll_asks_only_about_now_and_a_planned_hand_over_asks_nothing(db, pd, sync, clock):
    now = clock.now
    pd.set_shifts("PSOPS", [("PANN", now - HOUR, now + 90), ("PBEN", now + 90, now + 24 * HOUR)])
    ops = await bind(db, "OPS", "PSOPS")
    await sync.run()
    assert await shown(db, ops) == (("UANN",), ("UBEN",), now + 90, "ok")

    clock.advance(INTERVAL)
    pd.reset_requests()
    report = await sync.tick(INTERVAL)
    assert report.kind == "tick" and report.reread == 0 and report.read == 0 and not report.changes
    assert pd.request_counts() == {"GET /oncalls": 1}
    [poll] = pd.requests
    assert "since" in poll.query and "until" in poll.query and "include[]" in poll.query

    clock.advance(30)  # the hand-over PagerDuty planned
    pd.reset_requests()
    [change] = await sync.hand_over_due()
    assert change.rotation.on_duty == ("UBEN",) and pd.requests == []
    assert await shown(db, ops) == (("UBEN",), (), now + 24 * HOUR, "ok"), "then nobody: the plan ends"

    clock.advance(INTERVAL)
    report = await sync.tick(INTERVAL)
    assert report.ok and report.reread == 0 and not report.changes, "the next poll confirms it"


async def test_a_rotation_following_two_schedules_costs_no_request_per_schedule(db, pd, sync, clock):
    """OPS follows Ops and a secondary; SEC follows the secondary alone (one schedule, two rotations).
    A poll asks about both schedules in one request; a hand-over in either moves OPS, asking nothing."""
    now = clock.now
    pd.add_schedule("PSSEC", "Secondary", user_ids=["PCAT", "PDAN"], escalation_policy_ids=["PEOPS"])
    pd.set_shifts("PSOPS", [("PANN", now - HOUR, now + 8 * HOUR), ("PBEN", now + 8 * HOUR, now + 32 * HOUR)])
    pd.set_shifts("PSSEC", [("PCAT", now - HOUR, now + 90), ("PDAN", now + 90, now + 24 * HOUR)])
    ops = await rotation_store.insert(
        db,
        Rotation(
            id=0, name="OPS", code="OPS", created_by="U9", source="pagerduty", pd_schedule_id="PSOPS",
            pd_more_schedule_ids=("PSSEC",),
        ),
    )  # fmt: skip
    sec = await bind(db, "SEC", "PSSEC")
    await sync.run()
    both = await rotation_store.get(db, ops)
    assert both.on_duty == ("UANN", "UCAT") and both.on_duty_until == now + 90
    assert both.pd_on_call_from == (("UANN", "Ops"), ("UCAT", "Secondary"))
    assert set(both.members) == {"UANN", "UBEN", "UCAT", "UDAN"}
    assert await shown(db, sec) == (("UCAT",), ("UDAN",), now + 90, "ok")

    clock.advance(INTERVAL)
    pd.reset_requests()
    report = await sync.tick(INTERVAL)
    assert report.polled == 2 and pd.request_counts() == {"GET /oncalls": 1}, "both schedules, one request"

    clock.advance(30)  # the secondary's hand-over
    pd.reset_requests()
    moved = {c.rotation.code: c.rotation.on_duty for c in await sync.hand_over_due()}
    assert moved == {"OPS": ("UANN", "UDAN"), "SEC": ("UDAN",)} and pd.requests == []
    assert (await rotation_store.get(db, ops)).pd_on_call_from == (("UANN", "Ops"), ("UDAN", "Secondary"))


async def test_an_override_made_in_pagerduty_is_seen_by_the_next_poll(db, pd, sync, clock):
    now = clock.now
    pd.set_shifts("PSOPS", [("PANN", now - HOUR, now + 8 * HOUR), ("PBEN", now + 8 * HOUR, now + 32 * HOUR)])
    ops = await bind(db, "OPS", "PSOPS")
    await sync.run()

    clock.advance(10)
    pd.add_override("PSOPS", "PCAT", clock.now, now + 2 * HOUR)  # "I'll take it for two hours"
    clock.advance(INTERVAL - 10)
    pd.reset_requests()
    report = await sync.tick(INTERVAL)

    assert report.kind == "tick" and report.reread == 1 and len(report.changes) == 1
    assert pd.request_counts() == {"GET /oncalls": 2}, "the poll, then that schedule's week"
    assert await shown(db, ops) == (("UCAT",), ("UANN",), now + 2 * HOUR, "ok")


async def test_an_override_just_before_a_hand_over_is_applied_at_the_hand_over(db, pd, sync, clock):
    now = clock.now
    pd.set_shifts("PSOPS", [("PANN", now - HOUR, now + 100), ("PBEN", now + 100, now + 24 * HOUR)])
    ops = await bind(db, "OPS", "PSOPS")
    await sync.run()

    pd.add_override("PSOPS", "PCAT", now + 100, now + 4 * HOUR)  # Ben cannot make it
    clock.advance(INTERVAL)
    await sync.tick(INTERVAL)  # the poll looks past the next one: it sees the change coming
    assert await shown(db, ops) == (("UANN",), ("UCAT",), now + 100, "ok")

    clock.advance(40)
    await sync.hand_over_due()
    assert (await rotation_store.get(db, ops)).on_duty == ("UCAT",)


async def test_a_rotation_just_bound_is_read_at_once_then_its_week_every_refresh_interval(
    db, pd, sync, clock
):
    pd.set_on_call("PSOPS", "PANN")
    ops = await bind(db, "OPS", "PSOPS")
    pd.reset_requests()
    await sync.request_soon()
    assert (await shown(db, ops))[0] == ("UANN",), "a rotation just bound shows who is on call at once"
    # from its own page: the members who are not on call this week too
    assert set((await rotation_store.get(db, ops)).members) == {"UANN", "UBEN"}
    assert pd.request_counts()["GET /schedules/{id}"] == 1

    reads = []
    for _ in range(int(REFRESH_EVERY // INTERVAL)):
        clock.advance(INTERVAL)
        pd.reset_requests()
        report = await sync.tick(INTERVAL)
        reads.append((report.read, dict(pd.request_counts())))
    assert reads[:-1] == [(0, {"GET /oncalls": 1})] * (len(reads) - 1), "one poll a minute, no more"
    assert reads[-1] == (1, {"GET /oncalls": 2}), "15 minutes on, the poll and its week ahead again"


async def test_a_schedule_deleted_between_refreshes_is_flagged_by_the_next_poll(db, pd, sync, clock):
    pd.set_on_call("PSOPS", "PANN")
    ops = await bind(db, "OPS", "PSOPS")
    await sync.run()
    pd.remove_schedule("PSOPS")

    clock.advance(INTERVAL)
    report = await sync.tick(INTERVAL)

    assert report.ok and report.reread == 1
    rotation = await rotation_store.get(db, ops)
    assert rotation.pd_status == "schedule_not_found" and rotation.on_duty == ("UANN",), "nobody flaps off"

    clock.advance(INTERVAL)
    pd.reset_requests()
    report = await sync.tick(INTERVAL)
    assert report.ok and report.reread == 0 and pd.requests == [], "not asked about again"
    assert (await rotation_store.get(db, ops)).on_duty == ("UANN",)


async def test_hourly_shifts_over_150_schedules_stay_under_the_paging_cap(db, clock):
    big = FakePagerDuty(clock=clock)  # contract mode off: the same calls are checked above, 10x faster
    account = seed_account(
        big,
        AccountShape(
            schedules=150, people=60, unrouted_share=0, follow_the_sun_share=0, hourly_schedules=150
        ),
    )
    big.add_api_key(KEY)
    big.rate_limit_per_minute = None
    async with big, aiohttp.ClientSession() as http:
        sync = new_sync(db, http, big, clock)
        ids = [await bind(db, f"H{n}", s) for n, s in enumerate(account.schedule_ids)]

        first = await sync.run()
        big.reset_requests()
        second = await sync.run()

    assert first.ok and second.ok and second.read == 150
    assert all(r.status == 200 for r in big.requests)
    oncalls = [r for r in big.requests if r.path == "/oncalls"]
    assert max(int(r.query["offset"][0]) + int(r.query["limit"][0]) for r in oncalls) <= 10_000
    # the second read sizes its batches from what the first saw: no page asked in vain
    weeks = [r for r in oncalls if r.query.get("offset") == ["0"] and "include[]" not in r.query]
    assert len(weeks) == 3  # 150 schedules x 170 rows / 9,000
    for rotation_id in ids:
        assert len((await rotation_store.get(db, rotation_id)).on_duty) == 1


async def test_a_final_schedule_the_credential_may_not_read_keeps_its_week_and_waits(db, pd, sync, clock):
    now = clock.now
    pd.set_shifts("PSDESK", [("PCAT", now - HOUR, now + 5 * HOUR)])
    pd.set_on_call("PSOPS", "PANN")
    desk, ops = await bind(db, "DESK", "PSDESK"), await bind(db, "OPS", "PSOPS")
    await sync.run()

    pd.set_on_call("PSOPS", "PBEN")
    pd.fail_next(403, path="/schedules/PSDESK", body=DENIED, count=None)  # lasts until cleared
    clock.advance(REFRESH_EVERY)
    report = await sync.tick(INTERVAL)

    assert report.ok and [f.what for f in report.failed] == ["schedule:PSDESK"]
    assert (await rotation_store.get(db, ops)).on_duty == ("UBEN",), "the others go on"
    assert await shown(db, desk) == (("UCAT",), (), now + 5 * HOUR, "final_schedule"), "kept as it was"

    # not asked again every interval: after RETRY_FIRST, then twice as long
    asked = []
    for _ in range(int(3 * RETRY_FIRST // INTERVAL) + 1):
        clock.advance(INTERVAL)
        pd.reset_requests()
        await sync.tick(INTERVAL)
        asked += [clock.now for r in pd.requests if r.path == "/schedules/PSDESK"]
    assert len(asked) == 2 and asked[1] - asked[0] >= 2 * RETRY_FIRST
    [failure] = await pd_failures.failing(db)
    assert failure.attempts == 3 and "HTTP 403" in failure.error and "read access" in failure.advice

    pd.clear_faults()
    report = await sync.run()  # Sync now tries again at once, and it works
    assert report.ok and not report.failed and await pd_failures.failing(db) == []


async def test_a_lasting_refusal_of_the_poll_backs_off_and_the_look_ahead_goes_on(db, pd, sync, clock):
    pd.set_on_call("PSOPS", "PANN")
    now = clock.now
    pd.set_shifts("PSDESK", [("PCAT", now - HOUR, now + 3 * HOUR), ("PDAN", now + 3 * HOUR, now + 9 * HOUR)])
    await bind(db, "OPS", "PSOPS")
    desk = await bind(db, "DESK", "PSDESK")
    await sync.run()
    pd.fail_next(
        400, path="/oncalls", body={"error": {"message": "Invalid Input Provided", "code": 2001}}, count=None
    )

    polls = []
    for _ in range(20):
        clock.advance(INTERVAL)
        pd.reset_requests()
        report = await sync.tick(INTERVAL)
        polls.append(pd.request_counts()["GET /oncalls"])
    assert polls[0] == 1 and sum(polls) == 2, "the poll once; its week, due after 15 minutes, once"
    assert report.ok, "a lasting failure is not a failed sync: the card shows it with what to do"
    assert [f.what for f in await pd_failures.failing(db)] == ["poll", "schedule:PSOPS"]
    clock.advance(3 * HOUR)
    await sync.hand_over_due()
    assert (await shown(db, desk))[0] == ("UDAN",), "hand-overs go on from the plan"


async def test_within_the_budget_the_poll_goes_round_in_groups_and_the_rest_reads_ahead(db, clock):
    """More bound schedules than a small budget polls at once: every minute stays within it, the poll
    goes round in groups (each looking ahead until its next turn), and every week is read again."""
    big = FakePagerDuty(clock=clock)
    account = seed_account(big, AccountShape(schedules=120, people=200, unrouted_share=0.1))
    big.add_api_key(KEY)
    big.rate_limit_per_minute = None
    interval, per_minute = 10, 12  # 2 requests a tick: the poll of 108 schedules (2) does not fit in 1
    async with big, aiohttp.ClientSession() as http:
        sync = new_sync(db, http, big, clock, budget_per_minute=per_minute, interval=interval)
        for n, s in enumerate(account.schedule_ids):
            await bind(db, f"R{n}", s)
        await sync.run()
        started = clock.now
        minutes: list[int] = []
        groups, windows = set(), set()
        for tick in range(6 * 40):  # 40 minutes
            clock.advance(interval)
            big.reset_requests()
            report = await sync.tick(interval)
            assert report.ok
            if tick % 6 == 0:
                minutes.append(0)
            minutes[-1] += len(big.requests)
            groups.add(report.poll_groups)
            windows |= {
                ts(r.query["until"][0]) - ts(r.query["since"][0])
                for r in big.requests
                if "include[]" in r.query
            }
        known = await sync.schedules(account.schedule_ids)

    assert groups == {2}, "the poll takes two ticks to go round"
    assert windows == {2 * interval + 15}, "each group looks ahead to its next turn, and a margin"
    # a burst of saved-up credit may top one minute up; over the 40 minutes, the budget holds
    assert max(minutes) <= per_minute + 3 and sum(minutes) / len(minutes) <= per_minute, minutes
    assert all(row.planned_at > started for row in known.values()), "every week was read again"


async def test_one_schedule_with_more_on_calls_than_the_cap_is_read_in_halves_of_its_window(clock):
    """Minute-long shifts: 10,080 on-calls in a week, more than one list may page through."""
    now = int(clock.now)
    fake = FakePagerDuty(clock=clock)
    for user_id in ("PANN", "PBEN", "PCAT"):
        fake.add_user(user_id, user_id, f"{user_id.lower()}@corp.example")
    fake.add_schedule("PSMIN", "Minutes", escalation_policy_ids=["PEMIN"])
    start = now + 30  # half a minute off: the window's middle falls inside a shift
    minutes = range(-1, 7 * 24 * 60)
    fake.set_shifts(
        "PSMIN", [(("PANN", "PBEN", "PCAT")[m % 3], start + 60 * m, start + 60 * (m + 1)) for m in minutes]
    )
    fake.add_api_key(KEY)
    fake.rate_limit_per_minute = None
    async with fake, aiohttp.ClientSession() as http:
        client = await Connection(http, fake.url).client()
        found = await Reader(client).oncalls(["PSMIN"], now, now + 7 * 86400, {}, 9.0, 9000, with_users=False)

    assert len(found.of("PSMIN")) == 7 * 24 * 60 + 1, "every on-call once, the one across the middle too"
    assert found.rows["PSMIN"] == 7 * 24 * 60 + 2, "that one came in both halves"
    assert all(r.status == 200 for r in fake.requests)
    windows = {(r.query["since"][0], r.query["until"][0]) for r in fake.requests}
    assert len(windows) == 3, "the week, refused on its first page; then its two halves"


async def test_a_schedule_upgraded_to_shift_based_since_it_was_bound_is_read_from_v3(pd, clock):
    now = clock.now
    pd.add_schedule("PSSUN", "Sun", version=3, user_ids=["PANN"])
    pd.set_shifts("PSSUN", [("PANN", now - HOUR, now + HOUR)])
    async with aiohttp.ClientSession() as http:
        reader = Reader(await Connection(http, pd.url).client())
        final = await reader.final_schedule(PdSchedule("PSSUN", "Sun", version=2), int(now), int(now) + 86400)

    assert [(s.pd_user_id, s.end) for s in final.shifts] == [("PANN", now + HOUR)]
    assert (final.name, final.version) == ("Sun", 3)
    assert [r.route for r in pd.requests] == ["/schedules/{id}", "/v3/schedules/{id}"]  # 400, then v3


# -- counting and searching ----------------------------------------------------------------------


async def test_the_census_counts_with_one_request_per_list_and_lists_only_small_accounts(pd, clock):
    pd.add_schedule("PSSUN", "Sun", version=3)
    async with aiohttp.ClientSession() as http:
        reader = Reader(await Connection(http, pd.url).client())
        small = await reader.count(list_up_to=1000)
        for n in range(120):
            pd.add_schedule(f"PX{n:05d}", f"Extra {n}")
        pd.reset_requests()
        large = await reader.count(list_up_to=100)

    assert (small.count, small.exact, small.ids) == (3, True, frozenset({"PSOPS", "PSDESK", "PSSUN"}))
    assert (large.count, large.exact, large.ids) == (123, True, None), "counted, too many to list"
    assert pd.request_counts() == {"GET /schedules": 1, "GET /v3/schedules": 1}


async def test_without_access_to_shift_based_schedules_the_census_counts_the_others(pd, clock):
    pd.fail_next(403, path="/v3/schedules", body=DENIED)
    async with aiohttp.ClientSession() as http:
        reader = Reader(await Connection(http, pd.url).client())
        counted = await reader.count(list_up_to=1000)
        gone = await reader.user("PNOBODY")

    assert (counted.count, counted.exact, counted.ids) == (2, True, frozenset({"PSOPS", "PSDESK"}))
    assert gone is None


async def test_sync_now_says_which_schedules_are_new_and_which_gone(db, pd, sync, clock):
    first = await sync.run()
    assert (first.census.count, first.census.new, first.census.gone) == (2, None, None), "not news yet"
    pd.add_schedule("PSNEW", "Weekend", user_ids=["PANN"])
    pd.remove_schedule("PSDESK")
    second = await sync.run()
    assert (second.census.count, second.census.new, second.census.gone) == (2, 1, 1)


async def test_the_picker_searches_pagerduty_and_typing_on_asks_nothing_once_the_matches_fit(
    db, pd, sync, clock
):
    for n in range(150):
        pd.add_schedule(f"PX{n:05d}", f"Payments {n} Primary", escalation_policy_ids=["PEPAY"])
    pd.add_schedule("PSV3", "Payments Follow the Sun", version=3)
    pd.reset_requests()

    first = await sync.search_schedules("pay")
    assert len(first) == 100 and pd.request_counts() == {"GET /schedules": 1, "GET /v3/schedules": 1}
    assert all(r.query["query"] == ["pay"] for r in pd.requests)

    pd.reset_requests()
    typed = [await sync.search_schedules(text) for text in ("pay", "paym", "payments 1", "payments 14")]
    # 'pay' again is cached; 'paym' (150 matches) and 'payments 1' (61) are asked; 'payments 14' is
    # narrowed from 'payments 1', and the shift-based list held every match of 'pay' already
    assert pd.request_counts() == {"GET /schedules": 2}
    assert [s.name for s in typed[-1]] == [
        "Payments 14 Primary",
        *(f"Payments 14{d} Primary" for d in range(10)),
    ]

    pd.reset_requests()
    narrowed = [
        await sync.search_schedules(text)
        for text in ("payments 149", "Payments 149 Prim", "payments 149 primary")
    ]
    assert pd.requests == [], "'payments 1' held every match: longer queries are answered from it"
    assert [s.id for s in narrowed[-1]] == ["PX00149"]

    sun = await sync.search_schedules("follow the")
    assert [(s.name, s.version) for s in sun] == [("Payments Follow the Sun", 3)]
    assert set(await sync.schedules(["PX00149", "PSV3"])) == {"PX00149", "PSV3"}, "remembered for the form"

    clock.advance(61)
    pd.reset_requests()
    await sync.search_schedules("payments 149")
    assert pd.request_counts() == {"GET /schedules": 1, "GET /v3/schedules": 1}, "a minute on, asked again"


async def test_without_access_to_shift_based_schedules_the_picker_offers_the_others(db, pd, sync):
    pd.fail_next(403, path="/v3/schedules", body=DENIED)
    assert [s.id for s in await sync.search_schedules("")] == ["PSOPS", "PSDESK"]
    assert [s.id for s in await sync.search_schedules("desk")] == ["PSDESK"]
    assert pd.request_counts() == {"GET /schedules": 1, "GET /v3/schedules": 1}, "both lists held everything"


async def test_the_same_search_asked_at_once_asks_pagerduty_once(db, pd, sync):
    import asyncio

    answers = await asyncio.gather(*(sync.search_schedules("ops") for _ in range(5)))
    assert all([s.id for s in a] == ["PSOPS"] for a in answers)
    assert pd.request_counts() == {"GET /schedules": 1, "GET /v3/schedules": 1}


# -- the budget's rules ----------------------------------------------------------------------------


def test_the_poll_is_split_into_groups_that_fit_the_allowance():
    ids = [f"P{n:05d}" for n in range(1000)]
    assert len(budget.poll_groups(ids, {}, allowance=48)) == 1, "10 requests fit"
    groups = budget.poll_groups(ids, dict.fromkeys(ids, 6.0), allowance=20)  # 60 requests
    assert len(groups) == 3 and sorted(sum(groups, [])) == ids


def test_reads_come_due_most_overdue_first_and_new_ones_always_go():
    now = 100_000.0
    known = {
        "PNEW": PdSchedule("PNEW", "New"),
        "POLD": PdSchedule(
            "POLD", "Old", routed=True, week_rows=9, planned_at=now - 3000, detail_at=now - 3000
        ),
        "PMID": PdSchedule(
            "PMID", "Mid", routed=True, week_rows=9, planned_at=now - 1000, detail_at=now - 1000
        ),
        "PNOW": PdSchedule("PNOW", "Now", routed=True, week_rows=9, planned_at=now - 10, detail_at=now - 10),
        "PDESK": PdSchedule("PDESK", "Desk", routed=False, planned_at=now - 2000),
        "PPAGE": PdSchedule("PPAGE", "Page", routed=True, week_rows=9, planned_at=now - 2000),
    }
    due = budget.due_reads(known, known, now)
    assert [(r.schedule_id, r.detail) for r in due] == [
        ("PNEW", False),
        ("POLD", False),
        ("PDESK", True),  # no policy uses it: its own page
        ("PPAGE", False),  # its own page comes later in the day, spread: this time /oncalls
        ("PMID", False),
    ]
    assert [r.schedule_id for r in budget.take(due, allowance=1.3)] == ["PNEW", "POLD", "PDESK", "PPAGE"]
    assert [r.schedule_id for r in budget.take(due, allowance=0)] == ["PNEW"]
    assert len(budget.due_reads(known, known, now, everything=True)) == 6
