"""People's time away: set in the App Home, it passes them over in every manual rotation they are in
(the turns it touches go to the next person free), and covers them if it starts while on duty."""

from __future__ import annotations

from roundrobin.rotations.changes import Changes
from roundrobin.rotations.errors import NotAllowed
from roundrobin.rotations.model import DutyChange
from roundrobin.rotations.timeline import Away
from roundrobin.store import away as store
from roundrobin.store import rotations as rotation_store
from roundrobin.text import clean_text

MAX_AHEAD = 366 * 86400.0
MAX_PERIODS = 50


class AwayService(Changes):
    async def of(self, person: str) -> list[tuple[int, Away]]:
        """A person's time away that has not ended, soonest first."""
        return await store.of_person(self._db, person, self._clock())

    async def add(self, person: str, start: float, end: float, note: str = "") -> list[DutyChange]:
        now = self._clock()
        if end <= start:
            raise NotAllowed("The end must come after the start.")
        if end <= now:
            raise NotAllowed("That time away is in the past: choose dates from today on.")
        if start > now + MAX_AHEAD:
            raise NotAllowed("Choose dates within the next year.")
        if len(await self.of(person)) >= MAX_PERIODS:
            raise NotAllowed(f"You have {MAX_PERIODS} periods of time away already: remove one first.")
        async with self._transaction():
            await store.add(self._db, person, max(start, now), end, clean_text(note)[:200], now)
            changes = await self._settle_rotations_of(person, now)
        self._ring(effects=True, hand_overs=True)
        return changes

    async def remove(self, person: str, away_id: int) -> list[DutyChange]:
        now = self._clock()
        async with self._transaction():
            if not await store.remove(self._db, person, away_id):
                raise NotAllowed("That time away is gone already.")
            changes = await self._settle_rotations_of(person, now)
        self._ring(effects=True, hand_overs=True)
        return changes

    async def _settle_rotations_of(self, person: str, now: float) -> list[DutyChange]:
        """Every manual rotation the person is in: who is on duty now, and the next change, again."""
        rotations, _ = await rotation_store.page(self._db, 0, 10_000, person)
        changes = []
        for rotation in rotations:
            if rotation.bound:
                continue
            change = await self._change_duty(
                rotation,
                rotation.turn_people or rotation.on_duty,
                "away",
                None,
                now,
                force_save=True,
                turn_moved=False,
            )
            if change:
                changes.append(change)
        return changes
