"""Pure sync rules: answers to shifts, a poll against the plan, batches under the cap, and a bound
rotation as PagerDuty has it (people matched to Slack, who is next and when)."""

from dataclasses import replace

import pytest

from roundrobin.pagerduty.plan import (
    agrees,
    all_routed,
    batches,
    mirrored,
    next_change,
    routed,
    shifts_from_final_schedule,
    shifts_from_v3,
    status,
    ts,
    v3_member_ids,
)
from roundrobin.pagerduty.plan import mirror as _mirror
from roundrobin.pagerduty.plan import shift_from_oncall as _shift
from roundrobin.rotations.model import Rotation, Unmatched
from roundrobin.store.pagerduty import PdSchedule, PdUser, Shift


def row(
    user, schedule="PS1", start="2026-11-26T09:00:00Z", end="2026-11-27T09:00:00Z", policy="PE1", level=1
):
    return {
        "user": {"id": user},
        "schedule": {"id": schedule} if schedule else None,
        "escalation_policy": {"id": policy},
        "escalation_level": level,
        "start": start,
        "end": end,
    }


def test_rows_repeated_per_policy_and_level_become_one_shift():
    rows = [row("PA"), row("PA", policy="PE2"), row("PA", level=2)]
    shifts = {(s.schedule_id, s.pd_user_id, s.start, s.end) for s in map(_shift, rows)}
    assert len(shifts) == 1


def test_permanent_on_calls_without_a_schedule_are_not_shifts():
    assert _shift(row("PA", schedule=None, start=None, end=None)) is None


NOW = 1_000_000.0
SCHEDULE = PdSchedule("PS1", "Ops", member_ids=("PA", "PB", "PJ"))
PEOPLE = {
    "PA": PdUser("PA", "Ann", "Ann@Corp.example"),
    "PB": PdUser("PB", "Ben", "ben@corp.example"),
    "PJ": PdUser("PJ", "Jane", "jane@corp.example"),
}
SLACK = {"ann@corp.example": "UANN", "ben@corp.example": "UBEN"}


def test_email_match_is_case_insensitive_and_the_unmatched_are_listed():
    shifts = [Shift("PS1", "PJ", NOW - 10, NOW + 50), Shift("PS1", "PB", NOW + 50, NOW + 100)]
    m = _mirror([SCHEDULE], shifts, PEOPLE, {}, SLACK, NOW)
    assert m.members == ("UANN", "UBEN") and m.on_duty == () and m.until == NOW + 50
    assert m.unmatched == (Unmatched("PJ", "Jane", "jane@corp.example", on_call=True),)


def test_a_manual_link_wins_over_the_email_match():
    shifts = [Shift("PS1", "PA", NOW - 10, NOW + 50)]
    m = _mirror([SCHEDULE], shifts, PEOPLE, {"PA": "UOTHER", "PJ": "UJANE"}, SLACK, NOW)
    assert m.on_duty == ("UOTHER",) and m.unmatched == ()
    assert m.members == ("UOTHER", "UBEN", "UJANE")


def test_several_people_on_call_at_once():
    shifts = [Shift("PS1", "PB", NOW - 5, NOW + 60), Shift("PS1", "PA", NOW - 10, NOW + 30)]
    m = _mirror([SCHEDULE], shifts, PEOPLE, {}, SLACK, NOW)
    assert m.on_duty == ("UANN", "UBEN") and m.until == NOW + 30


SECONDARY = PdSchedule("PS2", "Ops Secondary", member_ids=("PB", "PC"))
PEOPLE_TOO = {**PEOPLE, "PC": PdUser("PC", "Cy", "cy@corp.example")}
SLACK_TOO = {**SLACK, "cy@corp.example": "UCY"}


