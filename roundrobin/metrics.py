"""What an operator's Prometheus scrapes from `GET /metrics` (METRICS_ENABLED): the registry and every
metric's name, in one place.

The registry is the app's own, never prometheus_client's process-wide default: two apps in one
process (the tests, the demo) count apart. The composition root makes one `Metrics` and hands it to
the few seams that count (the HTTP session, the sync, the duty changes' common path, the App Home
publisher, Socket Mode); nothing else knows Prometheus. Gauges that describe the database (the
Slack backlog, the database's size) are set by the web route just before each scrape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import aiohttp
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Slack Web API methods that only read; every other method a bot calls changes something (a write).
_READ_SUFFIXES = (".info", ".list", ".history", ".replies", ".members", ".lookupByEmail", ".test", ".get")
_NOT_WRITES = frozenset({"apps.connections.open"})  # Socket Mode asking for its websocket URL
SYNC_SECONDS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


def slack_call_kind(method: str) -> str:
    """read | write | connect: what a Slack Web API call is, by its method name."""
    if method in _NOT_WRITES:
        return "connect"
    return "read" if method.endswith(_READ_SUFFIXES) else "write"


def _outcome(status: int | None) -> str:
    """A PagerDuty answer in a word: ok, rate_limited, refused (4xx), server_error (5xx, 408) or
    unreachable (no answer: a timeout, a refused connection)."""
    if status is None:
        return "unreachable"
    if status < 400:
        return "ok"
    if status == 429:
        return "rate_limited"
    if status == 408 or status >= 500:
        return "server_error"
    return "refused"


class Metrics:
    """Every metric Round Robin exposes, registered in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.sync_runs = Counter(
            "roundrobin_pagerduty_sync_runs",
            "PagerDuty sync cycles run, by kind (tick: the interval's; sync_now; soon: after a bind)",
            ["kind"],
            registry=r,
        )
        self.sync_failures = Counter(
            "roundrobin_pagerduty_sync_failures",
            "PagerDuty sync cycles that failed (the last known on-call state was kept)",
            ["kind"],
            registry=r,
        )
        self.sync_duration = Histogram(
            "roundrobin_pagerduty_sync_duration_seconds",
            "How long a PagerDuty sync cycle took",
            ["kind"],
            buckets=SYNC_SECONDS,
            registry=r,
        )
        self.pagerduty_requests = Counter(
            "roundrobin_pagerduty_requests",
            "Requests to PagerDuty (REST and OAuth), by outcome: ok, rate_limited, refused, "
            "server_error, unreachable",
            ["outcome"],
            registry=r,
        )
        self.budget_per_minute = Gauge(
            "roundrobin_pagerduty_budget_per_minute",
            "Requests a minute the sync allows itself (a tenth of PagerDuty's 960 per credential)",
            registry=r,
        )
        self.budget_credit = Gauge(
            "roundrobin_pagerduty_budget_credit",
            "Requests the sync may still make now (below zero: a debt a Sync now ran up, paid back by "
            "reading less ahead)",
            registry=r,
        )
        self.slack_calls = Counter(
            "roundrobin_slack_requests",
            "Slack Web API calls, by method and kind (write, read, connect)",
            ["method", "kind"],
            registry=r,
        )
        self.slack_writes = Counter(
            "roundrobin_slack_writes",
            "Slack Web API calls that change something (messages, topics, user groups, views), by method",
            ["method"],
            registry=r,
        )
        self.slack_rate_limited = Counter(
            "roundrobin_slack_rate_limited",
            "Slack answers HTTP 429 (rate limited), by method",
            ["method"],
            registry=r,
        )
        self.slack_backlog = Gauge(
            "roundrobin_slack_backlog_items",
            "Slack work due and not yet confirmed by Slack (messages, user groups, channel topics)",
            registry=r,
        )
        self.slack_backlog_age = Gauge(
            "roundrobin_slack_backlog_oldest_age_seconds",
            "How long the oldest piece of Slack work in the backlog has waited (0: none waits)",
            registry=r,
        )
        self.webhook_backlog = Gauge(
            "roundrobin_webhook_backlog_items",
            "Outgoing webhook events not yet accepted by their receivers",
            registry=r,
        )
        self.webhook_backlog_age = Gauge(
            "roundrobin_webhook_backlog_oldest_age_seconds",
            "How long the oldest outgoing webhook event has waited (0: none waits)",
            registry=r,
        )
        self.duty_changes = Counter(
            "roundrobin_duty_changes",
            "Changes of who is on duty, by reason (rotated, handoff, pagerduty, set, handed_over, …)",
            ["reason"],
            registry=r,
        )
        self.socket_mode_connections = Counter(
            "roundrobin_socket_mode_connections",
            "Socket Mode connections Slack said hello on (the first one and every reconnect)",
            registry=r,
        )
        self.socket_mode_reconnects = Counter(
            "roundrobin_socket_mode_reconnects",
            "Socket Mode connections after the first one (Slack refreshes them every few hours)",
            registry=r,
        )
        self.home_publishes = Counter(
            "roundrobin_app_home_publishes",
            "App Home views published (views.publish), by outcome: ok or failed",
            ["outcome"],
            registry=r,
        )
        self.database_size = Gauge(
            "roundrobin_database_size_bytes", "Size of the SQLite database file (with its WAL)", registry=r
        )
        self.pruned = Counter(
            "roundrobin_housekeeping_pruned_rows",
            "Rows the daily housekeeping removed (older than HISTORY_DAYS), by what they were",
            ["what"],
            registry=r,
        )
        self._hellos = 0

    # --- what the seams call ------------------------------------------------------------------

    def sync_ran(self, kind: str, ok: bool, seconds: float, credit: float, per_minute: float) -> None:
        self.sync_runs.labels(kind).inc()
        if not ok:
            self.sync_failures.labels(kind).inc()
        self.sync_duration.labels(kind).observe(seconds)
        self.budget_credit.set(credit)
        self.budget_per_minute.set(per_minute)

    def duty_changed(self, reason: str) -> None:
        self.duty_changes.labels(reason).inc()

    def home_published(self, ok: bool) -> None:
        self.home_publishes.labels("ok" if ok else "failed").inc()

    def socket_mode_hello(self) -> None:
        self.socket_mode_connections.inc()
        self._hellos += 1
        if self._hellos > 1:
            self.socket_mode_reconnects.inc()

    def socket_mode_listener(self) -> Callable[[Any, dict[str, Any], str | None], Awaitable[None]]:
        """A Socket Mode message listener (slack_sdk's `message_listeners`) that counts connections:
        Slack says `hello` first on every new one."""

        async def listen(_client: Any, message: dict[str, Any], _raw: str | None) -> None:
            if message.get("type") == "hello":
                self.socket_mode_hello()

        return listen

    def pruned_rows(self, what: str, rows: int) -> None:
        if rows:
            self.pruned.labels(what).inc(rows)

    def set_database(self, backlog: int, oldest_age: float, size_bytes: int) -> None:
        self.slack_backlog.set(backlog)
        self.slack_backlog_age.set(max(0.0, oldest_age))
        self.database_size.set(size_bytes)

    def set_webhooks(self, backlog: int, oldest_age: float) -> None:
        self.webhook_backlog.set(backlog)
        self.webhook_backlog_age.set(max(0.0, oldest_age))

    def render(self) -> bytes:
        return generate_latest(self.registry)

    # --- the HTTP seam ------------------------------------------------------------------------

    def http_trace(self, slack_api_url: str, pagerduty_urls: Iterable[str]) -> aiohttp.TraceConfig:
        """Counts every request the shared HTTP session makes to Slack's Web API (by method) and to
        PagerDuty (by outcome), whichever client made it: one seam instead of one per call site."""
        slack_base = slack_api_url.rstrip("/") + "/"
        pagerduty = tuple(u.rstrip("/") for u in pagerduty_urls if u)
        trace = aiohttp.TraceConfig()

        def where(url: Any) -> tuple[str, str]:
            text = str(url)
            if text.startswith(slack_base):
                return "slack", text[len(slack_base) :].split("?", 1)[0][:80]
            if any(text == p or text.startswith(p + "/") or text.startswith(p + "?") for p in pagerduty):
                return "pagerduty", ""
            return "", ""

        async def on_start(_session: Any, _context: Any, params: aiohttp.TraceRequestStartParams) -> None:
            service, method = where(params.url)
            if service == "slack" and method:
                kind = slack_call_kind(method)
                self.slack_calls.labels(method, kind).inc()
                if kind == "write":
                    self.slack_writes.labels(method).inc()

        async def on_end(_session: Any, _context: Any, params: aiohttp.TraceRequestEndParams) -> None:
            service, method = where(params.url)
            status = params.response.status
            if service == "pagerduty":
                self.pagerduty_requests.labels(_outcome(status)).inc()
            elif service == "slack" and method and status == 429:
                self.slack_rate_limited.labels(method).inc()

        async def on_error(_session: Any, _context: Any, params: aiohttp.TraceRequestExceptionParams) -> None:
            if where(params.url)[0] == "pagerduty":
                self.pagerduty_requests.labels(_outcome(None)).inc()

        trace.on_request_start.append(on_start)
        trace.on_request_end.append(on_end)
        trace.on_request_exception.append(on_error)
        return trace
