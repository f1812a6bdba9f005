"""Slack work that must happen: each on-duty group's desired state, and messages still to send.

A duty change writes here in the same transaction as the change itself, so a crash can never keep
one without the other. The Slack delivery worker reads it until Slack confirms each piece. For a
user group only the latest desired state is kept (stale states are never replayed); for a message,
changes that arrive before it is sent fold into it (it is rendered from the newest body).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from roundrobin.db import Database, Row
from roundrobin.rotations.model import GroupState


def _json(state: GroupState | None) -> str | None:
    return None if state is None else json.dumps(state.to_json(), sort_keys=True)


def _state(text: str | None) -> GroupState | None:
    return None if text is None else GroupState.from_json(json.loads(text))


def _desired(text: str) -> GroupState:
    state = _state(text)
    assert state is not None, "usergroup_sync.desired is NOT NULL"
    return state


@dataclass(frozen=True)
class GroupWork:
    rotation_id: int
    usergroup_id: str
    desired: GroupState
    applied: GroupState | None  # None: what Slack holds is not known
    attempts: int = 0


def _group(row: Row) -> GroupWork:
    return GroupWork(
        rotation_id=row["rotation_id"],
        usergroup_id=row["usergroup_id"],
        desired=_desired(row["desired"]),
        applied=_state(row["applied"]),
        attempts=row["attempts"],
    )


async def want_group(
    db: Database, rotation_id: int, usergroup_id: str | None, desired: GroupState | None
) -> None:
    """Record what a rotation's group should be; a new group (or a changed wish) is due at once."""
    if usergroup_id is None or desired is None:
        await db.execute("DELETE FROM usergroup_sync WHERE rotation_id = ?", (rotation_id,))
        return
    row = await db.fetchone(
        "SELECT usergroup_id, desired FROM usergroup_sync WHERE rotation_id = ?", (rotation_id,)
    )
    if row is None or row["usergroup_id"] != usergroup_id:
        await db.execute(
            """INSERT OR REPLACE INTO usergroup_sync (rotation_id, usergroup_id, desired, applied)
               VALUES (?, ?, ?, NULL)""",
            (rotation_id, usergroup_id, _json(desired)),
        )
    elif row["desired"] != _json(desired):
        await db.execute(
            "UPDATE usergroup_sync SET desired = ?, attempts = 0, next_attempt_at = 0 WHERE rotation_id = ?",
            (_json(desired), rotation_id),
        )


async def due_groups(db: Database, now: float, limit: int = 500) -> list[GroupWork]:
    rows = await db.fetchall(
        """SELECT * FROM usergroup_sync
           WHERE (applied IS NULL OR applied != desired) AND next_attempt_at <= ?
           ORDER BY next_attempt_at, rotation_id LIMIT ?""",
        (now, limit),
    )
    return [_group(r) for r in rows]


async def group(db: Database, rotation_id: int) -> GroupWork | None:
    row = await db.fetchone("SELECT * FROM usergroup_sync WHERE rotation_id = ?", (rotation_id,))
    return _group(row) if row else None


async def all_groups(db: Database) -> list[GroupWork]:
    return [_group(r) for r in await db.fetchall("SELECT * FROM usergroup_sync ORDER BY rotation_id")]


async def group_applied(db: Database, rotation_id: int, usergroup_id: str, applied: GroupState) -> None:
    """Slack confirmed the group is `applied` now (which may already be behind a newer wish)."""
    await db.execute(
        """UPDATE usergroup_sync SET applied = ?, attempts = 0, next_attempt_at = 0, failing_since = NULL,
               error = NULL, permanent = 0
           WHERE rotation_id = ? AND usergroup_id = ?""",
        (_json(applied), rotation_id, usergroup_id),
    )


async def group_failed(
    db: Database,
    rotation_id: int,
    usergroup_id: str,
    error: str,
    retry_at: float,
    permanent: bool,
    now: float,
) -> None:
    await db.execute(
        """UPDATE usergroup_sync SET attempts = attempts + 1, next_attempt_at = ?, error = ?, permanent = ?,
               failing_since = COALESCE(failing_since, ?)
           WHERE rotation_id = ? AND usergroup_id = ?""",
        (retry_at, error, int(permanent), now, rotation_id, usergroup_id),
    )


