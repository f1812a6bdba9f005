"""The cached Slack directory: who is in the workspace and their email, for matching PagerDuty users."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from roundrobin.db import Database


@dataclass(frozen=True)
class SlackUser:
    id: str
    name: str
    real_name: str | None = None
    email: str | None = None
    is_bot: bool = False
    deleted: bool = False


async def replace_all(db: Database, users: Iterable[SlackUser], now: float) -> None:
    async with db.transaction():
        await db.execute("DELETE FROM slack_directory")
        await db.executemany(
            """INSERT INTO slack_directory (id, name, real_name, email, is_bot, deleted, seen_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [
                (
                    u.id,
                    u.name,
                    u.real_name,
                    (u.email or "").lower() or None,
                    int(u.is_bot),
                    int(u.deleted),
                    now,
                )
                for u in users
            ],
        )


async def by_emails(db: Database, emails: Iterable[str]) -> dict[str, str]:
    """Lower-cased email → Slack user id, for active people only."""
    wanted = sorted({e.lower() for e in emails if e})
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = await db.fetchall(
            f"""SELECT email, id FROM slack_directory
                WHERE email IN ({", ".join("?" for _ in chunk)}) AND deleted = 0 AND is_bot = 0""",
            chunk,
        )
        found.update({r["email"]: r["id"] for r in rows})
    return found


async def size(db: Database) -> int:
    return (await db.fetchone("SELECT COUNT(*) FROM slack_directory"))[0]
