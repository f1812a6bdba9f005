"""Faults the fake Web API can serve, shaped like real outages as a client sees them.

- ``error``: Slack's own JSON error (``{"ok": false, "error": ...}``), HTTP 200, or 429 with
  ``Retry-After`` for ``ratelimited``.
- ``html``: a 5xx page from a load balancer in front of Slack: ``text/html``, not JSON. slack_sdk
  raises SlackApiError with that status and empty ``data``.
- ``hang``: no answer for ``seconds`` (None: until the fake stops, then the connection is dropped).
  The client must time out.
- ``reset``: the TCP connection is reset without an HTTP answer. aiohttp raises a
  ClientConnectionError (ServerDisconnectedError or ClientOSError).

``took_effect`` on hang and reset says whether Slack carried the call out before the answer was
lost: the case that makes a blind retry post a message twice. A hang that does answer (``seconds``
given) carries the call out when it answers, unless the client has gone by then.

An ``Outage`` makes every call to a set of methods fail for a while, by the fake's clock: HTML 5xx,
or 429 ``ratelimited`` with ``Retry-After`` (the outage's remaining seconds unless given).
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus

# Methods that change what people see in Slack; an outage of "writes" hits these. views.* are not in
# it: a view is redrawn whole on the next publish, so nothing needs to be made durable. Nor is
# conversations.open, which changes nothing a person sees.
WRITE_METHODS = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.update",
        "conversations.setTopic",
        "usergroups.create",
        "usergroups.update",
        "usergroups.users.update",
        "usergroups.disable",
        "usergroups.enable",
    }
)
FAULT_KINDS = ("error", "html", "hang", "reset")


@dataclass
class Fault:
    """A failure for the next ``count`` calls of a method."""

    kind: str
    status: int = 200
    error: str = ""
    retry_after: int | None = None
    seconds: float | None = None
    took_effect: bool = False
    count: int = 1

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}: one of {FAULT_KINDS}")
        if self.kind == "html" and self.status < 500:
            raise ValueError("an HTML error page needs a 5xx status")


@dataclass
class Outage:
    """Every call to ``methods`` (None: all) fails with ``status`` until ``until`` (fake clock)."""

    methods: frozenset[str] | None
    until: float
    status: int
    retry_after: int | None = None

    def covers(self, method: str, now: float) -> bool:
        """Whether a call to ``method`` at ``now`` falls in this outage."""
        return now < self.until and (self.methods is None or method in self.methods)

    def fault(self, now: float) -> Fault:
        """The fault a call during the outage meets."""
        if self.status == 429:
            retry_after = self.retry_after or max(1, math.ceil(self.until - now))
            return Fault("error", status=429, error="ratelimited", retry_after=retry_after)
        return Fault("html", status=self.status)


class FaultPlan:
    """Queued faults per method and time-boxed outages; ``take`` picks what the next call meets."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.outages: list[Outage] = []
        self._queued: defaultdict[str, deque[Fault]] = defaultdict(deque)

    def queue(self, method: str, fault: Fault) -> None:
        """Fail the next ``fault.count`` calls of ``method`` with ``fault``."""
        if fault.count < 1:
            raise ValueError("count must be at least 1")
        self._queued[method].append(fault)

    def outage(
        self, seconds: float, methods: Iterable[str] | None, status: int, retry_after: int | None
    ) -> Outage:
        """Start an outage now, for ``seconds``."""
        if status != 429 and not 500 <= status <= 599:
            raise ValueError("an outage answers 429 or a 5xx status")
        scope = None if methods is None else frozenset(methods)
        outage = Outage(scope, self.clock() + seconds, status, retry_after)
        self.outages.append(outage)
        return outage

    def end_outages(self) -> None:
        """Slack is back: end every outage now."""
        self.outages.clear()

    def take(self, method: str) -> Fault | None:
        """The fault the next call of ``method`` meets: a queued one first, then an outage's."""
        queue = self._queued.get(method)
        if queue:
            fault = queue[0]
            fault.count -= 1
            if fault.count <= 0:
                queue.popleft()
            return fault
        now = self.clock()
        self.outages = [outage for outage in self.outages if now < outage.until]
        for outage in self.outages:
            if outage.covers(method, now):
                return outage.fault(now)
        return None


def html_page(status: int) -> str:
    """The kind of page a load balancer answers with when the service behind it is down."""
    title = f"{status} {HTTPStatus(status).phrase}"
    return f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
