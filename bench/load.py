"""The on-call load report: 500 rotations of eight people, 90 days of recorded history each (a
hand-over a day, covers, answered requests, people in five time zones), read from a real database
the way the Load tab and its CSV read it.

Reports the queries and time for one page of the Load tab (20 rotations) and for the whole CSV.

    .venv/bin/python bench/load.py [--rotations 500] [--days 90]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.counted import Counted  # noqa: E402
from roundrobin.db import Database  # noqa: E402
from roundrobin.rotations.load import to_csv  # noqa: E402
from roundrobin.rotations.load_report import LoadReports  # noqa: E402
from roundrobin.rotations.model import Holidays, Rotation  # noqa: E402
from roundrobin.rotations.schedule import Schedule  # noqa: E402
from roundrobin.slack.views.load import PAGE_SIZE, LoadView, load_blocks  # noqa: E402
from roundrobin.store import directory  # noqa: E402
from roundrobin.store import rotations as store  # noqa: E402

DAY = 86400.0
ZONES = ("Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC")


async def seed(db: Database, rotations: int, days: int, now: float, rng: random.Random) -> int:
    people = rotations * 4
    await directory.replace_all(
        db,
        [
            directory.SlackUser(f"U{p:06d}", f"person{p}", f"Person {p}", tz=ZONES[p % len(ZONES)])
            for p in range(people)
        ],
        now,
    )
    events = 0
    for i in range(rotations):
        members = tuple(f"U{(i * 4 + k) % people:06d}" for k in range(8))
        rotation = Rotation(
            id=0,
            name=f"Rotation {i}",
            code=f"R{i:05d}",
            created_by="U0ADMIN",
            members=members,
            on_duty=members[:1],
            schedule=Schedule("daily", "09:00", tz=ZONES[i % len(ZONES)]),
            holidays=Holidays(("GB", "US", "DE", "IN")[i % 4]) if i % 4 == 0 else None,
            created_at=now - days * DAY,
            updated_at=now,
        )
        rotation_id = await store.insert(db, rotation)
        async with db.transaction():
            before: list[str] = []
            for day in range(days + 1):
                at = now - (days - day) * DAY - rng.uniform(0, 3600)
                after = [members[day % len(members)]]
                detail = json.dumps({"after": after, "before": before, "reason": "handoff"})
                await db.execute(
                    "INSERT INTO events (at, kind, rotation_id, detail) VALUES (?, 'duty.changed', ?, ?)",
                    (at, rotation_id, detail),
                )
                before, events = after, events + 1
                if day % 7 == 3:
                    await db.execute(
                        """INSERT INTO overrides (rotation_id, kind, why, person_out, person_in, start_at, end_at,
                               created_by, created_at) VALUES (?, 'cover', 'cover', ?, ?, ?, ?, ?, ?)""",
                        (rotation_id, after[0], members[(day + 3) % 8], at, at + 4 * 3600, after[0], at),
                    )
                    await db.execute(
                        """INSERT INTO requests (rotation_id, code, channel_id, thread_ts, requester, text, state,
                               acked_by, created_at, expires_at, closed_at)
                           VALUES (?, 'R', 'C1', '1.1', 'U9', 'help', 'acked', ?, ?, ?, ?)""",
                        (rotation_id, after[0], at, at + 3600, at + 60),
                    )
    return events


async def run(rotations: int, days: int) -> None:
    rng = random.Random(19)
    now = time.time()
    with tempfile.TemporaryDirectory() as scratch:
        db = await Counted.open(Path(scratch) / "load.db")
        try:
            events = await seed(db, rotations, days, now, rng)
            reports = LoadReports(db, lambda: now)
            Counted.queries = 0
            began = time.perf_counter()
            page = await reports.page(days, 0, PAGE_SIZE)
            blocks = load_blocks(LoadView(page, "https://rr.example/load.csv"))
            tab = time.perf_counter() - began
            tab_queries = Counted.queries
            Counted.queries = 0
            began = time.perf_counter()
            loads, names, _, _ = await reports.everything(days)
            text = to_csv(loads, names)
            whole = time.perf_counter() - began
            csv_queries = Counted.queries
        finally:
            await db.close()
    rows = text.count("\n") - 1
    print(f"{rotations} rotations of 8 people, {days} days: {events} duty changes recorded")
    print(
        f"  Load tab, one page ({PAGE_SIZE} rotations, {len(blocks)} blocks): {tab * 1000:.0f} ms, {tab_queries} queries"
    )
    print(
        f"  CSV, every rotation ({rows} rows, {len(text) // 1024} KiB): {whole * 1000:.0f} ms, {csv_queries} queries"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rotations", type=int, default=500)
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args()
    asyncio.run(run(args.rotations, args.days))


if __name__ == "__main__":
    main()
