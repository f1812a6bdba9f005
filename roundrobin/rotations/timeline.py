"""A rotation's timeline: who is on duty at any time, and why.

The timeline is computed, never edited by hand, from layers, bottom to top:

1. **Turns**: the turn order projected by the rotation's rules (its schedule, its duty size, holidays
   on which nobody hands over), starting from the turn stored now; or, for a rotation that follows
   PagerDuty, PagerDuty's own shifts. A manual rotation without a schedule has one open-ended turn.
   Someone away, or skipped, for a projected turn is passed over and the next in turn takes it.
2. **Time away** inside a turn already handed out (the person on duty goes away): the next in turn
   who is free covers them for the rest of it.
3. **Overrides**: covers (Y instead of X in [a, b); a swap is two covers). Where two overlap, the
   later one wins, and the shift says so.
4. **Masks**: outside working hours nobody is on duty (or the fallback person); on a holiday, if the
   rotation chooses, nobody.

`shifts(plan, a, b)` answers "the shifts in [a, b)" and `at(plan, t)` "who is on duty at t"; the
duty service, the scheduler's wake-up, the card, `/rr who`, Details and the announcements all ask
these. Everything here is pure: the plan carries what the store knows.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from roundrobin.rotations.model import LEFT_GROUP, Rotation, WorkingHours
from roundrobin.rotations.schedule import hand_overs, zone

# Why someone is on duty (or nobody is).
TURN = "turn"
PAGERDUTY = "pagerduty"
COVER = "cover"
SWAP = "swap"
AWAY = "away"
CLOSED = "closed"  # outside working hours
HOLIDAY = "holiday"

FOREVER = math.inf
HORIZON = 8 * 86400.0  # how far ahead the next change is looked for


@dataclass(frozen=True)
class Override:
    """A stored change to the timeline, by a person: `cover` puts `person_in` on duty instead of
    `person_out` in [start, end) (`why` says whether it came from a swap); `skip` passes
    `person_out` over for the turn that starts at `start`."""

    id: int
    kind: str  # cover | skip
    person_out: str
    start: float
    end: float
    person_in: str | None = None
    created_at: float = 0.0
    why: str = COVER  # cover | swap
    note: str = ""


@dataclass(frozen=True)
class Away:
    """A person's time away, in [start, end)."""

    person: str
    start: float
    end: float
    note: str = ""


@dataclass(frozen=True)
class Shift:
    start: float
    end: float  # FOREVER: open-ended
    people: tuple[str, ...]
    why: str = TURN
    turn: tuple[str, ...] = ()  # who the turn order has then (before covers and masks)
    notes: tuple[str, ...] = ()
    passed_over: tuple[tuple[str, str], ...] = ()  # (person, why) passed over for this turn

    def piece(
        self, start: float, end: float, people: tuple[str, ...] | None = None, why: str | None = None
    ) -> Shift:
        """Part of this shift (`dataclasses.replace` without its cost: tens of thousands a timeline)."""
        return Shift(
            start,
            end,
            self.people if people is None else people,
            self.why if why is None else why,
            self.turn,
            self.notes,
            self.passed_over,
        )


@dataclass(frozen=True)
class Plan:
    """Everything the timeline of one rotation depends on."""

    rotation: Rotation
    now: float
    overrides: tuple[Override, ...] = ()
    away: tuple[Away, ...] = ()
    holiday: Callable[[date], bool] | None = None  # is this local date a holiday?
    holiday_mode: str = "stay"  # stay: nobody hands over that day; nobody: nobody is on duty
    working_hours: WorkingHours | None = None
    pagerduty: tuple[Shift, ...] = ()  # a bound rotation's shifts, as PagerDuty has them
    away_lookup: Mapping[str, tuple[Away, ...]] = field(default_factory=dict)
    # Person → why their Slack status passes them over for a turn that starts now (a present-time
    # signal: never applied to turns projected ahead; see rotations/status.py).
    status: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, rotation: Rotation, now: float, **parts: Any) -> Plan:
        plan = cls(rotation, now, **parts)
        by_person: dict[str, list[Away]] = {}
        for period in plan.away:
            by_person.setdefault(period.person, []).append(period)
        return replace(plan, away_lookup={p: tuple(v) for p, v in by_person.items()})


