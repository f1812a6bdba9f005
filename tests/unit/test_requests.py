"""@Round Robin requests: who is offered what, the first ACK wins, PASS, expiry; on a real database."""

import asyncio

import pytest

from roundrobin.background import Doorbell
from roundrobin.rotations.model import Rotation, Unmatched
from roundrobin.rotations.requests import (
    OFFER,
    THREAD,
    RequestExpiry,
    RequestRefused,
    RequestService,
    first_offer,
    next_offer,
)
from roundrobin.sim.pagerduty import ManualClock
from roundrobin.store import outbox
from roundrobin.store import rotations as rotation_store


def manual(members=("U1", "U2", "U3"), on_duty=("U1",), **kw) -> Rotation:
    return Rotation(
        **{
            "id": 1,
            "name": "Platform",
            "code": "PLAT",
            "created_by": "U9",
            "members": members,
            "on_duty": on_duty,
            **kw,
        }
    )


def bound(on_duty=("U1",), pd_next_up=("U7",), **kw) -> Rotation:
    return Rotation(
        id=1,
        name="Platform",
        code="PLAT",
        created_by="U9",
        source="pagerduty",
        pd_schedule_id="PS1",
        members=(*on_duty, "U7"),
        on_duty=on_duty,
        pd_next_up=pd_next_up,
        **kw,
    )


@pytest.mark.parametrize(
    ("rotation", "requester", "offered"),
    [
        (manual(), "U5", ("U1",)),
        (manual(on_duty=("U1", "U2")), "U5", ("U1", "U2")),  # several on duty: all of them
        (manual(), "U1", ("U2",)),  # asking your own rotation: the next person
        (manual(on_duty=("U1", "U2")), "U1", ("U2",)),
        (manual(members=("U1",)), "U1", ()),  # alone on duty, nobody next
        (manual(on_duty=()), "U5", ()),  # nobody on duty: nobody is asked
        (bound(), "U5", ("U1",)),
        (bound(), "U1", ("U7",)),  # PagerDuty's next on call
        (bound(on_duty=()), "U5", ()),
    ],
)
def test_who_a_request_is_offered_to_first(rotation, requester, offered):
    assert first_offer(rotation, requester) == offered


@pytest.mark.parametrize(
    ("rotation", "offered", "passed", "then"),
    [
        (manual(), ("U1",), ("U1",), ("U2",)),  # next in turn
        (manual(), ("U1", "U2"), ("U1", "U2"), ()),  # everyone asked and passed
        (manual(on_duty=("U1", "U3")), ("U1", "U3"), ("U1",), ()),  # U3 still has it
        (manual(on_duty=("U1", "U3")), ("U1", "U3"), ("U1", "U3"), ("U2",)),  # then who is next
        (manual(on_duty=("U3",)), ("U1",), ("U1",), ("U3",)),  # duty moved since: who is on duty now
        (manual(), ("U1",), ("U1",), ("U2",)),
        (bound(), ("U1",), ("U1",), ("U7",)),
        (bound(pd_next_up=()), ("U1",), ("U1",), ()),
        (None, ("U1",), ("U1",), ()),  # the rotation was deleted
    ],
)
def test_who_gets_it_after_a_pass(rotation, offered, passed, then):
    assert next_offer(rotation, "U5", offered, passed) == then


@pytest.fixture
def clock():
    return ManualClock(1_800_000_000.0)


@pytest.fixture
def effects():
    return Doorbell()


@pytest.fixture
async def service(db, clock, effects):
    return RequestService(db, effects, Doorbell(), clock)


async def add(db, **kw) -> Rotation:
    rotation = manual(**kw)
    rotation_id = await rotation_store.insert(db, rotation)
    return await rotation_store.get(db, rotation_id)


async def pending(db, kind: str) -> list:
    return [m for m in await outbox.due_messages(db, 1e12) if m.kind == kind]


