"""What stands between a request and a route of the fake PagerDuty.

Middlewares, outermost first:
1. `record_requests`: every request lands in `Gate.requests` with the status it got.
2. `inject_faults`: outages and queued failures (`fail_next`, `rate_limit_next`).
3. `guard_rest`: REST only: Authorization header → Caller (401), 960 requests per rolling minute
   per credential (429, with ratelimit-* headers on every answer), the route's OAuth scope (403).
4. `render_errors`: ApiError from routes and unknown REST paths → PagerDuty's error JSON.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import web

from roundrobin.sim.pagerduty.auth import AuthServer, Caller, Unauthorized, parse_authorization
from roundrobin.sim.pagerduty.model import Clock, Directory

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

RATE_WINDOW = 60.0
VERSION_2 = "application/vnd.pagerduty+json;version=2"
RATE_LIMITED_BODY = {"error": {"message": "Rate Limit Exceeded", "code": 2020}}
UNAUTHORIZED_BODY = {"error": {"message": "Unauthorized", "code": 2006}}
# Revoked OAuth tokens get a 401 that is not JSON (seen in the wild: terraform-provider-pagerduty #1055).
REVOKED_HTML = (
    "<html><head><title>401 Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>"
)
OUTAGE_HTML = "<html><head><title>503 Service Unavailable</title></head><body><h1>503 Service Unavailable</h1></body></html>"


@dataclass
class RequestRecord:
    method: str
    path: str
    query: dict[str, list[str]]
    auth: str | None  # the kind of Authorization header sent: "api_key", "oauth" or None
    status: int
    accept_version: bool  # sent Accept: application/vnd.pagerduty+json;version=2
    at: float
    route: str = ""  # the route template that answered ("/schedules/{id}"), or the path when none did

    @property
    def endpoint(self) -> str:
        """Method and route template, e.g. "GET /schedules/{id}": what request counts are keyed by."""
        return f"{self.method} {self.route or self.path}"


@dataclass
class Fault:
    """A canned answer for the next `count` requests whose path starts with `path`."""

    status: int
    count: int | None = 1  # None: every matching request until the fault is cleared
    path: str | None = None  # None: any REST request, never the identity endpoints
    headers: dict[str, str] = field(default_factory=dict)
    body: str | bytes | dict | None = None

    def matches(self, path: str) -> bool:
        return not is_identity(path) if self.path is None else path.startswith(self.path)

    def response(self) -> web.Response:
        body = self.body
        if body is None:
            body = {"error": {"message": HTTPStatus(self.status).phrase}}
        if isinstance(body, dict):
            return web.json_response(body, status=self.status, headers=self.headers)
        return web.Response(body=body, status=self.status, headers=self.headers, content_type="text/html")


@dataclass
class Hold:
    """Keeps the next request whose path starts with `path` waiting until `release` is set: a slow
    PagerDuty, for tests that change things while a sync is waiting for an answer."""

    path: str
    reached: asyncio.Event = field(default_factory=asyncio.Event)  # the request is being held
    release: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True)
class Allowance:
    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        return {
            "ratelimit-limit": str(self.limit),
            "ratelimit-remaining": str(self.remaining),
            "ratelimit-reset": str(self.reset),
        }


class Gate:
    """Outages, queued faults, the rate limiter and the request log of one fake."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.outage = False  # every REST call answers 503
        self.identity_outage = False  # every /oauth call answers 503
        self.rate_limit_per_minute: int | None = 960  # None: no limit (benchmarks)
        self.requests: list[RequestRecord] = []
        self.faults: list[Fault] = []
        self.holds: list[Hold] = []
        self._windows: dict[Hashable, deque[float]] = {}

    def take_fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(path):
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                return fault
        return None

    def spend(self, bucket: Hashable) -> Allowance | None:
        """Count one request against the bucket's rolling minute; None when limits are off."""
        limit = self.rate_limit_per_minute
        if limit is None:
            return None
        now = float(self.clock())
        window = self._windows.setdefault(bucket, deque())
        while window and window[0] <= now - RATE_WINDOW:
            window.popleft()
        allowed = len(window) < limit
        if allowed:
            window.append(now)
        reset = math.ceil(window[0] + RATE_WINDOW - now) if window else 0
        return Allowance(allowed, limit, limit - len(window), max(reset, 1))

    def record(self, request: web.Request, status: int) -> None:
        self.requests.append(
            RequestRecord(
                method=request.method,
                path=request.path,
                query={key: request.query.getall(key) for key in request.query},
                auth=parse_authorization(request.headers.get("Authorization"))[0],
                status=status,
                accept_version=VERSION_2 in request.headers.get("Accept", "").replace(" ", ""),
                at=float(self.clock()),
                route=route_template(request),
            )
        )


