"""Retention (HISTORY_DAYS): once a day, what is older goes, in bounded batches; then the file gives
the freed space back, safely.

- Pruning: store/retention.py says what may go; each batch is its own short transaction, and the
  loop yields between batches, so Slack's acks and hand-overs go on meanwhile.
- Giving space back: a database created by this version is incremental (db.py), so free pages are
  released a few thousand at a time (`PRAGMA incremental_vacuum`). An older database is rewritten by
  one VACUUM, only when a lot was freed (a quarter of the file, and at least VACUUM_AT_LEAST), which
  makes it incremental from then on. Neither runs inside a transaction, nor while a backup holds the
  maintenance lock (`app.py backup`, even from another process): then it waits for the next day.
- When it last ran is stored, so a restart neither skips nor repeats a day.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from roundrobin.db import Database, maintenance_lock
from roundrobin.metrics import Metrics
from roundrobin.store import retention

log = logging.getLogger(__name__)

DAY = 86400.0
EVERY = DAY  # how often retention runs (the scheduler looks hourly whether it is due)
BATCH = 500  # rows per transaction
RELEASE_STEP = 2000  # free pages given back per incremental_vacuum (8 MB of 4 KB pages)
VACUUM_SHARE = 0.25  # an old, non-incremental file is rewritten once this share of it is free…
VACUUM_AT_LEAST = 4 * 1024 * 1024  # …and at least this many bytes
LAST_RUN = "housekeeping.retention_at"  # in the meta table


@dataclass
class Report:
    pruned: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    space: str = "nothing to give back"  # what became of the free pages

    @property
    def total(self) -> int:
        return sum(self.pruned.values())


class Housekeeping:
    def __init__(
        self,
        db: Database,
        history_days: int,
        clock: Callable[[], float] = time.time,
        metrics: Metrics | None = None,
        batch: int = BATCH,
    ):
        self._db = db
        self._keep = history_days * DAY
        self._clock = clock
        self._metrics = metrics
        self._batch = batch
        self._running = asyncio.Lock()

    async def due(self) -> bool:
        last = await self._db.fetch_float("SELECT value FROM meta WHERE key = ?", (LAST_RUN,))
        return last is None or self._clock() - last >= EVERY - 60  # a minute early is today's run

    async def run_if_due(self) -> Report | None:
        if self._running.locked() or not await self.due():
            return None
        return await self.run()

    async def run(self) -> Report:
        """Prune everything older than HISTORY_DAYS, then give the space back."""
        async with self._running:
            now = self._clock()
            report = Report()
            for rule in retention.RULES:
                report.pruned[rule.what] = await self._prune(rule, now - self._keep, report)
                if self._metrics is not None:
                    self._metrics.pruned_rows(rule.what, report.pruned[rule.what])
            report.space = await self.give_space_back()
            await self._db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (LAST_RUN, repr(now))
            )
            log.info(
                "housekeeping",
                extra={
                    "history_days": round(self._keep / DAY),
                    "pruned": report.total,
                    **{k: v for k, v in report.pruned.items() if v},
                    "batches": report.batches,
                    "space": report.space,
                },
            )
            return report

    async def _prune(self, rule: retention.Rule, before: float, report: Report) -> int:
        removed = 0
        while True:
            gone = await retention.prune_batch(self._db, rule, before, self._batch)
            report.batches += 1
            removed += gone
            if gone < self._batch:
                return removed
            await asyncio.sleep(0)  # whoever waits for the database goes first

    async def give_space_back(self) -> str:
        """Free pages back to the file system, if worth it and no backup is running."""
        free = await self._db.fetch_int("PRAGMA freelist_count")
        if not free:
            return "nothing to give back"
        incremental = await self._db.fetch_int("PRAGMA auto_vacuum") == 2
        if not incremental and not await self._worth_a_vacuum(free):
            return f"{free} free pages kept for reuse (too few for a VACUUM)"
        with maintenance_lock(self._db.path, wait=False) as ours:
            if not ours:
                return "left for tomorrow: a backup is running"
            if not incremental:
                await self._db.vacuum()
                return f"VACUUM gave back {free} pages; the file is incremental from now on"
            given = free
            while free:
                await self._db.release(RELEASE_STEP)
                left = await self._db.fetch_int("PRAGMA freelist_count")
                if left >= free:
                    break  # nothing moved: never spin
                free = left
                await asyncio.sleep(0)
            return f"{given - free} free pages given back"

    async def _worth_a_vacuum(self, free: int) -> bool:
        pages = await self._db.fetch_int("PRAGMA page_count")
        size = await self._db.fetch_int("PRAGMA page_size")
        return free >= VACUUM_SHARE * pages and free * size >= VACUUM_AT_LEAST
