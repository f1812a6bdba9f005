"""REST API routes of the fake PagerDuty: v2 users, schedules (and their overrides), on-calls, abilities,
and /v3/schedules.

Parameters, response fields and errors follow PagerDuty's OpenAPI spec (api-schema openapiv3.json).
Authentication, rate limits and scopes are checked before a route runs (see gate.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from multidict import MultiMapping

from roundrobin.sim.pagerduty.gate import CALLER, DIRECTORY, ApiError, requires_scope
from roundrobin.sim.pagerduty.model import Directory, OnCallQuery, Schedule
from roundrobin.sim.pagerduty.render import Render, Window

Query = MultiMapping[str]

CLASSIC_LIMIT, CLASSIC_MAX_LIMIT, OFFSET_CAP = 25, 100, 10000
V3_LIMIT, V3_MAX_LIMIT = 100, 1000
TWO_WEEKS = 14 * 86400
ACCOUNT_LEVEL_ME = (
    "Because this request was made using an account-level access token, we were unable to"
    " determine the user's identity. Please use a user-level token."
)

routes = web.RouteTableDef()


# -- users -------------------------------------------------------------------------------------


@routes.get("/users/me")  # before /users/{id}; no scope: any user token may ask who it is
async def current_user(request: web.Request) -> web.Response:
    user_id = request[CALLER].user_id
    if user_id is None:
        # The one PagerDuty error whose "error" is a plain string (python-pagerduty relies on it).
        return web.json_response({"error": ACCOUNT_LEVEL_ME}, status=400)
    return web.json_response({"user": Render(request).user(request.app[DIRECTORY].users[user_id])})


@routes.get("/users")
@requires_scope("users.read")
async def list_users(request: web.Request) -> web.Response:
    page = classic_page(request.query)
    users = request.app[DIRECTORY].search_users(request.query.get("query"))
    return web.json_response(page.body(users, "users", Render(request).user))


@routes.get("/users/{id}")
@requires_scope("users.read")
async def get_user(request: web.Request) -> web.Response:
    user = request.app[DIRECTORY].users.get(request.match_info["id"])
    if user is None:
        raise ApiError.not_found()
    return web.json_response({"user": Render(request).user(user)})


@routes.get("/abilities")
@requires_scope("abilities.read")
async def list_abilities(request: web.Request) -> web.Response:
    return web.json_response({"abilities": list(request.app[DIRECTORY].abilities)})


# -- layer-based schedules (v2) ----------------------------------------------------------------


@routes.get("/schedules")
@requires_scope("schedules.read")
async def list_schedules(request: web.Request) -> web.Response:
    """Layer-based schedules only: shift-based ones are listed by GET /v3/schedules."""
    query = request.query
    page = classic_page(query)
    directory = request.app[DIRECTORY]
    # "This will default to the current user's time zone and then the account's time zone."
    caller = directory.users.get(request[CALLER].user_id or "")
    zone = zone_param(query, caller.time_zone if caller else directory.account.time_zone)
    window = schedule_window(query, zone)
    render = Render(request, zone)
    with_final = window is not None and "final_schedule" in list_param(query, "include")

    def item(schedule: Schedule) -> dict:
        body = render.schedule(schedule)
        if with_final:
            body["final_schedule"] = render.final_schedule(schedule, window, overflow=False)
        return body

    schedules = directory.search_schedules(query.get("query"), shift_based=False)
    return web.json_response(page.body(schedules, "schedules", item))


@routes.get("/schedules/{id}")
@requires_scope("schedules.read")
async def get_schedule(request: web.Request) -> web.Response:
    schedule = request.app[DIRECTORY].schedules.get(request.match_info["id"])
    if schedule is None:
        raise ApiError.not_found()
    if schedule.shift_based:
        raise ApiError.invalid(
            f"Schedule {schedule.id} is shift-based: read it at /v3/schedules/{schedule.id}."
        )
    zone = zone_param(request.query, schedule.time_zone)
    window = schedule_window(request.query, zone)
    overflow = bool_param(request.query, "overflow")
    body = Render(request, zone).schedule_detail(schedule, window, overflow)
    return web.json_response({"schedule": body})


@routes.post("/schedules/{id}/overrides")
@requires_scope("schedules.write")
async def create_overrides(request: web.Request) -> web.Response:
    """createScheduleOverride: each override is answered on its own (201, or 400 with why), as PagerDuty
    answers a list; the schedule's final layer and /oncalls show the ones created."""
    directory = request.app[DIRECTORY]
    schedule = directory.schedules.get(request.match_info["id"])
    if schedule is None:
        raise ApiError.not_found()
    if schedule.shift_based:
        raise ApiError.invalid(f"Schedule {schedule.id} is shift-based: its overrides are at /v3/schedules.")
    try:
        body = await request.json()
    except ValueError:
        raise ApiError.invalid("The request body is not JSON.") from None
    wanted = body.get("overrides") if isinstance(body, dict) else None
    if not isinstance(wanted, list) or not wanted:
        raise ApiError.invalid("overrides must be a list of overrides.")
    render = Render(request, ZoneInfo(schedule.time_zone))
    return web.json_response(
        [_one_override(directory, schedule, item, render) for item in wanted], status=201
    )


