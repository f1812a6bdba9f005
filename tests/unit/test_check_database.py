"""`app.py check`'s words about the database: its size, and the Slack work waiting in it."""

import sqlite3
import time

from roundrobin.check import _about_database, _bytes, _duration
from roundrobin.db import Database


async def backlog_db(tmp_path, waited: float | None) -> sqlite3.Connection:
    path = tmp_path / "rr.db"
    db = await Database.open(path)
    await db.execute(
        "INSERT INTO rotations (id, name, code, created_by, created_at, updated_at) VALUES (1, 'A', 'A', 'U0', 0, 0)"
    )
    if waited is not None:
        now = time.time()
        await db.execute(
            """INSERT INTO slack_outbox (kind, rotation_id, target, body, first_at, due_at, failing_since)
               VALUES ('duty', 1, 'C1', '{}', ?, ?, ?)""",
            (now - waited, now + 30, now - waited),  # waiting out a backoff since its first failure
        )
        # A reminder planned for tomorrow is not behind, and a refusal for good does not wait.
        await db.execute(
            """INSERT INTO slack_outbox (kind, rotation_id, target, body, first_at, due_at)
               VALUES ('reminder', 1, 'U1', '{}', ?, ?)""",
            (now, now + 86400),
        )
        await db.execute(
            """INSERT INTO slack_outbox (kind, rotation_id, target, body, first_at, due_at, failed)
               VALUES ('duty', 1, 'C2', '{}', ?, ?, 1)""",
            (now - 9999, now - 9999),
        )
    await db.close()
    return sqlite3.connect(path)


async def test_nothing_waiting(tmp_path):
    with await backlog_db(tmp_path, None) as db:
        lines = [str(line) for line in _about_database(db, tmp_path / "rr.db")]
    assert lines[0].startswith("note  the database takes ") and lines[0].endswith(" on disk")
    assert lines[1] == "note  Slack backlog: nothing waiting"


async def test_work_waiting_for_long_is_pointed_out(tmp_path):
    with await backlog_db(tmp_path, 600) as db:
        lines = [str(line) for line in _about_database(db, tmp_path / "rr.db")]
    assert lines[1].startswith(
        "note  Slack backlog: 1 piece of Slack work waiting, the oldest for 10 minutes"
    )
    assert "longer than 5 minutes: is Round Robin running?" in lines[1]


async def test_work_waiting_briefly_is_just_counted(tmp_path):
    with await backlog_db(tmp_path, 42) as db:
        lines = [str(line) for line in _about_database(db, tmp_path / "rr.db")]
    assert lines[1].startswith("note  Slack backlog: 1 piece of Slack work waiting, the oldest for 4")
    assert lines[1].endswith(" seconds")  # 42, or a little more on a busy machine; nothing about "running?"


def test_sizes_and_durations_read_as_words():
    assert [_bytes(n) for n in (512, 2048, 5 * 1024 * 1024, 3 << 30)] == [
        "512 bytes",
        "2.0 KB",
        "5.0 MB",
        "3.0 GB",
    ]
    assert [_duration(s) for s in (0.2, 1, 90, 7200, 2 * 86400)] == [
        "less than a second",
        "1 second",
        "1 minute",
        "2 hours",
        "2 days",
    ]


async def test_webhook_events_waiting_for_their_receivers_are_counted(tmp_path):
    path = tmp_path / "rr.db"
    with await backlog_db(tmp_path, None) as db:
        assert len(_about_database(db, path)) == 2, "no webhook line while nothing waits"
        for n in range(2):
            db.execute(
                """INSERT INTO webhook_outbox (rotation_id, event_id, body, created_at, due_at)
                   VALUES (1, ?, '{}', ?, ?)""",
                (f"e{n}", time.time() - 3 * 3600, time.time()),
            )
        lines = [str(line) for line in _about_database(db, path)]
    assert lines[2] == (
        "note  webhook backlog: 2 events waiting for their receivers, the oldest for 3 hours "
        "(a rotation's Details › Webhooks… shows its last deliveries)"
    )
