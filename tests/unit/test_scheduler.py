"""The wake-ups: timed hand-overs and PagerDuty's planned hand-overs, each armed for the earliest due
rotation, firing on time and re-arming itself."""

import asyncio
import time
from dataclasses import replace

from roundrobin.access import Access
from roundrobin.pagerduty.sync import PagerDutySync
from roundrobin.rotations.draft import RotationDraft
from roundrobin.rotations.model import Rotation
from roundrobin.rotations.schedule import Schedule
from roundrobin.scheduler import BOUNDARY_JOB, HAND_OVER_JOB, Scheduler
from roundrobin.signals import Signals
from roundrobin.store import pagerduty as pd_store
from roundrobin.store import rotations as store
from roundrobin.store.pagerduty import Learned, PdUser, Shift
from tests.support import Rotations
from tests.unit.test_pagerduty_sync import Connection, Directory
from tests.unit.test_rotation_service import Roles, Workspace


async def wait_for(predicate, timeout=2.0):
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


async def test_a_timed_rotation_hands_over_when_its_time_comes(db):
    signals = Signals.new()
    rotations = Rotations(db, Access(db, Roles(), ()), Workspace(), signals)
    scheduler = Scheduler(db, rotations, None, signals, 3600)
    scheduler.start()
    try:
        r = await rotations.create(
            RotationDraft("Standup", "SU", members=("U1", "U2"), schedule=Schedule("daily", "09:00")),
            "U9",
            False,
        )
        await wait_for(lambda: scheduler._scheduler.get_job(HAND_OVER_JOB) is not None)
        assert scheduler._scheduler.get_job(HAND_OVER_JOB).next_run_time.timestamp() == r.next_hand_over_at
        await db.execute("UPDATE rotations SET next_hand_over_at = ?", (time.time() + 0.3,))
        await scheduler.rearm()
        for _ in range(40):
            await asyncio.sleep(0.05)
            if (await store.get(db, r.id)).on_duty == ("U2",):
                break
        assert (await store.get(db, r.id)).on_duty == ("U2",)
        # re-armed for tomorrow's hand-over
        job = scheduler._scheduler.get_job(HAND_OVER_JOB)
        assert job.next_run_time.timestamp() > time.time() + 3600
        await rotations.delete(r.id, "U9")
        await wait_for(lambda: scheduler._scheduler.get_job(HAND_OVER_JOB) is None)
    finally:
        await scheduler.shutdown()


async def test_a_pagerduty_hand_over_happens_at_its_planned_time_without_a_sync(db):
    """The stored plan says Ann hands over to Ben in a moment: the wake-up does it, no request made."""
    now = time.time()
    await pd_store.learn(
        db, [Learned("PS1", "Ops", member_ids=("PA", "PB"), routed=True, planned_at=now)], now
    )
    await pd_store.save_users(
        db, [PdUser("PA", "Ann", "ann@corp.example"), PdUser("PB", "Ben", "ben@corp.example")], now
    )
    boundary = now + 1.0
    await pd_store.replace_shifts(
        db, ["PS1"], [Shift("PS1", "PA", now - 100, boundary), Shift("PS1", "PB", boundary, now + 3600)]
    )
    signals = Signals.new()
    rotations = Rotations(db, Access(db, Roles(), ()), Workspace(), signals)
    connection = Connection(None, "http://pagerduty.invalid")  # never asked: the plan is stored
    sync = PagerDutySync(
        db, connection, rotations, Directory({"ann@corp.example": "UANN", "ben@corp.example": "UBEN"})
    )
    r = Rotation(id=0, name="Ops", code="OPS", created_by="U9", source="pagerduty", pd_schedule_id="PS1")
    rotation_id = await store.insert(db, replace(r, next_change_at=now))  # due: mirror it once
    scheduler = Scheduler(db, rotations, sync, signals, 3600)
    scheduler.start()
    try:
        await scheduler.rearm()
        await wait_for(lambda: scheduler._scheduler.get_job(BOUNDARY_JOB) is not None)
        await wait_for_async(lambda: rotation_on_duty(db, rotation_id), ("UANN",))
        await wait_for(
            lambda: (job := scheduler._scheduler.get_job(BOUNDARY_JOB)) and armed_at(job, boundary)
        )
        await wait_for_async(lambda: rotation_on_duty(db, rotation_id), ("UBEN",))
        # re-armed for the end of Ben's shift, when nobody is planned
        await wait_for(
            lambda: (job := scheduler._scheduler.get_job(BOUNDARY_JOB)) and armed_at(job, now + 3600)
        )
        assert connection.recorded == [], "no sync ran"
        await rotations.delete(rotation_id, "U9")
        await scheduler.rearm_hand_overs()
        assert scheduler._scheduler.get_job(BOUNDARY_JOB) is None
    finally:
        await scheduler.shutdown()


def armed_at(job, when: float) -> bool:
    return abs(job.next_run_time.timestamp() - when) < 0.001  # datetimes keep microseconds


async def rotation_on_duty(db, rotation_id):
    return (await store.get(db, rotation_id)).on_duty


async def wait_for_async(read, expected, timeout=2.0):
    for _ in range(int(timeout / 0.02)):
        if await read() == expected:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {expected}: {await read()}")


async def test_the_hourly_housekeeping_prunes_history_once_a_day(db):
    from roundrobin.housekeeping import DAY, Housekeeping

    now = [time.time()]
    await db.executemany(
        "INSERT INTO events (at, kind) VALUES (?, 'x')", [(now[0] - 400 * DAY,), (now[0] - DAY,)]
    )
    signals = Signals.new()
    rotations = Rotations(db, Access(db, Roles(), ()), Workspace(), signals)
    scheduler = Scheduler(
        db, rotations, None, signals, 3600, housekeeping=Housekeeping(db, 365, clock=lambda: now[0])
    )
    await scheduler.housekeeping()
    assert [r[0] for r in await db.fetchall("SELECT at FROM events")] == [now[0] - DAY]
    await db.execute("INSERT INTO events (at, kind) VALUES (?, 'x')", (now[0] - 400 * DAY,))
    await scheduler.housekeeping()  # an hour later: not a day yet
    assert await db.fetch_int("SELECT COUNT(*) FROM events") == 2
    now[0] += DAY
    await scheduler.housekeeping()
    assert await db.fetch_int("SELECT COUNT(*) FROM events") == 1
