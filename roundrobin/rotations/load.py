"""On-call load: who carried how much of a rotation's duty over a past period, from its history.

Pure rules, no database: the recorded duty changes (`duty.changed`, oldest first, with the last one
before the period so its start is known) become stints of duty per person, clipped to the period;
each stint's hours are split by the person's own wall clock — nights (22:00–07:00) and weekends or
public holidays (the rotation's holidays, where it has them). The two overlap: a Saturday night
counts in both. Hours are real elapsed time, so a night across a DST change is an hour shorter or
longer, as it was for whoever was on duty.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

HOUR = 3600.0
NIGHT_START, NIGHT_END = time(22, 0), time(7, 0)
PERIODS = (30, 90)  # the days a report looks back over
BAR_WIDTH = 10

HolidayTest = Callable[[date], bool]


def never(day: date) -> bool:
    """No day is a holiday (a rotation without holidays)."""
    return False


@dataclass(frozen=True)
class Change:
    """A recorded duty change: from `at`, these people are on duty."""

    at: float
    people: tuple[str, ...]


@dataclass(frozen=True)
class Stint:
    """One person on duty without a break, within the period; `came` when their duty began in it
    (a hand-over to them), not when it merely carried on from before the period."""

    person: str
    start: float
    end: float
    came: bool


@dataclass(frozen=True)
class Split:
    """Hours on duty, and of them: at night and on weekends or public holidays."""

    hours: float = 0.0
    night: float = 0.0
    weekend: float = 0.0

    def __add__(self, other: Split) -> Split:
        return Split(self.hours + other.hours, self.night + other.night, self.weekend + other.weekend)


@dataclass(frozen=True)
class PersonLoad:
    person: str
    split: Split = field(default_factory=Split)
    hand_overs: int = 0  # times they came on duty in the period
    covers_given: int = 0  # shifts (or parts) they covered for someone else
    covers_taken: int = 0  # times someone covered them
    answered: int = 0  # @Round Robin requests they answered


@dataclass(frozen=True)
class RotationLoad:
    rotation_id: int
    name: str
    code: str
    people: tuple[PersonLoad, ...]  # most hours first

    @property
    def total(self) -> Split:
        return sum((p.split for p in self.people), Split())


@dataclass(frozen=True)
class LoadPage:
    """One page of the report: rotations by name, each with its people's load."""

    days: int
    start: float
    end: float
    rotations: tuple[RotationLoad, ...]
    names: dict[str, str]  # Slack user id → name, from the cached directory
    page: int = 0
    pages: int = 1


def stints(changes: Sequence[Change], start: float, end: float) -> list[Stint]:
    """Each person's unbroken duty within [start, end), from the changes oldest first (the last one
    before `start` included). A change that keeps someone on duty does not break their stint."""
    open_since: dict[str, tuple[float, bool]] = {}
    found: list[Stint] = []
    for change in sorted(changes, key=lambda c: c.at):
        if change.at >= end:
            break
        at = max(change.at, start)
        for person in [p for p in open_since if p not in change.people]:
            since, came = open_since.pop(person)
            if at > since:
                found.append(Stint(person, since, at, came))
        for person in change.people:
            if person not in open_since:
                open_since[person] = (at, change.at >= start)
    for person, (since, came) in open_since.items():
        if end > since:
            found.append(Stint(person, since, end, came))
    return sorted(found, key=lambda s: (s.start, s.person))


def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """The person's Slack time zone; the fallback (the rotation's) when it is unknown or bad."""
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def split(start: float, end: float, tz: ZoneInfo, holiday: HolidayTest = never) -> Split:
    """[start, end) in hours, with those at night and on weekends or holidays in `tz`'s wall clock.

    Day by local day: each day's midnight, 07:00, 22:00 and next midnight are real instants (so a
    day the clocks change is 23 or 25 hours long), and the stint's overlap with them is measured."""
    if end <= start:
        return Split()
    night = weekend = 0.0
    day = datetime.fromtimestamp(start, tz).date()
    last = datetime.fromtimestamp(end, tz).date()
    while day <= last:
        midnight, morning, evening, next_midnight = _marks(tz, day)
        night += _overlap(start, end, midnight, morning) + _overlap(start, end, evening, next_midnight)
        if day.weekday() >= 5 or holiday(day):
            weekend += _overlap(start, end, midnight, next_midnight)
        day += timedelta(days=1)
    return Split((end - start) / HOUR, night / HOUR, weekend / HOUR)


