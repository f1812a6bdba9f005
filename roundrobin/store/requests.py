"""Requests made with `@Round Robin CODE …`: who asked, where, who it was offered to, and how it ended.

The table is the record: an open request stays open across restarts until someone takes it, everyone
passes, or it expires. Closing is a compare-and-set on `state = 'open'`, so two people pressing ACK at
once cannot both take it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from roundrobin.db import Database, Row

OPEN, ACKED, EXPIRED, UNANSWERED = "open", "acked", "expired", "unanswered"


@dataclass(frozen=True)
class Request:
    id: int
    rotation_id: int | None  # None: the rotation was deleted since
    code: str
    channel_id: str
    thread_ts: str  # the thread the request lives in (its root message)
    requester: str
    text: str  # as the person typed it (Slack's markup included); escaped wherever it is shown
    state: str
    offered_to: tuple[str, ...] = ()  # everyone it was offered to, in order
    passed_by: tuple[str, ...] = ()
    acked_by: str | None = None
    created_at: float = 0.0
    expires_at: float = 0.0
    closed_at: float | None = None

    @property
    def holders(self) -> tuple[str, ...]:
        """Who has it on offer now: offered and not passed."""
        return tuple(u for u in self.offered_to if u not in self.passed_by)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rotation_id": self.rotation_id,
            "code": self.code,
            "channel_id": self.channel_id,
            "thread_ts": self.thread_ts,
            "requester": self.requester,
            "text": self.text,
            "state": self.state,
            "offered_to": list(self.offered_to),
            "passed_by": list(self.passed_by),
            "acked_by": self.acked_by,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "closed_at": self.closed_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Request:
        return cls(
            **{
                **data,
                "offered_to": tuple(data.get("offered_to") or ()),
                "passed_by": tuple(data.get("passed_by") or ()),
            }
        )


def _request(row: Row) -> Request:
    data = dict(row)
    data["offered_to"] = tuple(json.loads(data["offered_to"]))
    data["passed_by"] = tuple(json.loads(data["passed_by"]))
    return Request(**data)


async def insert(db: Database, request: Request) -> Request:
    request_id = await db.execute(
        """INSERT INTO requests (rotation_id, code, channel_id, thread_ts, requester, text, state, offered_to,
               passed_by, acked_by, created_at, expires_at, closed_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            request.rotation_id,
            request.code,
            request.channel_id,
            request.thread_ts,
            request.requester,
            request.text,
            request.state,
            json.dumps(list(request.offered_to)),
            json.dumps(list(request.passed_by)),
            request.acked_by,
            request.created_at,
            request.expires_at,
            request.closed_at,
        ),
    )
    return await reread(db, request_id)


async def get(db: Database, request_id: int) -> Request | None:
    row = await db.fetchone("SELECT * FROM requests WHERE id = ?", (request_id,))
    return _request(row) if row else None


async def reread(db: Database, request_id: int) -> Request:
    """A request as it is now, read back inside the transaction that just changed it (so it is there)."""
    request = await get(db, request_id)
    if request is None:
        raise LookupError(f"request {request_id} is gone inside its own transaction")
    return request


async def same_ask(
    db: Database, channel_id: str, thread_ts: str, requester: str, text: str, since: float
) -> Request | None:
    """A request already opened for this very message (Slack delivers an event again when its ack
    was lost)."""
    row = await db.fetchone(
        """SELECT * FROM requests WHERE channel_id = ? AND thread_ts = ? AND requester = ? AND text = ?
           AND created_at >= ? ORDER BY id DESC LIMIT 1""",
        (channel_id, thread_ts, requester, text, since),
    )
    return _request(row) if row else None


async def take(db: Database, request_id: int, user_id: str, now: float) -> bool:
    """Compare-and-set: `user_id` takes the request if it is still open; False when it was not."""
    return bool(
        await db.execute(
            "UPDATE requests SET state = ?, acked_by = ?, closed_at = ? "
            "WHERE id = ? AND state = ? AND expires_at > ?",
            (ACKED, user_id, now, request_id, OPEN, now),
        )
    )


async def passed(
    db: Database, request_id: int, passed_by: tuple[str, ...], offered_to: tuple[str, ...]
) -> bool:
    """Record a pass (and whoever it is offered to next) on a request that is still open."""
    return bool(
        await db.execute(
            "UPDATE requests SET passed_by = ?, offered_to = ? WHERE id = ? AND state = ?",
            (json.dumps(list(passed_by)), json.dumps(list(offered_to)), request_id, OPEN),
        )
    )


async def close(db: Database, request_id: int, state: str, now: float) -> bool:
    """Close an open request as expired or unanswered; False when it was closed already."""
    return bool(
        await db.execute(
            "UPDATE requests SET state = ?, closed_at = ? WHERE id = ? AND state = ?",
            (state, now, request_id, OPEN),
        )
    )


async def expired(db: Database, now: float, limit: int = 200) -> list[Request]:
    """Open requests whose time is up, oldest first."""
    rows = await db.fetchall(
        "SELECT * FROM requests WHERE state = ? AND expires_at <= ? ORDER BY expires_at, id LIMIT ?",
        (OPEN, now, limit),
    )
    return [_request(r) for r in rows]


async def next_expiry(db: Database) -> float | None:
    """When the first open request expires (None: nothing is open)."""
    return await db.fetch_float("SELECT MIN(expires_at) FROM requests WHERE state = ?", (OPEN,))
