"""Every way a Slack Web API call can fail, sorted into what the caller can do about it.

slack_sdk raises SlackApiError for Slack's own `{"ok": false}` answers and for HTTP errors (a 503
page from a load balancer arrives with an empty body), and lets timeouts and connection resets
through as they are. All of them come out of `classify` as one SlackFailure: rate limited (wait
`retry_after`, it is not a failure), temporary (retry with backoff) or permanent (show it).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp
from slack_sdk.errors import SlackApiError

# Slack's own words for "not now": retrying later is the documented remedy.
TEMPORARY_ERRORS = frozenset(
    {
        "ratelimited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
        "org_login_required",
    }
)


@dataclass(frozen=True)
class SlackFailure:
    code: str  # Slack's error code, or http_503, timeout, connection
    temporary: bool
    retry_after: float | None = None  # set when Slack said how long to wait (HTTP 429)

    @property
    def rate_limited(self) -> bool:
        return self.retry_after is not None


def classify(error: BaseException) -> SlackFailure:
    if isinstance(error, SlackApiError):
        response = error.response
        # A body labelled JSON that does not parse comes with aiohttp's own response (`status`, no
        # `data`) instead of a SlackResponse (`status_code`, `data`).
        status = getattr(response, "status_code", None) or getattr(response, "status", None) or 200
        data = response.data if isinstance(getattr(response, "data", None), dict) else {}
        code = data.get("error")
        if status == 429 or code == "ratelimited":
            return SlackFailure("ratelimited", True, _retry_after(response))
        if not code and status == 200:
            # A 200 without Slack's {"ok": false, "error": ...}: the body was cut short or garbled
            # on the way (not JSON, not an object), which is worth another try.
            return SlackFailure("connection", True)
        code = code or f"http_{status}"
        return SlackFailure(code, status >= 500 or status == 408 or code in TEMPORARY_ERRORS)
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return SlackFailure("timeout", True)
    if isinstance(error, aiohttp.ClientError | OSError | ValueError):
        # Resets, refused connections, half-read bodies, a body that is not JSON.
        return SlackFailure("connection", True)
    # Anything else is a bug on our side; retrying with backoff (and logging it) beats a hot loop.
    return SlackFailure(f"unexpected {type(error).__name__}", True)


def _retry_after(response) -> float:
    try:
        return max(1.0, float(response.headers.get("Retry-After", 1)))
    except (TypeError, ValueError, AttributeError):
        return 1.0


def describe(failure: SlackFailure) -> str:
    """A temporary failure in words a person understands."""
    return {
        "timeout": "Slack did not answer in time",
        "connection": "Slack could not be reached",
        "ratelimited": "Slack asked Round Robin to slow down",
    }.get(failure.code, f"Slack had a problem ({failure.code})")
