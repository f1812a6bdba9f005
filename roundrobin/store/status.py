"""Slack status at hand-over: the questions asked of people about to go on duty (Take it / Skip me),
and the warnings sent to people PagerDuty has on call whose status says they are away."""

from __future__ import annotations

import json
from dataclasses import dataclass

from roundrobin.db import Database, Row

OPEN, TAKEN, SKIPPED, EXPIRED, MOOT = "open", "taken", "skipped", "expired", "moot"

_FIELDS = "id, rotation_id, person, emoji, reason, actor, turn_from, state, asked_at, expires_at, closed_at"


@dataclass(frozen=True)
class Question:
    """A hand-over waiting on one person: `turn_from` is whose turn it was when they were asked (the
    hand-over goes ahead from there once they answer, or when `expires_at` comes)."""

    id: int
    rotation_id: int
    person: str
    emoji: str
    reason: str  # handoff | rotated | handed_over
    actor: str | None
    turn_from: tuple[str, ...]
    state: str
    asked_at: float
    expires_at: float
    closed_at: float | None = None

    @property
    def minutes(self) -> int:
        return round((self.expires_at - self.asked_at) / 60)


def _question(r: Row) -> Question:
    data = dict(r)
    data["turn_from"] = tuple(json.loads(data["turn_from"]))
    return Question(**data)


async def ask(db: Database, q: Question) -> Question:
    """Store an open question (one per rotation at a time: the unique index says so)."""
    new_id = await db.execute(
        f"INSERT INTO status_questions ({_FIELDS}) VALUES (NULL, ?, ?, ?, ?, ?, ?, 'open', ?, ?, NULL)",
        (
            q.rotation_id,
            q.person,
            q.emoji,
            q.reason,
            q.actor,
            json.dumps(list(q.turn_from)),
            q.asked_at,
            q.expires_at,
        ),
    )
    found = await get(db, new_id)
    assert found is not None
    return found


async def get(db: Database, question_id: int) -> Question | None:
    row = await db.fetchone(f"SELECT {_FIELDS} FROM status_questions WHERE id = ?", (question_id,))
    return _question(row) if row else None


async def open_of(db: Database, rotation_id: int) -> Question | None:
    row = await db.fetchone(
        f"SELECT {_FIELDS} FROM status_questions WHERE rotation_id = ? AND state = 'open'", (rotation_id,)
    )
    return _question(row) if row else None


async def open_of_many(db: Database, rotation_ids: list[int]) -> dict[int, Question]:
    found: dict[int, Question] = {}
    for start in range(0, len(rotation_ids), 500):
        chunk = rotation_ids[start : start + 500]
        rows = await db.fetchall(
            f"SELECT {_FIELDS} FROM status_questions WHERE state = 'open' "
            f"AND rotation_id IN ({', '.join('?' for _ in chunk)})",
            chunk,
        )
        found.update({r["rotation_id"]: _question(r) for r in rows})
    return found


async def answered_since(db: Database, rotation_id: int, since: float) -> list[Question]:
    """The questions of a rotation closed since `since` by an answer or the clock (the answers of
    the hand-over in progress), oldest first."""
    rows = await db.fetchall(
        f"SELECT {_FIELDS} FROM status_questions WHERE rotation_id = ? AND closed_at >= ? "
        "AND state IN ('taken', 'skipped', 'expired') ORDER BY id",
        (rotation_id, since),
    )
    return [_question(r) for r in rows]


async def close(db: Database, question_id: int, state: str, now: float) -> bool:
    """Compare-and-set: close an open question; False when it was closed already."""
    return bool(
        await db.execute(
            "UPDATE status_questions SET state = ?, closed_at = ? WHERE id = ? AND state = 'open'",
            (state, now, question_id),
        )
    )


async def next_expiry(db: Database) -> float | None:
    row = await db.fetchone("SELECT MIN(expires_at) FROM status_questions WHERE state = 'open'")
    return row[0] if row else None


# A warning ahead of a shift ("from 09:00") and one as it starts are about the same shift: PagerDuty's
# hand-over reaches Round Robin within seconds of the time it planned.
SAME_SHIFT = 900.0


async def warn_once(
    db: Database, rotation_id: int, person: str, shift_start: float, emoji: str, now: float
) -> bool:
    """Remember a warning about one person's shift; False when they were warned about it already.
    Inside the caller's transaction."""
    seen = await db.fetchone(
        "SELECT 1 FROM status_warnings WHERE rotation_id = ? AND person = ? AND shift_start BETWEEN ? AND ?",
        (rotation_id, person, shift_start - SAME_SHIFT, shift_start + SAME_SHIFT),
    )
    if seen:
        return False
    await db.execute(
        "INSERT INTO status_warnings (rotation_id, person, shift_start, emoji, warned_at) VALUES (?, ?, ?, ?, ?)",
        (rotation_id, person, shift_start, emoji, now),
    )
    return True


async def forget_before(db: Database, before: float) -> None:
    """Questions and warnings about hand-overs long past are no longer needed."""
    await db.execute("DELETE FROM status_warnings WHERE shift_start < ?", (before,))
    await db.execute("DELETE FROM status_questions WHERE state != 'open' AND asked_at < ?", (before,))
