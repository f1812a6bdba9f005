"""A rotation's duties over a window, past and ahead, each with an identity that outlives changes.

The past is the rotation's recorded history (duty changes), never recomputed; the present shift and
what follows are its timeline (rotations/timeline.py). They meet where the present shift begins.

A duty's identity (`key`) is the rotation and the minute its piece of the timeline begins, never who
is on duty: a cover for a whole turn changes who holds the same duty (a calendar updates the event),
and the present shift keeps its identity when it becomes history (its recorded change happened at
the minute the timeline had it begin). Pure: the service gathers what it needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from roundrobin.rotations.timeline import (
    AWAY,
    CLOSED,
    COVER,
    FOREVER,
    HOLIDAY,
    PAGERDUTY,
    SWAP,
    TURN,
    Shift,
)

WHYS = (TURN, COVER, SWAP, AWAY, PAGERDUTY)  # the reasons a person is on duty, as the page colours them
# What a recorded change's reason says about why its people went on duty.
_RECORDED = {COVER: COVER, SWAP: SWAP, AWAY: AWAY, PAGERDUTY: PAGERDUTY, CLOSED: CLOSED, HOLIDAY: HOLIDAY}

# A recorded change: (at, who went on duty, why or reason).
Change = tuple[float, tuple[str, ...], str]


@dataclass(frozen=True)
class Duty:
    rotation_id: int
    key: str  # "<rotation>-<minute it began>": stable while the duty lasts, whoever holds it
    start: float  # shown from here (the window's start, when it began before)
    end: float
    people: tuple[str, ...]  # empty: nobody on duty (closed hours, a holiday)
    why: str
    before: tuple[str, ...] = ()  # who was on duty just before, and who comes after
    after: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    past: bool = False


def duties(
    rotation_id: int,
    history: Sequence[Change],
    ahead: Sequence[Shift],
    start: float,
    end: float,
) -> list[Duty]:
    """The duties overlapping [start, end): `history` (sorted, the last change before `start`
    first) up to where `ahead` (the timeline from the present shift's own start) begins."""
    cut = ahead[0].start if ahead else end
    pieces: list[tuple[float, float, tuple[str, ...], str, tuple[str, ...], bool]] = []
    recorded = [c for c in history if c[0] < cut]  # at or after it: the present shift's own change
    for i, (at, people, why) in enumerate(recorded):
        until = recorded[i + 1][0] if i + 1 < len(recorded) else cut
        pieces.append((at, until, people, _RECORDED.get(why, TURN), (), True))
    for shift in ahead:
        pieces.append((shift.start, shift.end, shift.people, shift.why, shift.notes, False))
    found: list[Duty] = []
    keys: set[str] = set()
    for i, (begin, until, people, why, notes, past) in enumerate(pieces):
        if until <= start or begin >= end or until <= begin:
            continue
        key = f"{rotation_id}-{int(begin // 60)}"
        while key in keys:  # two changes in one minute: the second is a duty of its own
            key += "b"
        keys.add(key)
        found.append(
            Duty(
                rotation_id,
                key,
                max(begin, start),
                min(until, end) if until != FOREVER else end,
                people,
                why,
                before=pieces[i - 1][2] if i > 0 else (),
                after=pieces[i + 1][2] if i + 1 < len(pieces) else (),
                notes=notes,
                past=past,
            )
        )
    return found


def of_person(found: Iterable[Duty], person: str) -> list[Duty]:
    return [d for d in found if person in d.people]
