"""Rotations and their members."""

from __future__ import annotations

from roundrobin.db import Database
from roundrobin.store import events


async def revert_bound_to_manual(db: Database, at: float, actor: str) -> list[int]:
    """Every PagerDuty-bound rotation becomes Manual, keeping its members and on-duty person."""
    async with db.transaction():
        rows = await db.fetchall("SELECT id FROM rotations WHERE source = 'pagerduty' ORDER BY id")
        ids = [r["id"] for r in rows]
        await db.execute(
            "UPDATE rotations SET source = 'manual', pd_schedule_id = NULL, updated_at = ? WHERE source = 'pagerduty'",
            (at,),
        )
        for rotation_id in ids:
            await events.record(
                db, "rotation.reverted_to_manual", at, actor, rotation_id, reason="pagerduty disconnected"
            )
    return ids
