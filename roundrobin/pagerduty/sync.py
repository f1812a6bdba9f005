"""One sync cycle: PagerDuty schedules, users and on-call shifts → SQLite → bound rotations.

Cost grows with pages of data, not with schedules: the schedule lists are paginated 100 at a
time, on-call shifts come from `GET /oncalls` for 100 schedules per request (with the users'
emails included), and the full user list is read only on the first sync, every few hours, or
when a schedule names people we have never seen. When a call fails, everything already stored
stays as it is: a failed sync never moves anyone on or off duty.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from roundrobin.background import Background
from roundrobin.db import Database
from roundrobin.pagerduty.client import (
    PagerDutyAuthError,
    PagerDutyClient,
    PagerDutyError,
    PagerDutyNotFound,
    PagerDutyRequestError,
    PagerDutyScopeError,
)
from roundrobin.pagerduty.connection import PagerDutyConnection
from roundrobin.rotations.model import Rotation
from roundrobin.rotations.service import DutyChange, RotationService
from roundrobin.store import pagerduty as store
from roundrobin.store import rotations as rotation_store
from roundrobin.store.pagerduty import PdSchedule, PdUser, Shift

log = logging.getLogger(__name__)

LOOKAHEAD = timedelta(days=7)
BATCH = 100  # schedule ids per /oncalls request: keeps the URL short
USERS_REFRESH_EVERY = 6 * 3600
USERS_REFRESHED_AT = "pd_users_refreshed_at"


class Directory(Protocol):
    async def match(self, emails: Iterable[str]) -> dict[str, str]: ...


@dataclass
class SyncReport:
    ok: bool = True
    error: str | None = None
    requests: int = 0
    schedules: int = 0
    bound: int = 0
    changes: list[DutyChange] = field(default_factory=list)
    unmatched: int = 0


class PagerDutySync:
    def __init__(
        self,
        db: Database,
        connection: PagerDutyConnection,
        rotations: RotationService,
        directory: Directory,
        clock: Callable[[], float] = time.time,
        background: Background | None = None,
    ):
        self._db = db
        self._connection = connection
        self._rotations = rotations
        self._directory = directory
        self._clock = clock
        self._background = background or Background()
        self._lock = asyncio.Lock()
        self._pending: asyncio.Task | None = None  # a requested cycle that has not started yet
        self.last_report: SyncReport | None = None

    async def run(self) -> SyncReport:
        """One full cycle, after any cycle already running (cycles never overlap)."""
        async with self._lock:
            self.last_report = await self._run()
            return self.last_report

    def request_soon(self) -> asyncio.Task:
        """A cycle in the background; requests made before it starts share it (a burst of edits = one sync)."""
        if self._pending is None:
            self._pending = self._background.run(self._run_soon(), "pagerduty-sync-soon")
        return self._pending

    async def _run_soon(self) -> None:
        async with self._lock:
            self._pending = None  # from here on, a new request needs a new cycle
            self.last_report = await self._run()

    async def _run(self) -> SyncReport:
        client = await self._connection.client()
        if client is None:
            return SyncReport(ok=False, error="not connected")
        report = SyncReport()
        try:
            await self._cycle(client, report)
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
        # A quiet cycle every minute is not news; changes and failures are.
        level = logging.INFO if report.changes or not report.ok else logging.DEBUG
        log.log(
            level,
            "pagerduty sync",
            extra={
                "ok": report.ok,
                "requests": report.requests,
                "schedules": report.schedules,
                "bound": report.bound,
                "changes": len(report.changes),
                "error": report.error or "",
            },
        )
        return report

    async def _cycle(self, client: PagerDutyClient, report: SyncReport) -> None:
        now = self._clock()
        schedules, complete = await self._fetch_schedules(client)
        report.schedules = len(schedules)
        await store.save_schedules(self._db, schedules.values(), now, complete)
        bound = await rotation_store.bound(self._db)
        report.bound = len(bound)
        wanted = sorted({r.pd_schedule_id for r in bound} & schedules.keys())
        shifts, on_call_users = await self._fetch_oncalls(client, wanted, now)
        await store.save_users(self._db, on_call_users, now)
        await self._refresh_users_if_needed(client, schedules, wanted, now)
        await store.replace_shifts(self._db, wanted, shifts)
        report.changes = await self._follow(bound, schedules, shifts, complete, now, report)

    async def _fetch_schedules(self, client: PagerDutyClient) -> tuple[dict[str, PdSchedule], bool]:
        """Layer-based schedules from /schedules and shift-based ones from /v3/schedules."""
        found = {}
        async for s in client.paginate("/schedules", "schedules"):
            found[s["id"]] = PdSchedule(
                id=s["id"],
                name=s.get("name") or s.get("summary") or s["id"],
                version=2,
                time_zone=s.get("time_zone"),
                html_url=s.get("html_url"),
                member_ids=tuple(u["id"] for u in s.get("users") or []),
            )
        complete = True
        try:
            async for s in _paginate_v3(client):
                found[s["id"]] = PdSchedule(
                    id=s["id"],
                    name=s.get("name") or s.get("summary") or s["id"],  # the list holds references
                    version=3,
                    time_zone=s.get("time_zone"),
                    html_url=s.get("html_url"),
                )
        except (PagerDutyNotFound, PagerDutyScopeError, PagerDutyRequestError) as e:
            # Accounts without shift-based schedules, or tokens without access to them.
            log.info("v3 schedules unavailable", extra={"error": str(e)})
            complete = False
        return found, complete

    async def _fetch_oncalls(
        self, client: PagerDutyClient, schedule_ids: list[str], now: float
    ) -> tuple[list[Shift], list[PdUser]]:
        since = _iso(now)
        until = _iso(now + LOOKAHEAD.total_seconds())
        shifts: dict[tuple, Shift] = {}
        users: dict[str, PdUser] = {}
        for start in range(0, len(schedule_ids), BATCH):
            params: list[tuple[str, Any]] = [
                ("schedule_ids[]", s) for s in schedule_ids[start : start + BATCH]
            ]
            params += [("include[]", "users"), ("since", since), ("until", until), ("time_zone", "UTC")]
            async for row in client.paginate("/oncalls", "oncalls", params):
                shift = _shift(row)
                if shift is None:
                    continue
                # The same shift comes once per escalation policy and level that uses the schedule.
                shifts[(shift.schedule_id, shift.pd_user_id, shift.start, shift.end)] = shift
                user = _user(row.get("user") or {})
                if user:
                    users[user.id] = user
        return list(shifts.values()), list(users.values())

    async def _refresh_users_if_needed(
        self, client: PagerDutyClient, schedules: dict[str, PdSchedule], bound_ids: list[str], now: float
    ) -> None:
        """Emails of schedule members who are not on call now: the full list, but rarely."""
        member_ids = {m for s in bound_ids for m in schedules[s].member_ids}
        known = await store.users(self._db, member_ids)
        last = float(await store.get_meta(self._db, USERS_REFRESHED_AT) or 0)
        unknown = member_ids - known.keys()
        if not unknown and now - last < USERS_REFRESH_EVERY:
            return
        if unknown and now - last < USERS_REFRESH_EVERY and len(unknown) <= 10:
            found = []
            for user_id in sorted(unknown):  # a few newcomers: cheaper one by one than the whole list
                try:
                    found.append(_user((await client.get(f"/users/{user_id}")).get("user") or {}))
                except PagerDutyNotFound:
                    continue
            await store.save_users(self._db, [u for u in found if u], now)
            return
        everyone = [u async for u in client.paginate("/users", "users")]
        await store.save_users(self._db, [u for u in map(_user, everyone) if u], now)
        await store.set_meta(self._db, USERS_REFRESHED_AT, str(now))

    async def _follow(
        self,
        bound: list[Rotation],
        schedules: dict[str, PdSchedule],
        shifts: list[Shift],
        complete: bool,
        now: float,
        report: SyncReport,
    ) -> list[DutyChange]:
        by_schedule: dict[str, list[Shift]] = {}
        for shift in shifts:
            by_schedule.setdefault(shift.schedule_id, []).append(shift)
        bound_schedules = [schedules[r.pd_schedule_id] for r in bound if r.pd_schedule_id in schedules]
        people = await store.users(
            self._db, {s.pd_user_id for s in shifts} | {m for s in bound_schedules for m in s.member_ids}
        )
        links = await store.links(self._db)
        slack_by_email = await self._directory.match(u.email for u in people.values() if u.email)
        changes = []
        for rotation in bound:
            schedule = schedules.get(rotation.pd_schedule_id)
            if schedule is None:
                if complete and rotation.pd_status != "schedule_not_found":
                    # Keep members and duty: only the status changes, so nobody flaps off duty.
                    await self._rotations.follow_pagerduty(
                        rotation.id,
                        rotation.pd_schedule_id,
                        rotation.members,
                        rotation.on_duty,
                        rotation.on_duty_until,
                        rotation.pd_unmatched,
                        "schedule_not_found",
                    )
                continue
            mirror = _mirror(schedule, by_schedule.get(schedule.id, []), people, links, slack_by_email, now)
            report.unmatched += len(mirror.unmatched)
            change = await self._rotations.follow_pagerduty(
                rotation.id,
                schedule.id,
                mirror.members,
                mirror.on_duty,
                mirror.until,
                mirror.unmatched,
                "ok",
                mirror.next_up,
                mirror.next_change_at,
            )
            if change:
                changes.append(change)
        return changes

    async def slack_users(self, pd_user_ids: Iterable[str]) -> dict[str, str]:
        """PagerDuty user → Slack user for those Round Robin can tell: a link by hand, else the email."""
        people = await store.users(self._db, pd_user_ids)
        links = await store.links(self._db)
        matched = await self._directory.match(u.email for u in people.values() if u.email)
        found = {
            pd_id: links.get(pd_id) or matched.get((u.email or "").lower()) for pd_id, u in people.items()
        }
        return {pd_id: slack for pd_id, slack in found.items() if slack}


@dataclass(frozen=True)
class Mirror:
    members: tuple[str, ...]
    on_duty: tuple[str, ...]
    until: float | None
    unmatched: tuple[dict, ...]
    next_up: tuple[str, ...] = ()  # who PagerDuty has on call at the next change of hands
    next_change_at: float | None = None  # when that is


def _mirror(
    schedule: PdSchedule,
    shifts: list[Shift],
    people: dict[str, PdUser],
    links: dict[str, str],
    slack_by_email: dict[str, str],
    now: float,
) -> Mirror:
    """A bound rotation as PagerDuty has it: members, who is on call now and until when."""
    current = [s for s in shifts if s.start <= now and (s.end is None or s.end > now)]
    on_call_ids = list(
        dict.fromkeys(s.pd_user_id for s in sorted(current, key=lambda s: (s.start, s.pd_user_id)))
    )
    member_ids = list(dict.fromkeys([*schedule.member_ids, *(s.pd_user_id for s in shifts)]))

    def slack_of(pd_id: str) -> str | None:
        if pd_id in links:
            return links[pd_id]
        email = (people.get(pd_id) or PdUser(pd_id, pd_id)).email
        return slack_by_email.get(email.lower()) if email else None

    unmatched = []
    for pd_id in member_ids:
        if slack_of(pd_id) is None:
            person = people.get(pd_id) or PdUser(pd_id, pd_id)
            unmatched.append(
                {"id": pd_id, "name": person.name, "email": person.email, "on_call": pd_id in on_call_ids}
            )
    ends = [s.end for s in current if s.end is not None]
    on_duty = tuple(dict.fromkeys(m for pd_id in on_call_ids if (m := slack_of(pd_id))))
    return Mirror(
        members=tuple(dict.fromkeys(m for pd_id in member_ids if (m := slack_of(pd_id)))),
        on_duty=on_duty,
        until=min(ends) if ends else None,
        unmatched=tuple(unmatched),
        **dict(zip(("next_up", "next_change_at"), _next_up(shifts, now, on_duty, slack_of), strict=True)),
    )


def _next_up(
    shifts: list[Shift], now: float, on_duty: tuple[str, ...], slack_of
) -> tuple[tuple[str, ...], float | None]:
    """The Slack people on call at the first coming moment the people on call change, and that moment."""
    boundaries = sorted({t for s in shifts for t in (s.start, s.end) if t is not None and t > now})
    for moment in boundaries:
        ids = dict.fromkeys(
            s.pd_user_id
            for s in sorted(shifts, key=lambda s: (s.start, s.pd_user_id))
            if s.start <= moment and (s.end is None or s.end > moment)
        )
        people = tuple(dict.fromkeys(m for pd_id in ids if (m := slack_of(pd_id))))
        if set(people) != set(on_duty):
            return people, moment
    return (), None


async def _paginate_v3(client: PagerDutyClient):
    offset, limit = 0, 1000
    while True:
        page = await client.get("/v3/schedules", [("limit", limit), ("offset", offset)])
        for item in page.get("schedules", []):
            yield item
        offset += limit
        if not page.get("more"):
            return


def _shift(row: dict) -> Shift | None:
    schedule, user = row.get("schedule"), row.get("user")
    if not schedule or not user or not row.get("start"):
        return None  # permanent on-calls of directly targeted users are not schedules
    return Shift(
        schedule_id=schedule["id"],
        pd_user_id=user["id"],
        start=_ts(row["start"]),
        end=_ts(row["end"]) if row.get("end") else None,
    )


def _user(data: dict) -> PdUser | None:
    if not data.get("id"):
        return None
    return PdUser(
        id=data["id"],
        name=data.get("name") or data.get("summary") or data["id"],
        email=data.get("email"),
        html_url=data.get("html_url"),
    )


def _ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
