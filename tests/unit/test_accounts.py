"""People come and go: the turn order passes by whoever cannot be on duty, groups hold only the people
Slack takes, and a rotation follows accounts as the directory learns them (on a real database)."""

import time

import pytest

from roundrobin.access import Access, PermissionDenied
from roundrobin.pagerduty.plan import mirror
from roundrobin.rotations.announcement import Announcement
from roundrobin.rotations.draft import RotationDraft
from roundrobin.rotations.errors import AlreadyChanged, NotAllowed
from roundrobin.rotations.model import (
    BOT,
    DEACTIVATED,
    GUEST,
    MISSING,
    SINGLE_CHANNEL_GUEST,
    GroupState,
    Rotation,
    Unmatched,
)
from roundrobin.signals import Signals
from roundrobin.slack.ids import Rotations
from roundrobin.slack.surfaces.forms import parse_member_value
from roundrobin.slack.views.messages import duty_message
from roundrobin.slack.views.rotation_modals import Details, details_modal
from roundrobin.slack.views.rotations import RotationRow, on_duty_line, rotation_summary
from roundrobin.store import directory, outbox
from roundrobin.store import pagerduty as pd_store
from roundrobin.store import rotations as store
from roundrobin.store.directory import SlackUser
from roundrobin.store.pagerduty import PdSchedule, PdUser, Shift
from tests.support import Rotations as RotationServices
from tests.unit.test_rotation_service import Roles, Workspace

MEMBERS = ("U1", "U2", "U3", "U4")
WELL_FORMED = ("U0ONE", "U0TWO", "U0THREE")  # for what people see: only well-formed ids become mentions


def rotation(on_duty=("U1",), unavailable=None, group="S1", members=MEMBERS, **kw) -> Rotation:
    return Rotation(
        id=1,
        name="Ops",
        code="OPS",
        created_by="U9",
        members=members,
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
    return RotationServices(db, Access(db, Roles(), ()), Workspace(), signals, clock=time.time)


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
    due = await outbox.due_messages(db, time.time() + 60)
    [message] = [m for m in due if m.rotation_id == rotation_id and m.kind == "duty"]
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
    await pd_store.remember_schedules(db, [PdSchedule("PS1", "Ops")], time.time())
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


# --- PagerDuty-bound: named like people Slack does not know ---------------------------------------


def test_the_mirror_names_someone_whose_slack_account_cannot_be_on_duty():
    schedule = PdSchedule("PS1", "Ops", member_ids=("PA", "PB"))
    people = {"PA": PdUser("PA", "Ann", "ann@corp.example"), "PB": PdUser("PB", "Alan", "alan@corp.example")}
    slack = {"ann@corp.example": "U0ANN"}
    shifts = [Shift("PS1", "PA", 0, 100), Shift("PS1", "PB", 0, 100)]
    m = mirror([schedule], shifts, people, {"PB": "U0ALAN"}, slack, 50, gone={"PB": DEACTIVATED})
    assert m.on_duty == ("U0ANN",) and m.members == ("U0ANN",)
    assert m.unmatched == (Unmatched("PB", "Alan", "alan@corp.example", on_call=True, why=DEACTIVATED),)


# --- what people see (pure builders) -------------------------------------------------------------


def test_the_channel_is_told_who_was_passed_by_and_why():
    r = rotation(
        on_duty=("U0THREE",), unavailable={"U0ONE": DEACTIVATED, "U0TWO": DEACTIVATED}, members=WELL_FORMED
    )
    body = Announcement(("U0THREE",), left=(("U0ONE", DEACTIVATED),), skipped=(("U0TWO", DEACTIVATED),))
    text = str(duty_message(r, body)["blocks"])
    assert "<@U0ONE> left duty at once: their Slack account is deactivated." in text
    assert "Skipped <@U0TWO>: their Slack account is deactivated." in text


def test_a_bound_rotation_names_the_deactivated_person_on_call():
    r = Rotation(
        id=1,
        name="Sun",
        code="SUN",
        created_by="U9",
        source="pagerduty",
        on_duty=("U0ANN",),
        pd_unmatched=(Unmatched("PB", "Alan", "a@x", on_call=True, why=DEACTIVATED),),
    )
    assert "Also on call in PagerDuty: Alan — their Slack account is deactivated" in on_duty_line(r)
    alone = Rotation(**{**r.__dict__, "on_duty": ()})
    assert on_duty_line(alone) == ":pager: On call in PagerDuty: Alan — their Slack account is deactivated."
    body = Announcement.from_json(
        {"on_duty": [], "unmatched": [{"name": "Alan", "email": "a@x", "why": DEACTIVATED}]}
    )
    assert "On call in PagerDuty: Alan — their Slack account is deactivated." in str(
        duty_message(alone, body)
    )


@pytest.mark.parametrize("can_edit", [True, False])
def test_the_card_and_details_flag_who_left_with_a_remove_button_for_managers(can_edit):
    r = rotation(on_duty=("U0ONE",), unavailable={"U0TWO": DEACTIVATED}, members=WELL_FORMED)
    for blocks in (
        rotation_summary(RotationRow(r, can_edit=can_edit)),
        details_modal(Details(rotation=r, can_edit=can_edit, can_link=False))["blocks"],
    ):
        text = str(blocks)
        assert "<@U0TWO> left Slack — remove them from the rotation?" in text
        assert (Rotations.REMOVE_MEMBER in text) is can_edit
        if can_edit:
            [button] = [
                b["accessory"]
                for b in blocks
                if b.get("accessory", {}).get("action_id") == Rotations.REMOVE_MEMBER
            ]
            assert parse_member_value(button["value"]) == (1, "U0TWO")


@pytest.mark.parametrize("value", ["1:U2:3", "x:U2", "1:<!here>", "²:U0ADA", "9" * 19 + ":U0ADA", None, 7])
def test_a_remove_button_value_must_be_well_formed(value):
    assert parse_member_value(value) is None


async def test_a_new_rotation_starts_with_someone_who_can_be_on_duty(service, db):
    await slack_says(db, U1={"is_restricted": True})  # a guest: Slack keeps them out of the group
    r = await service.create(ops(), "U9", False)
    assert r.on_duty == ("U2",)
    assert (await outbox.group(db, r.id)).desired == GroupState(True, ("U2",))
    without_group = await service.create(
        ops(code="docs", usergroup_id=None, usergroup_handle=None), "U9", False
    )
    assert without_group.on_duty == ("U1",), "without a group, a guest takes their turn"
