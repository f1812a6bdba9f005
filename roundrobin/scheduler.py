"""Timed work on APScheduler's AsyncIOScheduler: the PagerDuty sync and timed rotation handoffs.

Handoffs use one wake-up job armed for the earliest `next_handoff_at` in the database and re-armed
after every change, so the database stays the only record of what is due: after a restart, a
rotation that came due while the app was down hands over once, straight away.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from roundrobin.services import Services
from roundrobin.store import integrations
from roundrobin.store import rotations as store

log = logging.getLogger(__name__)

SYNC_JOB = "pagerduty-sync"
HANDOFF_JOB = "rotation-handoffs"
HOUSEKEEPING_JOB = "housekeeping"


class Scheduler:
    def __init__(self, services: Services):
        self._services = services
        self._scheduler = AsyncIOScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})

    def start(self) -> None:
        interval = self._services.settings.sync_interval_seconds
        self._scheduler.add_job(
            self.sync,
            IntervalTrigger(seconds=interval),
            id=SYNC_JOB,
            next_run_time=datetime.now(UTC) + timedelta(seconds=min(5, interval)),
        )
        self._scheduler.add_job(self.housekeeping, IntervalTrigger(hours=1), id=HOUSEKEEPING_JOB)
        self._scheduler.start()

    async def shutdown(self) -> None:
        self._scheduler.shutdown(wait=False)

    async def sync(self) -> None:
        if await integrations.get_connection(self._services.db) is not None:
            await self._services.sync.run()

    async def rearm(self) -> None:
        """Wake up at the earliest due handoff (or not at all when nothing is timed)."""
        due = await store.next_due_at(self._services.db)
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
        changes = await self._services.rotations.run_due()
        if changes:
            log.info("timed handoffs", extra={"rotations": len(changes)})

    async def housekeeping(self) -> None:
        await integrations.purge_login_states(self._services.db, self._services.clock() - 86400)
