"""Turn order, duty rules and compare-and-set, on a real database; Slack work lands in the outbox."""

import asyncio
import time

import pytest

from roundrobin.access import Access, PermissionDenied
from roundrobin.rotations.draft import RotationDraft
from roundrobin.rotations.errors import AlreadyChanged, DraftError, NotAllowed
from roundrobin.rotations.model import GroupState
from roundrobin.rotations.references import Group
from roundrobin.rotations.schedule import Schedule
from roundrobin.signals import Signals
from roundrobin.store import outbox
from roundrobin.store import pagerduty as pd_store
from roundrobin.store import rotations as store
from roundrobin.store.pagerduty import PdSchedule
from tests.support import Rotations

ADMIN = "UADMIN"


class Roles:
    """Facts about people, as Slack would answer them."""

    def __init__(self, admins=(ADMIN,)):
        self.admins = set(admins)

    async def is_workspace_admin(self, user_id: str) -> bool:
        return user_id in self.admins

    async def name(self, user_id: str) -> str:
        return f"Name of {user_id}"

    async def is_person(self, user_id: str) -> bool:
        return True


class Workspace:
    """What the workspace holds, as Slack would answer: people, channels (and who is in them), groups."""

    def __init__(self):
        self.people = {"U1", "U2", "U3", "U5", "U9", ADMIN}
        self.channels = {"C1": {"U9"}, "C2": {"U9"}, "C9": {"U9"}}
        self.known_groups = {"S1": Group("S1", "ops", "Ops", ("U9",), True)}

    async def not_people(self, user_ids):
        return [u for u in user_ids if u not in self.people]

    async def channel_problem(self, channel_id):
        return None if channel_id in self.channels else "Round Robin cannot see one of these channels."

    async def channels_of(self, user_id):
        return {c for c, members in self.channels.items() if user_id in members}

    async def channel_name(self, channel_id):
        return f"#{channel_id.lower()}" if channel_id in self.channels else None

    async def groups(self, query):
        return [g for g in self.known_groups.values() if query.lower() in (g.handle + g.name).lower()]

    async def group(self, group_id):
        return self.known_groups.get(group_id)


@pytest.fixture
def signals():
    return Signals.new()


@pytest.fixture
def workspace():
    return Workspace()


@pytest.fixture
async def service(db, signals, workspace):
    # offered in the schedule picker's search: the only schedules a rotation may be bound to here
    await pd_store.remember_schedules(db, [PdSchedule("PS1", "Ops"), PdSchedule("POLD", "Old")], time.time())
    return Rotations(db, Access(db, Roles(), ()), workspace, signals, clock=time.time)


def draft(**kw) -> RotationDraft:
    return RotationDraft(**{"name": "Ops", "code": "ops", "members": ("U1", "U2", "U3"), **kw})


async def announcements(db, rotation_id):
    """The channel messages planned for a rotation (not the DMs telling people they were added)."""
    return [
        m
        for m in await outbox.due_messages(db, time.time() + 3600)
        if m.rotation_id == rotation_id and m.kind != "added"
    ]


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


async def test_a_due_rotation_moves_on_once_and_gets_its_next_hand_over(service, db):
    r = await service.create(draft(schedule=Schedule("daily", "09:00", tz="Europe/Paris")), "U9", False)
    assert r.next_hand_over_at > time.time()
    await db.execute("UPDATE rotations SET next_hand_over_at = ?", (time.time() - 10 * 86400,))
    changes = await service.run_due()
    assert [c.rotation.on_duty for c in changes] == [("U2",)]
    after = await store.get(db, r.id)
    assert time.time() < after.next_hand_over_at <= time.time() + 86400
    assert after.on_duty_until == after.next_hand_over_at
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


async def test_forged_ids_are_field_errors_and_nothing_is_stored(service, db):
    with pytest.raises(DraftError) as e:
        await service.create(
            draft(members=("U1", "UCAROL> <!here", "not-a-user"), channels=("CNOPE",), usergroup_id="SNOPE"),
            "U9",
            False,
        )
    assert set(e.value.errors) == {"members", "channels", "usergroup"}
    assert "2 of the people chosen are not" in e.value.errors["members"]
    assert await store.count(db) == 0