async def group_seen(
    db: Database, rotation_id: int, usergroup_id: str, actual: GroupState | None, at: float
) -> bool:
    """What Slack holds now, read back (None: the group is gone); True when it differs from what
    Round Robin last set, so someone changed it by hand and it is due again."""
    row = await db.fetchone(
        "SELECT applied FROM usergroup_sync WHERE rotation_id = ? AND usergroup_id = ?",
        (rotation_id, usergroup_id),
    )
    if row is None or row["applied"] is None or _state(row["applied"]) == actual:
        return False
    await db.execute(
        """UPDATE usergroup_sync SET applied = ?, repaired_at = ?, attempts = 0, next_attempt_at = 0
           WHERE rotation_id = ? AND usergroup_id = ?""",
        (_json(actual), at, rotation_id, usergroup_id),
    )
    return True


# --- messages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    id: int
    kind: str  # duty | reverted | dm_on | dm_off | reminder | …
    rotation_id: int
    target: str
    body: dict[str, Any]  # as JSON: what kind of body it is depends on `kind`
    version: int
    attempts: int = 0
    ref: str = ""


def _message(row: Row) -> Message:
    return Message(
        id=row["id"],
        kind=row["kind"],
        rotation_id=row["rotation_id"],
        target=row["target"],
        body=json.loads(row["body"]),
        version=row["version"],
        attempts=row["attempts"],
        ref=row["ref"],
    )


