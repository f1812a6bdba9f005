"""The handoff wake-up: armed for the earliest due rotation, fires on time, re-arms itself."""

import asyncio
import time
from types import SimpleNamespace

from roundrobin.config import load_settings
from roundrobin.rotations.draft import RotationDraft
from roundrobin.rotations.schedule import Schedule
from roundrobin.rotations.service import RotationService
from roundrobin.scheduler import HANDOFF_JOB, Scheduler
from roundrobin.store import rotations as store


async def test_a_timed_rotation_hands_over_when_its_time_comes(db):
    announced = []

    async def announce(changes):
        announced.extend(changes)

    rotations = RotationService(db, announce)
    settings = load_settings(
        {"SLACK_BOT_TOKEN": "xoxb-1-2-test", "SLACK_APP_TOKEN": "xapp-1-A-2-test"}, dotenv=None
    )
    scheduler = Scheduler(SimpleNamespace(settings=settings, db=db, rotations=rotations, clock=time.time))
    rotations.on_schedule_changed = scheduler.rearm
    scheduler.start()
    try:
        r = await rotations.create(
            RotationDraft("Standup", "SU", members=("U1", "U2"), schedule=Schedule("daily", "09:00")),
            "U9",
            False,
        )
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
        assert scheduler._scheduler.get_job(HANDOFF_JOB) is None
    finally:
        await scheduler.shutdown()
