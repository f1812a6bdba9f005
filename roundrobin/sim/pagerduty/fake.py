"""A loopback fake of PagerDuty that speaks the real wire protocols.

One aiohttp server answers both the REST API (v2 users, schedules, on-calls, abilities, and the
shift-based /v3/schedules) and the Scoped OAuth identity endpoints (/oauth/authorize with a consent
page, /oauth/token), so PAGERDUTY_API_URL and PAGERDUTY_IDENTITY_URL may both point at `pd.url`.
It is strict wherever PagerDuty is strict (auth headers, scopes, pagination caps, PKCE, 30-second
single-use codes, rotating refresh tokens), otherwise a test against it would prove nothing.

    clock = ManualClock()
    async with FakePagerDuty(clock=clock) as pd:
        pd.add_user("PALICE1", "Alice Admin", "alice@example.com")
        pd.add_schedule("PSCHED1", "Primary", escalation_policy_ids=["PEP0001"])
        pd.set_on_call("PSCHED1", "PALICE1")
        pd.add_api_key("y_NbAkKc66ryYTWUXYEu")
        ...  # point the app at pd.url; move time with clock.advance(31)

FakePagerDuty(contract=ContractChecker.default()) also checks every REST request and answer
against PagerDuty's OpenAPI document; leaving `async with` fails if anything did not conform (or
call pd.assert_contract_clean() yourself after pd.stop()). The checker needs the test extra
(openapi-core), so it is passed in, never imported here: the demo runs from a plain install.

The parts, in this package: model (the account's data), auth (keys, OAuth rules), gate (faults,
rate limits, request log), rest and oauth (routes), render (the JSON shapes), and scenarios (seeded,
realistic accounts for benchmarks and tests). The opt-in checks of every REST exchange against
PagerDuty's OpenAPI document live with the tests (tests/contract/checker.py).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from types import TracebackType
from typing import Any, Protocol

from aiohttp import web

from roundrobin.sim.pagerduty.auth import DEFAULT_APP_SCOPES, ApiKey, AuthServer, OAuthApp, OAuthToken
from roundrobin.sim.pagerduty.gate import (
    AUTH,
    DIRECTORY,
    GATE,
    MIDDLEWARES,
    Fault,
    Gate,
    Hold,
    RequestRecord,
    is_identity,
    rate_limit_fault,
)
from roundrobin.sim.pagerduty.model import (
    Account,
    Clock,
    Directory,
    EscalationPolicy,
    Instant,
    Schedule,
    Shift,
    User,
    to_epoch,
)
from roundrobin.sim.pagerduty.oauth import answer_consent, consent_links
from roundrobin.sim.pagerduty.oauth import routes as identity_routes
from roundrobin.sim.pagerduty.rest import routes as rest_routes

__all__ = [
    "ApiKey",
    "EscalationPolicy",
    "FakePagerDuty",
    "ManualClock",
    "OAuthApp",
    "OAuthToken",
    "RequestRecord",
    "Schedule",
    "Shift",
    "User",
    "answer_consent",
    "consent_links",
]

WEEK = 7 * 86400
UserIds = str | Sequence[str]


class ManualClock:
    """A clock that only moves when told to: `clock()` and `clock.now` are Unix seconds."""

    def __init__(self, now: float = 1_767_600_000.0) -> None:  # 2026-01-05T08:00:00Z, a Monday
        self.now = float(now)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


class _Knob:
    """A setting of one of the fake's parts, read and written as a plain attribute (pd.outage = True)."""

    def __init__(self, part: str, name: str) -> None:
        self.part, self.name = part, name

    def __get__(self, fake: Any, owner: type | None = None) -> Any:
        return self if fake is None else getattr(getattr(fake, self.part), self.name)

    def __set__(self, fake: Any, value: Any) -> None:
        setattr(getattr(fake, self.part), self.name, value)