def _one_override(directory: Directory, schedule: Schedule, item: Any, render: Render) -> dict:
    given = item if isinstance(item, dict) else {}
    user = given.get("user")
    user = user if isinstance(user, dict) else {}
    errors = []
    start, end = _instant(given.get("start")), _instant(given.get("end"))
    if start is None or end is None:
        errors.append("Override must have a start and an end in ISO 8601.")
    elif end <= start:
        errors.append("Override must end after its start")
    if user.get("type") != "user_reference" or user.get("id") not in directory.users:
        errors.append("Override must name a user of the account (a user_reference).")
    if errors:
        return {"status": 400, "errors": errors, "override": given}
    assert start is not None and end is not None
    made = directory.override(schedule.id, user["id"], start, end)
    return {
        "status": 201,
        "override": {
            "id": made.id,
            "start": render.time(made.start),
            "end": render.time(made.end),
            "user": render.user_ref(made.user_id),
        },
    }


def _instant(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo else None


# -- shift-based schedules (v3) ----------------------------------------------------------------


@routes.get("/v3/schedules")
@requires_scope("schedules.read")
async def list_v3_schedules(request: web.Request) -> web.Response:
    page = v3_page(request.query)
    schedules = request.app[DIRECTORY].search_schedules(request.query.get("query"), shift_based=True)
    return web.json_response(page.body(schedules, "schedules", Render(request).schedule_ref))


@routes.get("/v3/schedules/{id}")
@requires_scope("schedules.read")
async def get_v3_schedule(request: web.Request) -> web.Response:
    schedule = request.app[DIRECTORY].schedules.get(request.match_info["id"])
    if schedule is None:
        raise ApiError.not_found()
    if not schedule.shift_based:
        # The upgrade guide's detection rule: "v3 returns 400 when the ID resolves to a schedule
        # that hasn't been upgraded; v2 will then succeed for the same ID".
        raise ApiError(400, "Invalid Request", 2001, {"schedule": ["Schedule is not shift-based."]})
    query = request.query
    zone = zone_param(query, schedule.time_zone)
    window = schedule_window(query, zone)
    render = Render(request, zone)
    body = render.v3_schedule(schedule)
    if window is not None and "final_schedule" in list_param(query, "include"):
        body["final_schedule"] = render.computed_shifts(schedule, window, bool_param(query, "overflow"))
    return web.json_response({"schedule": body})


# -- on-calls ----------------------------------------------------------------------------------


@routes.get("/oncalls")
@requires_scope("oncalls.read")
async def list_oncalls(request: web.Request) -> web.Response:
    """One row per shift per (escalation policy, level) targeting it: duplicates are real."""
    query = request.query
    directory = request.app[DIRECTORY]
    page = classic_page(query)
    zone = zone_param(query, directory.account.time_zone)
    rows = directory.oncalls(oncall_query(query, zone, directory.account.now()))
    render, includes = Render(request, zone), set(list_param(query, "include"))
    return web.json_response(page.body(rows, "oncalls", lambda row: render.oncall(row, includes)))


def oncall_query(query: Query, zone: ZoneInfo, now: float) -> OnCallQuery:
    since = time_param(query, "since", zone)
    until = time_param(query, "until", zone)
    since = now if since is None else since
    until = now if until is None else until
    if until < since:
        raise ApiError.invalid("until cannot be before since", code=2005, message="Invalid Query Date Range")
    schedule_ids = list_param(query, "schedule_ids")
    # "If null is provided in the array, it includes permanent on-calls due to direct user targets."
    nulls = {"null", ""}
    return OnCallQuery(
        since=since,
        until=until,
        schedule_ids=frozenset(schedule_ids) - nulls if schedule_ids else None,
        include_permanent=not schedule_ids or bool(nulls & set(schedule_ids)),
        policy_ids=frozenset(list_param(query, "escalation_policy_ids")) or None,
        user_ids=frozenset(list_param(query, "user_ids")) or None,
        earliest=bool_param(query, "earliest"),
    )


# -- parameters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int
    total: bool
    classic: bool = True  # classic pages always carry "total" (null unless total=true)

    def body(self, items: Sequence[Any], key: str, render: Callable[[Any], dict]) -> dict:
        chunk = items[self.offset : self.offset + self.limit]
        body: dict[str, Any] = {
            key: [render(item) for item in chunk],
            "limit": self.limit,
            "offset": self.offset,
            "more": self.offset + len(chunk) < len(items),
        }
        if self.classic or self.total:
            body["total"] = len(items) if self.total else None
        return body


def classic_page(query: Query) -> Page:
    """limit (default 25, at most 100), offset, total; offset + limit may not pass 10000."""
    limit = int_param(query, "limit", CLASSIC_LIMIT)
    offset = int_param(query, "offset", 0)
    if not 1 <= limit <= CLASSIC_MAX_LIMIT:
        raise ApiError.invalid(f"limit must be between 1 and {CLASSIC_MAX_LIMIT}")
    if offset < 0:
        raise ApiError.invalid("offset must not be negative")
    if offset + limit > OFFSET_CAP:
        raise ApiError.invalid(f"offset + limit must not exceed {OFFSET_CAP}; narrow the query with filters")
    return Page(limit, offset, bool_param(query, "total"))


def v3_page(query: Query) -> Page:
    """v3 lists: limit 1..1000 (default 100), offset; "total" only when asked for."""
    limit = int_param(query, "limit", V3_LIMIT)
    offset = int_param(query, "offset", 0)
    if not 1 <= limit <= V3_MAX_LIMIT:
        raise ApiError(400, "Invalid Request", 2001, {"limit": [f"must be between 1 and {V3_MAX_LIMIT}"]})
    if offset < 0:
        raise ApiError(400, "Invalid Request", 2001, {"offset": ["must be greater than or equal to 0"]})
    return Page(limit, offset, bool_param(query, "total"), classic=False)


def int_param(query: Query, name: str, default: int) -> int:
    raw = query.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError.invalid(f"{name} must be an integer") from None


def bool_param(query: Query, name: str) -> bool:
    return query.get(name, "").lower() == "true"


def list_param(query: Query, name: str) -> list[str]:
    """PagerDuty arrays are repeated `name[]` parameters; a bare `name` is not the same thing."""
    return query.getall(f"{name}[]", [])


def zone_param(query: Query, default: str) -> ZoneInfo:
    name = query.get("time_zone") or default
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ApiError.invalid(f"time_zone {name!r} is not a valid time zone") from None


def time_param(query: Query, name: str, zone: ZoneInfo) -> float | None:
    """An ISO 8601 parameter; a time without an offset is read in the request's time zone."""
    raw = query.get(name, "")
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ApiError.invalid(
            f"{name} is not an ISO 8601 time: {raw!r}",
            code=2004,
            message="Invalid time values in 'since' and/or 'until' parameters",
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).timestamp()


def schedule_window(query: Query, zone: ZoneInfo) -> Window | None:
    """since/until of a schedule read: each defaults to two weeks from the other; neither, no window."""
    since, until = time_param(query, "since", zone), time_param(query, "until", zone)
    if since is None and until is None:
        return None
    if since is None:
        assert until is not None  # not both None: returned above
        since = until - TWO_WEEKS
    until = since + TWO_WEEKS if until is None else until
    if until < since:
        raise ApiError.invalid("until cannot be before since", code=2005, message="Invalid Query Date Range")
    return since, until