# --- the questions ---------------------------------------------------------------------------


def shifts(plan: Plan, start: float, end: float) -> list[Shift]:
    """The shifts in [start, end), with who is on duty in each and why (the present shift begins
    when the stored duty began; the past before it is the rotation's history, not computed here)."""
    clipped = []
    for shift in _layered(plan, end):
        if shift.end <= start or shift.start >= end:
            continue
        if shift.start < start or shift.end > end:
            shift = replace(shift, start=max(shift.start, start), end=min(shift.end, end))
        clipped.append(shift)
    return clipped


def at(plan: Plan, t: float) -> Shift:
    """The shift at instant t (at or after the present shift's start), whole: from its own start
    to its own end."""
    found = [s for s in _layered(plan, t + 1) if s.start <= t < s.end]
    if found:
        return found[0]
    rotation = plan.rotation
    return Shift(t, FOREVER, rotation.on_duty, TURN, rotation.on_duty)


def next_change(plan: Plan, after: float, horizon: float = HORIZON) -> Shift | None:
    """The first shift after `after` whose people differ from those on duty at `after`."""
    now = at(plan, after)
    for shift in shifts(plan, after, after + horizon):
        if shift.start > after and shift.people != now.people:
            return shift
    return None


def _layered(plan: Plan, until: float) -> list[Shift]:
    """Every layer, merged, from the present shift's start until at least `until`, unclipped."""
    layered = _masked(plan, _covered(plan, _away_covered(plan, _turns(plan, until))))
    return _merged([s if len(set(s.people)) == len(s.people) else _unique(s) for s in layered])


def _unique(shift: Shift) -> Shift:
    """Someone a cover put on twice (covering a person beside them) is on duty once."""
    return replace(shift, people=tuple(dict.fromkeys(shift.people)))


# --- layer 1: turns ----------------------------------------------------------------------------


def _turns(plan: Plan, until: float) -> list[Shift]:
    rotation = plan.rotation
    since = rotation.turn_since if rotation.turn_since is not None else rotation.on_duty_since
    start = since if since is not None else plan.now
    current = rotation.turn_people or rotation.on_duty
    if rotation.bound:
        return _pagerduty_turns(plan, start, until)
    if not rotation.schedule.timed or rotation.next_hand_over_at is None:
        return [Shift(start, FOREVER, current, TURN, current)]
    found = []
    boundary = rotation.next_hand_over_at
    found.append(Shift(start, boundary, current, TURN, current))
    people = current
    following_ones = _boundaries(plan, boundary)
    while boundary < until and len(found) < 10_000:
        following = next(following_ones, FOREVER)
        people, passed = advance(plan, people, boundary, following)
        found.append(Shift(boundary, following, people, TURN, people, passed_over=passed))
        boundary = following
    return found


def next_boundary(plan: Plan, after: float) -> float:
    """The schedule's next hand-over after `after`, past days when nobody hands over (holidays)."""
    return next(_boundaries(plan, after), FOREVER)


def last_boundary(plan: Plan, since: float, now: float) -> float:
    """The last of the schedule's hand-overs from `since` (one of them) up to `now`: where a turn
    that came due while nobody looked began (a long outage steps through them once, in order)."""
    began = since
    for later in _boundaries(plan, since):
        if later > now:
            break
        began = later
    return began


def _boundaries(plan: Plan, after: float) -> Iterator[float]:
    """The schedule's hand-overs after `after`, in order, past days when nobody hands over; it
    stops after 400 of those in a row (a holiday calendar that never ends)."""
    stay = plan.holiday if plan.holiday_mode == "stay" else None
    skipped = 0
    for found in hand_overs(plan.rotation.schedule, datetime.fromtimestamp(after, UTC)):
        if stay is not None and stay(_local_date(plan, found)):
            skipped += 1
            if skipped >= 400:
                return
            continue
        skipped = 0
        yield found.timestamp()


