"""When a timed rotation hands over: daily or every N weeks, at a wall-clock time in an IANA zone.

Times are computed on the local calendar and only then turned into instants, so a 09:00 hand-over
stays at 09:00 across daylight-saving changes. A hand-over at a time the clocks skip (02:30 on the
spring-forward night) happens when the wall clock reaches the same distance past the gap (03:30);
one at a time the clocks repeat (01:30 on the fall-back night) happens the first time round.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

KINDS = ("manual", "daily", "weekly")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class ScheduleError(ValueError):
    """A schedule that cannot work; the message says what to change."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Schedule:
    kind: str = "manual"
    at: str = "09:00"  # HH:MM, wall clock in `tz`
    weekday: int = 0  # 0 = Monday, for weekly
    every_weeks: int = 1
    tz: str = "UTC"
    skip_weekends: bool = False
    anchor: str | None = None  # ISO date of one hand-over day: fixes which weeks count for "every N weeks"

    @property
    def timed(self) -> bool:
        return self.kind != "manual"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> Schedule:
        data = json.loads(text or "{}")
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def describe(self) -> str:
        if self.kind == "daily":
            days = "weekday" if self.skip_weekends else "day"
            return f"Every {days} at {self.at} ({self.tz})"
        if self.kind == "weekly":
            every = "Every" if self.every_weeks == 1 else f"Every {self.every_weeks} weeks on"
            return f"{every} {WEEKDAYS[self.weekday]} at {self.at} ({self.tz})"
        return "Manual"


def validate(schedule: Schedule) -> Schedule:
    """Check every field; raises ScheduleError naming the field."""
    if schedule.kind not in KINDS:
        raise ScheduleError("kind", "Choose Manual, Daily or Weekly.")
    if not schedule.timed:
        return schedule
    _parse_time(schedule.at)
    zone(schedule.tz)
    if schedule.kind == "weekly":
        if not 0 <= schedule.weekday <= 6:
            raise ScheduleError("weekday", "Choose a day of the week.")
        if not 1 <= schedule.every_weeks <= 52:
            raise ScheduleError("every_weeks", "Enter a number of weeks from 1 to 52.")
        if schedule.skip_weekends and schedule.weekday >= 5:
            raise ScheduleError(
                "weekday", "A weekly hand-over on a weekend cannot skip weekends: choose a weekday."
            )
    return schedule


def zone(name: str) -> ZoneInfo:
    try:
        if name not in zone_names():
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            "tz", f"“{name}” is not an IANA time zone (like Europe/London or America/New_York)."
        ) from None


# Names in the zone database that are not places: a person never means these.
_NOT_ZONES = {"localtime", "Factory", "posixrules"}


def zone_names() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = {
            z for z in available_timezones() if z not in _NOT_ZONES and not z.startswith(("posix/", "right/"))
        } | {"UTC"}
    return _ZONES


_ZONES: set[str] | None = None


_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])", re.ASCII)


def normalise_time(text: str) -> str:
    """ " 9:00" → "09:00"; anything that is not a clock time is returned as it was (and refused)."""
    found = _TIME.fullmatch(text.strip())
    return f"{int(found[1]):02d}:{found[2]}" if found else text


@functools.lru_cache(maxsize=1024)
def _parse_time(text: str) -> time:
    found = _TIME.fullmatch(text)
    if not found:
        raise ScheduleError("at", "Enter a time as HH:MM, like 09:00.")
    return time(int(found[1]), int(found[2]))


def anchored(schedule: Schedule, now: datetime) -> Schedule:
    """Fix the schedule's anchor to its first hand-over day after `now` (for every-N-weeks)."""
    if schedule.kind != "weekly":
        return replace(schedule, anchor=None)
    local = now.astimezone(zone(schedule.tz)).date()
    first = local + timedelta(days=(schedule.weekday - local.weekday()) % 7)
    if _instant(schedule, first) <= now:
        first += timedelta(days=7)
    return replace(schedule, anchor=first.isoformat())


def next_hand_over(schedule: Schedule, after: datetime) -> datetime | None:
    """The first hand-over strictly after `after` (an aware datetime), in UTC; None for manual."""
    return next(hand_overs(schedule, after), None)


def hand_overs(schedule: Schedule, after: datetime) -> Iterator[datetime]:
    """Every hand-over strictly after `after`, in order, in UTC (none for manual): one step a day
    or a cadence, so a timeline of many turns never searches from scratch for each."""
    if not schedule.timed:
        return
    day = after.astimezone(zone(schedule.tz)).date() - timedelta(days=1)
    if schedule.kind == "daily":
        while True:
            day += timedelta(days=1)
            if schedule.skip_weekends and day.weekday() >= 5:
                continue
            instant = _instant(schedule, day)
            if instant > after:
                yield instant
    anchor = date.fromisoformat(schedule.anchor) if schedule.anchor else None
    step = 7 * schedule.every_weeks
    day += timedelta(days=(schedule.weekday - day.weekday()) % 7)
    if anchor is not None:
        # Move onto the anchor's cadence: a whole number of N-week steps away from it.
        offset = (day - anchor).days % step
        if offset:
            day += timedelta(days=step - offset)
    while True:
        instant = _instant(schedule, day)
        if instant > after:
            yield instant
        day += timedelta(days=step)


def _instant(schedule: Schedule, day: date) -> datetime:
    wall = datetime.combine(day, _parse_time(schedule.at), tzinfo=zone(schedule.tz))
    # Round-trip through UTC: normalises a wall time inside a DST gap to the instant after it.
    return wall.astimezone(UTC)
