"""Turn order, duty rules and compare-and-set, on a real database; Slack work lands in the outbox."""

import asyncio
import time

import pytest

from roundrobin.access import Access, PermissionDenied
from roundrobin.rotations.draft import DraftError, RotationDraft
from roundrobin.rotations.model import GroupState
from roundrobin.rotations.schedule import Schedule
from roundrobin.rotations.service import AlreadyChanged, NotAllowed, RotationService, Signals
from roundrobin.store import outbox
from roundrobin.store import rotations as store

ADMIN = "UADMIN"


class Roles:
    """Facts about people, as Slack would answer them."""

    def __init__(self, admins=(ADMIN,)):
        self.admins = set(admins)

    async def is_workspace_admin(self, user_id: str) -> bool:
        return user_id in self.admins

    async def name(self, user_id: str) -> str:
        return f"Name of {user_id}"


@pytest.fixture
def signals():
    return Signals.new()


@pytest.fixture
def service(db, signals):
    return RotationService(db, Access(db, Roles(), ()), signals, clock=time.time)


def draft(**kw) -> RotationDraft:
    return RotationDraft(**{"name": "Ops", "code": "ops", "members": ("U1", "U2", "U3"), **kw})


async def announcements(db, rotation_id):
    return [m for m in await outbox.due_messages(db, time.time() + 3600) if m.rotation_id == rotation_id]


async def history(db, rotation_id):
    rows = await db.fetchall(
        "SELECT detail FROM events WHERE rotation_id = ? AND kind = 'duty.changed' ORDER BY id",
        (rotation_id,),
    )
    return [r[0] for r in rows]


async def test_the_first_member_goes_first_and_turns_wrap_around(service, db):
    r = await service.create(draft(), "U9", pagerduty_connected=False)
    assert r.on_duty == ("U1",) and r.next_up == "U2" and r.code == "OPS"
    for expected in ("U2", "U3", "U1"):
        change = await service.rotate(r.id, "U9")
        assert change.rotation.on_duty == (expected,)
    assert len(await history(db, r.id)) == 4


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


async def test_following_pagerduty_stores_only_real_changes(service, db):
    r = await service.create(
        draft(code="pd", source="pagerduty", pd_schedule_id="PS1", members=(), channels=("C1",)), "U9", True
    )
    change = await service.follow_pagerduty(r.id, "PS1", ("U1", "U2"), ("U1",), 1000.0, (), "ok", ("U2",))
    assert change.rotation.on_duty == ("U1",) and change.next_up == ("U2",)
    again = await service.follow_pagerduty(r.id, "PS1", ("U1", "U2"), ("U1",), 1000.0, (), "ok", ("U2",))
    assert again is None
    [message] = await announcements(db, r.id)
    assert message.body["on_duty"] == ["U1"] and message.body["next_up"] == ["U2"]


async def test_a_duty_change_and_its_slack_work_are_stored_together(service, db, signals):
    r = await service.create(
        draft(channels=("C1", "C2"), usergroup_id="S1", usergroup_handle="ops"), "U9", False
    )
    assert signals.effects._event.is_set(), "the delivery worker is woken"
    group = await outbox.group(db, r.id)
    assert group.desired == GroupState(True, ("U1",)) and group.applied is None
    assert sorted(m.target for m in await announcements(db, r.id)) == ["C1", "C2"]
    await service.rotate(r.id, "U9")
    assert (await outbox.group(db, r.id)).desired == GroupState(True, ("U2",))


async def test_a_burst_of_rotates_is_one_message_with_the_final_state(service, db):
    r = await service.create(draft(channels=("C1",)), "U9", False)
    for _ in range(10):
        await service.rotate(r.id, "U9")
    [message] = await announcements(db, r.id)
    assert message.body["on_duty"] == [(await store.get(db, r.id)).on_duty[0]]
    assert message.version == 11, "every change folded into the one pending message"