def test_two_schedules_put_the_union_on_duty_each_labelled_with_their_schedule():
    shifts = [
        Shift("PS1", "PA", NOW - 10, NOW + 50),  # primary
        Shift("PS2", "PB", NOW - 20, NOW + 80),  # secondary
        Shift("PS2", "PC", NOW + 80, NOW + 200),
    ]
    m = _mirror([SCHEDULE, SECONDARY], shifts, PEOPLE_TOO, {}, SLACK_TOO, NOW)
    assert m.on_duty == ("UBEN", "UANN"), "whoever is on call in either, by when their shift began"
    assert m.on_call_from == (("UBEN", "Ops Secondary"), ("UANN", "Ops"))
    assert m.members == ("UANN", "UBEN", "UCY"), "the members of both, each once"
    assert m.until == NOW + 50, "until the first of their shifts ends"
    assert (m.next_up, m.next_change_at) == (("UBEN",), NOW + 50)


def test_one_person_on_call_in_both_is_on_duty_once_with_both_labels():
    shifts = [Shift("PS1", "PB", NOW - 10, NOW + 50), Shift("PS2", "PB", NOW - 10, NOW + 80)]
    m = _mirror([SCHEDULE, SECONDARY], shifts, PEOPLE_TOO, {}, SLACK_TOO, NOW)
    assert m.on_duty == ("UBEN",)
    assert m.on_call_from == (("UBEN", "Ops"), ("UBEN", "Ops Secondary"))


def test_follow_the_sun_schedules_merge_in_time():
    """Three regions' schedules, eight hours each: on duty is whoever's region is awake."""
    apac = PdSchedule("PAP", "APAC", member_ids=("PA",))
    emea = PdSchedule("PEU", "EMEA", member_ids=("PB",))
    amer = PdSchedule("PAM", "AMER", member_ids=("PC",))
    h = 3600.0
    shifts = [
        Shift("PAP", "PA", NOW - 2 * h, NOW + 6 * h),
        Shift("PEU", "PB", NOW + 6 * h, NOW + 14 * h),
        Shift("PAM", "PC", NOW + 14 * h, NOW + 22 * h),
    ]
    at = [_mirror([apac, emea, amer], shifts, PEOPLE_TOO, {}, SLACK_TOO, NOW + t * h) for t in (0, 7, 15)]
    assert [m.on_duty for m in at] == [("UANN",), ("UBEN",), ("UCY",)]
    assert [m.on_call_from for m in at] == [(("UANN", "APAC"),), (("UBEN", "EMEA"),), (("UCY", "AMER"),)]
    assert [(m.next_up, m.next_change_at) for m in at[:2]] == [
        (("UBEN",), NOW + 6 * h),
        (("UCY",), NOW + 14 * h),
    ]


def test_one_schedule_has_no_labels():
    m = _mirror([SCHEDULE], [Shift("PS1", "PA", NOW - 10, NOW + 50)], PEOPLE, {}, SLACK, NOW)
    assert m.on_call_from == ()


def test_several_schedules_are_routed_only_when_every_one_is():
    routed_, unrouted, unknown = (replace(SCHEDULE, routed=r) for r in (True, False, None))
    assert all_routed([routed_, routed_]) is True
    assert all_routed([routed_, unrouted]) is False
    assert all_routed([routed_, unknown]) is None


# -- answers into shifts -------------------------------------------------------------------------


def test_final_schedule_entries_become_shifts_and_deleted_users_are_left_out():
    body = {
        "final_schedule": {
            "rendered_schedule_entries": [
                {"start": "2026-11-26T09:00:00Z", "end": "2026-11-26T17:00:00Z", "user": {"id": "PA"}},
                {
                    "start": "2026-11-26T17:00:00Z",
                    "end": "2026-11-27T09:00:00Z",
                    "user": {"id": "PX", "deleted_at": "2026-11-01T00:00:00Z"},
                },
                {"start": "2026-11-27T09:00:00Z", "end": None, "user": {"id": "PB"}},
            ]
        }
    }
    assert shifts_from_final_schedule("PS1", body) == [
        Shift("PS1", "PA", ts("2026-11-26T09:00:00Z"), ts("2026-11-26T17:00:00Z")),
        Shift("PS1", "PB", ts("2026-11-27T09:00:00Z"), None),
    ]


