"""Hand-off notes, checked and kept (rotations/handoff.py has the rules and the messages).

Only whoever goes off duty at a hand-over writes its note: before it, a person on duty now whom the
planned hand-over takes off duty; after it (up to WRITE_AFTER), a person the recorded hand-over took
off duty. The note, its history line and its messages (a DM to whoever takes over, a reply in each
channel's hand-over thread) are written in one transaction; the delivery worker sends them once
the hand-over has happened.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from roundrobin.db import Database
from roundrobin.rotations import handoff
from roundrobin.rotations.announcement import Words
from roundrobin.rotations.errors import AlreadyChanged, NotAllowed
from roundrobin.rotations.model import Rotation, next_up_people
from roundrobin.signals import Signals
from roundrobin.store import events, outbox
from roundrobin.store import handoff as store
from roundrobin.store import rotations as rotation_store

log = logging.getLogger("roundrobin.rotations")
SAME_MOMENT = 1.0  # a hand-over time read back from a payload matches within a second


@dataclass(frozen=True)
class Shift:
    """The shift a note closes: the rotation, who wrote it, when the shift began and ends, and who takes over."""

    rotation: Rotation
    author: str
    start: float
    hand_over: float
    incoming: tuple[str, ...]


class HandoffNotes:
    def __init__(self, db: Database, signals: Signals, clock: Callable[[], float] = time.time):
        self._db = db
        self._signals = signals
        self._clock = clock

    async def shift(self, rotation_id: int, person: str, hand_over: float) -> Shift:
        """The shift `person` hands over at `hand_over`, when they may write its note; else NotAllowed."""
        rotation = await rotation_store.get(self._db, rotation_id)
        if rotation is None:
            raise NotAllowed("That rotation no longer exists.")
        now = self._clock()
        if now > hand_over + handoff.WRITE_AFTER:
            raise NotAllowed("That hand-over was more than two hours ago: its note can no longer be written.")
        if await store.written(self._db, rotation.id, person, hand_over):
            raise AlreadyChanged("You already wrote the note for that hand-over.")
        changes = await store.duty_changes_before(self._db, rotation.id, max(now, hand_over) + 1)
        if now < hand_over:
            planned = handoff.planned_hand_over(rotation)
            if (
                planned is None
                or abs(planned - hand_over) > SAME_MOMENT
                or person not in handoff.outgoing(rotation)
            ):
                raise NotAllowed(
                    f"You no longer go off duty for {rotation.code} at that hand-over, so there is no note to write."
                )
            incoming = next_up_people(rotation)
        else:
            took = next(
                (
                    (after, at)
                    for at, before, after in changes
                    if hand_over - 60 <= at and person in before and person not in after
                ),
                None,
            )
            if took is None:
                raise NotAllowed(f"That hand-over of {rotation.code} did not take you off duty.")
            incoming = took[0]
        start = _shift_start(changes, person, hand_over)
        return Shift(rotation, person, start, hand_over, incoming)

    async def summary(self, shift: Shift) -> handoff.Summary:
        """The shift's @Round Robin requests so far."""
        end = min(self._clock(), shift.hand_over)
        return handoff.summarise(await store.requests_between(self._db, shift.rotation.id, shift.start, end))

    async def write(self, rotation_id: int, person: str, hand_over: float, text: str) -> Shift:
        """Keep the note and plan its messages. Nothing written: NotAllowed, and nothing is sent."""
        text = text.strip()
        if not text:
            raise NotAllowed(
                "Write something to hand over, or close this form: nothing is sent without a note."
            )
        if len(text) > handoff.NOTE_LIMIT:
            raise NotAllowed(f"A hand-off note holds up to {handoff.NOTE_LIMIT:,} characters.")
        shift = await self.shift(rotation_id, person, hand_over)
        now = self._clock()
        rotation = shift.rotation
        summary = await self.summary(shift)
        async with self._db.transaction():
            try:
                note_id = await store.insert(
                    self._db, rotation.id, person, hand_over, shift.incoming, text, summary.to_json(), now
                )
            except store.AlreadyWritten:
                raise AlreadyChanged("You already wrote the note for that hand-over.") from None
            await events.record(
                self._db,
                "handoff.note",
                now,
                person,
                rotation.id,
                note=text,
                hand_over=hand_over,
                incoming=list(shift.incoming),
            )
            body = handoff.Note(note_id, person, text, hand_over, shift.incoming, summary, Words.of(rotation))
            due = max(now, hand_over + handoff.SEND_AFTER)
            for target in (*shift.incoming, *rotation.channels):
                await outbox.enqueue(
                    self._db,
                    handoff.NOTE,
                    rotation.id,
                    target,
                    body.to_json(),
                    now,
                    ref=f"note:{note_id}",
                    due_at=due,
                )
        log.info("hand-off note written", extra={"rotation": rotation.code, "to": len(shift.incoming)})
        self._signals.effects.ring()
        return shift


def _shift_start(
    changes: list[tuple[float, tuple[str, ...], tuple[str, ...]]], person: str, hand_over: float
) -> float:
    """When `person`'s duty before `hand_over` began, from the changes newest first (a week back at most)."""
    start = hand_over - 7 * 86400
    for at, before, after in changes:
        if at >= hand_over:
            continue
        if person in after and person not in before:
            return max(start, at)
        if person not in after:
            break
    return start
