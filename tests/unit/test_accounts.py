"""People come and go: the turn order passes by whoever cannot be on duty, groups hold only the people
Slack takes, and a rotation follows accounts as the directory learns them (on a real database)."""

import time

import pytest

from roundrobin.access import Access, PermissionDenied
from roundrobin.rotations.draft import RotationDraft
from roundrobin.rotations.model import (
    BOT,
    DEACTIVATED,
    GUEST,
    MISSING,
    SINGLE_CHANNEL_GUEST,
    GroupState,
    Rotation,
)
from roundrobin.rotations.service import AlreadyChanged, NotAllowed, RotationService, Signals
from roundrobin.store import directory, outbox
from roundrobin.store import pagerduty as pd_store
from roundrobin.store import rotations as store
from roundrobin.store.directory import SlackUser
from roundrobin.store.pagerduty import PdSchedule
from tests.unit.test_rotation_service import Roles, Workspace

MEMBERS = ("U1", "U2", "U3", "U4")


def rotation(on_duty=("U1",), unavailable=None, group="S1", **kw) -> Rotation:
    return Rotation(
        id=1,
        name="Ops",
        code="OPS",
        created_by="U9",
        members=MEMBERS,
        on_duty=on_duty,
        usergroup_id=group,
        unavailable=unavailable or {},
        **kw,
    )


# --- the rules (pure) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unavailable", "group", "next_up", "passed_over"),
    [
        ({}, "S1", "U2", ()),
        ({"U2": DEACTIVATED}, "S1", "U3", (("U2", DEACTIVATED),)),
        ({"U2": DEACTIVATED, "U3": MISSING}, "S1", "U4", (("U2", DEACTIVATED), ("U3", MISSING))),
        ({"U2": BOT}, None, "U3", (("U2", BOT),)),
        # Slack keeps guests out of groups: with a group they are passed by, without one they serve.
        ({"U2": GUEST}, "S1", "U3", (("U2", GUEST),)),
        ({"U2": SINGLE_CHANNEL_GUEST}, "S1", "U3", (("U2", SINGLE_CHANNEL_GUEST),)),
        ({"U2": GUEST}, None, "U2", ()),
        ({"U2": DEACTIVATED, "U3": DEACTIVATED, "U4": DEACTIVATED}, "S1", None, ()),
    ],
)
def test_the_turn_order_passes_by_whoever_cannot_be_on_duty(unavailable, group, next_up, passed_over):
    r = rotation(unavailable=unavailable, group=group)
    assert r.next_up == next_up
    if next_up:
        assert r.passed_over(("U1",), (next_up,)) == passed_over


def test_the_turn_wraps_around_past_the_end():
    r = rotation(on_duty=("U3",), unavailable={"U4": DEACTIVATED})
    assert r.next_up == "U1" and r.passed_over(("U3",), ("U1",)) == (("U4", DEACTIVATED),)


def test_the_group_holds_only_the_people_on_duty_slack_takes():
    assert rotation(on_duty=("U1", "U2"), unavailable={"U2": DEACTIVATED}).group_state == GroupState(
        True, ("U1",)
    )
    assert rotation(on_duty=("U1", "U2"), unavailable={"U2": GUEST}).out_of_group == (("U2", GUEST),)
    assert rotation(on_duty=("U2",), unavailable={"U2": DEACTIVATED}).group_state == GroupState(False)
    assert rotation(group=None, unavailable={"U1": DEACTIVATED}).group_state is None


def test_members_who_cannot_be_on_duty_are_flagged():
    r = rotation(unavailable={"U2": DEACTIVATED, "U4": GUEST})
    assert r.cannot_serve == (("U2", DEACTIVATED), ("U4", GUEST))
    assert rotation(group=None, unavailable={"U4": GUEST}).cannot_serve == ()


# --- the service, following the directory -------------------------------------------------------


@pytest.fixture
def signals():
    return Signals.new()


@pytest.fixture
async def service(db, signals):
    return RotationService(db, Access(db, Roles(), ()), Workspace(), signals, clock=time.time)


async def slack_says(db, **accounts) -> None:
    """What the directory learned from Slack about these people (deactivated=True, …)."""
    await directory.upsert(
        db, [SlackUser(u, u.lower(), **facts) for u, facts in accounts.items()], time.time()
    )


def ops(**kw) -> RotationDraft:
    return RotationDraft(
        **{
            "name": "Ops",
            "code": "ops",
            "members": ("U1", "U2", "U3"),
            "channels": ("C1",),
            "usergroup_id": "S1",
            "usergroup_handle": "ops",
            **kw,
        }
    )