def advance(
    plan: Plan, previous: tuple[str, ...], start: float, end: float
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Who takes the turn [start, end) after `previous`: the next people in turn who are free for
    all of it (duty size of them), and who was passed over, and why. Nobody free: `previous` stays."""
    rotation = plan.rotation
    members = rotation.members
    if not members:
        return previous, ()
    size = max(1, min(rotation.duty_size, len(members)))
    places = _places(members)
    last = max((places[p] for p in previous if p in places), default=-1)
    order = [members[(last + step) % len(members)] for step in range(1, len(members) + 1)]
    passed: list[tuple[str, str]] = []
    free: list[str] = []
    enough = size if rotation.hand_over_all or size == 1 else len(order)
    for person in order:
        why = unavailable(plan, person, start, end)
        if why:
            if person not in (p for p, _ in passed):
                passed.append((person, why))
            continue
        free.append(person)
        if len(free) == enough:
            break  # nobody after them is chosen, nor passed over on the way
    if not free:
        return previous, tuple(passed)
    if rotation.hand_over_all or size == 1:
        chosen = tuple(free[:size])
    else:  # one at a time: the longest on duty leaves, the next free joins
        staying = [p for p in previous[1:] if p in free]
        joining = [p for p in free if p not in staying]
        chosen = tuple([*staying, *joining][:size])
    passed = [(p, why) for p, why in passed if p not in chosen and _before_chosen(order, p, chosen)]
    return chosen, tuple(passed)


@functools.lru_cache(maxsize=4096)
def _places(members: tuple[str, ...]) -> dict[str, int]:
    """Each member's place in the turn order (the first of a repeated one)."""
    places: dict[str, int] = {}
    for i, person in enumerate(members):
        places.setdefault(person, i)
    return places


def _before_chosen(order: list[str], person: str, chosen: tuple[str, ...]) -> bool:
    """Whether the turn order reached `person` before the last one chosen (only they were passed over)."""
    last = max((order.index(p) for p in chosen if p in order), default=-1)
    return order.index(person) < last


def unavailable(plan: Plan, person: str, start: float, end: float) -> str | None:
    """Why a person cannot take the turn [start, end): they left Slack, are away for any of it,
    their turn starting then was skipped, or (for a turn starting now) their Slack status says they
    are away. None: they can."""
    rotation = plan.rotation
    if not rotation.can_serve(person):
        return rotation.unavailable.get(person, "left")
    if rotation.member_source and person in rotation.member_source.leaving:
        return LEFT_GROUP  # out of the group the members follow: no new turn, ever
    for period in plan.away_lookup.get(person, ()):
        if period.start < end and period.end > start:
            return AWAY
    for override in plan.overrides:
        if override.kind == "skip" and override.person_out == person and abs(override.start - start) < 1:
            return "skipped"
    if person in plan.status and start <= plan.now:
        return plan.status[person]
    return None


def _pagerduty_turns(plan: Plan, start: float, until: float) -> list[Shift]:
    """PagerDuty's shifts as its turns: now as stored, then the week it planned."""
    rotation = plan.rotation
    first_change = next((s.start for s in plan.pagerduty if s.start > plan.now), FOREVER)
    found = [Shift(start, first_change, rotation.on_duty, PAGERDUTY, rotation.on_duty)]
    for shift in plan.pagerduty:
        if shift.start >= first_change and shift.start < until:
            found.append(replace(shift, why=PAGERDUTY, turn=shift.people))
    found.sort(key=lambda s: s.start)
    for i in range(len(found) - 1):
        found[i] = replace(found[i], end=min(found[i].end, found[i + 1].start))
    return found


# --- layer 2: time away inside a turn already handed out -------------------------------------------


def _away_covered(plan: Plan, turns: list[Shift]) -> list[Shift]:
    """Someone on duty who goes away is covered, for the rest of it, by the next in turn who is free."""
    if plan.rotation.bound or not plan.away_lookup:
        return turns
    found = []
    for shift in turns:
        pieces = [shift]
        for person in shift.people:
            for period in plan.away_lookup.get(person, ()):
                pieces = [
                    piece
                    for p in pieces
                    for piece in _replace_in(p, person, period.start, period.end, plan, AWAY)
                ]
        found += pieces
    return found


def _replace_in(shift: Shift, person: str, start: float, end: float, plan: Plan, why: str) -> list[Shift]:
    """`shift` with `person` replaced, in [start, end), by the next in turn who is free then."""
    if person not in shift.people or end <= shift.start or start >= shift.end:
        return [shift]
    lo, hi = max(start, shift.start), min(end, shift.end)
    stand_in, _ = advance(plan, (person,), lo, hi)
    stand_in = tuple(p for p in stand_in if p not in shift.people)[:1]
    if not stand_in:
        return [replace(shift, notes=(*shift.notes, f"nobody free to stand in for {person}"))]
    people = tuple(stand_in[0] if p == person else p for p in shift.people)
    middle = replace(
        shift, start=lo, end=hi, people=people, why=why, notes=(*shift.notes, f"{person} is away")
    )
    return [
        *([replace(shift, end=lo)] if lo > shift.start else []),
        middle,
        *([replace(shift, start=hi)] if hi < shift.end else []),
    ]


# --- layer 3: covers and swaps ----------------------------------------------------------------------


def _covered(plan: Plan, shifts_: list[Shift]) -> list[Shift]:
    covers = sorted((o for o in plan.overrides if o.kind == "cover"), key=lambda o: (o.created_at, o.id))
    if plan.rotation.bound or not covers:
        return shifts_
    found = shifts_
    for cover in covers:  # later covers are applied last: where two overlap, the later wins
        # Only the shifts it overlaps change (found in order by start): the rest are kept as they are.
        starts = [s.start for s in found]
        first = max(0, bisect.bisect_right(starts, cover.start) - 1)
        last = bisect.bisect_left(starts, cover.end, lo=first)
        touched = [piece for shift in found[first:last] for piece in _cover(shift, cover)]
        found = [*found[:first], *touched, *found[last:]]
    return found


def _cover(shift: Shift, cover: Override) -> list[Shift]:
    """`cover.person_in` in the place the turn order gives `cover.person_out`, in [start, end)."""
    lo, hi = max(cover.start, shift.start), min(cover.end, shift.end)
    if cover.person_in is None or lo >= hi or cover.person_out not in shift.turn:
        return [shift]
    place = shift.turn.index(cover.person_out)
    if place >= len(shift.people):
        return [shift]
    before = shift.people[place]
    people = (*shift.people[:place], cover.person_in, *shift.people[place + 1 :])
    notes = [f"{cover.person_in} covers {cover.person_out}"]
    if before != cover.person_out:
        notes.append(f"a later cover wins: {cover.person_in} instead of {before}")
    middle = replace(shift, start=lo, end=hi, people=people, why=cover.why, notes=(*shift.notes, *notes))
    return [
        *([replace(shift, end=lo)] if lo > shift.start else []),
        middle,
        *([replace(shift, start=hi)] if hi < shift.end else []),
    ]


# --- layer 4: working hours and holidays -------------------------------------------------------------


def _masked(plan: Plan, shifts_: list[Shift]) -> list[Shift]:
    found = shifts_
    if plan.working_hours is not None and found:
        # The open windows of the whole span, once: each shift then takes the ones it overlaps.
        start, end = found[0].start, _finite_end(plan, found[-1])
        windows = _open_windows(plan, min(s.start for s in found), max(end, start))
        opens = [open_at for open_at, _ in windows]
        found = [piece for shift in found for piece in _working(plan, shift, windows, opens)]
    if plan.holiday is not None and plan.holiday_mode == "nobody":
        found = [piece for shift in found for piece in _holidays(plan, shift)]
    return found


def _finite_end(plan: Plan, shift: Shift) -> float:
    return shift.end if shift.end != FOREVER else max(shift.start, plan.now) + HORIZON * 2


def _working(plan: Plan, shift: Shift, windows: list[tuple[float, float]], opens: list[float]) -> list[Shift]:
    """Split a shift by working hours (`windows`: the open ones, in order; `opens`: their
    openings): outside them, the fallback person or nobody."""
    hours = plan.working_hours
    assert hours is not None
    closed = (hours.fallback,) if hours.fallback else ()
    pieces: list[Shift] = []
    cursor = shift.start
    end = _finite_end(plan, shift)
    first = max(0, bisect.bisect_right(opens, cursor) - 1)
    last = bisect.bisect_left(opens, end)
    for open_at, close_at in windows[first:last]:
        if close_at <= cursor:
            continue
        if open_at > cursor:
            pieces.append(shift.piece(cursor, open_at, closed, CLOSED))
        pieces.append(shift.piece(max(open_at, cursor), min(close_at, end)))
        cursor = min(close_at, end)
    if cursor < end:
        pieces.append(shift.piece(cursor, end, closed, CLOSED))
    if shift.end == FOREVER and pieces:
        pieces[-1] = replace(pieces[-1], end=FOREVER) if pieces[-1].why != CLOSED else pieces[-1]
        if pieces[-1].end != FOREVER:
            pieces.append(replace(shift, start=pieces[-1].end, end=FOREVER, people=closed, why=CLOSED))
    return [p for p in pieces if p.end > p.start]


def _open_windows(plan: Plan, start: float, end: float) -> list[tuple[float, float]]:
    hours = plan.working_hours
    assert hours is not None
    tz = zone(plan.rotation.schedule.tz)
    day = datetime.fromtimestamp(start, tz).date() - timedelta(days=1)
    last = datetime.fromtimestamp(end, tz).date() + timedelta(days=1)
    opening, closing = _clock(hours.start), _clock(hours.end)
    found = []
    while day <= last:
        if day.weekday() in hours.days:
            open_at = datetime.combine(day, opening, tz).astimezone(UTC).timestamp()
            close_day = day if closing > opening else day + timedelta(days=1)
            close_at = datetime.combine(close_day, closing, tz).astimezone(UTC).timestamp()
            if close_at > start and open_at < end:
                found.append((open_at, close_at))
        day += timedelta(days=1)
    return found


def _holidays(plan: Plan, shift: Shift) -> list[Shift]:
    """Nobody on duty on a holiday (local midnight to midnight), when the rotation chooses so."""
    assert plan.holiday is not None
    tz = zone(plan.rotation.schedule.tz)
    end = shift.end if shift.end != FOREVER else max(shift.start, plan.now) + HORIZON * 2
    pieces: list[Shift] = []
    cursor = shift.start
    day = datetime.fromtimestamp(shift.start, tz).date()
    while cursor < end:
        next_midnight = datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC).timestamp()
        piece_end = min(next_midnight, end)
        if plan.holiday(day):
            pieces.append(replace(shift, start=cursor, end=piece_end, people=(), why=HOLIDAY))
        else:
            pieces.append(replace(shift, start=cursor, end=piece_end))
        cursor, day = piece_end, day + timedelta(days=1)
    if shift.end == FOREVER and pieces and pieces[-1].why != HOLIDAY:
        pieces[-1] = replace(pieces[-1], end=FOREVER)
    return pieces


# --- helpers -----------------------------------------------------------------------------------------


def _merged(shifts_: list[Shift]) -> list[Shift]:
    """Neighbours with the same people for the same reason are one shift."""
    found: list[Shift] = []
    for shift in sorted(shifts_, key=lambda s: s.start):
        if shift.end <= shift.start:
            continue
        last = found[-1] if found else None
        if last and last.end == shift.start and last.people == shift.people and last.why == shift.why:
            found[-1] = replace(last, end=shift.end, notes=tuple(dict.fromkeys((*last.notes, *shift.notes))))
        else:
            found.append(shift)
    return found


def _local_date(plan: Plan, moment: datetime) -> date:
    return moment.astimezone(zone(plan.rotation.schedule.tz)).date()


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))
