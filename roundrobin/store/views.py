"""Which person each modal Round Robin opened belongs to (by Slack's view id)."""

from __future__ import annotations

from roundrobin.db import Database


async def remember(db: Database, view_id: str, user_id: str, now: float, keep_for: float) -> None:
    async with db.transaction():
        await db.execute("DELETE FROM slack_views WHERE opened_at < ?", (now - keep_for,))
        await db.execute(
            "INSERT OR REPLACE INTO slack_views (view_id, slack_user_id, opened_at) VALUES (?, ?, ?)",
            (view_id, user_id, now),
        )


async def owner(db: Database, view_id: str) -> str | None:
    row = await db.fetchone("SELECT slack_user_id FROM slack_views WHERE view_id = ?", (view_id,))
    return row["slack_user_id"] if row else None
