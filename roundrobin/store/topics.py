"""The channel topics Round Robin keeps: what each should say, and what Round Robin last set.

One row per (channel, rotation). `desired` is what to say, as data (rendered into words when it is
set); NULL means "clear Round Robin's own topic if it is still there, then forget the row" — rows
have no foreign key so that clearing outlives a deleted rotation. `applied_text` is the topic
Round Robin last set: a topic that differs from it was changed by someone else and is left alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from roundrobin.db import Database, Row
from roundrobin.rotations.announcement import TopicState


@dataclass(frozen=True)
class TopicWork:
    channel_id: str
    rotation_id: int
    desired: TopicState | None
    desired_rev: int
    applied_text: str | None
    left_alone: str | None
    attempts: int = 0


def _work(row: Row) -> TopicWork:
    return TopicWork(
        channel_id=row["channel_id"],
        rotation_id=row["rotation_id"],
        desired=None if row["desired"] is None else TopicState.from_json(json.loads(row["desired"])),
        desired_rev=row["desired_rev"],
        applied_text=row["applied_text"],
        left_alone=row["left_alone"],
        attempts=row["attempts"],
    )


async def want(
    db: Database, rotation_id: int, channel_id: str, desired: TopicState | None, reclaim: bool = False
) -> None:
    """What the channel's topic should say now (None: clear ours). `reclaim`: the rotation's editor
    chose this channel again, so a topic someone else set may be replaced once more."""
    text = None if desired is None else json.dumps(desired.to_json(), sort_keys=True)
    row = await db.fetchone(
        "SELECT desired, applied_text FROM channel_topics WHERE channel_id = ? AND rotation_id = ?",
        (channel_id, rotation_id),
    )
    if row is None:
        if desired is None:
            return  # nothing of ours to clear
        await db.execute(
            "INSERT INTO channel_topics (channel_id, rotation_id, desired) VALUES (?, ?, ?)",
            (channel_id, rotation_id, text),
        )
        return
    if row["desired"] == text and not reclaim:
        return
    await db.execute(
        f"""UPDATE channel_topics SET desired = ?, desired_rev = desired_rev + 1, attempts = 0,
                next_attempt_at = 0{", left_alone = NULL, applied_text = NULL" if reclaim else ""}
            WHERE channel_id = ? AND rotation_id = ?""",
        (text, channel_id, rotation_id),
    )


async def channels_of(db: Database, rotation_id: int) -> set[str]:
    rows = await db.fetchall(
        "SELECT channel_id FROM channel_topics WHERE rotation_id = ? AND desired IS NOT NULL", (rotation_id,)
    )
    return {r[0] for r in rows}


async def clear_all(db: Database, rotation_id: int) -> None:
    """The rotation is going: clear every topic of ours it kept (rows outlive it for that)."""
    await db.execute(
        """UPDATE channel_topics SET desired = NULL, desired_rev = desired_rev + 1, attempts = 0,
               next_attempt_at = 0
           WHERE rotation_id = ? AND desired IS NOT NULL""",
        (rotation_id,),
    )


async def due(db: Database, now: float, limit: int = 500) -> list[TopicWork]:
    rows = await db.fetchall(
        """SELECT * FROM channel_topics WHERE desired_rev != applied_rev AND next_attempt_at <= ?
           ORDER BY next_attempt_at LIMIT ?""",
        (now, limit),
    )
    return [_work(r) for r in rows]


async def get(db: Database, channel_id: str, rotation_id: int) -> TopicWork | None:
    row = await db.fetchone(
        "SELECT * FROM channel_topics WHERE channel_id = ? AND rotation_id = ?", (channel_id, rotation_id)
    )
    return _work(row) if row else None


async def next_due_at(db: Database) -> float | None:
    return await db.fetch_float(
        "SELECT MIN(next_attempt_at) FROM channel_topics WHERE desired_rev != applied_rev"
    )


async def set_done(
    db: Database,
    work: TopicWork,
    applied_text: str | None,
    left_alone: str | None = None,
    note: str | None = None,
) -> None:
    """Slack holds `applied_text` (ours) now, or someone else's topic was found and left alone
    (`note` says so on the rotation)."""
    if work.desired is None:
        # Cleared (or found someone else's): nothing more to keep for this channel and rotation.
        await db.execute(
            "DELETE FROM channel_topics WHERE channel_id = ? AND rotation_id = ? AND desired_rev = ?",
            (work.channel_id, work.rotation_id, work.desired_rev),
        )
        return
    await db.execute(
        """UPDATE channel_topics SET applied_rev = ?, applied_text = COALESCE(?, applied_text),
               left_alone = ?, attempts = 0, failing_since = NULL, error = ?, permanent = ?
           WHERE channel_id = ? AND rotation_id = ?""",
        (
            work.desired_rev,
            applied_text,
            left_alone,
            note,
            int(note is not None),
            work.channel_id,
            work.rotation_id,
        ),
    )


async def failed(
    db: Database, work: TopicWork, error: str, retry_at: float, permanent: bool, now: float
) -> None:
    await db.execute(
        """UPDATE channel_topics SET attempts = attempts + 1, next_attempt_at = ?, error = ?, permanent = ?,
               failing_since = COALESCE(failing_since, ?)
           WHERE channel_id = ? AND rotation_id = ?""",
        (retry_at, error, int(permanent), now, work.channel_id, work.rotation_id),
    )


async def problems(
    db: Database, rotation_ids: list[int], now: float, show_after: float
) -> dict[int, list[str]]:
    """Per rotation, in words: topics left alone (kept as refusals) and failures that have lasted."""
    found: dict[int, list[str]] = {i: [] for i in rotation_ids}
    if not rotation_ids:
        return found
    rows = await db.fetchall(
        f"""SELECT rotation_id, error, permanent, failing_since FROM channel_topics
            WHERE rotation_id IN ({", ".join("?" for _ in rotation_ids)}) AND desired IS NOT NULL
              AND error IS NOT NULL""",
        rotation_ids,
    )
    for r in rows:
        if r["permanent"] or (r["failing_since"] is not None and now - r["failing_since"] >= show_after):
            found[r["rotation_id"]].append(r["error"])
    return found


async def pending(db: Database) -> int:
    return await db.fetch_int("SELECT COUNT(*) FROM channel_topics WHERE desired_rev != applied_rev")


async def release_waiting(db: Database, now: float) -> int:
    """Slack is back: topics waiting out a backoff after a temporary failure are due now."""
    return await db.execute(
        """UPDATE channel_topics SET next_attempt_at = ?
           WHERE permanent = 0 AND attempts > 0 AND next_attempt_at > ? AND desired_rev != applied_rev""",
        (now, now),
    )


async def probe(db: Database, now: float) -> bool:
    """The topic waiting out a backoff that is due soonest is due now; False when none waits."""
    return bool(
        await db.execute(
            """UPDATE channel_topics SET next_attempt_at = ? WHERE rowid = (
                   SELECT rowid FROM channel_topics
                   WHERE permanent = 0 AND attempts > 0 AND next_attempt_at > ? AND desired_rev != applied_rev
                   ORDER BY next_attempt_at LIMIT 1)""",
            (now, now),
        )
    )
