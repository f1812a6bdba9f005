"""The append-only history: duty changes and connection events."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from roundrobin.db import Database


@dataclass(frozen=True)
class Event:
    id: int
    at: float
    kind: str
    rotation_id: int | None
    actor: str | None
    detail: dict[str, Any]


async def record(
    db: Database,
    kind: str,
    at: float,
    actor: str | None = None,
    rotation_id: int | None = None,
    **detail: Any,
) -> None:
    await db.execute(
        "INSERT INTO events (at, kind, rotation_id, actor, detail) VALUES (?, ?, ?, ?, ?)",
        (at, kind, rotation_id, actor, json.dumps(detail, sort_keys=True)),
    )


async def recent(
    db: Database, rotation_id: int | None = None, kinds: tuple[str, ...] = (), limit: int = 20
) -> list[Event]:
    where: list[str] = []
    params: list[object] = []
    if rotation_id is not None:
        where.append("rotation_id = ?")
        params.append(rotation_id)
    if kinds:
        where.append(f"kind IN ({', '.join('?' for _ in kinds)})")
        params.extend(kinds)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = await db.fetchall(
        f"SELECT * FROM events {clause} ORDER BY at DESC, id DESC LIMIT ?", (*params, limit)
    )
    return [Event(**{**dict(r), "detail": json.loads(r["detail"])}) for r in rows]