async def test_a_mention_opens_a_request_offered_to_who_is_on_duty(service, db, clock, effects):
    await add(db, request_expiry_minutes=30)
    opened = await service.open("plat", "C1", "111.222", "U5", "the deploy is stuck")
    assert opened.outcome == "routed" and opened.rotation.code == "PLAT"
    request = opened.request
    assert request.state == "open" and request.offered_to == ("U1",) and request.requester == "U5"
    assert request.expires_at == clock.now + 30 * 60
    [reply] = await pending(db, THREAD)
    assert reply.target == "C1" and reply.body["event"] == "routed"
    [offer] = await pending(db, OFFER)
    assert offer.target == "U1" and offer.ref == str(request.id)
    assert await effects.wait(0.01), "the delivery worker was woken"


async def test_unknown_codes_and_no_code_suggest_codes_that_exist(service, db):
    await add(db)
    second = manual(code="PLATFORM-DB", name="Databases")
    await rotation_store.insert(db, second)
    unknown = await service.open("plat-db", "C1", "1.1", "U5", "hi")
    assert unknown.outcome == "unknown_code" and unknown.code == "PLAT-DB"
    assert set(unknown.suggestions) == {"PLAT", "PLATFORM-DB"}, "none alike: every code (up to ten)"
    alike = await service.open("datab", "C1", "1.2", "U5", "hi")
    assert alike.suggestions == ("PLATFORM-DB",), "codes alike come first, alone"
    no_code = await service.open(None, "C1", "1.3", "U5", "hi")
    assert no_code.outcome == "no_code" and set(no_code.suggestions) == {"PLAT", "PLATFORM-DB"}
    assert (await db.fetchone("SELECT COUNT(*) FROM requests"))[0] == 0


async def test_nobody_on_duty_is_answered_and_recorded_as_unanswered(service, db):
    unmatched = (Unmatched("PJ", "Jane Roe", "jane@corp.example", on_call=True),)
    await add(db, members=(), on_duty=(), pd_unmatched=unmatched)
    opened = await service.open("PLAT", "C1", "1.1", "U5", "help")
    assert opened.outcome == "nobody" and opened.request.state == "unanswered"
    [reply] = await pending(db, THREAD)
    assert reply.body["event"] == "nobody"
    assert reply.body["unmatched"] == [{"name": "Jane Roe", "email": "jane@corp.example"}]
    assert await pending(db, OFFER) == []


async def test_with_several_on_duty_the_first_ack_wins(service, db):
    await add(db, on_duty=("U1", "U2"))
    request = (await service.open("PLAT", "C1", "1.1", "U5", "help")).request
    assert request.offered_to == ("U1", "U2")
    assert {m.target for m in await pending(db, OFFER)} == {"U1", "U2"}
    taken = await service.ack(request.id, "U2")
    assert taken.state == "acked" and taken.acked_by == "U2"
    with pytest.raises(RequestRefused) as refused:
        await service.ack(request.id, "U1")
    assert refused.value.reason == "acked" and refused.value.request.acked_by == "U2"
    with pytest.raises(RequestRefused):
        await service.pass_on(request.id, "U1")
    assert [m.body["event"] for m in await pending(db, THREAD)] == ["routed", "acked"]
    assert await pending(db, OFFER) == [], "offers not yet sent are not worth sending any more"


async def test_two_acks_at_the_same_instant_take_it_once(service, db):
    await add(db, on_duty=("U1", "U2", "U3"))
    request = (await service.open("PLAT", "C1", "1.1", "U5", "help")).request
    results = await asyncio.gather(
        *(service.ack(request.id, u) for u in ("U1", "U2", "U3")), return_exceptions=True
    )
    assert sum(1 for r in results if not isinstance(r, Exception)) == 1
    assert all(
        isinstance(r, RequestRefused) and r.reason == "acked" for r in results if isinstance(r, Exception)
    )
    row = await db.fetchone("SELECT state, acked_by FROM requests")
    assert row["state"] == "acked" and row["acked_by"] in ("U1", "U2", "U3")


async def test_pass_goes_to_the_next_person_then_nobody(service, db):
    await add(db)  # U1 on duty, U2 next
    request = (await service.open("PLAT", "C1", "1.1", "U5", "help")).request
    passed = await service.pass_on(request.id, "U1")
    assert passed.offered == ("U2",) and passed.request.state == "open"
    assert passed.request.offered_to == ("U1", "U2") and passed.request.passed_by == ("U1",)
    assert [m.target for m in await pending(db, OFFER)] == ["U1", "U2"]
    with pytest.raises(RequestRefused) as refused:
        await service.ack(request.id, "U1")
    assert refused.value.reason == "passed"
    last = await service.pass_on(request.id, "U2")
    assert last.offered == () and last.request.state == "unanswered" and last.request.closed_at
    events = [m.body["event"] for m in await pending(db, THREAD)]
    assert events == ["routed", "passed", "unanswered"]