def test_v3_assignments_become_shifts_and_empty_slots_are_nobody():
    body = {
        "final_schedule": {
            "computed_shift_assignments": [
                assignment(
                    "2026-11-26T00:00:00Z", "2026-11-26T08:00:00Z", {"type": "user_member", "user_id": "PA"}
                ),
                assignment(
                    "2026-11-26T00:00:00Z", "2026-11-26T08:00:00Z", {"type": "user_member", "user_id": "PB"}
                ),
                assignment("2026-11-26T08:00:00Z", "2026-11-26T16:00:00Z", {"type": "empty_member"}),
            ]
        },
        "rotations": [
            {"events": [{"assignment_strategy": {"members": [{"type": "user_member", "user_id": "PB"}]}}]},
            {
                "events": [
                    {
                        "assignment_strategy": {
                            "members": [{"type": "user_member", "user_id": "PC"}, {"type": "empty_member"}]
                        }
                    }
                ]
            },
        ],
    }
    assert [(s.pd_user_id, s.end - s.start) for s in shifts_from_v3("PS1", body)] == [
        ("PA", 28800),
        ("PB", 28800),
    ]
    assert v3_member_ids(body) == ("PB", "PC")


def assignment(start, end, member):
    return {"type": "computed_shift_assignment", "start_time": start, "end_time": end, "member": member}


@pytest.mark.parametrize(
    "body, expected",
    [({"escalation_policies": [{"id": "PE1"}]}, True), ({"escalation_policies": []}, False), ({}, False)],
)
def test_a_schedule_is_routed_when_an_escalation_policy_uses_it(body, expected):
    assert routed(body) is expected


# -- does a poll agree with the plan? ------------------------------------------------------------

W0, W1 = 1000.0, 1100.0  # the poll's window


@pytest.mark.parametrize(
    "stored, seen, same",
    [
        # the same stint, cut at the window by one side only
        ([("PA", 0, 5000)], [("PA", W0, W1)], True),
        # one person's back-to-back shifts (split where layers meet) against one merged stint
        ([("PA", 0, 1050), ("PA", 1050, 5000)], [("PA", 500, 5000)], True),
        # a hand-over inside the window, as planned
        ([("PA", 0, 1060), ("PB", 1060, 9000)], [("PA", 0, 1060), ("PB", 1060, 9000)], True),
        # ... moved by ten seconds
        ([("PA", 0, 1060), ("PB", 1060, 9000)], [("PA", 0, 1070), ("PB", 1070, 9000)], False),
        # someone else takes over (an override)
        ([("PA", 0, 5000)], [("PC", 990, 2000)], False),
        # nobody on call any more (the schedule left its policy, or was deleted)
        ([("PA", 0, 5000)], [], False),
        # differences outside the window are for the next refresh, or the next poll
        ([("PA", 0, 1200)], [("PA", 0, 1300)], True),
        # a stint that only touches the window's edges says nothing about it
        ([("PA", 1100, 2000)], [], True),
        ([], [("PA", 0, 1000)], True),
        # several at once (shift-based): the same people in a different row order
        ([("PA", 0, 5000), ("PB", 0, 5000)], [("PB", 0, 5000), ("PA", 0, 5000)], True),
        # an open-ended stint against one that ends after the window
        ([("PA", 0, None)], [("PA", 0, 7000)], True),
    ],
)
def test_a_poll_agrees_with_the_plan_when_the_window_shows_the_same(stored, seen, same):
    def shifts(items):
        return [Shift("PS1", user, start, end) for user, start, end in items]

    assert agrees(shifts(stored), shifts(seen), W0, W1) is same


# -- batches under the cap -----------------------------------------------------------------------

IDS = [f"P{n:03d}" for n in range(250)]


