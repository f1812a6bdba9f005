"""What the sync reads from PagerDuty, shaped for it, and every list kept under the paging cap.

GET /oncalls pages stop at offset + limit = 10,000. A batch of schedule ids is sized from the rows
its schedules gave last time, asks for the total on its first page, and when that is still too many
it is split in two (and a single schedule's window in halves), so no page ever passes the cap,
whatever the shift length.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from roundrobin.pagerduty import plan
from roundrobin.pagerduty.client import (
    PagerDutyClient,
    PagerDutyListTooLong,
    PagerDutyNotFound,
    PagerDutyRequestError,
    PagerDutyScopeError,
)
from roundrobin.store.pagerduty import PdSchedule, PdUser, Shift

log = logging.getLogger(__name__)

BATCH_IDS = 100  # schedule ids per /oncalls request: keeps the URL short
PAGE = 100  # PagerDuty's largest classic page
SHORTEST_WINDOW = 3600  # seconds: one schedule's window is halved down to this before giving up


@dataclass(frozen=True)
class Catalogue:
    schedules: dict[str, PdSchedule]
    routed: dict[str, bool]  # layer-based schedules only: the list says which policies use them
    complete: bool  # both lists were read (a schedule absent from them is gone)


@dataclass
class OnCalls:
    """Rows of GET /oncalls, as shifts per schedule (repeats per policy and level folded)."""

    shifts: dict[str, dict[tuple, Shift]] = field(default_factory=dict)
    users: dict[str, PdUser] = field(default_factory=dict)
    rows: Counter[str] = field(default_factory=Counter)  # rows per schedule, repeats included
    placements: dict[str, set[tuple[str, Any]]] = field(default_factory=dict)  # (policy, level) pairs

    def of(self, schedule_id: str) -> list[Shift]:
        return list(self.shifts.get(schedule_id, {}).values())

    def add(self, rows: list[dict], wanted: set[str]) -> None:
        for row in rows:
            shift = plan.shift_from_oncall(row)
            if shift is None or shift.schedule_id not in wanted:
                continue
            key = (shift.pd_user_id, shift.start, shift.end)
            self.shifts.setdefault(shift.schedule_id, {})[key] = shift
            self.rows[shift.schedule_id] += 1
            policy = (row.get("escalation_policy") or {}).get("id")
            self.placements.setdefault(shift.schedule_id, set()).add((policy, row.get("escalation_level")))
            user = plan.user_from(row.get("user") or {})
            if user and user.email:  # a full user (include[]=users), not a reference
                self.users[user.id] = user


@dataclass(frozen=True)
class FinalSchedule:
    shifts: list[Shift]
    routed: bool
    member_ids: tuple[str, ...]


class Reader:
    """One sync's reads, through one client (requests run one at a time, as PagerDuty advises)."""

    def __init__(self, client: PagerDutyClient):
        self._client = client

    async def catalogue(self) -> Catalogue:
        """Layer-based schedules from /schedules and shift-based ones from /v3/schedules."""
        found: dict[str, PdSchedule] = {}
        routed: dict[str, bool] = {}
        async for s in self._client.paginate("/schedules", "schedules", [("time_zone", "UTC")]):
            found[s["id"]] = PdSchedule(
                id=s["id"],
                name=s.get("name") or s.get("summary") or s["id"],
                version=2,
                time_zone=s.get("time_zone"),
                html_url=s.get("html_url"),
                member_ids=tuple(u["id"] for u in s.get("users") or []),
            )
            routed[s["id"]] = plan.routed(s)
        complete = True
        try:
            async for s in self._v3_schedules():
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
        return Catalogue(found, routed, complete)

    async def _v3_schedules(self):
        offset, limit = 0, 1000
        while True:
            page = await self._client.get("/v3/schedules", [("limit", limit), ("offset", offset)])
            for item in page.get("schedules", []):
                yield item
            offset += limit
            if not page.get("more"):
                return

    async def oncalls(
        self,
        schedule_ids: Sequence[str],
        since: int,
        until: int,
        expected: Mapping[str, float],
        default: float,
        max_rows: float,
        with_users: bool,
    ) -> OnCalls:
        """On-calls of these schedules overlapping [since, until), in batches of about `max_rows`
        expected rows (`expected` per schedule, from the last read, else `default`); `with_users`
        swaps each row's user reference for the full user (with the email), five times the bytes."""
        found = OnCalls()
        include = [("include[]", "users")] if with_users else []
        for batch in plan.batches(schedule_ids, expected, default, BATCH_IDS, max_rows):
            await self._oncall_batch(batch, since, until, include, found)
        return found

    async def _oncall_batch(
        self, ids: list[str], since: int, until: int, include: list[tuple[str, str]], found: OnCalls
    ) -> None:
        params: list[tuple[str, str | int]] = [("schedule_ids[]", s) for s in ids]
        params += [*include, ("since", plan.iso(since)), ("until", plan.iso(until)), ("time_zone", "UTC")]
        try:
            rows = [row async for row in self._client.paginate("/oncalls", "oncalls", params, count=True)]
        except PagerDutyListTooLong as e:
            if len(ids) > 1:
                log.info("pagerduty on-call batch split", extra={"schedules": len(ids), "rows": e.total})
                middle = len(ids) // 2
                await self._oncall_batch(ids[:middle], since, until, include, found)
                await self._oncall_batch(ids[middle:], since, until, include, found)
                return
            if until - since <= SHORTEST_WINDOW:
                raise
            # One schedule with more than 10,000 on-calls in the window: read it in halves (a shift
            # across the middle comes in both, whole, and is kept once).
            middle = since + (until - since) // 2
            await self._oncall_batch(ids, since, middle, include, found)
            await self._oncall_batch(ids, middle, until, include, found)
            return
        found.add(rows, set(ids))

    async def final_schedule(self, schedule: PdSchedule, since: int, until: int) -> FinalSchedule:
        """Who the schedule has on call over [since, until), layers and overrides merged: for
        schedules /oncalls does not show. Raises PagerDutyNotFound when the schedule is gone."""
        first, second = (3, 2) if schedule.version == 3 else (2, 3)
        try:
            return await self._final_schedule(schedule.id, first, since, until)
        except PagerDutyRequestError as refused:
            # Upgraded to shift-based (or back) since the catalogue was read: the other endpoint.
            try:
                return await self._final_schedule(schedule.id, second, since, until)
            except PagerDutyRequestError:
                raise refused from None

    async def _final_schedule(self, schedule_id: str, version: int, since: int, until: int) -> FinalSchedule:
        window = [("since", plan.iso(since)), ("until", plan.iso(until)), ("time_zone", "UTC")]
        if version == 3:
            path, params = f"/v3/schedules/{schedule_id}", [("include[]", "final_schedule"), *window]
            body = (await self._client.get(path, params)).get("schedule") or {}
            return FinalSchedule(
                plan.shifts_from_v3(schedule_id, body), plan.routed(body), plan.v3_member_ids(body)
            )
        # overflow=true: the shifts' real ends, not cut at the window
        body = (await self._client.get(f"/schedules/{schedule_id}", [*window, ("overflow", "true")])).get(
            "schedule"
        ) or {}
        return FinalSchedule(
            plan.shifts_from_final_schedule(schedule_id, body),
            plan.routed(body),
            tuple(u["id"] for u in body.get("users") or []),
        )

    async def everyone(self) -> list[PdUser]:
        """Every PagerDuty user (raises PagerDutyListTooLong past 10,000 people)."""
        found = [plan.user_from(u) async for u in self._client.paginate("/users", "users")]
        return [u for u in found if u]

    async def user(self, user_id: str) -> PdUser | None:
        try:
            return plan.user_from((await self._client.get(f"/users/{user_id}")).get("user") or {})
        except PagerDutyNotFound:
            return None
