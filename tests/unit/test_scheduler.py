"""The handoff wake-up: armed for the earliest due rotation, fires on time, re-arms itself."""

import asyncio
import time

from roundrobin.access import Access
from roundrobin.rotations.draft import RotationDraft
from roundrobin.rotations.schedule import Schedule
from roundrobin.rotations.service import RotationService, Signals
from roundrobin.scheduler import HANDOFF_JOB, Scheduler
from roundrobin.store import rotations as store
from tests.unit.test_rotation_service import Roles, Workspace


async def wait_for(predicate, timeout=2.0):
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


async def test_a_timed_rotation_hands_over_when_its_time_comes(db):
    signals = Signals.new()
    rotations = RotationService(db, Access(db, Roles(), ()), Workspace(), signals)
    scheduler = Scheduler(db, rotations, None, signals, 3600)
    scheduler.start()
    try:
        r = await rotations.create(
            RotationDraft("Standup", "SU", members=("U1", "U2"), schedule=Schedule("daily", "09:00")),
            "U9",
            False,
        )
        await wait_for(lambda: scheduler._scheduler.get_job(HANDOFF_JOB) is not None)
        assert scheduler._scheduler.get_job(HANDOFF_JOB).next_run_time.timestamp() == r.next_handoff_at
        await db.execute("UPDATE rotations SET next_handoff_at = ?", (time.time() + 0.3,))
        await scheduler.rearm()
        for _ in range(40):
            await asyncio.sleep(0.05)
            if (await store.get(db, r.id)).on_duty == ("U2",):
                break
        assert (await store.get(db, r.id)).on_duty == ("U2",)
        # re-armed for tomorrow's handoff
        job = scheduler._scheduler.get_job(HANDOFF_JOB)
        assert job.next_run_time.timestamp() > time.time() + 3600
        await rotations.delete(r.id, "U9")
        await wait_for(lambda: scheduler._scheduler.get_job(HANDOFF_JOB) is None)
    finally:
        await scheduler.shutdown()
