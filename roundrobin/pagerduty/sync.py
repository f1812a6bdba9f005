"""Following PagerDuty: a cheap poll every interval, the week ahead now and then, hand-overs on time,
all within a tenth of PagerDuty's rate limit however many schedules are bound (see budget.py).

Only the schedules bound rotations follow are read; nothing pages through all of an account's
schedules (the picker searches them, see search.py). Each cycle:

1. The poll asks /oncalls who is on call from now to just past the schedule's next poll: about one
   row per schedule and level. Where the answer differs from the stored plan (an override, a swap,
   a schedule taken out of its policy), that schedule's week is read again at once.
2. The look-ahead reads the week ahead of the schedules whose turn has come: in batches from
   /oncalls for those an escalation policy uses, from their own page (final schedule) for those no
   policy uses (which /oncalls never shows), and now and then from their own page anyway, for the
   members who are not on call this week. A schedule never read is read at once.
3. The people in what was read (emails, to match Slack), and now and then the number of schedules
   PagerDuty has (the census).
4. The stored plan is mirrored into the bound rotations it changes (DutyService.follow_pagerduty).

Between cycles the scheduler wakes at the earliest planned hand-over (`plan_changed` rings when
that may have moved) and applies the plan without asking PagerDuty.

A failed call keeps everything stored as it is: a failed sync never moves anyone on or off duty. A
read that fails for a reason that will not change by itself waits before it is tried again
(backoff.py), and the rest of the sync goes on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Protocol

from roundrobin.background import Background, Doorbell
from roundrobin.db import Database
from roundrobin.metrics import Metrics
from roundrobin.pagerduty import backoff, budget, plan
from roundrobin.pagerduty.client import (
    PagerDutyAuthError,
    PagerDutyClient,
    PagerDutyError,
)
from roundrobin.pagerduty.connection import PagerDutyConnection
from roundrobin.pagerduty.lookahead import LookAhead
from roundrobin.pagerduty.reading import PAGE, Reader
from roundrobin.pagerduty.search import ScheduleSearch
from roundrobin.rotations.duty import DutyService
from roundrobin.rotations.model import GONE, DutyChange, Rotation
from roundrobin.store import directory as slack_directory
from roundrobin.store import pagerduty as store
from roundrobin.store import pd_failures as failures
from roundrobin.store import rotations as rotation_store
from roundrobin.store.pagerduty import Census, PdSchedule, PdUser
from roundrobin.store.pd_failures import SCHEDULE, ReadFailure

log = logging.getLogger(__name__)

POLL_MARGIN = 15  # seconds a poll looks past the schedule's next one, so no hand-over falls between
FEW_NEW = 20  # schedules just bound, up to this many, are read from their own page (members at once)
OFFERED_FOR = 86400.0  # a schedule offered in a search, and not bound, is forgotten after this
DUE_SLACK = 0.001  # a wake-up a hair early still hands over
FOLLOW_CHUNK = 250  # rotations mirrored at a time
MARGIN = 0.04  # of an interval's credit, the look-ahead leaves unspent: its costs are estimates


class Directory(Protocol):
    async def match(self, emails: Iterable[str]) -> dict[str, str]: ...


@dataclass
class SyncReport:
    ok: bool = True
    error: str | None = None
    kind: str = "tick"  # tick (the interval's cycle) | sync_now | soon (after a bind or a connect) | reread
    requests: int = 0
    poll_requests: int = 0
    polled: int = 0  # schedules the poll asked about
    poll_groups: int = 1  # the poll goes round the bound schedules in this many ticks
    reread: int = 0  # schedules whose week a poll read again (the answer differed from the plan)
    read: int = 0  # schedules whose week ahead was read (the look-ahead, and the poll's rereads)
    deferred: int = 0  # schedules whose turn had come, left for the next ticks (the budget)
    bound: int = 0
    census: Census | None = None  # counted in this cycle
    failed: list[ReadFailure] = field(default_factory=list)  # reads that failed in this cycle, backed off
    changes: list[DutyChange] = field(default_factory=list)
    unmatched: int = 0


@dataclass(frozen=True)
class _Cycle:
    kind: str
    interval: float
    poll: bool = True
    everything: bool = False  # Sync now: every week is due, every failed read is tried again
    count: bool = False  # count PagerDuty's schedules whatever the last census said
    follow_all: bool = False  # mirror into every bound rotation, not only those read
    reread: tuple[str, ...] = ()  # schedules to read again now (an override Round Robin just wrote)


class PagerDutySync:
    def __init__(
        self,
        db: Database,
        connection: PagerDutyConnection,
        rotations: DutyService,
        directory: Directory,
        clock: Callable[[], float] = time.time,
        background: Background | None = None,
        interval: float = 60.0,
        budget_per_minute: float = budget.BUDGET_PER_MINUTE,
        metrics: Metrics | None = None,
    ):
        self._db = db
        self._metrics = metrics
        self._connection = connection
        self._rotations = rotations
        self._directory = directory
        self._clock = clock
        self._background = background or Background()
        self._interval = interval
        self._lock = asyncio.Lock()  # cycles never overlap
        self._following = asyncio.Lock()  # nor do mirroring steps (a cycle's, a hand-over's)
        self._pending: asyncio.Task[SyncReport] | None = None  # a requested cycle that has not started yet
        self._credit = budget.Credit(budget_per_minute)
        self._ahead = LookAhead(db, clock)
        self._poll_turn = 0
        self._followed_all_at: float | None = None
        self.search = ScheduleSearch(
            db, lambda: connection.client(timeout=2.0, max_retries=0), clock, self._background
        )
        self.plan_changed = Doorbell()  # the next planned hand-over may have moved
        self.last_report: SyncReport | None = None

    # --- entry points -----------------------------------------------------------------------------

    async def sync_now(self, actor: str) -> SyncReport:
        """Sync now, pressed by `actor` (who must be allowed to manage Round Robin)."""
        await self._connection.require_manage(actor)
        return await self.run()

    async def run(self) -> SyncReport:
        """Sync now: the poll for every bound schedule, every week due, failed reads tried again, a
        census; after any cycle already running."""
        cycle = _Cycle("sync_now", self._interval, everything=True, count=True, follow_all=True)
        async with self._lock:
            self.last_report = await self._run(cycle)
            return self.last_report

    def request_soon(self) -> asyncio.Task[SyncReport]:
        """A cycle in the background that reads what was never read (a rotation just bound), counts
        the schedules if never counted, and mirrors every rotation (a person linked by hand); requests
        made before it starts share it (a burst of edits = one)."""
        if self._pending is None:
            self._pending = self._background.run(self._run_soon(), "pagerduty-sync-soon")
        return self._pending

    async def _run_soon(self) -> None:
        async with self._lock:
            self._pending = None  # from here on, a new request needs a new cycle
            self.last_report = await self._run(_Cycle("soon", self._interval, poll=False, follow_all=True))

    def request_reread(self, schedule_ids: Iterable[str]) -> asyncio.Task[SyncReport]:
        """Read these bound schedules' weeks again in the background, after any cycle running, and
        mirror them: a change Round Robin itself made in PagerDuty (a cover) shows at once."""
        return self._background.run(self._run_reread(tuple(schedule_ids)), "pagerduty-reread")

    async def _run_reread(self, schedule_ids: tuple[str, ...]) -> SyncReport:
        async with self._lock:
            cycle = _Cycle("reread", self._interval, poll=False, reread=schedule_ids)
            self.last_report = await self._run(cycle)
            return self.last_report

    async def tick(self, next_poll_in: float) -> SyncReport:
        """The interval's cycle: the poll (of this tick's group), then the weeks whose turn has come,
        as far as the credit goes."""
        async with self._lock:
            self._interval = next_poll_in
            self.last_report = await self._run(_Cycle("tick", next_poll_in))
            return self.last_report

    async def hand_over_due(self) -> list[DutyChange]:
        """Apply the plan to every bound rotation whose planned hand-over has come; no request."""
        changes, _ = await self._follow(due_only=True)
        if changes:
            log.info("pagerduty hand-overs", extra={"rotations": len(changes)})
        self.plan_changed.ring()
        return changes

    async def follow_accounts(self) -> list[DutyChange]:
        """Slack accounts changed: mirror the stored plan again, without asking PagerDuty, so someone
        deactivated in Slack leaves duty (and is named as such) and someone reactivated comes back."""
        changes, _ = await self._follow()
        self.plan_changed.ring()
        return changes

    async def schedules(self, ids: Iterable[str]) -> dict[str, PdSchedule]:
        """The PagerDuty schedules Round Robin knows (bound, or offered in a search), by id."""
        return await store.schedules(self._db, list(ids))

    async def search_schedules(self, query: str) -> list[PdSchedule]:
        """Schedules whose name contains `query`, searched in PagerDuty (see search.py)."""
        return await self.search.search(query)

    # --- one cycle ----------------------------------------------------------------------------

    async def _run(self, cycle: _Cycle) -> SyncReport:
        client = await self._connection.client()
        if client is None:
            return SyncReport(ok=False, error="not connected", kind=cycle.kind)
        report = SyncReport(kind=cycle.kind)
        started = time.monotonic()  # not the app's clock, which a walkthrough moves on
        try:
            await self._cycle(client, report, cycle)
        except PagerDutyAuthError as e:
            report.ok, report.error = False, await self._connection.mark_key_rejected() or str(e)
        except PagerDutyError as e:
            report.ok, report.error = False, f"{e}. The last known on-call state is kept."
        except Exception as e:  # noqa: BLE001 - a bad answer or a bug must show on the card, not vanish
            log.exception("pagerduty sync failed unexpectedly")
            report.ok = False
            report.error = (
                f"Round Robin could not finish the sync ({type(e).__name__}; details in its log). "
                "The last known on-call state is kept."
            )
        finally:
            report.requests = client.requests_made
            self._credit.spend(client.requests_made)
        await self._connection.record_sync(None if report.ok else report.error)
        if self._metrics is not None:
            self._metrics.sync_ran(
                cycle.kind,
                report.ok,
                time.monotonic() - started,
                self._credit.balance,
                self._credit.per_minute,
            )
        self.plan_changed.ring()
        # A quiet tick every minute is not news; Sync now, changes and failures are.
        quiet = cycle.kind == "tick" and report.ok and not report.changes and not report.failed
        log.log(
            logging.DEBUG if quiet else logging.INFO,
            "pagerduty sync",
            extra={
                "kind": cycle.kind,
                "ok": report.ok,
                "requests": report.requests,
                "polled": report.polled,
                "poll_groups": report.poll_groups,
                "bound": report.bound,
                "read": report.read,
                "reread": report.reread,
                "deferred": report.deferred,
                "failed": len(report.failed),
                "changes": len(report.changes),
                "error": report.error or "",
            },
        )
        return report

    async def _cycle(self, client: PagerDutyClient, report: SyncReport, cycle: _Cycle) -> None:
        now = self._clock()
        reader = Reader(client)
        self._credit.earn(now, cycle.interval)
        bound = await rotation_store.bound_schedule_ids(self._db)
        report.bound = len(bound)
        known = await store.schedules(self._db, bound)
        waiting = set() if cycle.everything else await failures.waiting(self._db, now)
        differ: list[str] = []
        if cycle.poll and "poll" not in waiting:
            differ = await self._poll(reader, known, waiting, report, cycle)
            report.poll_requests = client.requests_made
        differ += [s for s in cycle.reread if s in bound and s not in differ]
        chosen = self._choose(bound, known, waiting, differ, now, cycle, report, client.requests_made)
        wanted = [*differ, *(r.schedule_id for r in chosen)]
        detailed = {r.schedule_id for r in chosen if r.detail}
        read, gone = await self._ahead.read_weeks(reader, wanted, detailed, known, now, report.failed)
        report.read = len(read)
        if read and "people" not in waiting:
            await self._ahead.learn_people(reader, sorted(read), now, report.failed)
        if "census" not in waiting and (cycle.count or await self._ahead.census_due(now)):
            report.census = await self._ahead.count(reader, now, report.failed, news=cycle.kind == "sync_now")
        await self._follow_read(bound, read, gone, now, cycle, report)

    def _choose(
        self,
        bound: AbstractSet[str],
        known: dict[str, PdSchedule],
        waiting: AbstractSet[str],
        differ: list[str],
        now: float,
        cycle: _Cycle,
        report: SyncReport,
        spent: int,
    ) -> list[budget.Read]:
        """The weeks to read ahead in this cycle: as far as the credit goes (Sync now: further)."""
        due = [
            r
            for r in budget.due_reads(bound, known, now, cycle.everything)
            if SCHEDULE + r.schedule_id not in waiting and r.schedule_id not in differ
        ]
        if cycle.kind in ("soon", "reread"):
            due = [r for r in due if r.new]
        # a margin: the census and newcomers' emails are not known in advance
        allowance = self._credit.balance - spent - MARGIN * self._credit.per_tick(cycle.interval)
        if cycle.everything:
            allowance = max(allowance, budget.SYNC_NOW_SPEND)
        chosen = budget.take(budget.from_own_page(due, FEW_NEW), allowance)
        report.deferred = len(due) - len(chosen)
        return chosen

    async def _follow_read(
        self,
        bound: AbstractSet[str],
        read: AbstractSet[str],
        gone: AbstractSet[str],
        now: float,
        cycle: _Cycle,
        report: SyncReport,
    ) -> None:
        """Mirror what was read into its rotations, and every rotation now and then: that catches what
        no read shows (a new Slack account with a PagerDuty person's email, a link made by hand)."""
        last = self._followed_all_at
        everyone = cycle.follow_all or last is None or now - last >= budget.REFRESH_EVERY
        if everyone:
            await store.forget_unfollowed(self._db, bound, now - OFFERED_FOR)
            await failures.clear(self._db, await self._unfollowed_failures(bound))
            self._followed_all_at = now
        report.changes, report.unmatched = await self._follow(
            not_found=gone, only=None if everyone else read | gone
        )

    # --- the poll -----------------------------------------------------------------------------

    async def _poll(
        self,
        reader: Reader,
        known: dict[str, PdSchedule],
        waiting: AbstractSet[str],
        report: SyncReport,
        cycle: _Cycle,
    ) -> list[str]:
        """Who is on call from now to just past the next poll of these schedules; returns those whose
        answer differs from the stored plan."""
        polled = sorted(
            s
            for s, row in known.items()
            if row.planned_at is not None and row.routed and SCHEDULE + s not in waiting
        )
        levels = {s: known[s].levels or 1.0 for s in polled}
        groups = [polled]
        if cycle.kind == "tick":
            groups = budget.poll_groups(
                polled, levels, self._credit.per_tick(cycle.interval) * budget.POLL_SHARE
            )
        group = groups[self._poll_turn % len(groups)]
        self._poll_turn += 1
        report.polled, report.poll_groups = len(group), len(groups)
        if not group:
            return []
        since = int(self._clock())
        until = since + int(len(groups) * cycle.interval) + POLL_MARGIN
        try:
            # with the people: someone never seen may have taken over (their email is needed now)
            seen = await reader.oncalls(group, since, until, levels, 1.0, PAGE, with_users=True)
        except PagerDutyError as e:
            if not backoff.lasting(e):
                raise
            report.failed += await self._ahead.failed(["poll"], e)
            return []
        await failures.clear(self._db, ["poll"])
        # thousands of the same people every interval: only those new or changed are written
        users = list(seen.users.values())
        stored_users = await store.users(self._db, [u.id for u in users])
        await store.save_users(self._db, [u for u in users if stored_users.get(u.id) != u], since)
        stored = await store.shifts_of(self._db, group, since, until)
        differ = []
        for n, s in enumerate(group):
            if n % 500 == 499:
                await asyncio.sleep(0)  # thousands of schedules: let Slack's acks through meanwhile
            if not plan.agrees(stored[s], seen.of(s), since, until):
                differ.append(s)
        if differ:
            log.info("pagerduty plan differs", extra={"schedules": ",".join(differ[:20])})
        report.reread = len(differ)
        return differ

    async def _unfollowed_failures(self, bound: AbstractSet[str]) -> list[str]:
        """Failures of schedules no rotation follows any more: nothing to warn about."""
        return [
            f.what
            for f in await failures.failing(self._db)
            if f.schedule_id is not None and f.schedule_id not in bound
        ]

    # --- mirroring the plan -------------------------------------------------------------------

    async def _follow(
        self,
        not_found: AbstractSet[str] = frozenset(),
        due_only: bool = False,
        only: AbstractSet[str] | None = None,
    ) -> tuple[list[DutyChange], int]:
        """Mirror the stored plan, as it stands now, into the bound rotations it changes: every one,
        those due a hand-over, or those following the schedules `only`."""
        async with self._following:
            now = self._clock()
            if due_only:
                return await self._mirror(
                    await rotation_store.bound_changing_by(self._db, now + DUE_SLACK), not_found, now
                )
            ids = sorted(only if only is not None else await rotation_store.bound_schedule_ids(self._db))
            changes: list[DutyChange] = []
            unmatched = 0
            # A few hundred at a time: thousands of rotations never hold the loop (Slack's acks) long.
            for start in range(0, len(ids), FOLLOW_CHUNK):
                bound = await rotation_store.bound_to(self._db, ids[start : start + FOLLOW_CHUNK])
                more, some = await self._mirror(bound, not_found, now)
                changes += more
                unmatched += some
            return changes, unmatched

    async def _mirror(
        self, bound: list[Rotation], not_found: AbstractSet[str], now: float
    ) -> tuple[list[DutyChange], int]:
        if not bound:
            return [], 0
        ids = {s for r in bound for s in r.pd_schedule_ids}
        schedules = await store.schedules(self._db, ids)
        shifts = await store.shifts_of(self._db, ids, now)
        people = await store.users(
            self._db,
            {s.pd_user_id for held in shifts.values() for s in held}
            | {m for s in schedules.values() for m in s.member_ids},
        )
        links = await store.links(self._db)
        slack_by_email = await self._directory.match(u.email for u in people.values() if u.email)
        gone = await self._gone_from_slack(people, links, slack_by_email)
        changes: list[DutyChange] = []
        unmatched = 0
        for rotation in bound:
            followed = rotation.pd_schedule_ids
            if not followed:
                continue  # bound rotations follow a schedule: not reached
            if any(s in not_found for s in followed):
                if rotation.pd_status != plan.NOT_FOUND:
                    # Keep members and duty: only the status changes, so nobody flaps off duty.
                    await self._rotations.follow_pagerduty(
                        rotation.id,
                        followed,
                        rotation.members,
                        rotation.on_duty,
                        rotation.on_duty_until,
                        rotation.pd_unmatched,
                        plan.NOT_FOUND,
                        on_call_from=rotation.pd_on_call_from,
                    )
                continue
            known = [schedules.get(s) for s in followed]
            if any(s is None or s.planned_at is None for s in known):
                continue  # one never read yet: a union without it would drop its people
            read = [s for s in known if s is not None]
            held = [shift for s in followed for shift in shifts.get(s, [])]
            m = plan.mirror(read, held, people, links, slack_by_email, now, gone)
            unmatched += len(m.unmatched)
            status = plan.status(plan.all_routed(read), rotation.pd_status)
            if plan.mirrored(rotation, m, status):
                continue
            change = await self._rotations.follow_pagerduty(
                rotation.id,
                followed,
                m.members,
                m.on_duty,
                m.until,
                m.unmatched,
                status,
                m.next_up,
                m.next_change_at,
                m.on_call_from,
            )
            if change:
                changes.append(change)
        return changes, unmatched

    async def _gone_from_slack(
        self, people: dict[str, PdUser], links: dict[str, str], matched: dict[str, str]
    ) -> dict[str, str]:
        """PagerDuty user → why nobody can reach them in Slack (model.GONE: a deactivated account, a
        bot, an id Slack no longer knows), for people linked by hand to such an account or whose
        email only such an account has."""
        emails = {
            (p.email or "").lower()
            for pd_id, p in people.items()
            if pd_id not in links and p.email and p.email.lower() not in matched
        }
        by_email = await slack_directory.by_emails(self._db, emails, active_only=False)
        accounts = {
            pd_id: links.get(pd_id) or by_email.get((p.email or "").lower()) for pd_id, p in people.items()
        }
        why = await slack_directory.unavailable(self._db, {a for a in accounts.values() if a})
        return {pd_id: why[a] for pd_id, a in accounts.items() if a and why.get(a) in GONE}
