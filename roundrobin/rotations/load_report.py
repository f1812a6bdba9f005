"""The on-call load report: rotations/load.py's rules over what the history recorded.

Read-only and computed on demand (no cache to go stale): the past is the recorded history, so a
report over a period is the same every time it is asked for, save for the present shift growing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from roundrobin.db import Database
from roundrobin.rotations import load
from roundrobin.rotations.holidays import test_for
from roundrobin.rotations.load import PERIODS, LoadPage, RotationLoad
from roundrobin.rotations.model import Rotation
from roundrobin.store import directory
from roundrobin.store import load as store
from roundrobin.store import rotations as rotation_store

DAY = 86400.0
COVER_LOOKBACK_DAYS = 30  # how far back "least loaded" looks when cover is asked for
CHUNK = 100  # rotations computed at once for the CSV (about 0.2 s of work at 90 days)


def period(days: object) -> int:
    """A report's period: one of PERIODS (anything else is the first)."""
    return days if isinstance(days, int) and not isinstance(days, bool) and days in PERIODS else PERIODS[0]


class LoadReports:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time):
        self._db = db
        self._clock = clock

    async def page(self, days: int, page: int, per_page: int) -> LoadPage:
        """Rotations by name, `per_page` at a time."""
        days = period(days)
        total = await rotation_store.count(self._db)
        pages = max(1, -(-total // per_page))
        page = min(max(0, page), pages - 1)
        rotations, _ = await rotation_store.page(self._db, page * per_page, per_page)
        end = self._clock()
        loads = await self._loads(rotations, end - days * DAY, end)
        return LoadPage(days, end - days * DAY, end, tuple(loads), await self._names(loads), page, pages)

    async def everything(self, days: int) -> tuple[list[RotationLoad], dict[str, str], float, float]:
        """Every rotation's load over the last `days` (the CSV), with names and the period."""
        days = period(days)
        end = self._clock()
        rotations = await rotation_store.everything(self._db)
        rotations.sort(key=lambda r: (r.name.lower(), r.id))
        loads: list[RotationLoad] = []
        for first in range(0, len(rotations), CHUNK):
            # A chunk at a time, letting the event loop breathe between them: Socket Mode's acks
            # must not wait on a big report.
            loads += await self._loads(rotations[first : first + CHUNK], end - days * DAY, end)
            await asyncio.sleep(0)
        return loads, await self._names(loads), end - days * DAY, end

    async def hours(self, rotation: Rotation, days: int = COVER_LOOKBACK_DAYS) -> dict[str, float]:
        """Hours each person was on duty for `rotation` over the last `days`."""
        end = self._clock()
        [found] = await self._loads([rotation], end - days * DAY, end)
        return {p.person: p.split.hours for p in found.people}

    async def _loads(self, rotations: Sequence[Rotation], start: float, end: float) -> list[RotationLoad]:
        ids = [r.id for r in rotations]
        changes = await store.duty_changes(self._db, ids, start, end)
        counts = await store.counts(self._db, ids, start, end)
        runs = {r.id: load.stints(changes[r.id], start, end) for r in rotations}
        people = {s.person for found in runs.values() for s in found} | {
            m for r in rotations for m in r.members
        }
        zones = await directory.time_zones(self._db, people)
        cache: dict[tuple[str | None, str], ZoneInfo] = {}

        def zone_of(rotation: Rotation) -> Callable[[str], ZoneInfo]:
            def zone(person: str) -> ZoneInfo:
                key = (zones.get(person), rotation.schedule.tz)
                if key not in cache:
                    cache[key] = load.zone(*key)
                return cache[key]

            return zone

        return [
            load.rotation_load(
                r.id,
                r.name,
                r.code,
                runs[r.id],
                zone_of(r),
                test_for(r.holidays) if r.holidays else load.never,
                counts[r.id],
                r.members,
            )
            for r in rotations
        ]

    async def _names(self, loads: Sequence[RotationLoad]) -> dict[str, str]:
        known = await directory.by_ids(self._db, {p.person for r in loads for p in r.people})
        return {u: (user.real_name or user.name or u) for u, user in known.items()}
