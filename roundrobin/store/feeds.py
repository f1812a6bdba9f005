"""Calendar feeds: one secret subscription link per person and per rotation (feeds/service.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from roundrobin.db import Database, Row


@dataclass(frozen=True)
class Feed:
    id: int
    person: str | None  # a person's feed (every duty of theirs)
    rotation_id: int | None  # or a rotation's (everyone's shifts)
    salt: str  # with the app's key, makes the link's secret; a new salt is a reset


def _feed(row: Row) -> Feed:
    return Feed(row["id"], row["person"], row["rotation_id"], row["salt"])


async def of_person(db: Database, person: str) -> Feed | None:
    row = await db.fetchone("SELECT * FROM calendar_feeds WHERE person = ?", (person,))
    return _feed(row) if row else None


async def of_rotation(db: Database, rotation_id: int) -> Feed | None:
    row = await db.fetchone("SELECT * FROM calendar_feeds WHERE rotation_id = ?", (rotation_id,))
    return _feed(row) if row else None


async def by_token_hash(db: Database, token_hash: str) -> Feed | None:
    row = await db.fetchone("SELECT * FROM calendar_feeds WHERE token_hash = ?", (token_hash,))
    return _feed(row) if row else None


async def put(
    db: Database,
    person: str | None,
    rotation_id: int | None,
    salt: str,
    token_hash: str,
    by: str | None,
    now: float,
) -> None:
    """The feed's link, new or replacing the one it had (the old one stops working at once)."""
    target = "person" if person is not None else "rotation_id"
    await db.execute(
        f"""INSERT INTO calendar_feeds (person, rotation_id, salt, token_hash, made_by, made_at)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT ({target}) WHERE {target} IS NOT NULL DO UPDATE SET
                salt = excluded.salt, token_hash = excluded.token_hash,
                made_by = excluded.made_by, made_at = excluded.made_at""",
        (person, rotation_id, salt, token_hash, by, now),
    )


async def duty_history(
    db: Database, rotation_ids: list[int], since: float, until: float
) -> dict[int, list[tuple[float, tuple[str, ...], str]]]:
    """Rotation id → its recorded duty changes (at, who went on duty, why) in [since, until), with
    the last one before `since` first (who was on duty when the window opens)."""
    if not rotation_ids:
        return {}
    marks = ", ".join("?" for _ in rotation_ids)
    before = await db.fetchall(
        f"""SELECT rotation_id, MAX(at) AS at, detail FROM events
            WHERE kind = 'duty.changed' AND rotation_id IN ({marks}) AND at < ?
            GROUP BY rotation_id""",
        (*rotation_ids, since),
    )
    inside = await db.fetchall(
        f"""SELECT rotation_id, at, detail FROM events
            WHERE kind = 'duty.changed' AND rotation_id IN ({marks}) AND at >= ? AND at < ?
            ORDER BY at, id""",
        (*rotation_ids, since, until),
    )
    found: dict[int, list[tuple[float, tuple[str, ...], str]]] = {}
    for row in [*before, *inside]:
        found.setdefault(row["rotation_id"], []).append(_change(row))
    return found


def _change(row: Row) -> tuple[float, tuple[str, ...], str]:
    detail = json.loads(row["detail"])
    after = detail.get("after")
    people = tuple(str(p) for p in after) if isinstance(after, list) else ()
    return float(row["at"]), people, str(detail.get("why") or detail.get("reason") or "")