async def announced(db, rotation_id) -> dict:
    [message] = [m for m in await outbox.due_messages(db, time.time() + 60) if m.rotation_id == rotation_id]
    return message.body


async def test_rotate_passes_by_a_deactivated_next_person_and_says_so(service, db):
    r = await service.create(ops(), "U9", False)
    await slack_says(db, U2={"deleted": True})
    assert (await store.get(db, r.id)).next_up == "U3", "the card already says who is really next"
    change = await service.rotate(r.id, "U9")
    assert change.rotation.on_duty == ("U3",)
    assert change.skipped == (("U2", DEACTIVATED),)
    assert (await announced(db, r.id))["skipped"] == [["U2", DEACTIVATED]]
    assert (await outbox.group(db, r.id)).desired == GroupState(True, ("U3",))


async def test_nobody_who_can_be_on_duty_is_a_clear_refusal(service, db):
    r = await service.create(ops(), "U9", False)
    await slack_says(db, U1={"deleted": True}, U2={"deleted": True}, U3={"deleted": True})
    with pytest.raises(NotAllowed, match="Nobody in OPS can be on duty"):
        await service.rotate(r.id, "U9")
    with pytest.raises(NotAllowed, match="deactivated"):
        await service.set_on_duty(r.id, "U2", "U9")


async def test_the_person_on_duty_deactivated_hands_over_at_once(service, db, signals):
    r = await service.create(ops(), "U9", False)
    await db.execute("DELETE FROM slack_outbox")
    await slack_says(db, U1={"deleted": True}, U2={"deleted": True})
    [change] = await service.follow_accounts()
    assert change.reason == "left" and change.rotation.on_duty == ("U3",)
    assert change.left == (("U1", DEACTIVATED),) and change.skipped == (("U2", DEACTIVATED),)
    body = await announced(db, r.id)
    assert body["reason"] == "left" and body["left"] == [["U1", DEACTIVATED]]
    assert (await outbox.group(db, r.id)).desired == GroupState(True, ("U3",))
    assert signals.changed._event.is_set(), "open App Homes redraw"
    assert await service.follow_accounts() == [], "once"


async def test_with_nobody_to_take_over_the_group_is_disabled_until_they_are_back(service, db):
    r = await service.create(ops(members=("U1",)), "U9", False)
    await slack_says(db, U1={"deleted": True})
    assert await service.follow_accounts() == []
    after = await store.get(db, r.id)
    assert after.on_duty == ("U1",) and after.cannot_serve == (("U1", DEACTIVATED),)
    assert (await outbox.group(db, r.id)).desired == GroupState(False)
    await slack_says(db, U1={})
    await service.follow_accounts()
    assert (await outbox.group(db, r.id)).desired == GroupState(True, ("U1",)), "reactivated: back in"


async def test_a_bound_rotation_keeps_a_guest_on_duty_but_out_of_the_group(service, db):
    await pd_store.save_schedules(db, [PdSchedule("PS1", "Ops")], time.time(), False)
    r = await service.create(
        ops(code="pd", source="pagerduty", pd_schedule_id="PS1", members=()), "U9", pagerduty_connected=True
    )
    await service.follow_pagerduty(r.id, "PS1", ("U1", "U2"), ("U1", "U2"), None, (), "ok")
    await slack_says(db, U2={"is_restricted": True})
    assert await service.follow_accounts() == [], "PagerDuty decides who is on call"
    after = await store.get(db, r.id)
    assert after.on_duty == ("U1", "U2") and after.out_of_group == (("U2", GUEST),)
    assert (await outbox.group(db, r.id)).desired == GroupState(True, ("U1",))


async def test_a_manager_removes_someone_who_left_in_one_click(service, db):
    r = await service.create(ops(), "U9", False)
    await slack_says(db, U2={"deleted": True})
    with pytest.raises(AlreadyChanged, match="can be on duty"):
        await service.remove_member(r.id, "U3", "U9")
    with pytest.raises(PermissionDenied):
        await service.remove_member(r.id, "U2", "U3")  # a member, not a manager
    removed = await service.remove_member(r.id, "U2", "U9")
    assert removed.members == ("U1", "U3") and removed.on_duty == ("U1",)
    with pytest.raises(AlreadyChanged, match="no longer in OPS"):
        await service.remove_member(r.id, "U2", "U9")
