"""The effects planner: one pure function decides all the Slack work of a change."""

from dataclasses import replace

from roundrobin.rotations.announcement import Announcement, with_snapshot
from roundrobin.rotations.effects import ADDED, DM_OFF, DM_ON, DUTY, REVERTED, plan
from roundrobin.rotations.model import DutyChange, GroupState, Rotation
from roundrobin.rotations.schedule import Schedule

BASE = Rotation(
    id=7,
    name="Platform",
    code="PLAT",
    created_by="U0ADA",
    members=("U1", "U2", "U3"),
    on_duty=("U1",),
    channels=("C1", "C2"),
    usergroup_id="S1",
    usergroup_handle="plat-oncall",
)


def test_a_duty_change_tells_the_channels_dms_who_came_and_went_and_sets_the_group():
    after = replace(BASE, on_duty=("U2",), dm_on_duty=True, dm_off_duty=True)
    change = DutyChange(after, ("U1",), "rotated", "U0ADA", ("U3",), 100.0)
    effects = plan(BASE, after, change=change)
    assert [(p.kind, p.target) for p in effects.posts] == [
        (DUTY, "C1"),
        (DUTY, "C2"),
        (DM_ON, "U2"),
        (DM_OFF, "U1"),
    ]
    assert all(p.burst for p in effects.posts), "a burst of changes is told once"
    body = effects.posts[0].body.to_json()  # as the outbox keeps it
    assert body["on_duty"] == ["U2"] and body["before"] == ["U1"] and body["next_up"] == ["U3"]
    assert body["rotation"]["name"] == "Platform", "the words travel with the message"
    assert (effects.group_key, effects.group) == ("S1", GroupState(True, ("U2",)))


def test_without_a_duty_change_nothing_is_said():
    effects = plan(BASE, replace(BASE, name="Platform team"))
    assert effects.posts == ()
    assert effects.group == GroupState(True, ("U1",)), "the group is still wanted as it is"


def test_people_added_by_someone_else_are_told_and_the_editor_is_not():
    after = replace(BASE, members=(*BASE.members, "U4", "U0ADA"))
    effects = plan(BASE, after, editor="U0ADA")
    assert [(p.kind, p.target) for p in effects.posts] == [(ADDED, "U4")]
    assert effects.posts[0].body.to_json()["actor"] == "U0ADA"
    assert plan(None, BASE, editor="U1").posts[0].target == "U2", "a new rotation: everyone but the creator"


def test_topics_follow_the_channels_chosen_and_clear_the_ones_left():
    before, after = replace(BASE, topic_channels=("C1",)), replace(BASE, topic_channels=("C2",))
    topics = plan(before, after).topics
    assert topics["C1"] is None and topics["C2"] is not None and topics["C2"].to_json()["on_duty"] == ["U1"]


def test_a_reminder_waits_for_whoever_takes_over_before_a_planned_hand_over():
    timed = replace(BASE, schedule=Schedule("daily", "09:00"), next_hand_over_at=5000.0, remind_before=900)
    assert plan(timed, timed).reminders == frozenset({("U2", 5000.0)})
    assert plan(BASE, BASE).reminders == frozenset(), "manual: no planned hand-over"


def test_a_rotation_that_stops_following_pagerduty_tells_its_channels():
    effects = plan(replace(BASE, source="pagerduty"), BASE, reverted_by="U0ADA")
    assert [(p.kind, p.target) for p in effects.posts] == [(REVERTED, "C1"), (REVERTED, "C2")]


def test_a_message_is_worded_from_one_snapshot():
    change = DutyChange(BASE, (), "rotated", "U0ADA", (), 1.0)
    stored = plan(None, BASE, change=change).posts[0].body.to_json()
    renamed_since = replace(BASE, name="Renamed", code="REN", on_duty=("U3",))
    sent = with_snapshot(renamed_since, Announcement.from_json(stored).words)
    assert (sent.name, sent.code) == ("Platform", "PLAT"), "as it was named when the change was made"
    assert sent.on_duty == ("U3",), "who is on duty now, to tell whether a DM is still true"