async def test_forged_and_stale_answers_are_refused(service, db):
    await add(db)
    request = (await service.open("PLAT", "C1", "1.1", "U5", "help")).request
    for user, request_id, reason in (
        ("U3", request.id, "not_offered"),
        ("U1", 999, "missing"),
        ("U5", request.id, "not_offered"),
    ):
        with pytest.raises(RequestRefused) as refused:
            await service.ack(request_id, user)
        assert refused.value.reason == reason
    assert (await service.get(request.id)).state == "open"


async def test_requests_expire_once_their_time_is_up(service, db, clock):
    await add(db, request_expiry_minutes=5)
    early = (await service.open("PLAT", "C1", "1.1", "U5", "first")).request
    clock.now += 120
    later = (await service.open("PLAT", "C1", "2.1", "U5", "second")).request
    assert await service.next_expiry() == early.expires_at
    clock.now = early.expires_at + 1
    [expired] = await service.expire_due()
    assert expired.id == early.id and expired.state == "expired"
    assert (await service.get(later.id)).state == "open"
    assert await service.next_expiry() == later.expires_at
    assert await service.expire_due() == [], "closed once"
    with pytest.raises(RequestRefused) as refused:
        await service.ack(early.id, "U1")
    assert refused.value.reason == "expired"
    assert [m.ref for m in await pending(db, OFFER)] == [str(later.id)]
    assert [m.body["event"] for m in await pending(db, THREAD)].count("expired") == 1


async def test_a_request_past_its_time_cannot_be_taken_before_the_expiry_worker_closes_it(service, db, clock):
    await add(db, request_expiry_minutes=5)
    request = (await service.open("PLAT", "C1", "1.1", "U5", "help")).request
    clock.now = request.expires_at  # the worker has not run yet
    for answer in (service.ack, service.pass_on):
        with pytest.raises(RequestRefused) as refused:
            await answer(request.id, "U1")
        assert refused.value.reason == "expired" and refused.value.request.closed_at == request.expires_at
    assert (await service.get(request.id)).state == "open", "left for the worker to close, and say so"
    [expired] = await service.expire_due()
    assert expired.id == request.id


async def test_the_same_message_delivered_twice_opens_one_request(service, db):
    await add(db)
    assert (await service.open("PLAT", "C1", "1.1", "U5", "help")).outcome == "routed"
    assert (await service.open("PLAT", "C1", "1.1", "U5", "help")).outcome == "again"
    assert (await service.open("PLAT", "C1", "1.1", "U5", "more help")).outcome == "routed"
    assert (await db.fetchone("SELECT COUNT(*) FROM requests"))[0] == 2


async def test_a_deleted_rotation_leaves_its_requests_answerable(service, db):
    rotation = await add(db)
    request = (await service.open("PLAT", "C1", "1.1", "U5", "help")).request
    await rotation_store.delete(db, rotation.id)
    taken = await service.ack(request.id, "U1")
    assert taken.state == "acked" and taken.rotation_id is None


async def test_the_expiry_watcher_catches_up_at_start_and_wakes_for_new_requests(service, db, clock):
    await add(db, request_expiry_minutes=5)
    stale = (await service.open("PLAT", "C1", "1.1", "U5", "while down")).request
    clock.now += 600  # the app was down past its expiry
    watcher = RequestExpiry(service, clock, idle=0.2)
    await watcher.start()
    try:
        assert (await service.get(stale.id)).state == "expired", "closed at start-up, before anything else"
        fresh = (await service.open("PLAT", "C1", "2.1", "U5", "now")).request
        clock.now = fresh.expires_at + 1
        for _ in range(100):
            if (await service.get(fresh.id)).state == "expired":
                break
            await asyncio.sleep(0.02)
        assert (await service.get(fresh.id)).state == "expired"
    finally:
        await watcher.close()
