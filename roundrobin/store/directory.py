"""The cached Slack directory: who is in the workspace, their email (for matching PagerDuty users),
and whether Slack takes them in a user group (deactivated accounts, bots and guests it does not)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from roundrobin.db import Database, Row
from roundrobin.rotations.model import BOT, DEACTIVATED, GUEST, MISSING, SINGLE_CHANNEL_GUEST

_FIELDS = (
    "id, name, real_name, email, is_bot, deleted, is_restricted, is_ultra_restricted, missing, status_emoji, "
    "status_expiration, tz"
)
_VALUES = ", ".join("?" for _ in range(13))  # the fields and seen_at
# Rows Slack would refuse in a user group.
_UNAVAILABLE = "(deleted = 1 OR is_bot = 1 OR is_restricted = 1 OR is_ultra_restricted = 1 OR missing = 1)"


@dataclass(frozen=True)
class SlackUser:
    id: str
    name: str
    real_name: str | None = None
    email: str | None = None
    is_bot: bool = False
    deleted: bool = False
    is_restricted: bool = False  # a guest
    is_ultra_restricted: bool = False  # a single-channel guest
    missing: bool = False  # users.info: user_not_found (kept only for ids met in an on-duty group)
    status_emoji: str | None = None  # their Slack status's emoji (":palm_tree:"), when they set one
    status_expiration: float | None = None  # when Slack clears it (Unix seconds); None or 0: never
    tz: str | None = None  # their Slack time zone ("Europe/London"), when known

    @property
    def why_unavailable(self) -> str | None:
        """Why Slack keeps this person out of user groups (model.DEACTIVATED, …), or None."""
        if self.missing:
            return MISSING
        if self.deleted:
            return DEACTIVATED
        if self.is_bot or self.id == "USLACKBOT":
            return BOT
        if self.is_ultra_restricted:
            return SINGLE_CHANNEL_GUEST
        if self.is_restricted:
            return GUEST
        return None


def _row(u: SlackUser, now: float) -> tuple[object, ...]:
    return (
        u.id,
        u.name,
        u.real_name,
        (u.email or "").lower() or None,
        int(u.is_bot),
        int(u.deleted),
        int(u.is_restricted),
        int(u.is_ultra_restricted),
        int(u.missing),
        u.status_emoji,
        u.status_expiration,
        u.tz,
        now,
    )


def _user(r: Row) -> SlackUser:
    data = dict(r)
    for flag in ("is_bot", "deleted", "is_restricted", "is_ultra_restricted", "missing"):
        data[flag] = bool(data[flag])
    return SlackUser(**data)


async def replace_all(db: Database, users: Iterable[SlackUser], now: float) -> None:
    """The whole directory, as users.list has it. Ids Slack said it does not know stay known as
    such (users.list does not list them either), unless the list has them again."""
    async with db.transaction():
        await db.execute("DELETE FROM slack_directory WHERE missing = 0")
        await db.executemany(
            f"INSERT OR REPLACE INTO slack_directory ({_FIELDS}, seen_at) VALUES ({_VALUES})",
            [_row(u, now) for u in users],
        )


async def by_emails(db: Database, emails: Iterable[str], active_only: bool = True) -> dict[str, str]:
    """Lower-cased email → Slack user id: for active people only, or (`active_only=False`) for any
    account, an active one winning over a deactivated one with the same email."""
    wanted = sorted({e.lower() for e in emails if e})
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = await db.fetchall(
            f"""SELECT email, id FROM slack_directory
                WHERE email IN ({", ".join("?" for _ in chunk)})
                {"AND deleted = 0 AND is_bot = 0 AND missing = 0" if active_only else ""}
                ORDER BY deleted DESC, id""",
            chunk,
        )
        found.update({r["email"]: r["id"] for r in rows})
    return found


async def size(db: Database) -> int:
    return await db.fetch_int("SELECT COUNT(*) FROM slack_directory")


async def by_ids(db: Database, ids: Iterable[str]) -> dict[str, SlackUser]:
    wanted = sorted(set(ids))
    found: dict[str, SlackUser] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = await db.fetchall(
            f"SELECT {_FIELDS} FROM slack_directory WHERE id IN ({', '.join('?' for _ in chunk)})", chunk
        )
        found.update({r["id"]: _user(r) for r in rows})
    return found


async def unavailable(db: Database, ids: Iterable[str]) -> dict[str, str]:
    """Slack user id → why Slack keeps them out of user groups, for those of `ids` it does."""
    wanted = sorted(set(ids))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = await db.fetchall(
            f"""SELECT {_FIELDS} FROM slack_directory
                WHERE id IN ({", ".join("?" for _ in chunk)}) AND {_UNAVAILABLE}""",
            chunk,
        )
        found.update({r["id"]: _user(r).why_unavailable for r in rows})
    return found


async def statuses(db: Database, ids: Iterable[str]) -> dict[str, tuple[str, float]]:
    """Slack user id → (status emoji, expiration; 0: never), for those of `ids` wearing one."""
    wanted = sorted(set(ids))
    found: dict[str, tuple[str, float]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = await db.fetchall(
            f"""SELECT id, status_emoji, status_expiration FROM slack_directory
                WHERE id IN ({", ".join("?" for _ in chunk)}) AND status_emoji IS NOT NULL""",
            chunk,
        )
        found.update({r[0]: (r[1], r[2] or 0.0) for r in rows})
    return found


async def upsert(db: Database, users: Iterable[SlackUser], now: float) -> None:
    """People learned one at a time (users.info, user_change) between two full refreshes."""
    await db.executemany(
        f"""INSERT INTO slack_directory ({_FIELDS}, seen_at) VALUES ({_VALUES})
           ON CONFLICT (id) DO UPDATE SET name = excluded.name, real_name = excluded.real_name,
               email = excluded.email, is_bot = excluded.is_bot, deleted = excluded.deleted,
               is_restricted = excluded.is_restricted, is_ultra_restricted = excluded.is_ultra_restricted,
               missing = excluded.missing, status_emoji = excluded.status_emoji,
               status_expiration = excluded.status_expiration, tz = COALESCE(excluded.tz, tz),
               seen_at = excluded.seen_at""",
        [_row(u, now) for u in users],
    )


async def time_zones(db: Database, ids: Iterable[str]) -> dict[str, str]:
    """Slack user id → their Slack time zone, for those of `ids` whose zone is known."""
    wanted = sorted(set(ids))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = await db.fetchall(
            f"""SELECT id, tz FROM slack_directory
                WHERE id IN ({", ".join("?" for _ in chunk)}) AND tz IS NOT NULL""",
            chunk,
        )
        found.update({r[0]: r[1] for r in rows})
    return found
