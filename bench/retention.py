"""Retention on a database that has run for two years: 200 rotations, three duty changes a day each
(about 440,000 history events, half of them older than HISTORY_DAYS=365), pruned by the daily
housekeeping while another task keeps asking the database for a moment, as Slack's acks and
hand-overs do.

Reports what went, how many batches, the longest any one batch held the database, and the longest
the other task waited for it: that wait, not the total, is what a person pressing a button feels.

    .venv/bin/python bench/retention.py [--rotations 200] [--days 730] [--old]

`--old`: a database made before retention existed (not incremental), which the first run rewrites
with one VACUUM; the wait then includes that VACUUM, once.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from roundrobin.db import Database  # noqa: E402
from roundrobin.housekeeping import DAY, Housekeeping  # noqa: E402

NOW = 1_800_000_000.0


async def seed(db: Database, rotations: int, days: int) -> int:
    await db.executemany(
        "INSERT INTO rotations (id, name, code, created_by, created_at, updated_at) VALUES (?, 'R', ?, 'U', 0, 0)",
        [(i, f"R{i}") for i in range(1, rotations + 1)],
    )
    detail = '{"after": ["U0BOB"], "before": ["U0CAROL"], "reason": "handoff"}'
    rows = [
        (NOW - days * DAY + step * DAY / 3, 1 + r, detail)
        for step in range(days * 3)
        for r in range(rotations)
    ]
    for start in range(0, len(rows), 50_000):
        async with db.transaction():
            await db.executemany(
                "INSERT INTO events (at, kind, rotation_id, detail) VALUES (?, 'duty.changed', ?, ?)",
                rows[start : start + 50_000],
            )
    return len(rows)


async def main(rotations: int, days: int, old: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        if old:  # a file that existed before this version: SQLite's default, not incremental
            sqlite3.connect(Path(folder) / "rr.db").execute("CREATE TABLE early (x)").connection.close()
        db = await Database.open(Path(folder) / "rr.db")
        events = await seed(db, rotations, days)
        await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = db.file_size()
        waits: list[float] = []
        done = asyncio.Event()

        async def someone_else() -> None:
            while not done.is_set():
                asked = time.perf_counter()
                await db.fetch_int("SELECT COUNT(*) FROM rotations")
                waits.append(time.perf_counter() - asked)
                await asyncio.sleep(0.005)

        watcher = asyncio.create_task(someone_else())
        started = time.perf_counter()
        report = await Housekeeping(db, history_days=365, clock=lambda: NOW).run()
        took = time.perf_counter() - started
        done.set()
        await watcher
        await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        print(f"history events: {events:,}, of which pruned: {report.pruned['history']:,}")
        print(
            f"batches: {report.batches:,} in {took:.1f} s ({1000 * took / report.batches:.1f} ms a batch on average)"
        )
        print(
            f"longest wait another task had for the database: {1000 * max(waits):.0f} ms ({len(waits):,} asks)"
        )
        print(f"space: {report.space}; file {size / 2**20:.0f} MB -> {db.file_size() / 2**20:.0f} MB")
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rotations", type=int, default=200)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--old", action="store_true", help="a database from before this version")
    args = parser.parse_args()
    asyncio.run(main(args.rotations, args.days, args.old))
