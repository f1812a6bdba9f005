"""Duty-change events still to post to a rotation's outgoing webhook, and the last deliveries.

An event is written in the same transaction as the duty change (rotations/changes.py), so a crash
keeps both or neither; the webhook delivery worker posts it until the receiver answers 2xx or it
gives up, oldest first for each rotation (a receiver sees a rotation's changes in order)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from roundrobin.db import Database, Row

KEEP_DELIVERIES = 20  # per rotation: what Details shows, and a little more


@dataclass(frozen=True)
class Pending:
    id: int
    rotation_id: int
    event_id: str
    body: dict[str, Any]
    created_at: float
    attempts: int


@dataclass(frozen=True)
class Delivery:
    event_id: str
    at: float
    outcome: str  # delivered | retrying | gave_up
    detail: str
    attempt: int


def _pending(row: Row) -> Pending:
    return Pending(
        row["id"],
        row["rotation_id"],
        row["event_id"],
        json.loads(row["body"]),
        row["created_at"],
        row["attempts"],
    )


async def enqueue(db: Database, rotation_id: int, event: dict[str, Any], now: float) -> None:
    """Inside the duty change's transaction."""
    await db.execute(
        """INSERT INTO webhook_outbox (rotation_id, event_id, body, created_at, due_at)
           VALUES (?, ?, ?, ?, ?)""",
        (rotation_id, event["id"], json.dumps(event, sort_keys=True), now, now),
    )


async def due(db: Database, now: float, limit: int = 100) -> list[Pending]:
    """For each rotation, its oldest event, when it is due."""
    rows = await db.fetchall(
        """SELECT o.* FROM webhook_outbox o
           WHERE o.id = (SELECT MIN(id) FROM webhook_outbox WHERE rotation_id = o.rotation_id)
             AND o.due_at <= ?
           ORDER BY o.due_at, o.id LIMIT ?""",
        (now, limit),
    )
    return [_pending(r) for r in rows]


async def next_due_at(db: Database) -> float | None:
    return await db.fetch_float(
        """SELECT MIN(o.due_at) FROM webhook_outbox o
           WHERE o.id = (SELECT MIN(id) FROM webhook_outbox WHERE rotation_id = o.rotation_id)"""
    )


async def pending_count(db: Database, rotation_id: int | None = None) -> int:
    if rotation_id is None:
        return await db.fetch_int("SELECT COUNT(*) FROM webhook_outbox")
    return await db.fetch_int("SELECT COUNT(*) FROM webhook_outbox WHERE rotation_id = ?", (rotation_id,))


async def done(db: Database, event: Pending, outcome: str, detail: str, now: float) -> None:
    """Delivered, or given up on: the event leaves the outbox, and the delivery is remembered."""
    await db.execute("DELETE FROM webhook_outbox WHERE id = ?", (event.id,))
    await _remember(db, event, outcome, detail, now)


async def retry(db: Database, event: Pending, detail: str, retry_at: float, now: float) -> None:
    await db.execute(
        """UPDATE webhook_outbox SET attempts = attempts + 1, due_at = ?, error = ?,
               failing_since = COALESCE(failing_since, ?)
           WHERE id = ?""",
        (retry_at, detail, now, event.id),
    )
    await _remember(db, event, "retrying", detail, now)


async def drop(db: Database, rotation_id: int) -> None:
    """The rotation no longer posts anywhere: its events still to post are not."""
    await db.execute("DELETE FROM webhook_outbox WHERE rotation_id = ?", (rotation_id,))


async def _remember(db: Database, event: Pending, outcome: str, detail: str, now: float) -> None:
    await db.execute(
        """INSERT INTO webhook_deliveries (rotation_id, event_id, at, outcome, detail, attempt)
           VALUES (?, ?, ?, ?, ?, ?)""",
        (event.rotation_id, event.event_id, now, outcome, detail[:200], event.attempts + 1),
    )
    await db.execute(
        """DELETE FROM webhook_deliveries WHERE rotation_id = ? AND id NOT IN (
               SELECT id FROM webhook_deliveries WHERE rotation_id = ? ORDER BY id DESC LIMIT ?)""",
        (event.rotation_id, event.rotation_id, KEEP_DELIVERIES),
    )


async def deliveries(db: Database, rotation_id: int, limit: int = 5) -> list[Delivery]:
    rows = await db.fetchall(
        """SELECT event_id, at, outcome, detail, attempt FROM webhook_deliveries
           WHERE rotation_id = ? ORDER BY id DESC LIMIT ?""",
        (rotation_id, limit),
    )
    return [Delivery(r["event_id"], r["at"], r["outcome"], r["detail"], r["attempt"]) for r in rows]


# Events waiting for their receivers: how many, and since when (check, /healthz, /metrics).
WAITING_SQL = "SELECT COUNT(*), MIN(created_at) FROM webhook_outbox"


async def waiting(db: Database, now: float) -> tuple[int, float]:
    """How many events wait, and how long the oldest has (0 when none)."""
    row = await db.fetchone(WAITING_SQL)
    if row is None or not row[0]:
        return 0, 0.0
    return int(row[0]), max(0.0, now - float(row[1]))
