"""Cover and swap requests: who asked, for which shift, who it was offered to, and how it ended.

Closing is a compare-and-set on `state = 'open'`, so two people pressing "I'll cover" at once cannot
both take it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from roundrobin.db import Database, Row

OPEN, TAKEN, DECLINED, EXPIRED, CANCELLED = "open", "taken", "declined", "expired", "cancelled"


@dataclass(frozen=True)
class ShiftRequest:
    id: int
    rotation_id: int
    kind: str  # cover | swap
    requester: str
    start: float  # the requester's shift (or the part of it to cover)
    end: float
    state: str
    offered_to: tuple[str, ...] = ()
    taken_by: str | None = None
    target: str | None = None  # swap: whose shift is asked for in return
    target_start: float | None = None
    target_end: float | None = None
    note: str = ""
    created_at: float = 0.0
    expires_at: float = 0.0
    closed_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {name: (list(v) if isinstance(v, tuple) else v) for name, v in self.__dict__.items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ShiftRequest:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["offered_to"] = tuple(known.get("offered_to") or ())
        return cls(**known)


_COLUMNS = (
    "id, rotation_id, kind, requester, start_at, end_at, state, offered_to, taken_by, target, target_start, "
    "target_end, note, created_at, expires_at, closed_at"
)


async def insert(db: Database, r: ShiftRequest) -> ShiftRequest:
    request_id = await db.execute(
        """INSERT INTO shift_requests (rotation_id, kind, requester, start_at, end_at, state, offered_to, taken_by,
               target, target_start, target_end, note, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            r.rotation_id,
            r.kind,
            r.requester,
            r.start,
            r.end,
            r.state,
            json.dumps(list(r.offered_to)),
            r.taken_by,
            r.target,
            r.target_start,
            r.target_end,
            r.note,
            r.created_at,
            r.expires_at,
        ),
    )
    return (await get(db, request_id)) or r


async def get(db: Database, request_id: int) -> ShiftRequest | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM shift_requests WHERE id = ?", (request_id,))
    return _request(row) if row else None


async def close(db: Database, request_id: int, state: str, now: float, taken_by: str | None = None) -> bool:
    """Compare-and-set: close an open request; False when it was closed already."""
    return bool(
        await db.execute(
            "UPDATE shift_requests SET state = ?, taken_by = ?, closed_at = ? WHERE id = ? AND state = 'open'",
            (state, taken_by, now, request_id),
        )
    )


async def expired(db: Database, now: float) -> list[ShiftRequest]:
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM shift_requests WHERE state = 'open' AND expires_at <= ? ORDER BY expires_at",
        (now,),
    )
    return [_request(r) for r in rows]


async def next_expiry(db: Database) -> float | None:
    row = await db.fetchone("SELECT MIN(expires_at) FROM shift_requests WHERE state = 'open'")
    return row[0] if row else None


async def open_of(db: Database, rotation_id: int) -> list[ShiftRequest]:
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM shift_requests WHERE rotation_id = ? AND state = 'open' ORDER BY start_at",
        (rotation_id,),
    )
    return [_request(r) for r in rows]


def _request(r: Row) -> ShiftRequest:
    return ShiftRequest(
        id=r["id"],
        rotation_id=r["rotation_id"],
        kind=r["kind"],
        requester=r["requester"],
        start=r["start_at"],
        end=r["end_at"],
        state=r["state"],
        offered_to=tuple(json.loads(r["offered_to"])),
        taken_by=r["taken_by"],
        target=r["target"],
        target_start=r["target_start"],
        target_end=r["target_end"],
        note=r["note"],
        created_at=r["created_at"],
        expires_at=r["expires_at"],
        closed_at=r["closed_at"],
    )
