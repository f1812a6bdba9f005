"""What the sync reads from PagerDuty, shaped for it, and every list kept under the paging cap.

Nothing here pages through all of an account's schedules: the schedule picker searches them by name
(`query`, one page), the census asks for their number (`total=true`) and lists them only when there
are few, and the sync reads only the schedules rotations follow.

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
V3_PAGE = 1000  # /v3/schedules pages up to 1,000
SHORTEST_WINDOW = 3600  # seconds: one schedule's window is halved down to this before giving up


@dataclass(frozen=True)
class Found:
    """A search's answer from one list: up to `limit` schedules, and whether they are all it has."""

    schedules: list[PdSchedule]
    complete: bool


@dataclass(frozen=True)
class Count:
    """How many schedules PagerDuty has, and their ids when there were few enough to list."""

    count: int
    exact: bool
    ids: frozenset[str] | None


@dataclass
class OnCalls:
    """Rows of GET /oncalls, as shifts per schedule (repeats per policy and level folded)."""

    shifts: dict[str, dict[tuple[str, float, float | None], Shift]] = field(default_factory=dict)
    users: dict[str, PdUser] = field(default_factory=dict)
    rows: Counter[str] = field(default_factory=Counter)  # rows per schedule, repeats included
    placements: dict[str, set[tuple[str | None, Any]]] = field(default_factory=dict)  # (policy, level) pairs

    def of(self, schedule_id: str) -> list[Shift]:
        return list(self.shifts.get(schedule_id, {}).values())

    def add(self, rows: list[dict[str, Any]], wanted: set[str]) -> None:
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
    """A schedule's own page: who is on call over a window (layers and overrides merged), and the
    schedule itself: whether a policy uses it, who its layers name, what it is called."""

    shifts: list[Shift]
    routed: bool
    member_ids: tuple[str, ...]
    name: str | None = None
    time_zone: str | None = None
    version: int = 2


class Reader:
    """One sync's reads, through one client (requests run one at a time, as PagerDuty advises)."""

    def __init__(self, client: PagerDutyClient):
        self._client = client

    async def search(self, query: str, limit: int, version: int) -> Found:
        """Schedules whose name matches `query` (PagerDuty's `query`) in one list, layer-based
        (`version` 2) or shift-based (3): one page, never more. An account without shift-based
        schedules (or a credential that may not read them) has none."""
        path = "/schedules" if version == 2 else "/v3/schedules"
        params: list[tuple[str, str | int]] = [("query", query)] if query else []
        try:
            page = await self._client.get(path, [*params, ("limit", limit), ("offset", 0)])
        except (PagerDutyNotFound, PagerDutyScopeError, PagerDutyRequestError) as e:
            if version == 2:
                raise
            log.info("v3 schedules unavailable", extra={"error": str(e)})
            return Found([], True)
        return Found([schedule_from(s, version) for s in page.get("schedules") or []], not page.get("more"))

    async def count(self, list_up_to: int) -> Count:
        """How many schedules PagerDuty has: one request per list (`total=true`), and their ids too
        when there are at most `list_up_to` (a few more pages)."""
        v2 = await self._count("/schedules", PAGE, list_up_to)
        try:
            v3 = await self._count("/v3/schedules", V3_PAGE, list_up_to)
        except (PagerDutyNotFound, PagerDutyScopeError, PagerDutyRequestError) as e:
            log.info("v3 schedules unavailable", extra={"error": str(e)})
            v3 = Count(0, True, frozenset())
        ids = v2.ids | v3.ids if v2.ids is not None and v3.ids is not None else None
        return Count(v2.count + v3.count, v2.exact and v3.exact, ids)

    async def _count(self, path: str, page_size: int, list_up_to: int) -> Count:
        first = await self._client.get(path, [("limit", PAGE), ("offset", 0), ("total", "true")])
        items = first.get("schedules") or []
        ids = {s["id"] for s in items if s.get("id")}
        total = first.get("total")
        if not first.get("more"):
            return Count(len(items), True, frozenset(ids))
        if not isinstance(total, int):  # v3 lists may leave it out: more than this page, how many unknown
            return Count(len(items), False, None)
        if total > list_up_to:
            return Count(total, True, None)
        offset = len(items)
        while True:
            page = await self._client.get(path, [("limit", page_size), ("offset", offset)])
            ids |= {s["id"] for s in page.get("schedules") or [] if s.get("id")}
            offset += page_size
            if not page.get("more") or offset >= list_up_to:
                return Count(total, True, frozenset(ids))

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
                plan.shifts_from_v3(schedule_id, body),
                plan.routed(body),
                plan.v3_member_ids(body),
                body.get("name"),
                body.get("time_zone"),
                version=3,
            )
        # overflow=true: the shifts' real ends, not cut at the window
        body = (await self._client.get(f"/schedules/{schedule_id}", [*window, ("overflow", "true")])).get(
            "schedule"
        ) or {}
        return FinalSchedule(
            plan.shifts_from_final_schedule(schedule_id, body),
            plan.routed(body),
            tuple(u["id"] for u in body.get("users") or []),
            body.get("name") or body.get("summary"),
            body.get("time_zone"),
            version=2,
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


def schedule_from(item: dict[str, Any], version: int) -> PdSchedule:
    """A schedule as a list gives it: layer-based ones name their people and policies, shift-based
    ones are references (members and routing come from their own page)."""
    return PdSchedule(
        id=item["id"],
        name=item.get("name") or item.get("summary") or item["id"],
        version=version,
        time_zone=item.get("time_zone"),
        html_url=item.get("html_url"),
        member_ids=tuple(u["id"] for u in item.get("users") or [] if u.get("id")),
        routed=plan.routed(item) if version == 2 else None,
    )
