"""The timeline against hand-worked calendars: who is on duty when, and why."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from roundrobin.rotations.model import Rotation, WorkingHours
from roundrobin.rotations.schedule import Schedule
from roundrobin.rotations.timeline import (
    AWAY,
    CLOSED,
    COVER,
    FOREVER,
    HOLIDAY,
    SWAP,
    TURN,
    Away,
    Override,
    Plan,
    at,
    next_change,
    shifts,
)

LONDON = ZoneInfo("Europe/London")


def ts(text: str, tz=LONDON) -> float:
    """'2026-03-28 09:00' in London (or `tz`) as a timestamp."""
    return datetime.fromisoformat(text).replace(tzinfo=tz).timestamp()


def daily(**kw) -> Rotation:
    """A-B-C-D daily at 09:00 London; A on duty since Mon 23 Mar 2026 09:00, next hand-over Tue."""
    base = dict(
        id=1,
        name="Ops",
        code="OPS",
        created_by="U0",
        members=("A", "B", "C", "D"),
        on_duty=("A",),
        on_duty_since=ts("2026-03-23 09:00"),
        schedule=Schedule("daily", "09:00", tz="Europe/London"),
        next_hand_over_at=ts("2026-03-24 09:00"),
    )
    return Rotation(**{**base, **kw})


def who(plan: Plan, a: str, b: str) -> list[tuple[str, tuple[str, ...], str]]:
    """(local start, people, why) of each shift in [a, b)."""
    return [
        (datetime.fromtimestamp(s.start, LONDON).strftime("%a %H:%M"), s.people, s.why)
        for s in shifts(plan, ts(a), ts(b))
    ]


def test_a_daily_rotation_turns_through_its_members_across_the_clocks_going_forward():
    plan = Plan.of(daily(), now=ts("2026-03-23 10:00"))
    # The clocks go forward on Sun 29 Mar: hand-overs stay at 09:00 local time.
    found = shifts(plan, ts("2026-03-27 08:00"), ts("2026-03-31 10:00"))
    starts = [datetime.fromtimestamp(s.start, LONDON).strftime("%a %d %H:%M") for s in found]
    assert starts == [
        "Fri 27 08:00",
        "Fri 27 09:00",
        "Sat 28 09:00",
        "Sun 29 09:00",
        "Mon 30 09:00",
        "Tue 31 09:00",
    ]
    assert [s.people for s in found] == [("D",), ("A",), ("B",), ("C",), ("D",), ("A",)]
    assert found[3].start - found[2].start == 23 * 3600, "the short night: 23 hours, same wall clock"


def test_every_two_weeks_on_its_anchored_weeks():
    rotation = daily(
        schedule=Schedule(
            "weekly", "09:00", weekday=0, every_weeks=2, tz="Europe/London", anchor="2026-03-23"
        ),
        next_hand_over_at=ts("2026-04-06 09:00"),
    )
    found = shifts(
        Plan.of(rotation, now=ts("2026-03-24 00:00")), ts("2026-03-24 00:00"), ts("2026-05-05 00:00")
    )
    assert [(datetime.fromtimestamp(s.start, LONDON).date().isoformat(), s.people) for s in found] == [
        ("2026-03-24", ("A",)),
        ("2026-04-06", ("B",)),
        ("2026-04-20", ("C",)),
        ("2026-05-04", ("D",)),
    ]


def test_a_manual_rotation_has_one_open_ended_shift():
    rotation = daily(schedule=Schedule(), next_hand_over_at=None)
    [shift] = shifts(
        Plan.of(rotation, now=ts("2026-03-24 00:00")), ts("2026-03-24 00:00"), ts("2026-04-24 00:00")
    )
    assert shift.people == ("A",) and shift.why == TURN and shift.end == ts("2026-04-24 00:00")
    assert next_change(Plan.of(rotation, now=ts("2026-03-24 00:00")), ts("2026-03-24 00:00")) is None


def test_someone_away_is_passed_over_for_the_turns_their_time_away_touches():
    away = (Away("B", ts("2026-03-24 12:00"), ts("2026-03-26 08:00")),)
    plan = Plan.of(daily(), now=ts("2026-03-23 10:00"), away=away)
    found = shifts(plan, ts("2026-03-24 09:00"), ts("2026-03-27 10:00"))
    assert [s.people for s in found] == [("C",), ("D",), ("A",), ("B",)]
    assert found[0].passed_over == (("B", AWAY),), "the announcement says who was passed over, and why"


def test_away_during_a_turn_already_handed_out_is_covered_by_the_next_one_free():
    away = (Away("A", ts("2026-03-23 14:00"), ts("2026-03-23 18:00")),)
    plan = Plan.of(daily(), now=ts("2026-03-23 10:00"), away=away)
    assert who(plan, "2026-03-23 10:00", "2026-03-24 09:00") == [
        ("Mon 10:00", ("A",), TURN),
        ("Mon 14:00", ("B",), AWAY),
        ("Mon 18:00", ("A",), TURN),
    ]


def test_when_everyone_is_away_the_person_on_duty_stays_and_it_says_so():
    away = tuple(Away(p, ts("2026-03-23 00:00"), ts("2026-04-30 00:00")) for p in ("A", "B", "C", "D"))
    plan = Plan.of(daily(), now=ts("2026-03-23 10:00"), away=away)
    found = shifts(plan, ts("2026-03-24 09:00"), ts("2026-03-26 10:00"))
    assert {s.people for s in found} == {("A",)}, "nobody free: the turn stays where it is"
    assert at(plan, ts("2026-03-23 15:00")).notes == ("nobody free to stand in for A",)


def test_a_cover_a_swap_and_a_later_cover_over_an_earlier_one():
    covers = (
        Override(1, "cover", "B", ts("2026-03-24 09:00"), ts("2026-03-25 09:00"), "D", created_at=1.0),
        Override(2, "cover", "B", ts("2026-03-24 12:00"), ts("2026-03-24 15:00"), "A", created_at=2.0),
        Override(
            3, "cover", "C", ts("2026-03-25 09:00"), ts("2026-03-26 09:00"), "A", created_at=3.0, why=SWAP
        ),
    )
    plan = Plan.of(daily(), now=ts("2026-03-23 10:00"), overrides=covers)
    assert who(plan, "2026-03-24 09:00", "2026-03-26 09:00") == [
        ("Tue 09:00", ("D",), COVER),
        ("Tue 12:00", ("A",), COVER),
        ("Tue 15:00", ("D",), COVER),
        ("Wed 09:00", ("A",), SWAP),
    ]
    later = at(plan, ts("2026-03-24 13:00"))
    assert "a later cover wins: A instead of D" in later.notes
    assert later.turn == ("B",), "the turn order is untouched: it is still B's turn"


def test_a_cover_of_someone_no_longer_in_the_turn_changes_nothing():
    # B was removed from the rotation after the cover was made: the cover has nobody to cover.
    cover = (Override(1, "cover", "B", ts("2026-03-24 09:00"), ts("2026-03-25 09:00"), "D"),)
    plan = Plan.of(daily(members=("A", "C", "D")), now=ts("2026-03-23 10:00"), overrides=cover)
    assert who(plan, "2026-03-24 09:00", "2026-03-24 10:00") == [("Tue 09:00", ("C",), TURN)]


def test_a_skipped_turn_moves_the_order_on():
    skip = (Override(1, "skip", "C", ts("2026-03-25 09:00"), ts("2026-03-25 09:00")),)
    plan = Plan.of(daily(), now=ts("2026-03-23 10:00"), overrides=skip)
    found = shifts(plan, ts("2026-03-24 09:00"), ts("2026-03-27 10:00"))
    assert [s.people for s in found] == [("B",), ("D",), ("A",), ("B",)]
    assert found[1].passed_over == (("C", "skipped"),)


def test_two_on_duty_hand_over_together_or_one_at_a_time():
    together = Plan.of(daily(duty_size=2, on_duty=("A", "B")), now=ts("2026-03-23 10:00"))
    assert [s.people for s in shifts(together, ts("2026-03-23 10:00"), ts("2026-03-25 10:00"))] == [
        ("A", "B"),
        ("C", "D"),
        ("A", "B"),
    ]
    staggered = Plan.of(
        daily(duty_size=2, on_duty=("A", "B"), hand_over_all=False), now=ts("2026-03-23 10:00")
    )
    assert [s.people for s in shifts(staggered, ts("2026-03-23 10:00"), ts("2026-03-25 10:00"))] == [
        ("A", "B"),
        ("B", "C"),
        ("C", "D"),
    ]


def test_outside_working_hours_nobody_is_on_duty_or_the_fallback():
    hours = WorkingHours(days=(0, 1, 2, 3, 4), start="09:00", end="17:00")
    plan = Plan.of(
        daily(schedule=Schedule(tz="Europe/London"), next_hand_over_at=None),
        now=ts("2026-03-27 10:00"),
        working_hours=hours,
    )
    assert who(plan, "2026-03-27 10:00", "2026-03-30 10:00") == [
        ("Fri 10:00", ("A",), TURN),
        ("Fri 17:00", (), CLOSED),
        ("Mon 09:00", ("A",), TURN),
    ]
    change = next_change(plan, ts("2026-03-27 10:00"))
    assert change is not None and change.start == ts("2026-03-27 17:00") and change.people == ()
    with_fallback = Plan.of(plan.rotation, now=plan.now, working_hours=WorkingHours(fallback="Z"))
    assert at(with_fallback, ts("2026-03-28 12:00")).people == ("Z",)


def test_a_holiday_keeps_the_person_on_or_leaves_nobody_on_duty():
    good_friday = date(2026, 4, 3)

    def holiday(day):
        return day == good_friday

    rotation = daily(on_duty_since=ts("2026-04-01 09:00"), next_hand_over_at=ts("2026-04-02 09:00"))
    stay = Plan.of(rotation, now=ts("2026-04-01 10:00"), holiday=holiday, holiday_mode="stay")
    assert who(stay, "2026-04-02 09:00", "2026-04-04 10:00") == [
        ("Thu 09:00", ("B",), TURN),
        ("Sat 09:00", ("C",), TURN),
    ], "no hand-over on Good Friday: B stays on until Saturday"
    nobody = Plan.of(rotation, now=ts("2026-04-01 10:00"), holiday=holiday, holiday_mode="nobody")
    assert who(nobody, "2026-04-03 00:00", "2026-04-04 00:00") == [("Fri 00:00", (), HOLIDAY)]


def test_an_open_ended_shift_says_forever():
    rotation = daily(schedule=Schedule(), next_hand_over_at=None)
    assert at(Plan.of(rotation, now=ts("2026-03-24 00:00")), ts("2026-03-24 00:00")).people == ("A",)
    assert shifts(Plan.of(rotation, now=0), 0, FOREVER)[0].end == FOREVER
    assert datetime.fromtimestamp(ts("2026-03-24 00:00"), UTC).year == 2026