def _overlap(start: float, end: float, a: float, b: float) -> float:
    return max(0.0, min(end, b) - max(start, a))


@functools.lru_cache(maxsize=65536)
def _marks(tz: ZoneInfo, day: date) -> tuple[float, float, float, float]:
    """A local day's midnight, 07:00, 22:00 and the next midnight, as Unix times."""
    return (
        datetime.combine(day, time(0, 0), tz).timestamp(),
        datetime.combine(day, NIGHT_END, tz).timestamp(),
        datetime.combine(day, NIGHT_START, tz).timestamp(),
        datetime.combine(day + timedelta(days=1), time(0, 0), tz).timestamp(),
    )


@dataclass(frozen=True)
class Counts:
    """What the history says besides duty itself, per person: covers and answered requests."""

    covers_given: dict[str, int] = field(default_factory=dict)
    covers_taken: dict[str, int] = field(default_factory=dict)
    answered: dict[str, int] = field(default_factory=dict)


def rotation_load(
    rotation_id: int,
    name: str,
    code: str,
    runs: Sequence[Stint],
    zones: Callable[[str], ZoneInfo],
    holiday: HolidayTest = never,
    counts: Counts | None = None,
    members: Iterable[str] = (),
) -> RotationLoad:
    """One rotation's load per person: everyone who was on duty, who covered or answered, and its
    members (a member with nothing is shown too: fairness is about who did not carry it as well)."""
    counts = counts or Counts()
    people: dict[str, PersonLoad] = {}

    def of(person: str) -> PersonLoad:
        if person not in people:
            people[person] = PersonLoad(person)
        return people[person]

    for member in members:
        of(member)
    # Summed first, then set once per person: a report holds tens of thousands of stints.
    totals: dict[str, tuple[Split, int]] = {}
    for run in runs:
        total, came = totals.get(run.person, (Split(), 0))
        totals[run.person] = (total + split(run.start, run.end, zones(run.person), holiday), came + run.came)
    for person, (total, came) in totals.items():
        current = of(person)
        people[person] = replace(current, split=current.split + total, hand_overs=current.hand_overs + came)
    for person, n in counts.covers_given.items():
        people[person] = replace(of(person), covers_given=n)
    for person, n in counts.covers_taken.items():
        people[person] = replace(of(person), covers_taken=n)
    for person, n in counts.answered.items():
        people[person] = replace(of(person), answered=n)
    ordered = sorted(people.values(), key=lambda p: (-p.split.hours, p.person))
    return RotationLoad(rotation_id, name, code, tuple(ordered))


def least_loaded(candidates: Sequence[str], hours: dict[str, float]) -> list[str]:
    """`candidates` with the fewest hours on duty first; ties keep their order (the turn order)."""
    place = {p: i for i, p in enumerate(candidates)}
    return sorted(candidates, key=lambda p: (hours.get(p, 0.0), place[p]))


def bar(value: float, most: float, width: int = BAR_WIDTH) -> str:
    """A text bar for a table Block Kit cannot draw: `value` of `most`, in `width` cells."""
    if most <= 0 or value <= 0:
        return "░" * width
    filled = max(1, round(width * min(value, most) / most))
    return "█" * filled + "░" * (width - filled)


CSV_HEADER = (
    "rotation",
    "code",
    "person",
    "name",
    "hours",
    "night_hours",
    "weekend_holiday_hours",
    "hand_overs",
    "covers_given",
    "covers_taken",
    "requests_answered",
)


def to_csv(report: Sequence[RotationLoad], names: dict[str, str]) -> str:
    """The report as CSV, one row per rotation and person; hours to one decimal. Cells a
    spreadsheet would run as a formula (=, +, -, @) are quoted with a leading apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for rotation in report:
        for p in rotation.people:
            writer.writerow(
                [
                    _cell(rotation.name),
                    _cell(rotation.code),
                    p.person,
                    _cell(names.get(p.person, p.person)),
                    f"{p.split.hours:.1f}",
                    f"{p.split.night:.1f}",
                    f"{p.split.weekend:.1f}",
                    p.hand_overs,
                    p.covers_given,
                    p.covers_taken,
                    p.answered,
                ]
            )
    return out.getvalue()


def _cell(text: str) -> str:
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
