"""The fake Web API: one entry point that authenticates, injects faults, rate-limits and runs a method.

Answers follow Slack: HTTP 200 with ``{"ok": false, "error": ...}`` for every failure except rate
limiting (HTTP 429 with ``Retry-After``), and the bot token's scopes in ``x-oauth-scopes`` (Bolt and
the app read it from auth.test). Injected faults (faults.py) can also answer like the
infrastructure in front of Slack: an HTML 5xx page, no answer, or a reset connection.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from roundrobin.sim.slack import api_chat, api_conversations, api_directory, api_usergroups, api_views
from roundrobin.sim.slack.api_base import SlackError
from roundrobin.sim.slack.faults import Fault, FaultPlan, html_page
from roundrobin.sim.slack.ratelimit import RateLimiter
from roundrobin.sim.slack.workspace import Workspace

Handler = Callable[[Workspace, dict], dict]


def auth_test(ws: Workspace, args: dict) -> dict:
    """Who the bot token belongs to."""
    return {
        "url": f"https://{ws.domain}.slack.com/",
        "team": ws.team_name,
        "user": ws.users[ws.bot_user_id].name,
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


def apps_connections_open(ws: Workspace, args: dict) -> dict:
    """A fresh Socket Mode URL; the client calls this again on every reconnect."""
    return {"url": f"{ws.socket_url}?ticket={ws.issue_ticket()}&app_id={ws.app_id}"}


METHODS: dict[str, Handler] = {
    "auth.test": auth_test,
    "apps.connections.open": apps_connections_open,
    **api_views.METHODS,
    **api_directory.METHODS,
    **api_conversations.METHODS,
    **api_usergroups.METHODS,
    **api_chat.METHODS,
}
# Every other method takes the bot token.
APP_TOKEN_METHODS = {"apps.connections.open"}


@dataclass
class Answer:
    """An HTTP answer: status, body (JSON, or the text of an HTML page) and extra headers."""

    status: int
    body: dict | str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def content_type(self) -> str:
        """``application/json`` for Slack's answers, ``text/html`` for a load balancer's page."""
        return "text/html" if isinstance(self.body, str) else "application/json"


class WebApi:
    """Runs Web API calls against a workspace and records them.

    A call goes through ``admit`` (record, authenticate, injected faults, rate limits), then, unless
    ``admit`` already answered, ``execute``. Hangs and resets are left to the HTTP layer: ``admit``
    hands it the Fault.
    """

    def __init__(self, ws: Workspace, *, bot_token: str, app_token: str) -> None:
        self.ws = ws
        self.bot_token = bot_token
        self.app_token = app_token
        self.calls: list[tuple[str, dict]] = []
        self.rate_limited: Counter[str] = Counter()  # 429 answers per method, whatever their cause
        self.faults_served: list[tuple[str, str]] = []  # (method, kind) of every injected fault met
        self.refused: list[tuple[str, str]] = []  # (method, error) of every call Slack itself refused
        self.faults = FaultPlan(ws.clock)
        self.limiter: RateLimiter | None = None

    def fail_next(
        self,
        method: str,
        error: str = "ratelimited",
        *,
        status: int | None = None,
        retry_after: int = 1,
        count: int = 1,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail (ratelimited answers HTTP 429 by default)."""
        if status is None:
            status = 429 if error == "ratelimited" else 200
        self.faults.queue(
            method, Fault("error", status=status, error=error, retry_after=retry_after, count=count)
        )

    def admit(self, method: str, args: dict, token: str | None) -> Answer | Fault | None:
        """Record a call and decide its fate: an answer now, a fault to serve, or None (execute it)."""
        self.calls.append((method, args))
        headers = self._headers(token)
        try:
            if method not in METHODS:
                raise SlackError("unknown_method")
            self._authenticate(method, token)
        except SlackError as error:
            return Answer(200, error.body(), headers)
        fault = self.faults.take(method)
        if fault is not None:
            self.faults_served.append((method, fault.kind))
            return self._fault_answer(method, fault, headers)
        if self.limiter is not None:
            retry_after = self.limiter.admit(method, self._rate_channel(method, args))
            if retry_after is not None:
                self.rate_limited[method] += 1
                return Answer(
                    429, {"ok": False, "error": "ratelimited"}, {**headers, "Retry-After": str(retry_after)}
                )
        return None

    def execute(self, method: str, args: dict, token: str | None) -> Answer:
        """Carry out an admitted call the way Slack would."""
        headers = self._headers(token)
        try:
            return Answer(200, {"ok": True, **METHODS[method](self.ws, args)}, headers)
        except SlackError as error:
            self.refused.append((method, error.body()["error"]))
            return Answer(200, error.body(), headers)

    def _headers(self, token: str | None) -> dict[str, str]:
        return {"x-oauth-scopes": self.ws.scope_header()} if token == self.bot_token else {}

    def _authenticate(self, method: str, token: str | None) -> None:
        if not token:
            raise SlackError("not_authed")
        expected = self.app_token if method in APP_TOKEN_METHODS else self.bot_token
        if token == expected:
            return
        # An app-level token cannot call bot methods; anything else is simply not a valid token here.
        if token == self.app_token:
            raise SlackError("not_allowed_token_type")
        raise SlackError("invalid_auth")

    def _rate_channel(self, method: str, args: dict) -> str | None:
        """The channel chat.postMessage's per-channel limit counts against (a user id means their DM)."""
        if method != "chat.postMessage" or not isinstance(args.get("channel"), str):
            return None
        channel = args["channel"]
        dm_user = self.ws.dm_user(channel)
        return self.ws.dm_channel(dm_user) if dm_user else channel

    def _fault_answer(self, method: str, fault: Fault, headers: dict[str, str]) -> Answer | Fault:
        if fault.kind == "html":
            return Answer(fault.status, html_page(fault.status))
        if fault.kind != "error":
            return fault
        if fault.status == 429:
            self.rate_limited[method] += 1
            headers = {**headers, "Retry-After": str(fault.retry_after or 1)}
        return Answer(fault.status, {"ok": False, "error": fault.error}, headers)
