"""On-call load rules (rotations/load.py): stints from the history, and hours split by the person's
own wall clock into nights and weekends or holidays."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from roundrobin.rotations.load import (
    Change,
    Counts,
    Split,
    Stint,
    bar,
    least_loaded,
    rotation_load,
    split,
    stints,
    to_csv,
    zone,
)

UTC = ZoneInfo("UTC")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def at(text: str, tz: ZoneInfo = UTC) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=tz).timestamp()


@pytest.mark.parametrize(
    ("start", "end", "tz", "expected"),
    [
        # A weekday, 09:00 to 17:00: no night, no weekend.
        ("2026-03-04 09:00", "2026-03-04 17:00", UTC, Split(8, 0, 0)),
        # Across midnight on a weekday (Wed 20:00 to Thu 09:00): 22:00–07:00 is night.
        ("2026-03-04 20:00", "2026-03-05 09:00", UTC, Split(13, 9, 0)),
        # Friday 18:00 to Monday 08:00: Saturday and Sunday are weekend; three nights.
        ("2026-03-06 18:00", "2026-03-09 08:00", UTC, Split(62, 27, 48)),
        # Saturday night counts as both.
        ("2026-03-07 23:00", "2026-03-08 01:00", UTC, Split(2, 2, 2)),
        # The night the clocks go forward in London (29 March 2026, 01:00 → 02:00): 8 hours, not 9.
        ("2026-03-28 22:00", "2026-03-29 07:00", LONDON, Split(8, 8, 8)),
        # The night they go back (25 October 2026, 02:00 → 01:00): 10 hours.
        ("2026-10-24 22:00", "2026-10-25 07:00", LONDON, Split(10, 10, 10)),
    ],
)
def test_hours_split_into_nights_and_weekends(start, end, tz, expected):
    assert split(at(start, tz), at(end, tz), tz) == expected


def test_nights_are_the_persons_own_wall_clock():
    # 03:00–05:00 UTC on a Wednesday is night in London, but 22:00–00:00 the evening before in New York.
    start, end = at("2026-03-04 03:00"), at("2026-03-04 05:00")
    assert split(start, end, LONDON).night == 2
    assert split(start, end, NEW_YORK) == Split(2, 2, 0)
    # 03:00–05:00 UTC on a Saturday is still Friday night in New York: night, not weekend.
    assert split(at("2026-03-07 03:00"), at("2026-03-07 05:00"), NEW_YORK) == Split(2, 2, 0)
    assert split(at("2026-03-07 03:00"), at("2026-03-07 05:00"), LONDON) == Split(2, 2, 2)


def test_a_public_holiday_counts_as_a_weekend_day():
    christmas = lambda day: day == date(2026, 12, 25)  # noqa: E731 - a rotation's holiday test
    # Thursday 24th 12:00 to Saturday 26th 00:00: Friday the 25th is a holiday, 24 hours of it.
    s = split(at("2026-12-24 12:00"), at("2026-12-26 00:00"), UTC, christmas)
    assert s == Split(36, 11, 24)
    assert split(at("2026-12-24 12:00"), at("2026-12-26 00:00"), UTC).weekend == 0


def test_stints_from_the_history_clipped_to_the_period():
    start, end = at("2026-03-01 00:00"), at("2026-03-15 00:00")
    history = [
        Change(at("2026-02-25 09:00"), ("U1",)),  # before the period: U1 carries on into it
        Change(at("2026-03-02 09:00"), ("U2",)),  # hand-over to U2
        Change(at("2026-03-03 09:00"), ("U2", "U3")),  # U3 joins; U2's stint is not broken
        Change(at("2026-03-04 09:00"), ("U1",)),
        Change(at("2026-03-20 09:00"), ("U2",)),  # after the period: ignored
    ]
    assert stints(history, start, end) == [
        Stint("U1", start, at("2026-03-02 09:00"), came=False),
        Stint("U2", at("2026-03-02 09:00"), at("2026-03-04 09:00"), came=True),
        Stint("U3", at("2026-03-03 09:00"), at("2026-03-04 09:00"), came=True),
        Stint("U1", at("2026-03-04 09:00"), end, came=True),
    ]
    # Nobody on duty (a change to nobody) is no stint at all.
    assert stints([Change(start, ()), Change(start + 3600, ("U1",))], start, start + 7200) == [
        Stint("U1", start + 3600, start + 7200, came=True)
    ]


def test_a_rotation_load_per_person_with_counts_and_idle_members():
    start = at("2026-03-02 09:00")  # a Monday
    runs = [
        Stint("U1", start, start + 24 * 3600, True),
        Stint("U2", start + 24 * 3600, start + 30 * 3600, True),
    ]
    zones = {"U1": UTC, "U2": NEW_YORK}
    load = rotation_load(
        7,
        "Platform",
        "PLAT",
        runs,
        lambda p: zones.get(p, UTC),
        counts=Counts(covers_given={"U2": 1}, covers_taken={"U1": 1}, answered={"U3": 2}),
        members=("U1", "U2", "U3", "U4"),
    )
    assert [p.person for p in load.people] == ["U1", "U2", "U3", "U4"]
    u1, u2, u3, u4 = load.people
    assert (u1.split.hours, u1.split.night, u1.hand_overs, u1.covers_taken) == (24, 9, 1, 1)
    # U2's six hours are 04:00–10:00 in New York on Tuesday: three of them at night.
    assert (u2.split.hours, u2.split.night, u2.covers_given) == (6, 3, 1)
    assert (u3.answered, u3.split.hours) == (2, 0)
    assert u4 == type(u4)("U4")
    assert load.total.hours == 30


def test_least_loaded_first_ties_in_turn_order():
    assert least_loaded(["U1", "U2", "U3", "U4"], {"U1": 40, "U2": 10, "U3": 10}) == ["U4", "U2", "U3", "U1"]


@pytest.mark.parametrize(
    ("value", "most", "expected"),
    [
        (0, 10, "░░░░░░░░░░"),
        (10, 10, "██████████"),
        (5, 10, "█████░░░░░"),
        (0.1, 100, "█░░░░░░░░░"),
        (3, 0, "░" * 10),
    ],
)
def test_text_bars(value, most, expected):
    assert bar(value, most) == expected


def test_a_bad_time_zone_falls_back_to_the_rotations():
    assert zone("Not/AZone", "Europe/London") == LONDON
    assert zone(None, "") == UTC


def test_csv_rows_and_cells_that_would_run_as_formulas():
    load = rotation_load(1, "=HYPERLINK(evil)", "OPS", [Stint("U1", 0, 5400, True)], lambda p: UTC)
    text = to_csv([load], {"U1": "@bob"})
    header, row = list(csv.reader(io.StringIO(text)))
    assert header[:5] == ["rotation", "code", "person", "name", "hours"]
    assert row == ["'=HYPERLINK(evil)", "OPS", "U1", "'@bob", "1.5", "1.5", "0.0", "1", "0", "0", "0"]
