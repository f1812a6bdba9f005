"""What people changed on rotations' timelines: covers (and the two covers of a swap) and skips."""

from __future__ import annotations

from collections.abc import Iterable

from roundrobin.db import Database, Row
from roundrobin.rotations.timeline import Override

_COLUMNS = (
    "id, rotation_id, kind, why, person_out, person_in, start_at, end_at, created_by, created_at, note, ref"
)


async def add(
    db: Database,
    rotation_id: int,
    override: Override,
    created_by: str,
    ref: str | None = None,
) -> int:
    return await db.execute(
        """INSERT INTO overrides (rotation_id, kind, why, person_out, person_in, start_at, end_at, created_by,
               created_at, note, ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            rotation_id,
            override.kind,
            override.why,
            override.person_out,
            override.person_in,
            override.start,
            override.end,
            created_by,
            override.created_at,
            override.note,
            ref,
        ),
    )


async def of(db: Database, rotation_ids: Iterable[int], since: float) -> dict[int, tuple[Override, ...]]:
    """Each rotation's overrides that have not ended by `since`."""
    ids = list(rotation_ids)
    found: dict[int, list[Override]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = await db.fetchall(
            f"SELECT {_COLUMNS} FROM overrides WHERE end_at >= ? AND rotation_id IN "
            f"({', '.join('?' for _ in chunk)}) ORDER BY created_at, id",
            (since, *chunk),
        )
        for r in rows:
            found[r["rotation_id"]].append(_override(r))
    return {i: tuple(v) for i, v in found.items()}


async def get(db: Database, override_id: int) -> tuple[int, Override, str] | None:
    """(rotation id, the override, who made it)."""
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM overrides WHERE id = ?", (override_id,))
    return (row["rotation_id"], _override(row), row["created_by"]) if row else None


async def remove(db: Database, override_id: int) -> None:
    await db.execute("DELETE FROM overrides WHERE id = ?", (override_id,))


async def prune(db: Database, before: float) -> None:
    """Overrides that ended before `before` are history now (the duty changes they made are kept)."""
    await db.execute("DELETE FROM overrides WHERE end_at < ?", (before,))


def _override(r: Row) -> Override:
    return Override(
        id=r["id"],
        kind=r["kind"],
        person_out=r["person_out"],
        start=r["start_at"],
        end=r["end_at"],
        person_in=r["person_in"],
        created_at=r["created_at"],
        why=r["why"],
        note=r["note"],
    )
