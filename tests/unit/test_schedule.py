from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from roundrobin.rotations.schedule import Schedule, ScheduleError, anchored, next_hand_over, validate

UTC = UTC


def at(text: str, tz: str = "UTC") -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def local(instant: datetime, tz: str) -> str:
    return instant.astimezone(ZoneInfo(tz)).strftime("%a %Y-%m-%d %H:%M %Z")


@pytest.mark.parametrize(
    ("schedule", "after", "expected"),
    [
        # daily: later today, or tomorrow once today's time has passed
        (Schedule("daily", "09:00", tz="Europe/London"), "2026-11-25 08:00", "Wed 2026-11-25 09:00 GMT"),
        (Schedule("daily", "09:00", tz="Europe/London"), "2026-11-25 09:00", "Thu 2026-11-26 09:00 GMT"),
        # skip weekends: Friday's hand-over holds until Monday
        (
            Schedule("daily", "09:00", tz="Europe/London", skip_weekends=True),
            "2026-11-27 10:00",
            "Mon 2026-11-30 09:00 GMT",
        ),
        (
            Schedule("daily", "09:00", tz="Europe/London", skip_weekends=True),
            "2026-11-28 10:00",
            "Mon 2026-11-30 09:00 GMT",
        ),
        # weekly on Monday
        (
            Schedule("weekly", "10:30", weekday=0, tz="America/New_York"),
            "2026-11-25 12:00",
            "Mon 2026-11-30 10:30 EST",
        ),
        # DST: 09:00 stays 09:00 local on both sides of the change (London: Mar 29 and Oct 25, 2026)
        (Schedule("daily", "09:00", tz="Europe/London"), "2026-03-28 10:00", "Sun 2026-03-29 09:00 BST"),
        (Schedule("daily", "09:00", tz="Europe/London"), "2026-10-24 10:00", "Sun 2026-10-25 09:00 GMT"),
        # a time the clocks skip happens just after the gap; a repeated time happens the first time round
        (Schedule("daily", "01:30", tz="Europe/London"), "2026-03-28 12:00", "Sun 2026-03-29 02:30 BST"),
        (Schedule("daily", "01:30", tz="Europe/London"), "2026-10-24 12:00", "Sun 2026-10-25 01:30 BST"),
        # far from UTC: Auckland's Monday starts on Sunday in UTC
        (
            Schedule("weekly", "08:00", weekday=0, tz="Pacific/Auckland"),
            "2026-11-29 12:00",
            "Mon 2026-11-30 08:00 NZDT",
        ),
    ],
)
def test_next_hand_over(schedule, after, expected):
    tz = schedule.tz
    assert local(next_hand_over(schedule, at(after, tz)), tz) == expected


def test_every_two_weeks_keeps_its_cadence_from_the_anchor():
    s = anchored(Schedule("weekly", "09:00", weekday=0, every_weeks=2, tz="UTC"), at("2026-11-25 12:00"))
    assert s.anchor == "2026-11-30"
    first = next_hand_over(s, at("2026-11-25 12:00"))
    second = next_hand_over(s, first)
    third = next_hand_over(s, second)
    assert [local(d, "UTC")[:14] for d in (first, second, third)] == [
        "Mon 2026-11-30",
        "Mon 2026-12-14",
        "Mon 2026-12-28",
    ]
    # asking from inside the off week still lands on the cadence
    assert local(next_hand_over(s, at("2026-12-02 12:00")), "UTC")[:14] == "Mon 2026-12-14"


def test_manual_has_no_hand_over():
    assert next_hand_over(Schedule("manual"), at("2026-11-25 12:00")) is None


@pytest.mark.parametrize(
    ("schedule", "field"),
    [
        (Schedule("hourly"), "kind"),
        (Schedule("daily", "25:00"), "at"),
        (Schedule("daily", "9am"), "at"),
        (Schedule("daily", "09:00", tz="Mars/Olympus"), "tz"),
        (Schedule("weekly", "09:00", weekday=5, skip_weekends=True), "weekday"),
        (Schedule("weekly", "09:00", every_weeks=0), "every_weeks"),
    ],
)
def test_invalid_schedules_name_the_field(schedule, field):
    with pytest.raises(ScheduleError) as e:
        validate(schedule)
    assert e.value.field == field and str(e.value)


def test_json_round_trip_and_description():
    s = Schedule("weekly", "09:00", weekday=2, every_weeks=3, tz="Europe/Paris", anchor="2026-12-02")
    assert Schedule.from_json(s.to_json()) == s
    assert s.describe() == "Every 3 weeks on Wednesday at 09:00 (Europe/Paris)"
    assert (
        Schedule("daily", "08:15", tz="UTC", skip_weekends=True).describe() == "Every weekday at 08:15 (UTC)"
    )
