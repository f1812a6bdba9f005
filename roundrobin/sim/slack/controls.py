"""FakeSlack's controls for faults and rate limits: Slack failing the way it really fails.

A mixin so that FakeSlack keeps one flat API (``slack.outage(...)``, ``slack.rate_limited``) while
its code lives apart; it works on the fake's ``api`` (api.WebApi) and ``workspace``. What each
fault looks like to a client is in faults.py; the rate tiers and the exact rule are in
ratelimit.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from roundrobin.sim.slack.api import WebApi
from roundrobin.sim.slack.faults import Fault, Outage
from roundrobin.sim.slack.ratelimit import RateLimiter
from roundrobin.sim.slack.workspace import Workspace


class FaultControls:
    """Inject faults, stage outages and enforce rate tiers; count what the app met."""

    api: WebApi
    workspace: Workspace

    def fail_next(
        self,
        method: str,
        error: str = "ratelimited",
        *,
        status: int | None = None,
        retry_after: int = 1,
        count: int = 1,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail; "ratelimited" answers HTTP 429 by default."""
        self.api.fail_next(method, error, status=status, retry_after=retry_after, count=count)

    def fail_next_html(self, method: str, status: int = 503, *, count: int = 1) -> None:
        """Answer the next ``count`` calls of ``method`` with a load balancer's HTML error page."""
        self.api.faults.queue(method, Fault("html", status=status, count=count))

    def hang_next(
        self, method: str, *, seconds: float | None = None, count: int = 1, took_effect: bool = False
    ) -> None:
        """Leave the next ``count`` calls of ``method`` unanswered for ``seconds`` (None: until stop).

        ``took_effect``: Slack carried the call out at once, only the answer is late or lost. Otherwise
        the call is carried out when (and if) the answer goes out with the client still waiting.
        """
        self.api.faults.queue(method, Fault("hang", seconds=seconds, count=count, took_effect=took_effect))

    def reset_next(self, method: str, *, count: int = 1, took_effect: bool = False) -> None:
        """Reset the TCP connection of the next ``count`` calls of ``method`` instead of answering.

        ``took_effect``: Slack carried the call out before the connection broke.
        """
        self.api.faults.queue(method, Fault("reset", count=count, took_effect=took_effect))

    def outage(
        self,
        seconds: float,
        methods: Iterable[str] | None = None,
        *,
        status: int = 503,
        retry_after: int | None = None,
    ) -> Outage:
        """For ``seconds`` (by the fake's clock), every call to ``methods`` (None: all) fails.

        A 5xx is a load balancer's HTML page; 429 is ``ratelimited`` with Retry-After (``retry_after``,
        or the seconds the outage has left). ``slack.outage(12, WRITE_METHODS)``: writes fail for 12 s.
        """
        return self.api.faults.outage(seconds, methods, status, retry_after)

    def end_outage(self) -> None:
        """End every outage now."""
        self.api.faults.end_outages()

    def enforce_rate_limits(self, window_seconds: float = 60.0) -> None:
        """Answer 429 past each method's rate tier (ratelimit.py has the table and the exact rule).

        ``window_seconds`` scales every window (60: Slack's per-minute limits; 6: ten times faster).
        Calling it again starts afresh.
        """
        self.api.limiter = RateLimiter(self.workspace.clock, window_seconds)

    def lift_rate_limits(self) -> None:
        """Stop enforcing rate limits (the default)."""
        self.api.limiter = None

    @property
    def rate_limited(self) -> Counter[str]:
        """How many 429 answers each method got (rate limits and injected 429s alike)."""
        return self.api.rate_limited

    @property
    def faults_served(self) -> list[tuple[str, str]]:
        """(method, kind) of every injected fault a call met, in order: "error", "html", "hang", "reset"."""
        return self.api.faults_served
