"""The local mirror of PagerDuty: schedules, users (with manual links to Slack), on-call shifts."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from roundrobin.db import Database, Row


@dataclass(frozen=True)
class PdSchedule:
    id: str
    name: str
    version: int = 2
    time_zone: str | None = None
    html_url: str | None = None
    member_ids: tuple[str, ...] = ()
    # What reads taught about a bound schedule (None: not learned yet).
    routed: bool | None = None  # some escalation policy uses it: only then does GET /oncalls show it
    week_rows: float | None = None  # /oncalls rows it gave for a week, to size batches
    levels: float | None = None  # /oncalls rows per stint (one per escalation policy and level)
    planned_at: float | None = None  # when its week ahead was last read
    detail_at: float | None = None  # when its own page (members, policies, name) was last read


@dataclass(frozen=True)
class Learned:
    """What one read taught about a schedule; None leaves the stored value as it is."""

    id: str
    name: str | None = None
    version: int | None = None
    time_zone: str | None = None
    html_url: str | None = None
    member_ids: tuple[str, ...] | None = None
    routed: bool | None = None
    week_rows: float | None = None
    levels: float | None = None
    planned_at: float | None = None
    detail_at: float | None = None


@dataclass(frozen=True)
class Census:
    """How many schedules PagerDuty has, counted as cheaply as it allows."""

    count: int  # layer-based and shift-based together
    exact: bool  # False: PagerDuty has more than `count` and would not say how many
    at: float
    new: int | None = None  # schedules since the last census; None when the account is too large to list
    gone: int | None = None


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


async def remember_schedules(db: Database, schedules: Iterable[PdSchedule], now: float) -> None:
    """Schedules a person was offered (a search answer): kept for a day, so the one they choose is known
    when the form is saved, without reading PagerDuty again. What reads taught is left as it is."""
    await db.executemany(
        """INSERT INTO pd_schedules (id, name, version, time_zone, html_url, member_ids, routed, seen_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET name = excluded.name, version = excluded.version,
               time_zone = COALESCE(excluded.time_zone, pd_schedules.time_zone),
               html_url = COALESCE(excluded.html_url, pd_schedules.html_url),
               member_ids = CASE WHEN excluded.member_ids = '[]' THEN pd_schedules.member_ids
                                 ELSE excluded.member_ids END,
               routed = COALESCE(excluded.routed, pd_schedules.routed), seen_at = excluded.seen_at""",
        [
            (s.id, s.name, s.version, s.time_zone, s.html_url, json.dumps(list(s.member_ids)), s.routed, now)
            for s in schedules
        ],
    )


_LEARNED = ("name", "version", "time_zone", "html_url", "member_ids", "routed", "week_rows", "levels",
            "planned_at", "detail_at")  # fmt: skip


async def learn(db: Database, learned: Iterable[Learned], now: float) -> None:
    """Store what reads taught; a bound schedule never seen in a search gets its row here."""
    learned = list(learned)
    rows = []
    for item in learned:
        values = [getattr(item, column) for column in _LEARNED]
        if item.member_ids is not None:
            values[_LEARNED.index("member_ids")] = json.dumps(list(item.member_ids))
        rows.append((*values, now, item.id))
    async with db.transaction():
        await db.executemany(
            "INSERT OR IGNORE INTO pd_schedules (id, name, seen_at) VALUES (?, ?, ?)",
            [(item.id, item.name or item.id, now) for item in learned],
        )
        keep = ", ".join(f"{c} = COALESCE(?, {c})" for c in _LEARNED)
        await db.executemany(f"UPDATE pd_schedules SET {keep}, seen_at = ? WHERE id = ?", rows)


def _schedule(row: Row) -> PdSchedule:
    return PdSchedule(
        id=row["id"],
        name=row["name"],
        version=row["version"],
        time_zone=row["time_zone"],
        html_url=row["html_url"],
        member_ids=tuple(json.loads(row["member_ids"])),
        routed=None if row["routed"] is None else bool(row["routed"]),
        week_rows=row["week_rows"],
        levels=row["levels"],
        planned_at=row["planned_at"],
        detail_at=row["detail_at"],
    )


async def schedules(db: Database, ids: Iterable[str]) -> dict[str, PdSchedule]:
    ids = list(ids)
    found: dict[str, PdSchedule] = {}
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        rows = await db.fetchall(
            f"SELECT * FROM pd_schedules WHERE id IN ({', '.join('?' for _ in chunk)})", chunk
        )
        found.update({r["id"]: _schedule(r) for r in rows})
    return found


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


async def shifts_of(
    db: Database, schedule_ids: Iterable[str], ending_after: float, starting_before: float | None = None
) -> dict[str, list[Shift]]:
    """Every stored shift of these schedules that ends after `ending_after` (and starts before
    `starting_before`), per schedule, by start."""
    ids = list(schedule_ids)
    found: dict[str, list[Shift]] = {s: [] for s in ids}
    before = float("inf") if starting_before is None else starting_before
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        rows = await db.fetchall(
            f"""SELECT schedule_id, pd_user_id, start, end FROM pd_shifts
                WHERE schedule_id IN ({", ".join("?" for _ in chunk)}) AND (end IS NULL OR end > ?)
                    AND start < ?
                ORDER BY schedule_id, start, pd_user_id""",
            (*chunk, ending_after, before),
        )
        for r in rows:
            found[r["schedule_id"]].append(Shift(**dict(r)))
    return found


async def forget_unfollowed(db: Database, bound: Iterable[str], seen_before: float) -> None:
    """Forget the shifts of schedules no rotation follows any more, and the schedules nobody follows
    that were last offered before `seen_before`."""
    keep = set(bound)
    stored = {r[0] for r in await db.fetchall("SELECT DISTINCT schedule_id FROM pd_shifts")}
    listed = {
        r[0] for r in await db.fetchall("SELECT id FROM pd_schedules WHERE seen_at < ?", (seen_before,))
    }
    async with db.transaction():
        await db.executemany("DELETE FROM pd_shifts WHERE schedule_id = ?", [(s,) for s in stored - keep])
        await db.executemany("DELETE FROM pd_schedules WHERE id = ?", [(s,) for s in listed - keep])


async def forget_schedules(db: Database, schedule_ids: Iterable[str]) -> None:
    """Schedules PagerDuty no longer has: gone from the catalogue, with their shifts."""
    ids = [(s,) for s in schedule_ids]
    async with db.transaction():
        await db.executemany("DELETE FROM pd_shifts WHERE schedule_id = ?", ids)
        await db.executemany("DELETE FROM pd_schedules WHERE id = ?", ids)


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


CENSUS = "pd_census"
CENSUS_IDS = "pd_census_ids"  # the schedule ids of the last census that listed them


async def save_census(db: Database, census: Census) -> None:
    await set_meta(db, CENSUS, json.dumps(census.__dict__))


async def census(db: Database) -> Census | None:
    raw = await get_meta(db, CENSUS)
    return Census(**json.loads(raw)) if raw else None


async def forget_census(db: Database) -> None:
    """Another account (or none): its count and ids say nothing about the next."""
    await db.execute("DELETE FROM meta WHERE key IN (?, ?)", (CENSUS, CENSUS_IDS))