@pytest.mark.parametrize(
    "expected, max_ids, max_rows, sizes",
    [
        ({}, 100, 9000, [100, 100, 50]),  # unknown schedules: the default guess
        (dict.fromkeys(IDS, 170), 100, 9000, [52, 52, 52, 52, 42]),
        ({"P000": 20000}, 100, 9000, [1, 100, 100, 49]),  # too heavy alone: a batch of its own
        (dict.fromkeys(IDS, 1), 100, 100, [100, 100, 50]),  # a poll: about one row each, one page
    ],
)
def test_batches_keep_ids_in_order_and_expected_rows_under_the_limit(expected, max_ids, max_rows, sizes):
    found = batches(IDS, expected, 9.0, max_ids, max_rows)
    assert [len(b) for b in found] == sizes
    assert [s for b in found for s in b] == IDS


# -- a bound rotation at a moment ----------------------------------------------------------------


def test_next_change_skips_moments_that_change_nobody_in_slack_and_names_a_gap():
    slack_of = {"PA": "UANN", "PB": "UBEN", "PJ": None}.get
    shifts = [
        Shift("PS1", "PA", NOW - 10, NOW + 50),
        Shift("PS1", "PA", NOW + 50, NOW + 100),  # Ann again: no hand-over at +50
        Shift("PS1", "PJ", NOW + 100, NOW + 150),  # Jane is not in Slack: nobody on duty
        Shift("PS1", "PB", NOW + 200, NOW + 300),
    ]
    assert next_change(shifts, NOW, ("UANN",), slack_of) == ((), NOW + 100)
    assert next_change(shifts, NOW + 120, (), slack_of) == (("UBEN",), NOW + 200)
    assert next_change(shifts, NOW + 250, ("UBEN",), slack_of) == ((), NOW + 300)
    assert next_change(shifts, NOW + 300, (), slack_of) == ((), None)


def test_the_mirror_names_who_is_next_and_when():
    shifts = [Shift("PS1", "PA", NOW - 10, NOW + 50), Shift("PS1", "PB", NOW + 50, NOW + 100)]
    m = _mirror([SCHEDULE], shifts, PEOPLE, {}, SLACK, NOW)
    assert (m.on_duty, m.next_up, m.next_change_at) == (("UANN",), ("UBEN",), NOW + 50)


@pytest.mark.parametrize(
    "routed_now, previous, expected",
    [
        (True, None, "ok"),
        (False, "ok", "final_schedule"),
        (True, "final_schedule", "ok"),
        (True, "schedule_not_found", "ok"),  # found again
        (None, "final_schedule", "final_schedule"),  # not known yet (just started): as it was
        (None, "schedule_not_found", "ok"),
        (None, None, "ok"),
    ],
)
def test_the_status_says_whether_the_rotation_follows_the_final_schedule(routed_now, previous, expected):
    assert status(routed_now, previous) == expected


def test_a_rotation_already_showing_the_mirror_needs_no_write():
    shifts = [Shift("PS1", "PA", NOW - 10, NOW + 50), Shift("PS1", "PB", NOW + 50, NOW + 100)]
    m = _mirror([SCHEDULE], shifts, PEOPLE, {}, SLACK, NOW)
    rotation = Rotation(
        id=1,
        name="Ops",
        code="OPS",
        created_by="U9",
        source="pagerduty",
        pd_schedule_id="PS1",
        members=("UANN", "UBEN"),
        on_duty=("UANN",),
        on_duty_until=NOW + 50,
        pd_status="ok",
        pd_unmatched=m.unmatched,
        pd_next_up=("UBEN",),
        next_change_at=NOW + 50,
    )
    assert mirrored(rotation, m, "ok")
    assert not mirrored(rotation, m, "final_schedule")
    assert not mirrored(replace(rotation, next_change_at=NOW + 60), m, "ok")
    assert not mirrored(replace(rotation, on_duty=("UBEN",)), m, "ok")
