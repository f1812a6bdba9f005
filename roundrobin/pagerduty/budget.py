"""What following PagerDuty may spend, and on what: pure rules, no I/O.

PagerDuty allows a credential 960 requests a minute. Round Robin keeps to a tenth of that, whatever
the number of bound schedules, so the same key can serve other tools:

- The **credit** grows by BUDGET_PER_MINUTE as time passes (at most one interval's worth is saved up)
  and every request spends it. A Sync now may run it below zero; later ticks pay it back by reading
  less ahead, never by skipping the poll.
- The **poll** (who is on call now) may take half of an interval's credit. When asking about every
  bound schedule costs more, it goes round them in groups, one group a tick, each looking ahead until
  its next turn.
- The **look-ahead** gets the rest: each bound schedule's week ahead is due again REFRESH_EVERY after it
  was read, and its own page (members, policies, name) DETAIL_EVERY after that was read. The most
  overdue are read first, as far as the credit goes; a schedule never read is read at once.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from roundrobin.store.pagerduty import PdSchedule

BUDGET_PER_MINUTE = 96.0  # a tenth of PagerDuty's 960 requests a minute per credential
POLL_SHARE = 0.5  # of an interval's credit, at most, for the poll
REFRESH_EVERY = (
    15 * 60.0
)  # a schedule's week ahead is read again this long after it was read, budget allowing
DETAIL_EVERY = 24 * 3600.0  # and its own page (members not on call this week, policies, name) once a day
SYNC_NOW_SPEND = 5 * BUDGET_PER_MINUTE  # Sync now may read ahead five minutes' worth at once
PAGE = 100  # rows per /oncalls page, ids per /oncalls request
DAILY_WEEK_ROWS = 9.0  # a guess for a schedule never read: a daily rotation's stints in a week


class Credit:
    """Requests the sync may still make. A debt (a Sync now, thousands of schedules bound at once) is
    paid back over at most five minutes' worth: past that it is forgiven, so reading ahead resumes."""

    def __init__(self, per_minute: float = BUDGET_PER_MINUTE):
        self.per_minute = per_minute
        self.balance = 0.0
        self._at: float | None = None

    def per_tick(self, interval: float) -> float:
        return self.per_minute * interval / 60

    def earn(self, now: float, interval: float) -> None:
        """What the time since the last cycle earned (the first cycle starts with one interval's worth)."""
        earned = (
            self.per_tick(interval) if self._at is None else self.per_minute * max(0.0, now - self._at) / 60
        )
        # Nothing is saved up past one interval's worth: no minute spends more than the budget.
        self.balance = min(self.per_tick(interval), self.balance + earned)
        self._at = now

    def spend(self, requests: float) -> None:
        self.balance = max(self.balance - requests, -5 * self.per_minute)


def poll_cost(ids: Sequence[str], levels: Mapping[str, float]) -> int:
    """Requests to ask /oncalls about these schedules for a moment: a page holds 100 rows, a request
    names 100 schedules, and each schedule gives a row per escalation policy and level using it."""
    rows = sum(levels.get(s) or 1.0 for s in ids)
    return max(math.ceil(len(ids) / PAGE), math.ceil(rows / PAGE)) if ids else 0


def poll_groups(ids: Sequence[str], levels: Mapping[str, float], allowance: float) -> list[list[str]]:
    """The schedules to poll, in as few groups as keep each poll within `allowance` requests."""
    groups = max(1, math.ceil(poll_cost(ids, levels) / max(allowance, 1.0)))
    return [list(ids[n::groups]) for n in range(groups)]


@dataclass(frozen=True)
class Read:
    """One schedule's week ahead, to be read now."""

    schedule_id: str
    detail: bool  # from its own page (1 request), not from a batched /oncalls read (a share of one)
    cost: float  # expected requests
    due_at: float  # -inf: never read

    @property
    def new(self) -> bool:
        return self.due_at == -math.inf


def due_reads(
    bound: Iterable[str], known: Mapping[str, PdSchedule], now: float, everything: bool = False
) -> list[Read]:
    """Every bound schedule whose week ahead (or own page) is due, the most overdue first; with
    `everything` (Sync now), every week is due now."""
    reads = []
    for schedule_id in bound:
        row = known.get(schedule_id)
        if row is None or row.planned_at is None:
            # Never read: /oncalls first (cheap); one it does not show is read from its own page.
            detail = row is not None and row.routed is False
            reads.append(Read(schedule_id, detail, 1.0 if detail else _week_cost(row), -math.inf))
            continue
        week_due = row.planned_at + REFRESH_EVERY
        if row.routed is False:  # no escalation policy uses it: only its own page says who is on call
            detail_due = week_due
        elif row.detail_at is None:
            # Its page was never read (bound in bulk, or before an upgrade): spread over the day
            # after its first read, so thousands bound at once do not all come due together.
            detail_due = row.planned_at + _spread(schedule_id)
        else:
            detail_due = row.detail_at + DETAIL_EVERY
        due = min(week_due, detail_due, now) if everything else min(week_due, detail_due)
        if due <= now:
            detail = detail_due <= now
            reads.append(Read(schedule_id, detail, 1.0 if detail else _week_cost(row), due))
    reads.sort(key=lambda r: (r.due_at, r.schedule_id))
    return reads


def _spread(schedule_id: str) -> float:
    """A stable moment within DETAIL_EVERY for this schedule (the same after a restart)."""
    return REFRESH_EVERY + zlib.crc32(schedule_id.encode()) % int(DETAIL_EVERY - REFRESH_EVERY)


def _week_cost(row: PdSchedule | None) -> float:
    """A share of a batched /oncalls read: its rows, and its share of the batch's last, part-full page."""
    rows = row.week_rows if row is not None and row.week_rows else DAILY_WEEK_ROWS
    return (rows + 0.5) / PAGE


def from_own_page(reads: Sequence[Read], few: int) -> list[Read]:
    """A few schedules just bound are read from their own page: their members show at once (one
    request each). Many at once (a bulk bind, an upgrade) take /oncalls, 100 to a request."""
    if sum(r.new for r in reads) > few:
        return list(reads)
    return [Read(r.schedule_id, True, 1.0, r.due_at) if r.new else r for r in reads]


def take(reads: Sequence[Read], allowance: float) -> list[Read]:
    """The reads to make now: every never-read schedule, then the most overdue while `allowance` lasts
    (the first of them even if it costs more than is left, as long as something is: the credit never
    saves up past one interval's worth, so a read dearer than that would wait for ever)."""
    chosen = [r for r in reads if r.new]
    spent = sum(r.cost for r in chosen)
    for read in reads:
        if read.new:
            continue
        if spent + read.cost > allowance and (spent > 0 or allowance <= 0):
            break
        chosen.append(read)
        spent += read.cost
    return chosen
