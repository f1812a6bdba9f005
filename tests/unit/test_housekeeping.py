"""Retention (HISTORY_DAYS): what goes, what is kept, in batches of a bounded size; then the space
given back, never during a backup."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from roundrobin.db import Database, maintenance_lock
from roundrobin.housekeeping import DAY, Housekeeping
from roundrobin.metrics import Metrics
from roundrobin.store import retention

NOW = 1_800_000_000.0
OLD = NOW - 40 * DAY  # older than the 30 days these tests keep
NEW = NOW - 10 * DAY


async def seed(db: Database) -> None:
    """One of everything retention looks at, old and recent, open and closed."""
    await db.execute(
        "INSERT INTO rotations (id, name, code, created_by, created_at, updated_at) VALUES (1, 'A', 'A', 'U0', 0, 0)"
    )
    for at in (OLD, OLD + 1, NEW):
        await db.execute("INSERT INTO events (at, kind, rotation_id) VALUES (?, 'duty.changed', 1)", (at,))
    requests = [
        ("old-closed", "acked", OLD, OLD),
        ("old-open", "open", OLD, None),
        ("new-closed", "expired", NEW, NEW),
    ]
    for text, state, created, closed in requests:
        await db.execute(
            """INSERT INTO requests (rotation_id, code, channel_id, thread_ts, requester, text, state,
                   created_at, expires_at, closed_at) VALUES (1, 'A', 'C1', '1.0', 'U1', ?, ?, ?, ?, ?)""",
            (text, state, created, created + 3600, closed),
        )
    for note, state, closed in [
        ("old-taken", "taken", OLD),
        ("old-open", "open", None),
        ("new", "declined", NEW),
    ]:
        await db.execute(
            """INSERT INTO shift_requests (rotation_id, kind, requester, start_at, end_at, state, note,
                   created_at, expires_at, closed_at) VALUES (1, 'cover', 'U1', 0, 1, ?, ?, ?, ?, ?)""",
            (state, note, OLD, OLD + 3600, closed),
        )
    for person, state, asked in [("U-old", "taken", OLD), ("U-new", "skipped", NEW)]:
        await db.execute(
            """INSERT INTO status_questions (rotation_id, person, emoji, reason, turn_from, state, asked_at,
                   expires_at, closed_at) VALUES (1, ?, ':palm_tree:', 'handoff', '[]', ?, ?, ?, ?)""",
            (person, state, asked, asked + 600, asked + 60),
        )
    for out, end in [("U-old", OLD), ("U-now", NOW + DAY)]:
        await db.execute(
            """INSERT INTO overrides (rotation_id, kind, person_out, person_in, start_at, end_at, created_by,
                   created_at) VALUES (1, 'cover', ?, 'U9', 0, ?, 'U0', 0)""",
            (out, end),
        )
        await db.execute(
            "INSERT INTO time_away (slack_user_id, start_at, end_at, created_at) VALUES (?, 0, ?, 0)",
            (out, end),
        )
    for author, written in [("U-old", OLD), ("U-new", NEW)]:
        await db.execute(
            """INSERT INTO handoff_notes (rotation_id, author, hand_over_at, note, written_at)
               VALUES (1, ?, ?, 'the printer', ?)""",
            (author, written, written),
        )
    # Slack work: refused long ago (goes), refused lately (kept, it still shows why), still to send.
    for target, failed, since in [("C-old", 1, OLD), ("C-new", 1, NEW), ("C-pending", 0, OLD)]:
        await db.execute(
            """INSERT INTO slack_outbox (kind, rotation_id, target, body, first_at, due_at, failed,
                   failing_since) VALUES ('duty', 1, ?, '{}', ?, ?, ?, ?)""",
            (target, since, since, failed, since),
        )


async def column(db: Database, sql: str) -> list:
    return [r[0] for r in await db.fetchall(sql)]


async def test_what_is_older_than_history_days_goes_and_the_rest_stays(db):
    await seed(db)
    metrics = Metrics()
    report = await Housekeeping(db, history_days=30, clock=lambda: NOW, metrics=metrics).run()

    assert await column(db, "SELECT at FROM events") == [NEW]
    # Open requests stay whatever their age: someone may still answer them.
    assert await column(db, "SELECT text FROM requests ORDER BY id") == ["old-open", "new-closed"]
    assert await column(db, "SELECT note FROM shift_requests ORDER BY id") == ["old-open", "new"]
    assert await column(db, "SELECT person FROM status_questions") == ["U-new"]
    assert await column(db, "SELECT person_out FROM overrides") == ["U-now"]
    assert await column(db, "SELECT slack_user_id FROM time_away") == ["U-now"]
    assert await column(db, "SELECT target FROM slack_outbox ORDER BY id") == ["C-new", "C-pending"]
    assert await column(db, "SELECT author FROM handoff_notes") == ["U-new"]
    assert await column(db, "SELECT code FROM rotations") == ["A"]  # never pruned

    assert report.pruned == {
        "history": 2,
        "requests": 1,
        "shift_requests": 1,
        "status_questions": 1,
        "status_warnings": 0,
        "overrides": 1,
        "time_away": 1,
        "handoff_notes": 1,
        "refused_slack_messages": 1,
    }
    assert metrics.pruned.labels("history")._value.get() == 2


async def test_rows_go_in_batches_of_a_bounded_size_oldest_first(db):
    await seed(db)
    for n in range(7):
        await db.execute("INSERT INTO events (at, kind) VALUES (?, 'x')", (OLD + 10 + n,))
    history = retention.RULES[0]
    assert history.what == "history"
    # 9 old events: batches of 4 take the oldest four, then four, then one.
    assert await retention.prune_batch(db, history, NOW - 30 * DAY, 4) == 4
    assert await column(db, "SELECT at FROM events ORDER BY at LIMIT 1") == [OLD + 12]
    assert await retention.prune_batch(db, history, NOW - 30 * DAY, 4) == 4
    assert await retention.prune_batch(db, history, NOW - 30 * DAY, 4) == 1
    assert await retention.count_old(db, history, NOW - 30 * DAY) == 0


async def test_a_run_is_many_short_transactions_and_others_write_between_them(db):
    await db.executemany("INSERT INTO events (at, kind) VALUES (?, 'x')", [(OLD + n,) for n in range(50)])
    others: list[int] = []

    async def someone_else() -> None:  # a Slack ack, a hand-over: each needs the database briefly
        for n in range(5):
            async with db.transaction():
                await db.execute(
                    "INSERT INTO owners (slack_user_id, added_by, added_at) VALUES (?, 'U0', 1)", (f"U{n}",)
                )
                others.append(await db.fetch_int("SELECT COUNT(*) FROM events"))
            await asyncio.sleep(0)

    report, _ = await asyncio.gather(
        Housekeeping(db, history_days=30, clock=lambda: NOW, batch=10).run(), someone_else()
    )
    assert report.pruned["history"] == 50
    assert report.batches >= 6  # 5 full batches of history and one that found the end
    # The other writer got in while pruning was under way, not only before or after it.
    assert any(0 < seen < 50 for seen in others), others


async def test_it_runs_once_a_day_and_remembers_across_restarts(db, tmp_path):
    now = [NOW]
    keeper = Housekeeping(db, history_days=30, clock=lambda: now[0])
    assert await keeper.run_if_due() is not None
    assert await keeper.run_if_due() is None
    now[0] += 12 * 3600
    assert await Housekeeping(db, history_days=30, clock=lambda: now[0]).run_if_due() is None  # a restart
    now[0] += 12 * 3600
    assert await Housekeeping(db, history_days=30, clock=lambda: now[0]).run_if_due() is not None


async def fill_and_free(db: Database, rows: int = 3000) -> None:
    await db.executemany(
        "INSERT INTO events (at, kind, detail) VALUES (?, 'x', ?)", [(OLD, "x" * 2000) for _ in range(rows)]
    )
    await db.execute("DELETE FROM events")


async def test_a_new_database_gives_freed_pages_back_in_steps(db):
    assert await db.fetch_int("PRAGMA auto_vacuum") == 2  # incremental from its creation
    await fill_and_free(db)
    size = db.path.stat().st_size
    assert await db.fetch_int("PRAGMA freelist_count") > 1000
    space = await Housekeeping(db, history_days=30, clock=lambda: NOW).give_space_back()
    assert "free pages given back" in space
    assert await db.fetch_int("PRAGMA freelist_count") == 0
    await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert db.path.stat().st_size < size / 2


@pytest.fixture
async def old_db(tmp_path):
    """A database made before this version: not incremental."""
    path = tmp_path / "old.db"
    sqlite3.connect(path).execute("CREATE TABLE early (x)").connection.close()
    database = await Database.open(path)
    assert await database.fetch_int("PRAGMA auto_vacuum") == 0
    yield database
    await database.close()


async def test_an_older_database_is_vacuumed_only_when_a_lot_was_freed(old_db):
    keeper = Housekeeping(old_db, history_days=30, clock=lambda: NOW)
    await fill_and_free(old_db, rows=20)
    assert "kept for reuse" in await keeper.give_space_back()
    assert await old_db.fetch_int("PRAGMA freelist_count") > 0

    await fill_and_free(old_db)
    assert "VACUUM gave back" in await keeper.give_space_back()
    assert await old_db.fetch_int("PRAGMA freelist_count") == 0
    assert await old_db.fetch_int("PRAGMA auto_vacuum") == 2  # and incremental from now on


async def test_no_space_is_given_back_while_a_backup_runs(db, old_db):
    for database in (db, old_db):
        await fill_and_free(database)
        free = await database.fetch_int("PRAGMA freelist_count")
        with maintenance_lock(database.path, wait=True):  # what `app.py backup` holds while it copies
            space = await Housekeeping(database, history_days=30, clock=lambda: NOW).give_space_back()
        assert space == "left for tomorrow: a backup is running"
        assert await database.fetch_int("PRAGMA freelist_count") == free


async def test_vacuum_refuses_to_run_inside_a_transaction(db):
    async with db.transaction():
        with pytest.raises(RuntimeError, match="inside a transaction"):
            await db.vacuum()
        with pytest.raises(RuntimeError, match="inside a transaction"):
            await db.release(10)
