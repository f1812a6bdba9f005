"""Turn order and duty rules, on a real database."""

import time

import pytest

from roundrobin.rotations.draft import DraftError, RotationDraft
from roundrobin.rotations.schedule import Schedule
from roundrobin.rotations.service import NotAllowed, RotationService
from roundrobin.store import rotations as store


@pytest.fixture
def announced():
    return []


@pytest.fixture
def service(db, announced):
    async def announce(changes):
        announced.extend(changes)

    return RotationService(db, announce, clock=time.time)


def draft(**kw) -> RotationDraft:
    return RotationDraft(**{"name": "Ops", "code": "ops", "members": ("U1", "U2", "U3"), **kw})


async def test_the_first_member_goes_first_and_turns_wrap_around(service, announced):
    r = await service.create(draft(), "U9", pagerduty_connected=False)
    assert r.on_duty == ("U1",) and r.next_up == "U2" and r.code == "OPS"
    for expected in ("U2", "U3", "U1"):
        change = await service.rotate(r.id, "U9")
        assert change.rotation.on_duty == (expected,)
    assert [c.reason for c in announced] == ["created", "rotated", "rotated", "rotated"]
    assert [c.before for c in announced[1:]] == [("U1",), ("U2",), ("U3",)]


async def test_removing_the_person_on_duty_hands_over_to_the_first_member(service):
    r = await service.create(draft(), "U9", False)
    await service.rotate(r.id, "U9")  # U2 on duty
    edited = await service.update(r.id, draft(members=("U3", "U1")), "U9", False)
    assert edited.on_duty == ("U3",)
    kept = await service.update(r.id, draft(members=("U1", "U3")), "U9", False)
    assert kept.on_duty == ("U3",), "still a member: stays on duty"


async def test_set_on_duty_only_for_members(service, db):
    r = await service.create(draft(), "U9", False)
    await service.set_on_duty(r.id, "U3", "U9")
    assert (await store.get(db, r.id)).on_duty == ("U3",)
    with pytest.raises(NotAllowed, match="Only a member"):
        await service.set_on_duty(r.id, "U7", "U9")


async def test_nothing_is_saved_when_the_draft_is_wrong(service, db):
    await service.create(draft(), "U9", False)
    with pytest.raises(DraftError) as e:
        await service.create(draft(name=" ", code="OPS"), "U9", False)
    assert set(e.value.errors) == {"name", "code"}
    with pytest.raises(DraftError) as e:
        await service.create(
            draft(code="web", source="pagerduty", pd_schedule_id="P1"), "U9", pagerduty_connected=False
        )
    assert "not connected" in e.value.errors["source"]
    assert await store.count(db) == 1


async def test_a_due_rotation_moves_on_once_and_gets_its_next_handoff(service, db):
    r = await service.create(draft(schedule=Schedule("daily", "09:00", tz="Europe/Paris")), "U9", False)
    assert r.next_handoff_at > time.time()
    await db.execute("UPDATE rotations SET next_handoff_at = ?", (time.time() - 10 * 86400,))
    changes = await service.run_due()
    assert [c.rotation.on_duty for c in changes] == [("U2",)]
    after = await store.get(db, r.id)
    assert time.time() < after.next_handoff_at <= time.time() + 86400
    assert after.on_duty_until == after.next_handoff_at
    assert await service.run_due() == []


async def test_bound_rotations_are_not_rotated_by_hand(service, db):
    r = await service.create(draft(code="pd", source="pagerduty", pd_schedule_id="PS1"), "U9", True)
    with pytest.raises(NotAllowed, match="follows PagerDuty"):
        await service.rotate(r.id, "U9")


async def test_following_pagerduty_announces_only_real_changes(service, announced, db):
    r = await service.create(
        draft(code="pd", source="pagerduty", pd_schedule_id="PS1", members=()), "U9", True
    )
    change = await service.follow_pagerduty(r, ("U1", "U2"), ("U1",), 1000.0, (), "ok")
    assert change.rotation.on_duty == ("U1",)
    again = await service.follow_pagerduty(await store.get(db, r.id), ("U1", "U2"), ("U1",), 1000.0, (), "ok")
    assert again is None
    assert [c.reason for c in announced] == ["pagerduty"]
