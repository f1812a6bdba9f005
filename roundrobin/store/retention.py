"""What grows without end, and when a row of it is old enough to go (HISTORY_DAYS): the history,
closed requests and questions, covers and time away long over, hand-off notes, Slack work refused
for good.

Rows go in small batches, each its own short transaction, so the app's other work (a Slack ack, a
hand-over) never waits behind a long delete. What is still open or still ahead is never removed.
"""

from __future__ import annotations

from dataclasses import dataclass

from roundrobin.db import Database


@dataclass(frozen=True)
class Rule:
    what: str  # a word for the logs and the metrics
    table: str
    old: str  # SQL condition: the row is done with, and its time is before the one parameter (?)


RULES: tuple[Rule, ...] = (
    Rule("history", "events", "at < ?"),
    Rule("requests", "requests", "state != 'open' AND COALESCE(closed_at, expires_at) < ?"),
    Rule(
        "shift_requests",
        "shift_requests",
        "state != 'open' AND COALESCE(closed_at, expires_at) < ?",
    ),
    Rule(
        "status_questions",
        "status_questions",
        "state != 'open' AND COALESCE(closed_at, asked_at) < ?",
    ),
    Rule("status_warnings", "status_warnings", "shift_start < ?"),
    Rule("overrides", "overrides", "end_at < ?"),
    Rule("time_away", "time_away", "end_at < ?"),
    Rule("handoff_notes", "handoff_notes", "written_at < ?"),  # history, as the events that show them
    # Sent messages are deleted at once; a message Slack refused for good is kept to show why.
    Rule("refused_slack_messages", "slack_outbox", "failed = 1 AND COALESCE(failing_since, first_at) < ?"),
)


async def prune_batch(db: Database, rule: Rule, before: float, limit: int) -> int:
    """Remove at most `limit` of the oldest rows `rule` says are done with; returns how many went.

    The oldest first by rowid: these tables only grow at the end, so the scan stops early."""
    async with db.transaction():
        return await db.execute(
            f"""DELETE FROM {rule.table} WHERE rowid IN (
                    SELECT rowid FROM {rule.table} WHERE {rule.old} ORDER BY rowid LIMIT ?)""",
            (before, limit),
        )


async def count_old(db: Database, rule: Rule, before: float) -> int:
    return await db.fetch_int(f"SELECT COUNT(*) FROM {rule.table} WHERE {rule.old}", (before,))
