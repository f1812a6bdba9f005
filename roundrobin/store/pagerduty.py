"""The local mirror of PagerDuty: schedules, users (with manual links to Slack), on-call shifts."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from roundrobin.db import Database


@dataclass(frozen=True)
class PdSchedule:
    id: str
    name: str
    version: int = 2
    time_zone: str | None = None
    html_url: str | None = None
    member_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class PdUser:
    id: str
    name: str
    email: str | None = None
    html_url: str | None = None


@dataclass(frozen=True)
class Shift:
    schedule_id: str
    pd_user_id: str
    start: float
    end: float | None


async def save_schedules(
    db: Database, schedules: Iterable[PdSchedule], now: float, complete: bool
) -> set[str]:
    """Upsert the schedules seen; when the list is `complete`, forget the others. Returns those forgotten."""
    schedules = list(schedules)
    async with db.transaction():
        await db.executemany(
            """INSERT INTO pd_schedules (id, name, version, time_zone, html_url, member_ids, seen_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET name = excluded.name, version = excluded.version,
                   time_zone = excluded.time_zone, html_url = excluded.html_url,
                   member_ids = excluded.member_ids, seen_at = excluded.seen_at""",
            [
                (s.id, s.name, s.version, s.time_zone, s.html_url, json.dumps(list(s.member_ids)), now)
                for s in schedules
            ],
        )
        if not complete:
            return set()
        gone = {r[0] for r in await db.fetchall("SELECT id FROM pd_schedules WHERE seen_at < ?", (now,))}
        await db.execute("DELETE FROM pd_schedules WHERE seen_at < ?", (now,))
        await db.execute("DELETE FROM pd_shifts WHERE schedule_id NOT IN (SELECT id FROM pd_schedules)")
    return gone


def _schedule(row) -> PdSchedule:
    return PdSchedule(
        id=row["id"],
        name=row["name"],
        version=row["version"],
        time_zone=row["time_zone"],
        html_url=row["html_url"],
        member_ids=tuple(json.loads(row["member_ids"])),
    )


async def schedules(db: Database, ids: Iterable[str] | None = None) -> dict[str, PdSchedule]:
    if ids is None:
        rows = await db.fetchall("SELECT * FROM pd_schedules")
    else:
        ids = list(ids)
        if not ids:
            return {}
        rows = await db.fetchall(
            f"SELECT * FROM pd_schedules WHERE id IN ({', '.join('?' for _ in ids)})", ids
        )
    return {r["id"]: _schedule(r) for r in rows}


async def search_schedules(db: Database, query: str, limit: int = 100) -> list[PdSchedule]:
    rows = await db.fetchall(
        "SELECT * FROM pd_schedules WHERE name LIKE ? OR id = ? ORDER BY name COLLATE NOCASE LIMIT ?",
        (f"%{query.strip()}%", query.strip(), limit),
    )
    return [_schedule(r) for r in rows]


async def count_schedules(db: Database) -> int:
    return (await db.fetchone("SELECT COUNT(*) FROM pd_schedules"))[0]


async def save_users(db: Database, users: Iterable[PdUser], now: float) -> None:
    await db.executemany(
        """INSERT INTO pd_users (id, name, email, html_url, seen_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = COALESCE(excluded.email, pd_users.email),
               html_url = excluded.html_url, seen_at = excluded.seen_at""",
        [(u.id, u.name, u.email, u.html_url, now) for u in users],
    )


async def users(db: Database, ids: Iterable[str]) -> dict[str, PdUser]:
    ids = list(ids)
    found: dict[str, PdUser] = {}
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        rows = await db.fetchall(
            f"SELECT id, name, email, html_url FROM pd_users WHERE id IN ({', '.join('?' for _ in chunk)})",
            chunk,
        )
        found.update({r["id"]: PdUser(**dict(r)) for r in rows})
    return found


async def links(db: Database) -> dict[str, str]:
    """PagerDuty user id → Slack user id, set by hand (these win over the email match)."""
    rows = await db.fetchall("SELECT pd_user_id, slack_user_id FROM pd_user_links")
    return {r[0]: r[1] for r in rows}


async def set_link(db: Database, pd_user_id: str, slack_user_id: str | None, by: str, at: float) -> None:
    if slack_user_id is None:
        await db.execute("DELETE FROM pd_user_links WHERE pd_user_id = ?", (pd_user_id,))
        return
    await db.execute(
        """INSERT INTO pd_user_links (pd_user_id, slack_user_id, linked_by, linked_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (pd_user_id) DO UPDATE SET slack_user_id = excluded.slack_user_id,
               linked_by = excluded.linked_by, linked_at = excluded.linked_at""",
        (pd_user_id, slack_user_id, by, at),
    )


async def replace_shifts(db: Database, schedule_ids: Iterable[str], shifts: Iterable[Shift]) -> None:
    """The shifts of these schedules become exactly `shifts` (one transaction)."""
    schedule_ids = list(schedule_ids)
    async with db.transaction():
        await db.executemany("DELETE FROM pd_shifts WHERE schedule_id = ?", [(s,) for s in schedule_ids])
        await db.executemany(
            "INSERT OR IGNORE INTO pd_shifts (schedule_id, pd_user_id, start, end) VALUES (?, ?, ?, ?)",
            [(s.schedule_id, s.pd_user_id, s.start, s.end) for s in shifts],
        )


async def shifts_of(db: Database, schedule_ids: Iterable[str], ending_after: float) -> dict[str, list[Shift]]:
    """Every stored shift of these schedules that ends after `ending_after`, per schedule, by start."""
    ids = list(schedule_ids)
    found: dict[str, list[Shift]] = {s: [] for s in ids}
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        rows = await db.fetchall(
            f"""SELECT schedule_id, pd_user_id, start, end FROM pd_shifts
                WHERE schedule_id IN ({", ".join("?" for _ in chunk)}) AND (end IS NULL OR end > ?)
                ORDER BY schedule_id, start, pd_user_id""",
            (*chunk, ending_after),
        )
        for r in rows:
            found[r["schedule_id"]].append(Shift(**dict(r)))
    return found


async def keep_shifts_of(db: Database, schedule_ids: Iterable[str]) -> None:
    """Forget the shifts of every schedule but these (schedules no rotation follows any more)."""
    keep = set(schedule_ids)
    stored = {r[0] for r in await db.fetchall("SELECT DISTINCT schedule_id FROM pd_shifts")}
    await db.executemany("DELETE FROM pd_shifts WHERE schedule_id = ?", [(s,) for s in stored - keep])


async def forget_schedules(db: Database, schedule_ids: Iterable[str]) -> None:
    """Schedules PagerDuty no longer has: gone from the catalogue, with their shifts."""
    ids = [(s,) for s in schedule_ids]
    async with db.transaction():
        await db.executemany("DELETE FROM pd_shifts WHERE schedule_id = ?", ids)
        await db.executemany("DELETE FROM pd_schedules WHERE id = ?", ids)


async def set_members(db: Database, schedule_id: str, member_ids: Iterable[str]) -> None:
    """The people a schedule names, learned from its detail (the v3 list gives references only)."""
    await db.execute(
        "UPDATE pd_schedules SET member_ids = ? WHERE id = ?", (json.dumps(list(member_ids)), schedule_id)
    )


async def shifts(db: Database, schedule_id: str, ending_after: float, limit: int = 20) -> list[Shift]:
    rows = await db.fetchall(
        """SELECT schedule_id, pd_user_id, start, end FROM pd_shifts
           WHERE schedule_id = ? AND (end IS NULL OR end > ?) ORDER BY start, pd_user_id LIMIT ?""",
        (schedule_id, ending_after, limit),
    )
    return [Shift(**dict(r)) for r in rows]


async def get_meta(db: Database, key: str) -> str | None:
    row = await db.fetchone("SELECT value FROM meta WHERE key = ?", (key,))
    return row[0] if row else None


async def set_meta(db: Database, key: str, value: str) -> None:
    await db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
