"""What a duty change tells, as stored with the message: bodies written before this code read back."""

from dataclasses import replace

from roundrobin.rotations.announcement import (
    Announcement,
    TopicState,
    Words,
    merge_announcements,
    with_snapshot,
)
from roundrobin.rotations.model import DEACTIVATED, DutyChange, Rotation, Unmatched

ROTATION = Rotation(
    id=7,
    name="Platform",
    code="PLAT",
    created_by="U9",
    members=("U1", "U2", "U3"),
    on_duty=("U2",),
    on_duty_until=2000.0,
    source="pagerduty",
    templates={"announcement": "%USER% is on"},
    template_authors={"announcement": "U9"},
    pd_unmatched=(
        Unmatched("PJ", "Jane", "jane@corp.example", on_call=True),
        Unmatched("PB", "Alan", "a@x", on_call=False, why=DEACTIVATED),
    ),
)

# A body as the outbox kept it before announcements were typed (a burst of two Rotates, told once).
STORED = {
    "on_duty": ["U3"],
    "before": ["U1"],
    "until": 3000.0,
    "next_up": ["U1"],
    "reason": "rotated",
    "actor": "U9",
    "at": 12.5,
    "unmatched": [
        {"name": "Jane", "email": "jane@corp.example"},
        {"name": "Al", "email": None, "why": "bot"},
    ],
    "left": [["U4", DEACTIVATED]],
    "skipped": [["U5", "guest"]],
    "changes": 2,
    "between": ["U2"],
    "rotation": {
        "name": "Platform",
        "code": "PLAT",
        "description": "",
        "usergroup_id": "S1",
        "usergroup_handle": "plat",
        "source": "manual",
        "templates": {},
        "template_authors": {},
        "schedule": '{"anchor": null, "at": "09:00", "every_weeks": 1, "kind": "manual", "skip_weekends": false, "tz": "UTC", "weekday": 0}',
    },
}


def test_a_stored_body_reads_back_and_is_written_as_it_was():
    told = Announcement.from_json(STORED)
    assert (
        told.on_duty == ("U3",) and told.before == ("U1",) and told.changes == 2 and told.between == ("U2",)
    )
    assert told.unmatched[1] == Unmatched(None, "Al", None, why="bot")
    assert told.left == (("U4", DEACTIVATED),) and told.skipped == (("U5", "guest"),)
    assert told.words is not None and told.words.usergroup_handle == "plat"
    assert told.to_json() == STORED, "outbox rows survive an upgrade unchanged"


def test_a_body_from_before_messages_kept_their_words_is_worded_from_the_rotation_now():
    told = Announcement.from_json({"on_duty": ["U2"], "before": [], "reason": "set", "actor": "U9"})
    assert told.words is None and told.changes == 1 and told.unmatched == ()
    assert with_snapshot(ROTATION, told.words) is ROTATION
    assert "rotation" not in told.to_json() and "changes" not in told.to_json()


def test_an_announcement_names_people_on_call_in_pagerduty_without_their_ids():
    told = Announcement.of(DutyChange(ROTATION, ("U1",), "pagerduty", None, ("U2", "U3"), 5.0))
    assert told.next_up == ("U3",), "whoever is on duty now is not next"
    assert told.to_json()["unmatched"] == [{"name": "Jane", "email": "jane@corp.example"}]
    assert told.words == Words.of(ROTATION)
    assert Announcement.from_json(told.to_json()) == told
    assert TopicState.from_json(TopicState.of(ROTATION).to_json()) == TopicState.of(ROTATION)


def test_a_run_of_the_same_change_is_told_once_with_who_was_on_duty_in_between():
    first = Announcement(("U2",), before=("U1",), reason="rotated", actor="U9")
    second = Announcement(("U3",), before=("U2",), reason="rotated", actor="U9")
    merged = merge_announcements(first, second)
    assert (merged.on_duty, merged.before, merged.changes, merged.between) == (("U3",), ("U1",), 2, ("U2",))
    third = merge_announcements(merged, Announcement(("U1",), before=("U3",), reason="rotated", actor="U9"))
    assert (third.changes, third.between) == (3, ("U2", "U3")), "back to where it began: U1 is not between"


def test_different_changes_in_a_burst_are_told_as_it_is_now():
    created = Announcement(("U1",), reason="created", actor="U9")
    handed = Announcement(("U2",), before=("U1",), reason="handed_over", actor="U1")
    merged = merge_announcements(created, handed)
    assert merged == replace(handed, before=()) and merged.changes == 1


def test_the_rotation_keeps_people_not_in_slack_as_it_always_did():
    stored = [p.to_json() for p in ROTATION.pd_unmatched]
    assert stored == [
        {"id": "PJ", "name": "Jane", "email": "jane@corp.example", "on_call": True},
        {"id": "PB", "name": "Alan", "email": "a@x", "on_call": False, "why": DEACTIVATED},
    ]
    assert tuple(Unmatched.from_json(p) for p in stored) == ROTATION.pd_unmatched
    assert ROTATION.unmatched_on_call == (ROTATION.pd_unmatched[0],)


def test_following_several_schedules_the_message_labels_each_person_with_their_schedule():
    from roundrobin.slack.views.messages import duty_message

    both = replace(
        ROTATION,
        members=("U0ANN", "U0BEN"),
        on_duty=("U0ANN", "U0BEN"),
        templates={},
        pd_more_schedule_ids=("PS2",),
        pd_schedule_id="PS1",
        pd_on_call_from=(("U0ANN", "Ops Primary"), ("U0BEN", "Ops <Secondary>")),
    )
    body = Announcement.of(DutyChange(both, ("U3",), "pagerduty", None, ("U3",), 1000.0))
    assert Announcement.from_json(body.to_json()) == body, "the labels are stored with the message"
    message = duty_message(both, body)
    assert (
        "<@U0ANN> (Ops Primary), <@U0BEN> (Ops &lt;Secondary&gt;) are on duty now"
        in message["blocks"][0]["text"]["text"]
    )
    assert "<@U0ANN> (Ops Primary)" in message["text"]
    one = Announcement.of(DutyChange(replace(ROTATION, templates={}), (), "pagerduty", None, (), 1000.0))
    assert "from_schedules" not in one.to_json(), "one schedule: no labels, bodies as before"
