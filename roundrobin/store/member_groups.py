"""The user groups rotations take their members from: the group and turn order of each rotation
(read and written with the rotation, store/rotations.py), and what Round Robin last knew of each
group (Slack's date_update, when it last read its people)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from roundrobin.db import Database
from roundrobin.rotations.model import MemberSource, Rotation


async def of(db: Database, rotation_ids: Iterable[int]) -> dict[int, MemberSource]:
    """Rotation id → the group its members follow, for those that follow one."""
    ids, found = list(rotation_ids), {}
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        for r in await db.fetchall(
            "SELECT rotation_id, usergroup_id, handle, turn_order, leaving FROM member_groups "
            f"WHERE rotation_id IN ({', '.join('?' for _ in chunk)})",
            chunk,
        ):
            found[r["rotation_id"]] = MemberSource(
                r["usergroup_id"], r["handle"], r["turn_order"], tuple(json.loads(r["leaving"]))
            )
    return found


async def write(db: Database, rotation: Rotation) -> None:
    """Inside the caller's transaction: the rotation's group as it holds it (none: it stops following
    one). What Round Robin knew of the group is kept while it is the same group."""
    source = rotation.member_source
    if source is None:
        await db.execute("DELETE FROM member_groups WHERE rotation_id = ?", (rotation.id,))
        return
    await db.execute(
        """INSERT INTO member_groups (rotation_id, usergroup_id, handle, turn_order, leaving)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (rotation_id) DO UPDATE SET
               seen_update = CASE WHEN usergroup_id = excluded.usergroup_id THEN seen_update END,
               checked_at = CASE WHEN usergroup_id = excluded.usergroup_id THEN checked_at END,
               usergroup_id = excluded.usergroup_id, handle = excluded.handle,
               turn_order = excluded.turn_order, leaving = excluded.leaving""",
        (rotation.id, source.usergroup_id, source.handle, source.order, json.dumps(list(source.leaving))),
    )


async def followers(db: Database, usergroup_id: str) -> list[int]:
    """The rotations whose members follow this group."""
    rows = await db.fetchall(
        "SELECT rotation_id FROM member_groups WHERE usergroup_id = ? ORDER BY rotation_id", (usergroup_id,)
    )
    return [r[0] for r in rows]


async def follower_label(
    db: Database, usergroup_id: str, except_id: int | None = None
) -> tuple[str, str] | None:
    """(name, code) of a rotation (other than `except_id`) whose members follow this group, if any."""
    row = await db.fetchone(
        "SELECT r.name, r.code FROM member_groups m JOIN rotations r ON r.id = m.rotation_id "
        "WHERE m.usergroup_id = ? AND m.rotation_id IS NOT ? ORDER BY r.id LIMIT 1",
        (usergroup_id, except_id),
    )
    return (row[0], row[1]) if row else None


async def followed(db: Database) -> list[str]:
    """Every group some rotation follows, the longest unread first."""
    rows = await db.fetchall(
        "SELECT usergroup_id FROM member_groups GROUP BY usergroup_id "
        "ORDER BY MAX(COALESCE(checked_at, 0)), usergroup_id"
    )
    return [r[0] for r in rows]


async def seen_update(db: Database, usergroup_id: str) -> float | None:
    """Slack's date_update of the group as Round Robin last applied it; None when not known (or
    when its followers learned it at different times)."""
    rows = await db.fetchall(
        "SELECT DISTINCT seen_update FROM member_groups WHERE usergroup_id = ?", (usergroup_id,)
    )
    return rows[0][0] if len(rows) == 1 else None


async def mark(
    db: Database, usergroup_id: str, seen_update: float | None = None, checked_at: float | None = None
) -> None:
    """Record what Round Robin now knows of the group: its date_update, or when it read its people."""
    if seen_update is not None:
        await db.execute(
            "UPDATE member_groups SET seen_update = ? WHERE usergroup_id = ?", (seen_update, usergroup_id)
        )
    if checked_at is not None:
        await db.execute(
            "UPDATE member_groups SET checked_at = ? WHERE usergroup_id = ?", (checked_at, usergroup_id)
        )
