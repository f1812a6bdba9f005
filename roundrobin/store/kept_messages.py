"""Messages the app posted and may edit later: where Slack put each one (channel and ts), under the
key its kind gives it (an offer to cover: `shift:<request id>`), for each target it was sent to."""

from __future__ import annotations

from dataclasses import dataclass

from roundrobin.db import Database


@dataclass(frozen=True)
class Kept:
    channel: str
    ts: str


async def keep(db: Database, key: str, target: str, channel: str, ts: str, now: float) -> None:
    await db.execute(
        "INSERT OR REPLACE INTO kept_messages (key, target, channel, ts, kept_at) VALUES (?, ?, ?, ?, ?)",
        (key, target, channel, ts, now),
    )


async def find(db: Database, key: str, target: str) -> Kept | None:
    row = await db.fetchone(
        "SELECT channel, ts FROM kept_messages WHERE key = ? AND target = ?", (key, target)
    )
    return Kept(row["channel"], row["ts"]) if row else None


async def forget(db: Database, key: str, target: str) -> None:
    await db.execute("DELETE FROM kept_messages WHERE key = ? AND target = ?", (key, target))


async def forget_older(db: Database, before: float) -> int:
    """Messages kept longer than anyone would still press their buttons."""
    return await db.execute("DELETE FROM kept_messages WHERE kept_at < ?", (before,))