async def enqueue(
    db: Database,
    kind: str,
    rotation_id: int,
    target: str,
    body: dict[str, Any],
    now: float,
    quiet: float = 0.0,
    max_delay: float = 0.0,
    ref: str = "",
    due_at: float | None = None,
    merge: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None,
) -> None:
    """A message to send `quiet` seconds after the last change, but no later than `max_delay` after
    the first: a burst of changes becomes one message that carries the newest body (or what `merge`
    makes of the body waiting and the new one). `due_at` sets the time outright (a reminder)."""
    row = await db.fetchone(
        "SELECT id, first_at, failed, body FROM slack_outbox "
        "WHERE kind = ? AND rotation_id = ? AND target = ? AND ref = ?",
        (kind, rotation_id, target, ref),
    )
    if row is not None and merge is not None and not row["failed"]:
        body = merge(json.loads(row["body"]), body)
    text = json.dumps(body, sort_keys=True)
    if row is None:
        await db.execute(
            """INSERT INTO slack_outbox (kind, rotation_id, target, ref, body, first_at, due_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (kind, rotation_id, target, ref, text, now, now + quiet if due_at is None else due_at),
        )
        return
    if due_at is not None:
        await db.execute(
            """UPDATE slack_outbox SET body = ?, version = version + 1, first_at = ?, due_at = ?, failed = 0,
                   attempts = 0
               WHERE id = ?""",
            (text, now, due_at, row["id"]),
        )
        return
    first = now if row["failed"] else row["first_at"]
    await db.execute(
        """UPDATE slack_outbox SET body = ?, version = version + 1, first_at = ?, due_at = ?, failed = 0,
               attempts = 0
           WHERE id = ?""",
        (text, first, min(first + max_delay, now + quiet), row["id"]),
    )


async def messages_of(db: Database, rotation_id: int, kind: str) -> list[Message]:
    rows = await db.fetchall(
        "SELECT * FROM slack_outbox WHERE rotation_id = ? AND kind = ? ORDER BY id", (rotation_id, kind)
    )
    return [_message(r) for r in rows]


async def due_messages(db: Database, now: float, limit: int = 500) -> list[Message]:
    rows = await db.fetchall(
        "SELECT * FROM slack_outbox WHERE failed = 0 AND due_at <= ? ORDER BY due_at, id LIMIT ?",
        (now, limit),
    )
    return [_message(r) for r in rows]


async def next_due_at(db: Database) -> float | None:
    """The earliest time any pending work becomes due."""
    return await db.fetch_float(
        """SELECT MIN(t) FROM (
               SELECT MIN(due_at) AS t FROM slack_outbox WHERE failed = 0
               UNION ALL
               SELECT MIN(next_attempt_at) FROM usergroup_sync WHERE applied IS NULL OR applied != desired)"""
    )


async def message_sent(db: Database, message: Message) -> None:
    """Slack took it. A newer body that arrived meanwhile stays pending and goes out next."""
    removed = await db.execute(
        "DELETE FROM slack_outbox WHERE id = ? AND version = ?", (message.id, message.version)
    )
    if not removed:
        await db.execute(
            "UPDATE slack_outbox SET attempts = 0, failing_since = NULL, error = NULL WHERE id = ?",
            (message.id,),
        )


async def message_failed(
    db: Database, message: Message, error: str, retry_at: float, permanent: bool, now: float
) -> None:
    """A temporary failure waits until `retry_at`; a permanent one is kept only to show `error`."""
    if permanent:
        # A newer body (version moved on) still deserves its own attempt.
        await db.execute(
            "UPDATE slack_outbox SET failed = (version = ?), error = ?, failing_since = COALESCE(failing_since, ?) "
            "WHERE id = ?",
            (message.version, error, now, message.id),
        )
        return
    await db.execute(
        """UPDATE slack_outbox SET attempts = attempts + 1, due_at = ?, error = ?,
               failing_since = COALESCE(failing_since, ?)
           WHERE id = ?""",
        (retry_at, error, now, message.id),
    )


async def forget(db: Database, rotation_id: int, kind: str, target: str | None = None) -> None:
    """Drop pending messages of a kind for a rotation (to one target, or all of them)."""
    if target is None:
        await db.execute("DELETE FROM slack_outbox WHERE rotation_id = ? AND kind = ?", (rotation_id, kind))
    else:
        await db.execute(
            "DELETE FROM slack_outbox WHERE rotation_id = ? AND kind = ? AND target = ?",
            (rotation_id, kind, target),
        )


async def forget_ref(db: Database, kind: str, ref: str) -> None:
    """Drop messages of a kind about one thing (a closed request's offers) that are still to send."""
    await db.execute("DELETE FROM slack_outbox WHERE kind = ? AND ref = ? AND failed = 0", (kind, ref))


async def forget_targets(db: Database, rotation_id: int, keep: tuple[str, ...], kind: str = "duty") -> None:
    """Messages for channels a rotation no longer tells are not sent (nor their problems shown)."""
    await db.execute(
        f"""DELETE FROM slack_outbox WHERE rotation_id = ? AND kind = ?
            AND target NOT IN ({", ".join("?" for _ in keep) or "''"})""",
        (rotation_id, kind, *keep),
    )


# --- after an outage --------------------------------------------------------------------------


async def release_waiting(db: Database, now: float) -> int:
    """Slack is back: every group and message waiting out a backoff after a temporary failure is due
    now (refusals keep their own pace, and messages not yet due for other reasons stay as planned)."""
    groups = await db.execute(
        """UPDATE usergroup_sync SET next_attempt_at = ?
           WHERE permanent = 0 AND attempts > 0 AND next_attempt_at > ?
             AND (applied IS NULL OR applied != desired)""",
        (now, now),
    )
    messages = await db.execute(
        "UPDATE slack_outbox SET due_at = ? WHERE failed = 0 AND attempts > 0 AND due_at > ?", (now, now)
    )
    return groups + messages


async def probe(db: Database, now: float) -> bool:
    """One piece of work waiting out a backoff (the one due soonest) is due now: it asks whether
    Slack is back. False when nothing waits."""
    group = await db.execute(
        """UPDATE usergroup_sync SET next_attempt_at = ? WHERE rotation_id = (
               SELECT rotation_id FROM usergroup_sync
               WHERE permanent = 0 AND attempts > 0 AND next_attempt_at > ?
                 AND (applied IS NULL OR applied != desired)
               ORDER BY next_attempt_at LIMIT 1)""",
        (now, now),
    )
    if group:
        return True
    return bool(
        await db.execute(
            """UPDATE slack_outbox SET due_at = ? WHERE id = (
                   SELECT id FROM slack_outbox WHERE failed = 0 AND attempts > 0 AND due_at > ?
                   ORDER BY due_at LIMIT 1)""",
            (now, now),
        )
    )


# --- what people see -------------------------------------------------------------------------


async def problems(
    db: Database, rotation_ids: list[int], now: float, show_after: float
) -> dict[int, list[str]]:
    """Words to show on each rotation: refusals at once, temporary failures once they have lasted."""
    found: dict[int, list[str]] = {i: [] for i in rotation_ids}
    if not rotation_ids:
        return found
    marks = ", ".join("?" for _ in rotation_ids)
    rows = await db.fetchall(
        f"""SELECT rotation_id, error, permanent AS refused, failing_since FROM usergroup_sync
            WHERE rotation_id IN ({marks}) AND error IS NOT NULL
            UNION ALL
            SELECT rotation_id, error, failed, failing_since FROM slack_outbox
            WHERE rotation_id IN ({marks}) AND error IS NOT NULL
            ORDER BY rotation_id""",
        (*rotation_ids, *rotation_ids),
    )
    for r in rows:
        if r["refused"] or (r["failing_since"] is not None and now - r["failing_since"] >= show_after):
            found[r["rotation_id"]].append(r["error"])
    return found


async def repaired(db: Database, rotation_ids: list[int], since: float) -> set[int]:
    """Rotations whose group someone changed by hand in Slack, set back after `since`."""
    if not rotation_ids:
        return set()
    rows = await db.fetchall(
        f"""SELECT rotation_id FROM usergroup_sync WHERE repaired_at >= ?
            AND rotation_id IN ({", ".join("?" for _ in rotation_ids)})""",
        (since, *rotation_ids),
    )
    return {r[0] for r in rows}


@dataclass(frozen=True)
class Backlog:
    pending: int  # pieces of work not yet confirmed by Slack
    stuck: int  # of those, failing for longer than the caller's patience


async def backlog(db: Database, now: float, patience: float) -> Backlog:
    rows = await db.fetchall(
        """SELECT failing_since FROM slack_outbox WHERE failed = 0
           UNION ALL
           SELECT failing_since FROM usergroup_sync WHERE (applied IS NULL OR applied != desired)
               AND permanent = 0"""
    )
    failing = [r[0] for r in rows if r[0] is not None]
    return Backlog(
        pending=len(rows),
        stuck=sum(1 for since in failing if now - since >= patience),
    )


# What `GET /metrics` and `app.py check` call the backlog: Slack work that is due (or waiting out a
# backoff after a failure) and not yet confirmed, and since when the oldest has waited. A reminder
# planned for later is not behind; a refusal for good is not waiting. One parameter: now.
WAITING_SQL = """
    SELECT COUNT(*), MIN(since) FROM (
        SELECT COALESCE(failing_since, due_at) AS since FROM slack_outbox
            WHERE failed = 0 AND (due_at <= ?1 OR failing_since IS NOT NULL)
        UNION ALL
        SELECT COALESCE(failing_since, ?1) FROM usergroup_sync
            WHERE (applied IS NULL OR applied != desired) AND permanent = 0
        UNION ALL
        SELECT COALESCE(failing_since, ?1) FROM channel_topics
            WHERE desired_rev != applied_rev AND permanent = 0)
"""


@dataclass(frozen=True)
class Waiting:
    items: int
    oldest_age: float  # seconds; 0 when nothing waits


async def waiting(db: Database, now: float) -> Waiting:
    row = await db.fetchone(WAITING_SQL, (now,))
    if row is None or not row[0]:
        return Waiting(0, 0.0)
    return Waiting(int(row[0]), max(0.0, now - float(row[1])))
