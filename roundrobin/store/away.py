"""People's time away: every manual rotation passes them over for the turns it touches."""

from __future__ import annotations

from collections.abc import Iterable

from roundrobin.db import Database, Row
from roundrobin.rotations.timeline import Away


async def add(db: Database, person: str, start: float, end: float, note: str, now: float) -> int:
    return await db.execute(
        "INSERT INTO time_away (slack_user_id, start_at, end_at, note, created_at) VALUES (?, ?, ?, ?, ?)",
        (person, start, end, note, now),
    )


async def of_person(db: Database, person: str, since: float) -> list[tuple[int, Away]]:
    rows = await db.fetchall(
        "SELECT id, slack_user_id, start_at, end_at, note FROM time_away WHERE slack_user_id = ? AND end_at > ? "
        "ORDER BY start_at",
        (person, since),
    )
    return [(r["id"], _away(r)) for r in rows]


async def of_people(db: Database, people: Iterable[str], since: float) -> tuple[Away, ...]:
    """Everyone's time away that has not ended by `since`."""
    wanted = list(dict.fromkeys(people))
    found: list[Away] = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = await db.fetchall(
            "SELECT id, slack_user_id, start_at, end_at, note FROM time_away WHERE end_at > ? AND "
            f"slack_user_id IN ({', '.join('?' for _ in chunk)}) ORDER BY start_at",
            (since, *chunk),
        )
        found += [_away(r) for r in rows]
    return tuple(found)


async def remove(db: Database, person: str, away_id: int) -> bool:
    """A person's own time away only; False when there is none of that id."""
    return bool(
        await db.execute("DELETE FROM time_away WHERE id = ? AND slack_user_id = ?", (away_id, person))
    )


def _away(r: Row) -> Away:
    return Away(r["slack_user_id"], r["start_at"], r["end_at"], r["note"])
