"""Hand-off notes as written, the shift they close, and the channel messages a note threads under."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from roundrobin.db import Database
from roundrobin.store.requests import Request, _request

ANNOUNCEMENTS_KEPT = 7 * 86400.0  # a note threads under a hand-over's message from the last week


class AlreadyWritten(Exception):
    """This person already wrote the note for this hand-over."""


async def insert(
    db: Database,
    rotation_id: int,
    author: str,
    hand_over: float,
    incoming: tuple[str, ...],
    note: str,
    summary: dict[str, Any],
    now: float,
) -> int:
    try:
        return await db.execute(
            """INSERT INTO handoff_notes (rotation_id, author, hand_over_at, incoming, note, requests, written_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (rotation_id, author, hand_over, json.dumps(list(incoming)), note, json.dumps(summary), now),
        )
    except sqlite3.IntegrityError:
        raise AlreadyWritten() from None


async def written(db: Database, rotation_id: int, author: str, hand_over: float) -> bool:
    return bool(
        await db.fetch_int(
            """SELECT COUNT(*) FROM handoff_notes
               WHERE rotation_id = ? AND author = ? AND ABS(hand_over_at - ?) < 1""",
            (rotation_id, author, hand_over),
        )
    )


async def duty_changes_before(
    db: Database, rotation_id: int, before: float, limit: int = 50
) -> list[tuple[float, tuple[str, ...], tuple[str, ...]]]:
    """The rotation's last duty changes before `before`, newest first: (at, before, after)."""
    rows = await db.fetchall(
        """SELECT at, detail FROM events WHERE rotation_id = ? AND kind = 'duty.changed' AND at < ?
           ORDER BY at DESC, id DESC LIMIT ?""",
        (rotation_id, before, limit),
    )
    found = []
    for at, detail in rows:
        data = json.loads(detail)
        found.append((at, tuple(data.get("before") or ()), tuple(data.get("after") or ())))
    return found


async def requests_between(
    db: Database, rotation_id: int, start: float, end: float, limit: int = 500
) -> list[Request]:
    """The rotation's @Round Robin requests made in [start, end), oldest first."""
    rows = await db.fetchall(
        """SELECT * FROM requests WHERE rotation_id = ? AND created_at >= ? AND created_at < ?
           ORDER BY created_at, id LIMIT ?""",
        (rotation_id, start, end, limit),
    )
    return [_request(r) for r in rows]


async def announced(db: Database, rotation_id: int, channel: str, ts: str, now: float) -> None:
    """A hand-over's message went to `channel` as `ts` (older ones are forgotten after a week)."""
    await db.execute(
        "INSERT OR IGNORE INTO announcements (rotation_id, channel, ts, posted_at) VALUES (?, ?, ?, ?)",
        (rotation_id, channel, ts, now),
    )
    await db.execute(
        "DELETE FROM announcements WHERE rotation_id = ? AND channel = ? AND posted_at < ?",
        (rotation_id, channel, now - ANNOUNCEMENTS_KEPT),
    )


async def thread_after(db: Database, rotation_id: int, channel: str, since: float) -> str | None:
    """The first hand-over message posted to `channel` at or after `since`: the thread a note joins."""
    row = await db.fetchone(
        """SELECT ts FROM announcements WHERE rotation_id = ? AND channel = ? AND posted_at >= ?
           ORDER BY posted_at LIMIT 1""",
        (rotation_id, channel, since),
    )
    return row[0] if row else None
