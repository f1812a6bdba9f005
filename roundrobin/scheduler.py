"""Timed work on APScheduler's AsyncIOScheduler: the PagerDuty sync, its planned hand-overs, timed
rotation hand-overs, and reading the user groups rotations' members follow.

Each wake-up is one job armed for the earliest due time in the database: `next_hand_over_at` of timed
rotations, re-armed whenever the rotation service rings its hand-overs doorbell, and `next_change_at`
of PagerDuty-bound rotations (the next hand-over in the stored plan), re-armed whenever the
sync rings `plan_changed` (after every cycle and every hand-over). The database stays the only
record of what is due: after a restart, what came due while the app was down happens once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from roundrobin.background import Doorbell, cancel
from roundrobin.db import Database
from roundrobin.housekeeping import Housekeeping
from roundrobin.pagerduty.sync import PagerDutySync
from roundrobin.rotations.duty import DutyService
from roundrobin.rotations.following import GroupFollowing
from roundrobin.signals import Signals
from roundrobin.store import integrations, kept_messages
from roundrobin.store import rotations as store

log = logging.getLogger(__name__)

SYNC_JOB = "pagerduty-sync"
HAND_OVER_JOB = "rotation-hand-overs"
BOUNDARY_JOB = "pagerduty-hand-overs"
HOUSEKEEPING_JOB = "housekeeping"
MEMBERS_JOB = "member-groups"
SOONEST = timedelta(milliseconds=50)  # a wake-up already due runs this soon, not in the past


class Scheduler:
    def __init__(
        self,
        db: Database,
        rotations: DutyService,
        sync: PagerDutySync | None,
        signals: Signals,
        sync_interval_seconds: int,
        clock: Callable[[], float] = time.time,
        following: GroupFollowing | None = None,
        members_check_seconds: int = 0,
        housekeeping: Housekeeping | None = None,
    ):
        self._db = db
        self._rotations = rotations
        self._following = following
        self._members_every = members_check_seconds
        self._sync = sync
        self._signals = signals
        self._interval = sync_interval_seconds
        self._clock = clock
        self._scheduler = AsyncIOScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})
        self._watchers: list[asyncio.Task[None]] = []
        self._housekeeping = housekeeping  # retention: daily, looked at with the hourly housekeeping

    def start(self) -> None:
        if self._sync is not None:
            self._scheduler.add_job(
                self.sync,
                IntervalTrigger(seconds=self._interval),
                id=SYNC_JOB,
                next_run_time=datetime.now(UTC) + timedelta(seconds=min(5, self._interval)),
            )
        self._scheduler.add_job(self.housekeeping, IntervalTrigger(hours=1), id=HOUSEKEEPING_JOB)
        if self._following is not None and self._members_every:
            # Soon after start-up too: whatever changed in the groups while Round Robin was down.
            self._scheduler.add_job(
                self.member_groups,
                IntervalTrigger(seconds=self._members_every),
                id=MEMBERS_JOB,
                next_run_time=datetime.now(UTC) + timedelta(seconds=min(10, self._members_every)),
            )
        self._scheduler.start()
        self._watchers = [
            asyncio.create_task(
                self._watch(self._signals.hand_overs, self.rearm_timed_hand_overs),
                name="rearm-hand-overs",
            ),
        ]
        if self._sync is not None:
            self._watchers += [
                asyncio.create_task(self._watch(self._signals.sync, self._sync_soon), name="sync-soon"),
                asyncio.create_task(
                    self._watch(self._sync.plan_changed, self.rearm_hand_overs), name="rearm-hand-overs"
                ),
            ]

    async def shutdown(self) -> None:
        await cancel(*self._watchers)
        self._scheduler.shutdown(wait=False)

    async def _watch(self, bell: Doorbell, react: Callable[[], Awaitable[None]]) -> None:
        while True:
            await bell.wait()
            try:
                await react()
            except Exception:  # noqa: BLE001 - keep watching; the next ring tries again
                log.exception("scheduler could not react to a change")

    async def _sync_soon(self) -> None:
        if self._sync is not None:
            self._sync.request_soon()

    async def sync(self) -> None:
        if self._sync is not None and await integrations.get_connection(self._db) is not None:
            await self._sync.tick(next_poll_in=self._interval)

    async def rearm(self) -> None:
        """Arm every wake-up from what the database says is due (at start-up)."""
        await self.rearm_timed_hand_overs()
        await self.rearm_hand_overs()

    async def rearm_timed_hand_overs(self) -> None:
        """Wake up at the earliest due hand-over (or not at all when nothing is timed)."""
        self._arm(HAND_OVER_JOB, self.timed_hand_overs, await store.next_due_at(self._db))

    async def rearm_hand_overs(self) -> None:
        """Wake up at the earliest hand-over PagerDuty has planned for a bound rotation."""
        if self._sync is not None:
            self._arm(BOUNDARY_JOB, self.hand_overs, await store.next_change_at(self._db))

    def _arm(self, job_id: str, work: Callable[[], Awaitable[None]], due: float | None) -> None:
        if due is None:
            if self._scheduler.get_job(job_id):
                self._scheduler.remove_job(job_id)
            return
        # `due` is on the app's clock, the trigger on the wall clock: they differ only where a
        # walkthrough moved the app's clock on (to the millisecond, so "on the second" stays exact).
        offset = round(self._clock() - time.time(), 3)
        when = max(datetime.fromtimestamp(due - offset, UTC), datetime.now(UTC) + SOONEST)
        self._scheduler.add_job(
            work, DateTrigger(run_date=when), id=job_id, replace_existing=True, misfire_grace_time=None
        )

    async def timed_hand_overs(self) -> None:
        changes = await self._rotations.run_due()
        if changes:
            log.info("timed hand-overs", extra={"rotations": len(changes)})

    async def hand_overs(self) -> None:
        """PagerDuty's planned hand-overs, from the stored plan, on the second they are due."""
        if self._sync is None:
            return  # armed only with a sync
        await self._sync.hand_over_due()
        await self.rearm_hand_overs()

    async def member_groups(self) -> None:
        """Read the user groups rotations' members follow: a change whose event never came."""
        if self._following is None:
            return  # armed only with a following
        changed = await self._following.check_all()
        if changed:
            log.info("members followed their user groups", extra={"rotations": changed})

    async def housekeeping(self) -> None:
        await integrations.purge_login_states(self._db, self._clock() - 86400)
        # Offers are edited when their request closes, within 90 days at most (the furthest a cover
        # may be asked ahead): nobody edits a message kept longer.
        await kept_messages.forget_older(self._db, self._clock() - 100 * 86400)
        if self._housekeeping is not None:
            await self._housekeeping.run_if_due()
