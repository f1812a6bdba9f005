"""Cover me… on a bound rotation (pagerduty/covers.py) against the fake PagerDuty in contract mode: an
override per schedule that has the person on call, clipped to their shifts; what the credential may
do, learnt or known; and the refusals, each before anything is written."""

from __future__ import annotations

import aiohttp
import pytest

from roundrobin.pagerduty.client import PagerDutyClient, StaticApiKey
from roundrobin.pagerduty.covers import KEY, OAUTH, SHIFT_BASED, PagerDutyCovers, ReadOnly
from roundrobin.rotations.errors import NotAllowed
from roundrobin.rotations.model import Rotation
from roundrobin.sim.pagerduty import FakePagerDuty, ManualClock
from roundrobin.store import integrations
from roundrobin.store import rotations as rotation_store
from roundrobin.store.integrations import Connection as Stored
from tests.contract.checker import ContractChecker
from tests.unit.test_pagerduty_sync import KEY as SYNC_KEY
from tests.unit.test_pagerduty_sync import Directory, new_sync

HOUR = 3600
WRITER, READER = "u+full-access-key-01", "u+read-only-key-002"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def pd(clock):
    fake = FakePagerDuty(clock=clock, contract=ContractChecker.default())
    for user_id, name in (("PANN", "Ann"), ("PBEN", "Ben"), ("PCAT", "Cat")):
        fake.add_user(user_id, name, f"{name.lower()}@corp.example")
    fake.add_schedule("PSOPS", "Ops", user_ids=["PANN", "PBEN"], escalation_policy_ids=["PEOPS"])
    fake.add_schedule("PSSEC", "Secondary", user_ids=["PANN", "PCAT"], escalation_policy_ids=["PEOPS"])
    fake.add_api_key(WRITER, read_only=False)
    fake.add_api_key(READER)
    fake.add_api_key(SYNC_KEY)  # the sync's own (read-only), as in test_pagerduty_sync
    async with fake:
        yield fake


class Connection:
    """Stands in for PagerDutyConnection: the stored row, and a client with its key."""

    def __init__(self, db, http, url: str, key: str):
        self._db, self._http, self._url, self.key = db, http, url, key

    async def current(self):
        return await integrations.get_connection(self._db)

    async def client(self, timeout: float = 10.0, max_retries: int = 0) -> PagerDutyClient:
        return PagerDutyClient(self._http, self._url, StaticApiKey(self.key), max_retries=0)


@pytest.fixture
async def world(db, pd, clock):
    """OPS follows Ops and Secondary; Ann is on call in both now, Ben and Cat after her."""
    now = clock.now
    pd.set_shifts("PSOPS", [("PANN", now - HOUR, now + 4 * HOUR), ("PBEN", now + 4 * HOUR, now + 28 * HOUR)])
    pd.set_shifts("PSSEC", [("PANN", now - HOUR, now + 2 * HOUR), ("PCAT", now + 2 * HOUR, now + 26 * HOUR)])
    await integrations.save_connection(db, Stored("api_key", "connected", "us", "U9", 0.0))
    rotation_id = await rotation_store.insert(
        db,
        Rotation(
            id=0, name="Ops", code="OPS", created_by="U9", source="pagerduty", pd_schedule_id="PSOPS",
            pd_more_schedule_ids=("PSSEC",),
        ),
    )  # fmt: skip
    async with aiohttp.ClientSession() as http:
        assert (await new_sync(db, http, pd, clock).run()).ok
        reread: list[list[str]] = []
        connection = Connection(db, http, pd.url, WRITER)
        slack = {u.email: f"U{u.id.removeprefix('P')}" for u in pd.directory.users.values()}
        covers = PagerDutyCovers(
            db,
            connection,
            Directory(slack),
            lambda ids: reread.append(list(ids)),
            clock,
        )
        yield covers, await rotation_store.get(db, rotation_id), connection, reread


