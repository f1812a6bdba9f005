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


async def by_ids(db: Database, ids: Iterable[str]) -> dict[str, SlackUser]:
    wanted = sorted(set(ids))
    found: dict[str, SlackUser] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = await db.fetchall(
            f"""SELECT id, name, real_name, email, is_bot, deleted FROM slack_directory
                WHERE id IN ({", ".join("?" for _ in chunk)})""",
            chunk,
        )
        found.update(
            {
                r["id"]: SlackUser(**{**dict(r), "is_bot": bool(r["is_bot"]), "deleted": bool(r["deleted"])})
                for r in rows
            }
        )
    return found


async def upsert(db: Database, users: Iterable[SlackUser], now: float) -> None:
    """People learned one at a time (users.info) between two full refreshes."""
    await db.executemany(
        """INSERT INTO slack_directory (id, name, real_name, email, is_bot, deleted, seen_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET name = excluded.name, real_name = excluded.real_name,
               email = excluded.email, is_bot = excluded.is_bot, deleted = excluded.deleted,
               seen_at = excluded.seen_at""",
        [
            (u.id, u.name, u.real_name, (u.email or "").lower() or None, int(u.is_bot), int(u.deleted), now)
            for u in users
        ],
    )