class ApiError(Exception):
    """A PagerDuty REST error: `{"error": {"message", "code", "errors", ...}}` with a status."""

    def __init__(
        self, status: int, message: str, code: int, errors: list | dict | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error: dict[str, Any] = {"message": message, "code": code, **extra}
        if errors is not None:
            self.error["errors"] = errors

    @classmethod
    def invalid(cls, *errors: str, code: int = 2001, message: str = "Invalid Input Provided") -> ApiError:
        return cls(400, message, code, list(errors))

    @classmethod
    def not_found(cls) -> ApiError:
        return cls(404, "Not Found", 2100)

    def response(self) -> web.Response:
        return web.json_response({"error": self.error}, status=self.status)


GATE = web.AppKey("pagerduty_gate", Gate)
AUTH = web.AppKey("pagerduty_auth", AuthServer)
DIRECTORY = web.AppKey("pagerduty_directory", Directory)
CALLER = web.RequestKey("pagerduty_caller", Caller)
FAULT_ANSWER = web.RequestKey("pagerduty_fault_answer", bool)  # a queued fault or an outage answered


def route_template(request: web.Request) -> str:
    """The template of the route that matched ("/users/{id}"); the raw path when none did."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else request.path


def is_identity(path: str) -> bool:
    """Identity-host paths (OAuth, OpenID); everything else is the REST API."""
    return path.startswith(("/oauth/", "/global/oauth/"))


def requires_scope(scope: str) -> Callable[[Handler], Handler]:
    """Mark a route with the Scoped OAuth scope its spec operation lists (x-pd-requires-scope)."""

    def mark(handler: Handler) -> Handler:
        handler.required_scope = scope  # type: ignore[attr-defined]
        return handler

    return mark


@web.middleware
async def record_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        request.app[GATE].record(request, status)


@web.middleware
async def inject_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    gate = request.app[GATE]
    down = gate.identity_outage if is_identity(request.path) else gate.outage
    if down:
        request[FAULT_ANSWER] = True
        return web.Response(text=OUTAGE_HTML, status=503, content_type="text/html")
    fault = gate.take_fault(request.path)
    if fault is not None:
        request[FAULT_ANSWER] = True
        return fault.response()
    hold = next((h for h in gate.holds if request.path.startswith(h.path)), None)
    if hold is not None:
        gate.holds.remove(hold)
        hold.reached.set()
        await hold.release.wait()
    return await handler(request)


@web.middleware
async def guard_rest(request: web.Request, handler: Handler) -> web.StreamResponse:
    if is_identity(request.path):
        return await handler(request)
    try:
        caller = request.app[AUTH].authenticate(request.headers.get("Authorization"))
    except Unauthorized as exc:
        return _unauthorized(exc)
    allowance = request.app[GATE].spend(caller.rate_bucket)
    if allowance is not None and not allowance.allowed:
        return web.json_response(RATE_LIMITED_BODY, status=429, headers=allowance.headers())
    request[CALLER] = caller
    missing = _read_only(request, caller) or _missing_scope(request, caller)
    response = missing.response() if missing else await handler(request)
    if allowance is not None:
        response.headers.update(allowance.headers())
    return response


@web.middleware
async def render_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return exc.response()
    except web.HTTPNotFound:
        if is_identity(request.path):
            raise
        return ApiError.not_found().response()


MIDDLEWARES = (record_requests, inject_faults, guard_rest, render_errors)


def rate_limit_fault(reset: int, count: int, limit: int = 960) -> Fault:
    """The documented 429: code 2020 and lower-case ratelimit-* headers, no Retry-After."""
    allowance = Allowance(False, limit, 0, reset)
    return Fault(429, count, headers=allowance.headers(), body=RATE_LIMITED_BODY)


def _unauthorized(exc: Unauthorized) -> web.Response:
    if exc.revoked:
        return web.Response(text=REVOKED_HTML, status=401, content_type="text/html")
    return web.json_response(UNAUTHORIZED_BODY, status=401)


def _read_only(request: web.Request, caller: Caller) -> ApiError | None:
    """A read-only API key may only read: PagerDuty answers any other method with 403."""
    if not caller.read_only or request.method in ("GET", "HEAD"):
        return None
    return ApiError(403, "Access Denied", 2010, ["This API key is read-only: it may not make changes."])


def _missing_scope(request: web.Request, caller: Caller) -> ApiError | None:
    required = getattr(request.match_info.handler, "required_scope", None)
    if required is None or caller.scopes is None or required in caller.scopes:
        return None
    return ApiError(
        403,
        "Token missing required scopes",
        2010,
        [f"This endpoint requires the {required} scope."],
        required_scopes=required,
    )