async def test_a_member_binds_only_groups_they_are_in_and_channels_they_are_in(service, db, workspace):
    workspace.known_groups["S2"] = Group("S2", "security-oncall", "Security", ("U3",), True)
    with pytest.raises(DraftError) as e:
        await service.create(draft(usergroup_id="S2", channels=("C1",)), "U5", False)
    assert "only if you are in it" in e.value.errors["usergroup"]
    assert "only channels you are in, and you are not in #c1." in e.value.errors["channels"]
    # An admin may bind any group; a member may create a new one.
    await service.create(draft(code="SEC", usergroup_id="S2"), ADMIN, False)
    mine = await service.create(draft(code="MINE", new_usergroup_handle="mine-oncall"), "U5", False)
    assert (mine.usergroup_handle, mine.usergroup_create, mine.usergroup_id) == ("mine-oncall", True, None)
    # made in Slack by the delivery worker once the rotation is saved (test_hardening, e2e)


async def test_a_new_group_is_the_rotations_once_slack_made_it_and_only_if_still_wanted(service, db):
    mine = await service.create(draft(code="MINE", new_usergroup_handle="mine-oncall"), "U9", False)
    work = await outbox.group(db, mine.id)
    assert work.usergroup_id == "+mine-oncall" and work.desired == GroupState(True, ("U1",))
    assert not await service.group_created(mine.id, "other-handle", "S9")
    assert await service.group_created(mine.id, "mine-oncall", "S7")
    kept = await store.get(db, mine.id)
    assert (kept.usergroup_id, kept.usergroup_create) == ("S7", False)
    work = await outbox.group(db, mine.id)
    assert work.usergroup_id == "S7" and work.applied == GroupState(True, ()), "only its members to set"
    assert not await service.group_created(mine.id, "mine-oncall", "S8"), "once"


async def test_one_group_follows_one_rotation(service):
    await service.create(draft(usergroup_id="S1"), "U9", False)
    with pytest.raises(DraftError) as e:
        await service.create(draft(code="WEB", usergroup_id="S1"), ADMIN, False)
    assert "@ops already follows Ops (OPS)" in e.value.errors["usergroup"]


async def test_odd_input_is_normalised_or_refused(service):
    r = await service.create(
        draft(name="  Ops\non\u202ecall  ", description="line one\nline\u2066 two"), "U9", False
    )
    assert r.name == "Ops oncall" and r.description == "line one\nline two"
    for at in ("1_0:00", "\uff10\uff19:00", "25:00"):
        with pytest.raises(DraftError) as e:
            await service.create(draft(code="T", schedule=Schedule("daily", at)), "U9", False)
        assert "schedule.at" in e.value.errors
    for tz in ("localtime", "Factory"):
        with pytest.raises(DraftError) as e:
            await service.create(draft(code="Z", schedule=Schedule("daily", "09:00", tz=tz)), "U9", False)
        assert "schedule.tz" in e.value.errors


async def test_members_may_rotate_and_hand_over_unless_kept_to_managers(service, db):
    r = await service.create(draft(), "U9", False)  # U1 on duty; U2 and U3 are members
    with pytest.raises(NotAllowed, match="not on duty"):
        await service.hand_over(r.id, "U2")
    change = await service.hand_over(r.id, "U1")
    assert change.rotation.on_duty == ("U2",) and change.reason == "handed_over"
    seen = (await store.get(db, r.id)).duty_rev
    await service.rotate(r.id, "U2", expected_duty_rev=seen)  # a member rotates, from an up-to-date view
    assert (await store.get(db, r.id)).on_duty == ("U3",)
    await db.execute("UPDATE rotations SET members_may_rotate = 0")
    with pytest.raises(PermissionDenied, match="Only Name of U9 \\(the creator\\), workspace admins"):
        await service.rotate(r.id, "U3", expected_duty_rev=seen + 1)
    with pytest.raises(PermissionDenied):
        await service.rotate(r.id, "U5")  # never a stranger


async def test_the_backlog_counts_slack_work_that_keeps_failing(service, db):
    r = await service.create(draft(channels=("C1",), usergroup_id="S1", usergroup_handle="ops"), "U9", False)
    now = time.time()
    backlog = await outbox.backlog(db, now, patience=300)
    assert (backlog.pending, backlog.stuck) == (5, 0), "a group to set, a message, three 'you were added' DMs"
    [message] = await announcements(db, r.id)
    await outbox.message_failed(db, message, "Slack had a problem (http_503)", now + 30, False, now - 400)
    await outbox.group_failed(db, r.id, "S1", "refused", now + 900, True, now - 400)
    backlog = await outbox.backlog(db, now, patience=300)
    assert backlog.stuck == 1, "the message has failed for over five minutes; a refusal is shown, not stuck"