class FakePagerDuty:
    """PagerDuty's REST API and identity endpoints for one account, served on loopback."""

    outage = _Knob("gate", "outage")  # every REST call answers 503
    identity_outage = _Knob("gate", "identity_outage")  # every /oauth call answers 503
    rate_limit_per_minute = _Knob("gate", "rate_limit_per_minute")  # 960; None turns it off
    access_token_ttl = _Knob("auth", "access_token_ttl")
    refresh_token_ttl = _Knob("auth", "refresh_token_ttl")
    code_ttl = _Knob("auth", "code_ttl")
    auto_approve = _Knob("auth", "auto_approve")  # /oauth/authorize redirects without a consent page
    abilities = _Knob("directory", "abilities")

    def __init__(
        self,
        subdomain: str = "acme",
        account_id: str = "PACME01",
        region: str = "us",
        clock: Clock = time.time,
        *,
        time_zone: str = "UTC",
        contract: ExchangeCheck | None = None,
    ) -> None:
        """`contract` (a tests.contract.checker.ContractChecker) checks every REST request and answer
        against PagerDuty's OpenAPI document: see `contract_violations`, and `async with` fails on
        leaving if there are any."""
        self.account = Account(subdomain, account_id, region, time_zone, clock)
        self.directory = Directory(self.account)
        self.auth = AuthServer(self.account, self.directory)
        self.gate = Gate(clock)
        self.contract = contract
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    # -- serving -------------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        """The aiohttp application, for callers that serve it themselves (e.g. aiohttp TestServer)."""
        record, *inner = MIDDLEWARES
        checks = [self.contract.middleware] if self.contract is not None else []
        app = web.Application(middlewares=[record, *checks, *inner])
        app[DIRECTORY] = self.directory
        app[AUTH] = self.auth
        app[GATE] = self.gate
        app.add_routes(rest_routes)
        app.add_routes(identity_routes)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 picks a free port); returns the base URL, also `pd.url`."""
        if self._runner is not None:
            raise RuntimeError("FakePagerDuty is already running")
        runner = web.AppRunner(self.make_app(), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        bound_port = runner.addresses[0][1]
        self._url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{bound_port}"
        return self._url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakePagerDuty:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
        if exc_type is None and self.contract is not None:
            self.assert_contract_clean()

    @property
    def url(self) -> str:
        """Base URL of both the REST API and the identity endpoints."""
        if self._url is None:
            raise RuntimeError("FakePagerDuty is not started: await pd.start() first")
        return self._url

    # -- account data --------------------------------------------------------------------------

    def add_user(self, id: str, name: str, email: str, time_zone: str = "UTC", role: str = "user") -> User:
        return self.directory.add_user(User(id, name, email, time_zone, role))

    def add_schedule(
        self,
        id: str,
        name: str,
        time_zone: str = "UTC",
        version: int = 2,
        user_ids: Sequence[str] = (),
        escalation_policy_ids: Sequence[str] = (),
        *,
        turn_length: int | None = None,
    ) -> Schedule:
        """A schedule (version 3: shift-based). Each listed policy gets a new level targeting it;
        a policy that does not exist yet is created, named after its id. turn_length (seconds) is
        what the rotation's layer or event says it hands over every; by default the first shift's
        length. Who is on call when comes from set_shifts, not from it."""
        schedule = Schedule(id, name, time_zone, version, list(user_ids), turn_length=turn_length)
        self.directory.add_schedule(schedule)
        for policy_id in escalation_policy_ids:
            self.directory.attach(policy_id, id)
        return schedule

    def remove_schedule(self, id: str) -> None:
        """Delete a schedule: gone from lists, 404 on detail, no longer targeted by any policy."""
        self.directory.remove_schedule(id)

    def add_escalation_policy(
        self,
        id: str,
        name: str,
        schedule_ids: Sequence[str] = (),
        user_ids: Sequence[str] = (),
        *,
        levels: Iterable[Sequence[str]] = (),
    ) -> EscalationPolicy:
        """A policy: each schedule at its own level (1, 2, ...), then one level targeting the users
        directly (permanent on-calls), then any explicit `levels` (lists of schedule or user ids)."""
        policy = EscalationPolicy(id, name)
        for schedule_id in schedule_ids:
            policy.add_rule(schedule_ids=[schedule_id])
        if user_ids:
            policy.add_rule(user_ids=list(user_ids))
        for targets in levels:
            schedules = [t for t in targets if t in self.directory.schedules]
            policy.add_rule(schedule_ids=schedules, user_ids=[t for t in targets if t not in schedules])
        return self.directory.add_policy(policy)

    def set_shifts(self, schedule_id: str, shifts: Iterable[tuple[UserIds, Instant, Instant | None]]) -> None:
        """Replace the schedule's shifts: (user id or ids, start, end or None) in seconds or aware
        datetimes. v2 schedules take one user at a time; v3 ones may overlap and share shifts."""
        built = [
            Shift(_user_ids(users), to_epoch(start), None if end is None else to_epoch(end))
            for users, start, end in shifts
        ]
        self.directory.set_shifts(schedule_id, built)

    def add_override(self, schedule_id: str, user_id: str, start: Instant, end: Instant) -> None:
        """A layer-based schedule's override: `user_id` on call from start to end, whoever the
        rotation had; the rest of the rotation stays (unlike set_on_call, which replaces it)."""
        self.directory.override(schedule_id, user_id, to_epoch(start), to_epoch(end))

    def set_on_call(self, schedule_id: str, user_id_or_ids: UserIds, until: Instant | None = None) -> None:
        """One shift from now until `until` (default a week from now), replacing the others."""
        now = self.account.now()
        self.set_shifts(schedule_id, [(user_id_or_ids, now, now + WEEK if until is None else until)])

    # -- credentials ---------------------------------------------------------------------------

    def add_api_key(self, key: str, read_only: bool = True, user_id: str | None = None) -> ApiKey:
        """A REST API key; with user_id it is a user-level key (so /users/me knows who it is)."""
        if user_id is not None and user_id not in self.directory.users:
            raise KeyError(f"unknown user id {user_id!r}: add_user it first")
        api_key = ApiKey(key, read_only, user_id)
        self.auth.api_keys[key] = api_key
        return api_key

    def delete_api_key(self, key: str) -> None:
        """An admin deleted the key in PagerDuty: from now on it gets 401."""
        self.auth.api_keys.pop(key, None)

    def add_oauth_app(
        self,
        client_id: str,
        client_secret: str,
        redirect_uris: Sequence[str],
        scopes: Iterable[str] = DEFAULT_APP_SCOPES,
        authorizing_user_id: str | None = None,
        name: str = "Round Robin",
    ) -> OAuthApp:
        """A Scoped OAuth app; authorizing_user_id is who is "signed in" on the consent page
        (default: the first user added)."""
        app = OAuthApp(
            client_id, client_secret, list(redirect_uris), frozenset(scopes), authorizing_user_id, name
        )
        self.auth.apps[client_id] = app
        return app

    # -- faults --------------------------------------------------------------------------------

    def fail_next(
        self,
        status: int = 500,
        count: int | None = 1,
        path: str | None = None,
        headers: dict[str, str] | None = None,
        body: str | bytes | dict | None = None,
    ) -> None:
        """Answer the next `count` requests whose path starts with `path` (None: any REST request,
        never /oauth) with this status; a dict body is sent as JSON. `count=None`: every such request
        until clear_faults() (a refusal that lasts, like a missing permission)."""
        self.gate.faults.append(Fault(status, count, path, dict(headers or {}), body))

    def clear_faults(self) -> None:
        """Forget every canned failure still queued or lasting."""
        self.gate.faults.clear()

    def hold_next(self, path: str) -> Hold:
        """Keep the next request whose path starts with `path` waiting until the returned hold's
        `release` is set (`reached` is set once it is waiting): PagerDuty being slow."""
        hold = Hold(path)
        self.gate.holds.append(hold)
        return hold

    def rate_limit_next(self, reset: int = 2, count: int = 1) -> None:
        """Answer the next `count` REST requests with PagerDuty's 429 (code 2020, ratelimit-* headers)."""
        self.gate.faults.append(rate_limit_fault(reset, count))

    def revoke_tokens(self) -> None:
        """Every issued access and refresh token stops working (REST then answers 401, not JSON)."""
        self.auth.revoke_all()

    def expire_access_tokens(self) -> None:
        """Every access token expires now; refresh tokens keep working."""
        self.auth.expire_access_tokens()

    # -- records -------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        return self.gate.requests

    def reset_requests(self) -> None:
        self.gate.requests.clear()

    def count_requests(self, path_prefix: str = "/", method: str = "GET") -> int:
        """How many recorded requests hit paths under path_prefix."""
        return sum(1 for r in self.gate.requests if r.method == method and r.path.startswith(path_prefix))

    def request_counts(self, *, rest_only: bool = True) -> Counter[str]:
        """Recorded requests per endpoint, keyed by method and route template ("GET /schedules/{id}");
        the identity endpoints (/oauth/...) only with rest_only=False. Call reset_requests() between
        the cycles you measure."""
        return Counter(r.endpoint for r in self.gate.requests if not (rest_only and is_identity(r.path)))

    @property
    def issued_tokens(self) -> list[OAuthToken]:
        return self.auth.issued_tokens

    def token_info(self, access_token: str) -> OAuthToken | None:
        return self.auth.token_info(access_token)

    # -- contract ------------------------------------------------------------------------------

    @property
    def contract_violations(self) -> list[Any]:
        """What did not conform to PagerDuty's OpenAPI document so far (clear() it to start over)."""
        return self._checker().violations

    @property
    def contract_forgiven(self) -> list[tuple[str, Any]]:
        """Known gaps between the document and the live API that were met, as (gap name, violation)."""
        return self._checker().forgiven

    def assert_contract_clean(self) -> None:
        """Raise AssertionError listing every contract violation recorded so far."""
        violations = self._checker().violations
        if violations:
            listed = "\n".join(f"  {violation}" for violation in violations[:50])
            raise AssertionError(f"{len(violations)} PagerDuty contract violation(s):\n{listed}")

    def _checker(self) -> ExchangeCheck:
        if self.contract is None:
            raise RuntimeError(
                "contract validation is off: construct FakePagerDuty(contract=ContractChecker.default())"
            )
        return self.contract


class ExchangeCheck(Protocol):
    """What the fake needs of a contract checker: a middleware that records what did not conform."""

    violations: list[Any]
    forgiven: list[tuple[str, Any]]
    middleware: Callable[..., Any]


def _user_ids(value: UserIds) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)