async def test_two_rotates_from_the_same_view_move_the_rotation_once(service, db):
    r = await service.create(draft(channels=("C1",)), "U9", False)
    seen = (await store.get(db, r.id)).duty_rev
    results = await asyncio.gather(
        service.rotate(r.id, "U9", expected_duty_rev=seen),
        service.rotate(r.id, ADMIN, expected_duty_rev=seen),
        return_exceptions=True,
    )
    assert sum(isinstance(x, AlreadyChanged) for x in results) == 1
    refusal = next(x for x in results if isinstance(x, AlreadyChanged))
    assert "Name of U2 is on duty now" in str(refusal)
    assert (await store.get(db, r.id)).on_duty == ("U2",)
    assert len(await history(db, r.id)) == 2  # created, then one move


async def test_rr_rotate_by_someone_else_right_after_is_told_not_obeyed(service, db):
    r = await service.create(draft(), "U9", False)
    await service.rotate(r.id, "U9")
    with pytest.raises(AlreadyChanged, match="Name of U9 changed who is on duty"):
        await service.rotate(r.id, ADMIN)
    await service.rotate(r.id, "U9")  # the same person pressing again is obeyed
    assert (await store.get(db, r.id)).on_duty == ("U3",)


async def test_an_edit_on_a_stale_form_is_refused_and_an_edit_keeps_a_rotate(service, db):
    r = await service.create(draft(), "U9", False)
    opened_rev = r.config_rev
    await service.rotate(r.id, "U9")  # U2 on duty; the edit form was opened before this
    edited = await service.update(r.id, draft(name="Ops team"), "U9", False, expected_rev=opened_rev)
    assert edited.on_duty == ("U2",), "the edit does not undo the Rotate"
    with pytest.raises(AlreadyChanged, match="changed OPS while you were editing"):
        await service.update(r.id, draft(name="Stale"), ADMIN, False, expected_rev=opened_rev)
    assert (await store.get(db, r.id)).name == "Ops team"


async def test_a_sync_racing_an_edit_keeps_the_edit(service, db):
    r = await service.create(
        draft(code="pd", source="pagerduty", pd_schedule_id="PS1", members=()), "U9", True
    )
    # The sync read the rotation, then an edit renamed it and added a channel, then the sync wrote.
    await service.update(
        r.id,
        draft(name="Renamed", code="pd", source="pagerduty", pd_schedule_id="PS1", channels=("C9",)),
        "U9",
        True,
    )
    await service.follow_pagerduty(r.id, "PS1", ("U1",), ("U1",), None, (), "ok")
    after = await store.get(db, r.id)
    assert (after.name, after.channels, after.on_duty) == ("Renamed", ("C9",), ("U1",))
    # ...and a sync that read a binding that has since changed writes nothing.
    await service.follow_pagerduty(r.id, "POLD", ("U2",), ("U2",), None, (), "ok")
    assert (await store.get(db, r.id)).on_duty == ("U1",)


async def test_only_the_creator_and_managers_may_change_a_rotation(service, db):
    r = await service.create(draft(), "U9", False)
    with pytest.raises(PermissionDenied, match="Only Name of U9 \\(the creator\\)"):
        await service.rotate(r.id, "U5")
    with pytest.raises(PermissionDenied):
        await service.delete(r.id, "U5")
    await service.rotate(r.id, ADMIN)
    assert (await store.get(db, r.id)).on_duty == ("U2",)


async def test_reverting_to_manual_keeps_duty_and_tells_the_channels(service, db):
    r = await service.create(
        draft(code="pd", source="pagerduty", pd_schedule_id="PS1", members=(), channels=("C1",)), "U9", True
    )
    await service.follow_pagerduty(r.id, "PS1", ("U1", "U2"), ("U1",), None, (), "ok")
    assert await service.revert_bound_to_manual(ADMIN, time.time()) == [r.id]
    after = await store.get(db, r.id)
    assert not after.bound and after.on_duty == ("U1",) and after.members == ("U1", "U2")
    kinds = sorted(m.kind for m in await announcements(db, r.id))
    assert kinds == ["duty", "reverted"]
