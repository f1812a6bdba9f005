"""Members that follow a user group: the turn order (the group's or alphabetical, then stable), and
what joining or leaving the group does (rotations/membership.py, and the timeline's part in it)."""

from dataclasses import replace

import pytest

from roundrobin.rotations import timeline
from roundrobin.rotations.membership import after_event, follow, turn_order, without_leavers
from roundrobin.rotations.model import ALPHABETICAL, GROUP_ORDER, LEFT_GROUP, MemberSource, Rotation
from roundrobin.rotations.timeline import Away, Plan

NAMES = {"U1": "Zoe Zimmer", "U2": "adam Ant", "U3": "Ben Bold", "U4": "Émile Ernst", "U5": "ben bold"}


@pytest.mark.parametrize(
    ("current", "group", "order", "expected"),
    [
        # A rotation that starts following: the group's order, or by name (any case; É with the E's).
        ((), ("U1", "U2", "U3"), GROUP_ORDER, ("U1", "U2", "U3")),
        ((), ("U1", "U2", "U3"), ALPHABETICAL, ("U2", "U3", "U1")),
        ((), ("U4", "U1", "U3", "U2"), ALPHABETICAL, ("U2", "U3", "U4", "U1")),
        # The same name twice: the id settles it, the same way every time.
        ((), ("U5", "U3"), ALPHABETICAL, ("U3", "U5")),
        # Someone without a name (Slack did not say) goes after everyone named.
        ((), ("U9", "U1", "U2"), ALPHABETICAL, ("U2", "U1", "U9")),
        # Stable: the people there keep their places, newcomers join at the end…
        (("U3", "U1"), ("U1", "U2", "U3"), GROUP_ORDER, ("U3", "U1", "U2")),
        # …even where the alphabet would put them first…
        (("U3", "U1"), ("U1", "U2", "U3"), ALPHABETICAL, ("U3", "U1", "U2")),
        # …and several newcomers at once join in the group's order, or by name among themselves.
        (("U3",), ("U4", "U1", "U3", "U2"), GROUP_ORDER, ("U3", "U4", "U1", "U2")),
        (("U3",), ("U4", "U1", "U3", "U2"), ALPHABETICAL, ("U3", "U2", "U4", "U1")),
        # A group that lists someone twice has them once.
        ((), ("U1", "U2", "U1"), GROUP_ORDER, ("U1", "U2")),
    ],
)
def test_turn_order(current, group, order, expected):
    assert turn_order(current, group, order, NAMES) == expected


def test_turn_order_stops_at_the_limit_but_never_drops_anyone_there():
    assert turn_order((), [f"U{i}" for i in range(10)], GROUP_ORDER, {}, limit=3) == ("U0", "U1", "U2")
    assert turn_order(("U8", "U9"), ["U7", "U8", "U9"], GROUP_ORDER, {}, limit=1) == ("U8", "U9")


def rotation(members=("U1", "U2", "U3"), on_duty=("U1",), leaving=(), order=GROUP_ORDER, **kw) -> Rotation:
    return Rotation(
        id=1,
        name="Ops",
        code="OPS",
        created_by="U9",
        members=members,
        on_duty=on_duty,
        member_source=MemberSource("S1", "oncall-team", order, leaving),
        **kw,
    )


def test_a_newcomer_joins_the_end_of_the_turn_order():
    result = follow(rotation(), ["U4", "U1", "U2", "U3"], NAMES)
    assert result.members == ("U1", "U2", "U3", "U4") and result.joined == ("U4",)
    assert result.leaving == () and result.removed == () and result.changed


def test_someone_off_duty_who_leaves_the_group_leaves_the_rotation_at_once():
    result = follow(rotation(), ["U1", "U3"], NAMES)
    assert result.members == ("U1", "U3") and result.removed == ("U2",) and result.leaving == ()


def test_the_person_on_duty_who_leaves_stays_until_the_hand_over():
    result = follow(rotation(), ["U2", "U3"], NAMES)
    assert result.members == ("U1", "U2", "U3"), "still in their place"
    assert result.leaving == ("U1",) and result.going == ("U1",) and result.removed == ()


def test_whose_turn_it_is_counts_too_when_someone_covers_them():
    covered = rotation(on_duty=("U3",), turn_people=("U1",))
    result = follow(covered, ["U2", "U3"], NAMES)
    assert result.leaving == ("U1",) and "U1" in result.members


def test_back_in_the_group_before_the_hand_over_they_simply_stay():
    leaving = rotation(leaving=("U1",))
    result = follow(leaving, ["U1", "U2", "U3"], NAMES)
    assert result.members == ("U1", "U2", "U3") and result.leaving == () and result.back == ("U1",)
    assert not follow(leaving, ["U2", "U3"], NAMES).changed, "already leaving: nothing new"


def test_nothing_changes_when_the_group_is_as_the_rotation_has_it():
    assert not follow(rotation(), ["U3", "U2", "U1"], NAMES).changed, (
        "the order in Slack is not the turn order"
    )


def test_someone_leaving_whose_shift_ended_meanwhile_leaves_now():
    stale = rotation(on_duty=("U2",), leaving=("U1",))
    result = follow(stale, ["U2", "U3"], NAMES)
    assert result.members == ("U2", "U3") and result.removed == ("U1",) and result.leaving == ()


def test_news_of_a_change_applies_to_the_people_the_rotation_knows():
    leaving = rotation(leaving=("U1",))
    assert after_event(leaving, added=["U4"], removed=["U2"]) == ("U3", "U4")
    assert after_event(leaving, added=["U1"], removed=[]) == ("U2", "U3", "U1"), "back in the group"
    assert after_event(rotation(), added=["U2"], removed=[]) == ("U1", "U2", "U3"), "news already applied"


def test_at_the_hand_over_the_leaver_is_dropped_and_nobody_else():
    leaving = rotation(leaving=("U1",))
    assert without_leavers(leaving) == (leaving, ()), "still on duty"
    handed_over = replace(leaving, on_duty=("U2",), turn_people=("U2",))
    kept, done = without_leavers(handed_over)
    assert done == ("U1",) and kept.members == ("U2", "U3") and kept.member_source.leaving == ()
    assert without_leavers(replace(handed_over, member_source=None))[1] == ()


def test_the_turn_order_never_gives_a_leaver_another_turn():
    leaving = rotation(on_duty=("U3",), leaving=("U3",))
    plan = Plan.of(leaving, 0.0)
    assert timeline.unavailable(plan, "U3", 0.0, 10.0) == LEFT_GROUP
    assert timeline.advance(plan, ("U3",), 0.0, 10.0) == (("U1",), ())
    # Everyone else away for the next turn: nobody free, so the leaver stays on (the rotation is
    # never left with nobody), and leaves at the hand-over after.
    away = Plan.of(leaving, 0.0, away=(Away("U1", 0.0, 10.0), Away("U2", 0.0, 10.0)))
    assert timeline.advance(away, ("U3",), 0.0, 10.0)[0] == ("U3",)
    # Two on duty, the leaver among them: the next two in turn who are still in the group.
    pair = rotation(members=("U1", "U2", "U3", "U4"), on_duty=("U1", "U2"), leaving=("U2",), duty_size=2)
    assert timeline.advance(Plan.of(pair, 0.0), ("U1", "U2"), 0.0, 10.0)[0] == ("U3", "U4")
