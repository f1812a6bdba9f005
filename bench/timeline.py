"""Projecting timelines: 90 days of shifts for 1,000 manual rotations with covers, skips, time away,
working hours and holidays, read from a real database the way Details and the scheduler read them.

Reports the time to gather every rotation's plan (the queries: two for all the rotations' overrides
and time away, whatever their number) and the time to project 90 days of each timeline.

    .venv/bin/python bench/timeline.py [--rotations 1000] [--days 90]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.counted import Counted  # noqa: E402
from roundrobin.db import Database  # noqa: E402
from roundrobin.rotations import calendar, timeline  # noqa: E402
from roundrobin.rotations.model import Holidays, Rotation, WorkingHours  # noqa: E402
from roundrobin.rotations.schedule import Schedule, next_hand_over  # noqa: E402
from roundrobin.rotations.timeline import Override  # noqa: E402
from roundrobin.store import away as away_store  # noqa: E402
from roundrobin.store import overrides as override_store  # noqa: E402
from roundrobin.store import rotations as store  # noqa: E402

DAY = 86400.0
ZONES = ("Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC")


async def seed(db: Database, rotations: int, now: float, rng: random.Random) -> list[int]:
    """Rotations of five people each (daily, weekly or every two weeks), one in five with working
    hours, one in four with holidays; two covers, a swap and a skip each; a tenth of people away."""
    from datetime import UTC, datetime

    ids = []
    for i in range(rotations):
        members = tuple(f"U{(i * 3 + k) % (rotations * 2):06d}" for k in range(5))
        kind = ("daily", "weekly", "weekly")[i % 3]
        schedule = Schedule(
            kind, "09:00", weekday=i % 7, every_weeks=1 + (i % 3 == 2), tz=ZONES[i % len(ZONES)]
        )
        first = next_hand_over(schedule, datetime.fromtimestamp(now, UTC))
        rotation = Rotation(
            id=0,
            name=f"Rotation {i}",
            code=f"R{i:05d}",
            created_by="U0ADMIN",
            members=members,
            on_duty=members[:1],
            schedule=schedule,
            next_hand_over_at=first.timestamp() if first else None,
            on_duty_since=now - DAY,
            duty_size=2 if i % 10 == 0 else 1,
            working_hours=WorkingHours() if i % 5 == 0 else None,
            holidays=Holidays(("GB", "US", "DE", "IN")[i % 4]) if i % 4 == 0 else None,
            created_at=now,
            updated_at=now,
        )
        ids.append(await store.insert(db, rotation))
    async with db.transaction():
        for rotation_id, i in zip(ids, range(rotations), strict=True):
            members = [f"U{(i * 3 + k) % (rotations * 2):06d}" for k in range(5)]
            for _ in range(2):
                start = now + rng.uniform(0, 60) * DAY
                cover = Override(
                    0,
                    "cover",
                    rng.choice(members),
                    start,
                    start + rng.uniform(2, 30) * 3600,
                    rng.choice(members),
                    now,
                )
                await override_store.add(db, rotation_id, cover, "U0ADMIN")
            start = now + rng.uniform(0, 60) * DAY
            swap = Override(0, "cover", members[1], start, start + DAY, members[2], now, why="swap")
            await override_store.add(db, rotation_id, swap, "U0ADMIN")
            skip_at = now + rng.randint(1, 30) * DAY
            await override_store.add(
                db, rotation_id, Override(0, "skip", members[3], skip_at, skip_at), "U0ADMIN"
            )
        for person in range(0, rotations * 2, 10):
            start = now + rng.uniform(-5, 80) * DAY
            await away_store.add(db, f"U{person:06d}", start, start + rng.uniform(1, 14) * DAY, "", now)
    return ids


async def run(rotations: int, days: int) -> None:
    rng = random.Random(18)
    now = time.time()
    with tempfile.TemporaryDirectory() as scratch:
        db = await Counted.open(Path(scratch) / "timeline.db")
        try:
            await seed(db, rotations, now, rng)
            all_rotations = await store.with_source(db, "manual")
            Counted.queries = 0
            began = time.perf_counter()
            plans = await calendar.plans(db, all_rotations, now)
            gathered = time.perf_counter() - began
            queries = Counted.queries
            # Projecting is pure computation: CPU time says what it costs, whatever else runs.
            began = time.process_time()
            shifts = sum(len(timeline.shifts(plan, now, now + days * DAY)) for plan in plans.values())
            cold = time.process_time() - began  # the first pass also loads the holiday calendars
            passes = []
            for _ in range(5):  # a shared machine's noise: the range of five passes
                began = time.process_time()
                shifts = sum(len(timeline.shifts(plan, now, now + days * DAY)) for plan in plans.values())
                passes.append(time.process_time() - began)
            projected, slowest = min(passes), max(passes)
        finally:
            await db.close()
    print(f"{rotations} rotations, {days} days ahead: {shifts} shifts")
    print(f"  gather plans:  {gathered * 1000:.0f} ms, {queries} queries")
    print(
        f"  project (CPU): {projected * 1000:.0f}–{slowest * 1000:.0f} ms over five passes "
        f"({projected / rotations * 1e6:.0f} µs a rotation at best)"
    )
    print(f"  (first pass:   {cold * 1000:.0f} ms, loading the countries' holiday calendars once)")
    print(f"  total:         {(gathered + projected) * 1000:.0f} ms at best")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rotations", type=int, default=1000)
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args()
    asyncio.run(run(args.rotations, args.days))


if __name__ == "__main__":
    main()
