"""Round Robin owners added in Settings (owners from ROUNDROBIN_OWNERS live in the config)."""

from __future__ import annotations

from roundrobin.db import Database


async def list_owners(db: Database) -> list[str]:
    rows = await db.fetchall("SELECT slack_user_id FROM owners ORDER BY added_at, slack_user_id")
    return [r["slack_user_id"] for r in rows]


async def is_owner(db: Database, user_id: str) -> bool:
    return await db.fetchone("SELECT 1 FROM owners WHERE slack_user_id = ?", (user_id,)) is not None


async def replace_owners(db: Database, user_ids: list[str], by: str, at: float) -> tuple[set[str], set[str]]:
    """Make the stored owners exactly `user_ids`; returns (added, removed)."""
    async with db.transaction():
        current = set(await list_owners(db))
        wanted = set(user_ids)
        added, removed = wanted - current, current - wanted
        await db.executemany("DELETE FROM owners WHERE slack_user_id = ?", [(u,) for u in removed])
        await db.executemany(
            "INSERT INTO owners (slack_user_id, added_by, added_at) VALUES (?, ?, ?)",
            [(u, by, at) for u in sorted(added)],
        )
    return added, removed
