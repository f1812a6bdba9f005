"""Timed work on APScheduler's AsyncIOScheduler: the PagerDuty sync and timed rotation handoffs.

Handoffs use one wake-up job armed for the earliest `next_handoff_at` in the database and re-armed
whenever the rotation service rings its handoffs doorbell, so the database stays the only record of
what is due: after a restart, a rotation that came due while the app was down hands over once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from roundrobin.background import Doorbell
from roundrobin.db import Database
from roundrobin.pagerduty.sync import PagerDutySync
from roundrobin.rotations.service import RotationService, Signals
from roundrobin.store import integrations
from roundrobin.store import rotations as store

log = logging.getLogger(__name__)

SYNC_JOB = "pagerduty-sync"
HANDOFF_JOB = "rotation-handoffs"
HOUSEKEEPING_JOB = "housekeeping"


class Scheduler:
    def __init__(
        self,
        db: Database,
        rotations: RotationService,
        sync: PagerDutySync | None,
        signals: Signals,
        sync_interval_seconds: int,
        clock: Callable[[], float] = time.time,
    ):
        self._db = db
        self._rotations = rotations
        self._sync = sync
        self._signals = signals
        self._interval = sync_interval_seconds
        self._clock = clock
        self._scheduler = AsyncIOScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})
        self._watchers: list[asyncio.Task] = []

    def start(self) -> None:
        if self._sync is not None:
            self._scheduler.add_job(
                self.sync,
                IntervalTrigger(seconds=self._interval),
                id=SYNC_JOB,
                next_run_time=datetime.now(UTC) + timedelta(seconds=min(5, self._interval)),
            )
        self._scheduler.add_job(self.housekeeping, IntervalTrigger(hours=1), id=HOUSEKEEPING_JOB)
        self._scheduler.start()
        self._watchers = [
            asyncio.create_task(self._watch(self._signals.handoffs, self.rearm), name="rearm-handoffs"),
        ]
        if self._sync is not None:
            self._watchers.append(
                asyncio.create_task(self._watch(self._signals.sync, self._sync_soon), name="sync-soon")
            )

    async def shutdown(self) -> None:
        for task in self._watchers:
            task.cancel()
        await asyncio.gather(*self._watchers, return_exceptions=True)
        self._scheduler.shutdown(wait=False)

    async def _watch(self, bell: Doorbell, react) -> None:
        while True:
            await bell.wait()
            try:
                await react()
            except Exception:  # noqa: BLE001 - keep watching; the next ring tries again
                log.exception("scheduler could not react to a change")

    async def _sync_soon(self) -> None:
        self._sync.request_soon()

    async def sync(self) -> None:
        if await integrations.get_connection(self._db) is not None:
            await self._sync.run()

    async def rearm(self) -> None:
        """Wake up at the earliest due handoff (or not at all when nothing is timed)."""
        due = await store.next_due_at(self._db)
        if due is None:
            if self._scheduler.get_job(HANDOFF_JOB):
                self._scheduler.remove_job(HANDOFF_JOB)
            return
        when = max(datetime.fromtimestamp(due, UTC), datetime.now(UTC) + timedelta(milliseconds=50))
        self._scheduler.add_job(
            self.handoffs,
            DateTrigger(run_date=when),
            id=HANDOFF_JOB,
            replace_existing=True,
            misfire_grace_time=None,
        )

    async def handoffs(self) -> None:
        changes = await self._rotations.run_due()
        if changes:
            log.info("timed handoffs", extra={"rotations": len(changes)})

    async def housekeeping(self) -> None:
        await integrations.purge_login_states(self._db, self._clock() - 86400)
