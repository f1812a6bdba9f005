"""The fake Web API: one entry point that authenticates, injects faults and runs a method.

Answers follow Slack: HTTP 200 with ``{"ok": false, "error": ...}`` for every failure except rate
limiting (HTTP 429 with ``Retry-After``), and the bot token's scopes in ``x-oauth-scopes`` (Bolt and
the app read it from auth.test).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from roundrobin.sim import slack_api_chat, slack_api_directory, slack_api_usergroups, slack_api_views
from roundrobin.sim.slack_api_base import SlackError
from roundrobin.sim.slack_workspace import Workspace

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
    **slack_api_views.METHODS,
    **slack_api_directory.METHODS,
    **slack_api_usergroups.METHODS,
    **slack_api_chat.METHODS,
}
# Every other method takes the bot token.
APP_TOKEN_METHODS = {"apps.connections.open"}


@dataclass
class Fault:
    """An injected failure for the next ``count`` calls of a method."""

    error: str
    status: int
    retry_after: int
    count: int


@dataclass
class Answer:
    """An HTTP answer: status, JSON body and extra headers."""

    status: int
    body: dict
    headers: dict[str, str] = field(default_factory=dict)


class WebApi:
    """Runs Web API calls against a workspace and records them."""

    def __init__(self, ws: Workspace, *, bot_token: str, app_token: str) -> None:
        self.ws = ws
        self.bot_token = bot_token
        self.app_token = app_token
        self.calls: list[tuple[str, dict]] = []
        self._faults: defaultdict[str, deque[Fault]] = defaultdict(deque)

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
        self._faults[method].append(Fault(error=error, status=status, retry_after=retry_after, count=count))

    def call(self, method: str, args: dict, token: str | None) -> Answer:
        """Answer one Web API call the way Slack would."""
        self.calls.append((method, args))
        headers = {"x-oauth-scopes": self.ws.scope_header()} if token == self.bot_token else {}
        handler = METHODS.get(method)
        try:
            if handler is None:
                raise SlackError("unknown_method")
            self._authenticate(method, token)
            fault = self._take_fault(method)
            if fault is not None:
                return self._fault_answer(fault, headers)
            return Answer(200, {"ok": True, **handler(self.ws, args)}, headers)
        except SlackError as error:
            return Answer(200, error.body(), headers)

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

    def _take_fault(self, method: str) -> Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.count -= 1
        if fault.count <= 0:
            queue.popleft()
        return fault

    @staticmethod
    def _fault_answer(fault: Fault, headers: dict[str, str]) -> Answer:
        if fault.status == 429:
            headers = {**headers, "Retry-After": str(fault.retry_after)}
        return Answer(fault.status, {"ok": False, "error": fault.error}, headers)