async def test_a_cover_is_an_override_in_each_schedule_that_has_the_person_on_call_clipped(
    db, pd, clock, world
):
    covers, ops, _, reread = world
    now = clock.now
    form = await covers.form(ops, "UANN")
    assert (form.start, form.end) == (now, now + 2 * HOUR), "her first stretch: the secondary's"
    assert set(form.coverers) == {"UBEN", "UCAT"} and form.schedules == ("Ops", "Secondary")

    covered = await covers.cover(ops, "UANN", "UBEN", now, now + 3 * HOUR)

    made = {
        s: [(o.user_id, o.start, o.end) for o in held] for s, held in pd.directory.overrides.items() if held
    }
    assert made == {"PSOPS": [("PBEN", now, now + 3 * HOUR)], "PSSEC": [("PBEN", now, now + 2 * HOUR)]}
    assert covered.schedules == ("Ops", "Secondary") and reread == [["PSOPS", "PSSEC"]]
    assert (await integrations.get_connection(db)).write_access == "yes"
    row = await db.fetchone(
        "SELECT actor, rotation_id, detail FROM events WHERE kind = 'pagerduty.override_created'"
    )
    assert (row[0], row[1]) == ("UANN", ops.id) and '"by": "UBEN"' in row[2]


async def test_a_read_only_key_is_learnt_from_its_403_and_then_known(db, pd, clock, world):
    covers, ops, connection, reread = world
    connection.key = READER
    with pytest.raises(ReadOnly) as refused:
        await covers.cover(ops, "UANN", "UBEN", clock.now, clock.now + HOUR)
    assert refused.value.why == KEY and [name for name, _ in refused.value.schedules] == ["Ops", "Secondary"]
    assert (await integrations.get_connection(db)).write_access == "no" and reread == []

    pd.reset_requests()
    with pytest.raises(ReadOnly):
        await covers.form(ops, "UANN")
    assert pd.requests == [], "known now: explained without asking PagerDuty"


async def test_oauth_without_schedules_write_is_explained_at_once(db, pd, clock, world):
    covers, ops, _, _ = world
    oauth = Stored("oauth", "connected", "us", "U9", 0.0, granted_scopes="openid schedules.read users.read")
    await integrations.save_connection(db, oauth)
    with pytest.raises(ReadOnly) as refused:
        await covers.form(ops, "UANN")
    assert refused.value.why == OAUTH
    await integrations.save_connection(
        db, Stored("oauth", "connected", "us", "U9", 0.0, granted_scopes="openid schedules.write")
    )
    assert (await covers.form(ops, "UANN")).person == "UANN"


@pytest.mark.parametrize(
    ("person", "by", "start", "end", "words"),
    [
        ("UBEN", "UCAT", 0, HOUR, "does not have you on call then"),  # Ben's shift starts later
        ("UANN", "UANN", 0, HOUR, "cannot cover themselves"),
        ("UANN", "UZED", 0, HOUR, "Choose a member"),
        ("UZED", "UBEN", 0, HOUR, "You are not in OPS"),
        ("UANN", "UBEN", HOUR, 0, "end must come after the start"),
        ("UANN", "UBEN", 91 * 86400, 92 * 86400, "within the next 90 days"),
    ],
)
async def test_refusals_come_before_anything_is_written(pd, clock, world, person, by, start, end, words):
    covers, ops, _, reread = world
    with pytest.raises(NotAllowed, match=words):
        await covers.cover(ops, person, by, clock.now + start, clock.now + end)
    assert not any(pd.directory.overrides.values()) and reread == []


async def test_shift_based_schedules_are_covered_in_pagerduty(db, pd, clock, world):
    covers, _, _, _ = world
    pd.add_schedule("PSV3", "Sun", version=3, user_ids=["PANN"])
    sun = await rotation_store.insert(
        db, Rotation(id=0, name="Sun", code="SUN", created_by="U9", source="pagerduty", pd_schedule_id="PSV3")
    )
    async with aiohttp.ClientSession() as http:
        await new_sync(db, http, pd, clock).run()
    with pytest.raises(ReadOnly) as refused:
        await covers.form(await rotation_store.get(db, sun), "UANN")
    assert refused.value.why == SHIFT_BASED


async def test_when_one_schedule_takes_it_and_the_next_fails_the_rotation_follows_what_was_made(
    pd, clock, world
):
    covers, ops, _, reread = world
    pd.fail_next(status=503, path="/schedules/PSSEC/overrides")  # never retried: it may have been applied
    with pytest.raises(NotAllowed, match="did not take the cover.*The override in Ops was made"):
        await covers.cover(ops, "UANN", "UBEN", clock.now, clock.now + HOUR)
    assert [o.schedule_id for held in pd.directory.overrides.values() for o in held] == ["PSOPS"]
    assert reread == [["PSOPS"]]
    assert len([r for r in pd.requests if r.method == "POST"]) == 2, "one each, no retry"
