"""Following PagerDuty: a cheap poll every interval, the week ahead now and then, hand-overs on time.

Three kinds of work, each ending in the same step: the stored plan (upcoming shifts) is mirrored
into every bound rotation through RotationService.follow_pagerduty.

- The look-ahead refresh (every REFRESH_EVERY, on Sync now, when a rotation is bound) reads the
  schedule catalogue, then the week ahead of every bound schedule: `GET /oncalls` in batches for
  schedules an escalation policy uses, and the final schedule (`GET /schedules/{id}`, or
  `/v3/schedules/{id}` for shift-based ones) for those no policy uses, which /oncalls never shows.
- The poll (every other interval) asks /oncalls only from now to just past the next poll: about one
  row per schedule and level. Where the answer differs from the plan (an override, a swap, a
  schedule taken out of its policy), that schedule's week is read again at once.
- The hand-over: the scheduler wakes at the earliest planned change of hands (`plan_changed` rings
  when that may have moved) and applies the plan without asking PagerDuty; the next poll confirms
  or corrects it.

When a call fails, everything stored stays as it is: a failed sync never moves anyone on or off duty.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Protocol

from roundrobin.background import Background, Doorbell
from roundrobin.db import Database
from roundrobin.pagerduty import plan
from roundrobin.pagerduty.client import (
    PagerDutyAuthError,
    PagerDutyClient,
    PagerDutyError,
    PagerDutyListTooLong,
    PagerDutyNotFound,
    PagerDutyRequestError,
    PagerDutyScopeError,
)
from roundrobin.pagerduty.connection import PagerDutyConnection
from roundrobin.pagerduty.reading import PAGE, Reader
from roundrobin.rotations.duty import DutyService
from roundrobin.rotations.model import GONE, DutyChange
from roundrobin.store import directory as slack_directory
from roundrobin.store import pagerduty as store
from roundrobin.store import rotations as rotation_store
from roundrobin.store.pagerduty import PdSchedule, PdUser

log = logging.getLogger(__name__)

LOOKAHEAD = 7 * 86400
REFRESH_EVERY = 15 * 60.0
POLL_MARGIN = 15  # seconds a poll looks past the next one, so no hand-over falls between two unseen
ROWS_PER_BATCH = 9_000  # expected /oncalls rows per batch of the week ahead: under the 10,000 cap
DAILY_WEEK_ROWS = 9.0  # a guess for a schedule never read: a daily rotation's stints in a week
USERS_REFRESH_EVERY = 6 * 3600
USERS_REFRESHED_AT = "pd_users_refreshed_at"
FEW_NEWCOMERS = 10  # fewer unknown people than this are read one by one, not the whole user list
DUE_SLACK = 0.001  # a wake-up a hair early still hands over


class Directory(Protocol):
    async def match(self, emails: Iterable[str]) -> dict[str, str]: ...


@dataclass
class SyncReport:
    ok: bool = True
    error: str | None = None
    kind: str = "refresh"  # refresh (the catalogue and the week ahead) | poll (now, and a minute on)
    requests: int = 0
    schedules: int = 0
    bound: int = 0
    reread: int = 0  # schedules whose week a poll read again (the answer differed from the plan)
    new_schedules: int = 0  # schedules PagerDuty has that the last refresh had not seen
    gone_schedules: int = 0  # schedules the last refresh had that PagerDuty no longer lists
    changes: list[DutyChange] = field(default_factory=list)
    unmatched: int = 0


@dataclass
class Knowledge:
    """What reads taught about the bound schedules. Kept in memory: after a start, the first tick
    is a refresh, which learns it all again."""

    routed: dict[str, bool] = field(default_factory=dict)  # some escalation policy uses it
    week_rows: dict[str, float] = field(default_factory=dict)  # /oncalls rows in a week, to size batches
    levels: dict[str, float] = field(default_factory=dict)  # (policy, level) pairs: rows per stint
    planned: set[str] = field(default_factory=set)  # schedules whose week ahead is stored
    refreshed_at: float | None = None


class PagerDutySync:
    def __init__(
        self,
        db: Database,
        connection: PagerDutyConnection,
        rotations: DutyService,
        directory: Directory,
        clock: Callable[[], float] = time.time,
        background: Background | None = None,
        refresh_every: float = REFRESH_EVERY,
    ):
        self._db = db
        self._connection = connection
        self._rotations = rotations
        self._directory = directory
        self._clock = clock
        self._background = background or Background()
        self._refresh_every = refresh_every
        self._lock = asyncio.Lock()  # cycles never overlap
        self._following = asyncio.Lock()  # nor do mirroring steps (a cycle's, a hand-over's)
        self._pending: asyncio.Task | None = None  # a requested refresh that has not started yet
        self._known = Knowledge()
        self.plan_changed = Doorbell()  # the next planned change of hands may have moved
        self.last_report: SyncReport | None = None

    # --- entry points -----------------------------------------------------------------------------

    async def sync_now(self, actor: str) -> SyncReport:
        """Sync now, pressed by `actor` (who must be allowed to manage Round Robin)."""
        await self._connection.require_manage(actor)
        return await self.run()

    async def run(self) -> SyncReport:
        """A look-ahead refresh (Sync now), after any cycle already running."""
        async with self._lock:
            self.last_report = await self._run(self._refresh, "refresh")
            return self.last_report

    def request_soon(self) -> asyncio.Task:
        """A refresh in the background; requests made before it starts share it (a burst of edits = one)."""
        if self._pending is None:
            self._pending = self._background.run(self._run_soon(), "pagerduty-sync-soon")
        return self._pending

    async def _run_soon(self) -> None:
        async with self._lock:
            self._pending = None  # from here on, a new request needs a new cycle
            self.last_report = await self._run(self._refresh, "refresh")

    async def tick(self, next_poll_in: float) -> SyncReport:
        """The interval's cycle: a refresh when the last is REFRESH_EVERY old, else a poll that looks
        `next_poll_in` seconds (and a margin) ahead."""
        async with self._lock:
            last = self._known.refreshed_at
            if last is None or self._clock() - last >= self._refresh_every:
                self.last_report = await self._run(self._refresh, "refresh")
            else:
                window = int(next_poll_in) + POLL_MARGIN
                self.last_report = await self._run(lambda c, r: self._poll(c, r, window), "poll")
            return self.last_report

    async def hand_over_due(self) -> list[DutyChange]:
        """Apply the plan to every bound rotation whose planned change of hands has come; no request."""
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
        """The PagerDuty schedules Round Robin knows, by id (from the last catalogue refresh)."""
        return await store.schedules(self._db, list(ids))

    async def search_schedules(self, query: str, limit: int = 100) -> list[PdSchedule]:
        return await store.search_schedules(self._db, query, limit)

    # --- one cycle ----------------------------------------------------------------------------

    async def _run(
        self, work: Callable[[PagerDutyClient, SyncReport], Awaitable[None]], kind: str
    ) -> SyncReport:
        client = await self._connection.client()
        if client is None:
            return SyncReport(ok=False, error="not connected", kind=kind)
        report = SyncReport(kind=kind)
        try:
            await work(client, report)
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
        await self._connection.record_sync(None if report.ok else report.error)
        self.plan_changed.ring()
        # A quiet poll every minute is not news; refreshes, changes and failures are.
        quiet = kind == "poll" and report.ok and not report.changes
        log.log(
            logging.DEBUG if quiet else logging.INFO,
            "pagerduty sync",
            extra={
                "kind": kind,
                "ok": report.ok,
                "requests": report.requests,
                "schedules": report.schedules,
                "bound": report.bound,
                "reread": report.reread,
                "changes": len(report.changes),
                "error": report.error or "",
            },
        )
        return report

    async def _refresh(self, client: PagerDutyClient, report: SyncReport) -> None:
        """The catalogue, then the week ahead of every bound schedule."""
        now = self._clock()
        reader = Reader(client)
        catalogue = await reader.catalogue()
        report.schedules = len(catalogue.schedules)
        known = await store.count_schedules(self._db)
        seen_before = set(await store.schedules(self._db, catalogue.schedules)) if known else set()
        gone = await store.save_schedules(self._db, catalogue.schedules.values(), now, catalogue.complete)
        if known:  # the first refresh finds everything new: not news
            report.new_schedules = len(catalogue.schedules.keys() - seen_before)
            report.gone_schedules = len(gone)
        self._known.routed.update(catalogue.routed)
        bound = {r.pd_schedule_id for r in await rotation_store.bound(self._db)}
        report.bound = len(bound)
        wanted = sorted(bound & catalogue.schedules.keys())
        gone = await self._read_weeks(reader, wanted, catalogue.schedules, now)
        await store.keep_shifts_of(self._db, wanted)
        await self._learn_people(reader, wanted, now, full_list_due=True)
        missing = bound - catalogue.schedules.keys() if catalogue.complete else set()
        report.changes, report.unmatched = await self._follow(not_found=missing | gone)
        self._known.planned = set(wanted) - gone
        self._known.refreshed_at = now

    async def _poll(self, client: PagerDutyClient, report: SyncReport, window: int) -> None:
        """Who is on call from now to just past the next poll; the week again where that differs."""
        since = int(self._clock())
        until = since + window
        bound = {r.pd_schedule_id for r in await rotation_store.bound(self._db)}
        report.bound = len(bound)
        schedules = await store.schedules(self._db, bound)
        report.schedules = len(schedules)
        unplanned = sorted(s for s in schedules if s not in self._known.planned)
        polled = sorted(s for s in schedules if s in self._known.planned and self._known.routed.get(s))
        reader = Reader(client)
        # with the people: someone never seen may have taken over (their email is needed now)
        seen = await reader.oncalls(polled, since, until, self._known.levels, 1.0, PAGE, with_users=True)
        await store.save_users(self._db, seen.users.values(), since)
        stored = await store.shifts_of(self._db, polled, since)
        differ = [s for s in polled if not plan.agrees(stored[s], seen.of(s), since, until)]
        reread = sorted({*differ, *unplanned})
        gone: set[str] = set()
        if reread:
            log.info("pagerduty plan differs", extra={"schedules": ",".join(reread[:20])})
            gone = await self._read_weeks(reader, reread, schedules, self._clock())
            await self._learn_people(reader, reread, self._clock(), full_list_due=False)
        report.reread = len(reread)
        report.changes, report.unmatched = await self._follow(not_found=gone)

    # --- reading the week ahead ---------------------------------------------------------------

    async def _read_weeks(
        self, reader: Reader, ids: list[str], schedules: dict[str, PdSchedule], now: float
    ) -> set[str]:
        """Store the week ahead of these schedules; returns those PagerDuty no longer has."""
        since = int(now)
        until = since + LOOKAHEAD
        known = self._known
        listed = [s for s in ids if known.routed.get(s) is not False]
        # references only: the people's emails come from the user list (_learn_people), not 8 rows each
        found = await reader.oncalls(
            listed, since, until, known.week_rows, DAILY_WEEK_ROWS, ROWS_PER_BATCH, with_users=False
        )
        await store.save_users(self._db, found.users.values(), now)
        shifts = {s: found.of(s) for s in ids}
        for s in found.shifts:
            known.routed[s] = True
            known.week_rows[s] = found.rows[s]
            known.levels[s] = len(found.placements[s])
        gone, unread = set(), set()
        # Not on /oncalls this week: no policy uses it (or nobody is on call all week, which its
        # final schedule says as well).
        for s in [s for s in ids if s not in found.shifts]:
            try:
                final = await reader.final_schedule(schedules[s], since, until)
            except PagerDutyNotFound:
                gone.add(s)
                continue
            except (PagerDutyScopeError, PagerDutyRequestError) as e:
                # One schedule this credential may not read must not stop the others: it keeps
                # the week it had, and the next refresh asks again.
                log.warning("pagerduty schedule unreadable", extra={"schedule": s, "error": str(e)})
                unread.add(s)
                continue
            shifts[s] = final.shifts
            known.routed[s] = final.routed
            if schedules[s].version == 3 and final.member_ids:
                await store.set_members(self._db, s, final.member_ids)
        kept = [s for s in ids if s not in gone | unread]
        await store.replace_shifts(self._db, kept, [shift for s in kept for shift in shifts[s]])
        # Deleted in PagerDuty: out of the catalogue now, so no later cycle mirrors an empty week
        # into its rotation (which keeps its people and says the schedule is gone).
        await store.forget_schedules(self._db, gone)
        known.planned |= set(ids) - gone
        return gone

    async def _learn_people(
        self, reader: Reader, schedule_ids: list[str], now: float, full_list_due: bool
    ) -> None:
        """Emails of the schedules' members and of whoever holds their shifts: the full user list
        now and then, a few newcomers one by one."""
        schedules = await store.schedules(self._db, schedule_ids)
        shifts = await store.shifts_of(self._db, schedule_ids, now)
        wanted = {m for s in schedules.values() for m in s.member_ids}
        wanted |= {shift.pd_user_id for held in shifts.values() for shift in held}
        unknown = wanted - (await store.users(self._db, wanted)).keys()
        last = float(await store.get_meta(self._db, USERS_REFRESHED_AT) or 0)
        stale = full_list_due and now - last >= USERS_REFRESH_EVERY
        if not unknown and not stale:
            return
        if not stale and len(unknown) <= FEW_NEWCOMERS:
            await self._read_users_one_by_one(reader, unknown, now)
            return
        try:
            everyone = await reader.everyone()
        except PagerDutyListTooLong:
            # More people than PagerDuty pages through: read only those the rotations need.
            await self._read_users_one_by_one(reader, unknown, now)
            return
        await store.save_users(self._db, everyone, now)
        await store.set_meta(self._db, USERS_REFRESHED_AT, str(now))

    async def _read_users_one_by_one(self, reader: Reader, user_ids: set[str], now: float) -> None:
        found = [await reader.user(user_id) for user_id in sorted(user_ids)]
        await store.save_users(self._db, [u for u in found if u], now)

    # --- mirroring the plan -------------------------------------------------------------------

    async def _follow(
        self, not_found: AbstractSet[str] = frozenset(), due_only: bool = False
    ) -> tuple[list[DutyChange], int]:
        """Mirror the stored plan, as it stands now, into the bound rotations it changes."""
        async with self._following:
            now = self._clock()
            bound = await rotation_store.bound(self._db)
            if due_only:
                bound = [
                    r for r in bound if r.next_change_at is not None and r.next_change_at <= now + DUE_SLACK
                ]
            if not bound:
                return [], 0
            ids = {r.pd_schedule_id for r in bound}
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
                schedule_id = rotation.pd_schedule_id
                if schedule_id in not_found:
                    if rotation.pd_status != plan.NOT_FOUND:
                        # Keep members and duty: only the status changes, so nobody flaps off duty.
                        await self._rotations.follow_pagerduty(
                            rotation.id,
                            schedule_id,
                            rotation.members,
                            rotation.on_duty,
                            rotation.on_duty_until,
                            rotation.pd_unmatched,
                            plan.NOT_FOUND,
                        )
                    continue
                schedule = schedules.get(schedule_id)
                if schedule is None:
                    continue
                m = plan.mirror(
                    schedule, shifts.get(schedule_id, []), people, links, slack_by_email, now, gone
                )
                unmatched += len(m.unmatched)
                status = plan.status(self._known.routed.get(schedule_id), rotation.pd_status)
                if plan.mirrored(rotation, m, status):
                    continue
                change = await self._rotations.follow_pagerduty(
                    rotation.id,
                    schedule_id,
                    m.members,
                    m.on_duty,
                    m.until,
                    m.unmatched,
                    status,
                    m.next_up,
                    m.next_change_at,
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
