"""PagerDuty reads that fail for a reason that will not change by itself, and when to try them again.

`what` names the read: "poll", "people", "census", or "schedule:<id>" (that schedule's week ahead).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from roundrobin.db import Database

SCHEDULE = "schedule:"


@dataclass(frozen=True)
class ReadFailure:
    what: str
    error: str  # plain words, safe to show to an admin (never a secret)
    advice: str  # what to do about it
    first_at: float
    last_at: float
    retry_at: float
    attempts: int

    @property
    def schedule_id(self) -> str | None:
        return self.what.removeprefix(SCHEDULE) if self.what.startswith(SCHEDULE) else None


async def record(
    db: Database,
    whats: Iterable[str],
    error: str,
    advice: str,
    now: float,
    delay: Callable[[int], float],
) -> list[ReadFailure]:
    """Another failed attempt at each of these reads; the next one waits `delay(attempts)` seconds."""
    whats = list(dict.fromkeys(whats))
    before = {f.what: f for f in await failing(db, whats)}
    recorded = []
    for what in whats:
        old = before.get(what)
        attempts = (old.attempts if old else 0) + 1
        recorded.append(
            ReadFailure(
                what, error, advice, old.first_at if old else now, now, now + delay(attempts), attempts
            )
        )
    await db.executemany(
        """INSERT OR REPLACE INTO pd_read_failures (what, error, advice, first_at, last_at, retry_at, attempts)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        [(f.what, f.error, f.advice, f.first_at, f.last_at, f.retry_at, f.attempts) for f in recorded],
    )
    return recorded


async def clear(db: Database, whats: Iterable[str]) -> None:
    """These reads worked (or are no longer wanted)."""
    await db.executemany("DELETE FROM pd_read_failures WHERE what = ?", [(w,) for w in whats])


async def clear_all(db: Database) -> None:
    await db.execute("DELETE FROM pd_read_failures")


async def failing(db: Database, whats: Iterable[str] | None = None) -> list[ReadFailure]:
    """Every read failing now (or those of `whats`), the longest-failing first."""
    if whats is None:
        rows = await db.fetchall("SELECT * FROM pd_read_failures ORDER BY first_at, what")
        return [ReadFailure(**dict(r)) for r in rows]
    whats = list(whats)
    found: list[ReadFailure] = []
    for start in range(0, len(whats), 500):  # stay under SQLite's bound-parameter limit
        chunk = whats[start : start + 500]
        rows = await db.fetchall(
            f"SELECT * FROM pd_read_failures WHERE what IN ({', '.join('?' for _ in chunk)})", chunk
        )
        found += [ReadFailure(**dict(r)) for r in rows]
    return found


async def waiting(db: Database, now: float) -> set[str]:
    """Reads that failed and are not to be tried again yet."""
    return {r[0] for r in await db.fetchall("SELECT what FROM pd_read_failures WHERE retry_at > ?", (now,))}
