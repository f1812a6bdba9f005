"""What each person asked of Round Robin for themselves: no direct messages, please."""

from __future__ import annotations

from roundrobin.db import Database


async def dms_muted(db: Database, user_id: str) -> bool:
    return await db.fetchone("SELECT 1 FROM dm_mutes WHERE slack_user_id = ?", (user_id,)) is not None


async def mute_dms(db: Database, user_id: str, muted: bool, at: float) -> None:
    if muted:
        await db.execute(
            "INSERT INTO dm_mutes (slack_user_id, muted_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (user_id, at),
        )
    else:
        await db.execute("DELETE FROM dm_mutes WHERE slack_user_id = ?", (user_id,))
