"""The sync against the fake PagerDuty (contract mode on) on a real database and a manual clock:
what each kind of cycle asks PagerDuty, and what the bound rotations show afterwards."""

from __future__ import annotations

import aiohttp
import pytest

from roundrobin.access import Access
from roundrobin.pagerduty.client import PagerDutyClient, StaticApiKey
from roundrobin.pagerduty.reading import Reader
from roundrobin.pagerduty.sync import REFRESH_EVERY, PagerDutySync
from roundrobin.rotations.model import Rotation
from roundrobin.rotations.service import RotationService, Signals
from roundrobin.sim.pagerduty import FakePagerDuty, ManualClock
from roundrobin.sim.pagerduty.scenarios import AccountShape, seed_account
from roundrobin.store import rotations as rotation_store
from roundrobin.store.pagerduty import PdSchedule
from tests.contract.checker import ContractChecker
from tests.unit.test_rotation_service import Roles, Workspace

KEY = "u+syncTestReadOnlyKey"
HOUR = 3600
INTERVAL = 60


class Connection:
    """Stands in for PagerDutyConnection: a client for the fake, and what the sync records."""

    def __init__(self, http: aiohttp.ClientSession, url: str):
        self._http, self._url = http, url
        self.recorded: list[str | None] = []

    async def client(self) -> PagerDutyClient:
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
        rotations = RotationService(db, Access(db, Roles(), ()), Workspace(), Signals.new(), clock=clock)
        slack = {f"{n}@corp.example": f"U{n.upper()}" for n in ("ann", "ben", "cat", "dan")}
        yield PagerDutySync(db, Connection(http, pd.url), rotations, Directory(slack), clock)


async def bind(db, code: str, schedule_id: str) -> int:
    return await rotation_store.insert(
        db,
        Rotation(id=0, name=code, code=code, created_by="U9", source="pagerduty", pd_schedule_id=schedule_id),
    )


async def shown(db, rotation_id: int) -> tuple:
    r = await rotation_store.get(db, rotation_id)
    return r.on_duty, r.next_on_duty, r.next_change_at, r.pd_status


async def test_a_schedule_no_policy_uses_is_followed_from_its_final_schedule(db, pd, sync, clock):
    now = clock.now
    pd.set_shifts("PSDESK", [("PCAT", now - HOUR, now + HOUR), ("PDAN", now + HOUR, now + 25 * HOUR)])
    desk = await bind(db, "DESK", "PSDESK")

    pd.reset_requests()
    report = await sync.run()

    assert report.ok and report.kind == "refresh"
    assert await shown(db, desk) == (("UCAT",), ("UDAN",), now + HOUR, "final_schedule")
    assert pd.request_counts()["GET /schedules/{id}"] == 1
    assert (await rotation_store.get(db, desk)).on_duty_until == now + HOUR

    clock.advance(INTERVAL)
    pd.reset_requests()
    report = await sync.tick(INTERVAL)
    assert report.kind == "poll" and report.ok
    assert pd.request_counts()["GET /schedules/{id}"] == 0, "read once per refresh, not once per poll"


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
    assert report.kind == "poll" and report.reread == 0 and not report.changes
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

    assert report.kind == "poll" and report.reread == 1 and len(report.changes) == 1
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


async def test_the_week_ahead_is_read_again_every_refresh_interval(db, pd, sync, clock):
    pd.set_on_call("PSOPS", "PANN")
    await bind(db, "OPS", "PSOPS")
    kinds = [(await sync.tick(INTERVAL)).kind]
    for _ in range(int(REFRESH_EVERY // INTERVAL)):
        clock.advance(INTERVAL)
        kinds.append((await sync.tick(INTERVAL)).kind)
    assert kinds == ["refresh", *["poll"] * (int(REFRESH_EVERY // INTERVAL) - 1), "refresh"]


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
    slack = {p.email: f"U{p.id}" for p in account.people}
    async with big, aiohttp.ClientSession() as http:
        rotations = RotationService(db, Access(db, Roles(), ()), Workspace(), Signals.new(), clock=clock)
        sync = PagerDutySync(db, Connection(http, big.url), rotations, Directory(slack), clock)
        ids = [await bind(db, f"H{n}", s) for n, s in enumerate(account.schedule_ids)]

        first = await sync.run()
        big.reset_requests()
        clock.advance(REFRESH_EVERY)
        second = await sync.tick(INTERVAL)

    assert first.ok and second.ok and second.kind == "refresh"
    assert all(r.status == 200 for r in big.requests)
    oncalls = [r for r in big.requests if r.path == "/oncalls"]
    assert max(int(r.query["offset"][0]) + int(r.query["limit"][0]) for r in oncalls) <= 10_000
    # the second refresh sizes its batches from what the first saw: no page asked in vain
    assert sum(r.query.get("offset") == ["0"] for r in oncalls) == 3  # 150 schedules x 170 rows / 9,000
    for rotation_id in ids:
        assert len((await rotation_store.get(db, rotation_id)).on_duty) == 1


async def test_a_final_schedule_the_credential_may_not_read_keeps_its_week_and_stops_nothing(
    db, pd, sync, clock
):
    now = clock.now
    pd.set_shifts("PSDESK", [("PCAT", now - HOUR, now + 5 * HOUR)])
    pd.set_on_call("PSOPS", "PANN")
    desk, ops = await bind(db, "DESK", "PSDESK"), await bind(db, "OPS", "PSOPS")
    await sync.run()

    pd.set_on_call("PSOPS", "PBEN")
    pd.fail_next(403, path="/schedules/PSDESK", body={"error": {"message": "Access Denied", "code": 2010}})
    clock.advance(REFRESH_EVERY)
    report = await sync.tick(INTERVAL)

    assert report.ok and report.kind == "refresh"
    assert (await rotation_store.get(db, ops)).on_duty == ("UBEN",)
    assert await shown(db, desk) == (("UCAT",), (), now + 5 * HOUR, "final_schedule"), "kept as it was"


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


async def test_a_schedule_upgraded_to_shift_based_since_the_catalogue_is_read_from_v3(pd, clock):
    now = clock.now
    pd.add_schedule("PSSUN", "Sun", version=3, user_ids=["PANN"])
    pd.set_shifts("PSSUN", [("PANN", now - HOUR, now + HOUR)])
    async with aiohttp.ClientSession() as http:
        reader = Reader(await Connection(http, pd.url).client())
        final = await reader.final_schedule(PdSchedule("PSSUN", "Sun", version=2), int(now), int(now) + 86400)

    assert [(s.pd_user_id, s.end) for s in final.shifts] == [("PANN", now + HOUR)]
    assert [r.route for r in pd.requests] == ["/schedules/{id}", "/v3/schedules/{id}"]  # 400, then v3


async def test_without_access_to_shift_based_schedules_the_catalogue_is_incomplete_and_forgets_nothing(
    pd, clock
):
    pd.fail_next(403, path="/v3/schedules", body={"error": {"message": "Access Denied", "code": 2010}})
    async with aiohttp.ClientSession() as http:
        reader = Reader(await Connection(http, pd.url).client())
        catalogue = await reader.catalogue()
        gone = await reader.user("PNOBODY")

    assert not catalogue.complete and set(catalogue.schedules) == {"PSOPS", "PSDESK"}
    assert catalogue.routed == {"PSOPS": True, "PSDESK": False}
    assert gone is None
