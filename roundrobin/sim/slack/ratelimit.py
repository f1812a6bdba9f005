"""Slack's Web API rate limits: the tier of every method the fake serves, and a limiter that enforces them.

Off by default (``FakeSlack(rate_limits=True)`` or ``slack.enforce_rate_limits()`` turns it on), so
tests that do not care never see a 429.

Where the numbers come from:

- Tiers, per Slack's rate-limit guide (docs.slack.dev/apis/web-api/rate-limits): Tier 1 "1+ per
  minute", Tier 2 "20+", Tier 3 "50+", Tier 4 "100+", "per API method per workspace/team per app".
  The fake enforces the number before the "+" as a hard cap: an app that stays under it is safe.
- Each method's tier is in the "Facts" of its reference page, docs.slack.dev/reference/methods/<name>
  ("Rate limits: Tier 2"), also published as ``rate_limits`` ("t2") in Slack's method JSON
  (docs.slack.dev/methods/<name>.json, mirrored in github.com/slack-ruby/slack-api-ref); "t5" there
  means "Special". Looked up in August 2026.
- chat.postMessage is Special: "generally allows an app to post 1 message per second to a specific
  channel", "short bursts >1 allowed", plus a workspace-wide limit of "several hundred messages per
  minute". Slack publishes no burst size or workspace number; the fake picks 3 and 300.

The exact rule (what tests can count on): a call is admitted when, for each limit that applies to it,
fewer than ``calls`` admitted calls with the same key fall in the last ``seconds`` (a sliding window
log). Keys: the method name for tiered methods; for chat.postMessage both the channel (at most
3 in any 3 seconds: 1 per second on average, bursts of 3) and the workspace (300 in any 60 seconds).
A refused call is not counted. It is answered HTTP 429, ``Retry-After: <seconds until the oldest
counted call leaves the window, rounded up, at least 1>``, body ``{"ok": false, "error":
"ratelimited"}``. ``window_seconds`` (default 60) scales every window by ``window_seconds / 60``, so a
benchmark can run 10x faster with ``window_seconds=6`` and see the same ratios.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

SPECIAL = "special"

# Calls per minute for each numbered tier (the documented minimum).
TIER_CALLS_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}

# The rate tier of every Web API method the fake serves.
METHOD_TIERS: dict[str, int | str] = {
    # auth.test is "t5" (Special) with no published number; the fake holds it to Tier 4's.
    "auth.test": SPECIAL,
    # docs.slack.dev says Tier 3 (t3); the older api.slack.com page said Tier 1. The newer source wins.
    "apps.connections.open": 3,
    "bots.info": 3,
    "chat.postEphemeral": 4,
    "chat.postMessage": SPECIAL,
    "chat.update": 3,
    "conversations.info": 3,
    "conversations.list": 2,
    "conversations.members": 4,
    "conversations.open": 3,
    "conversations.setTopic": 2,
    "usergroups.create": 2,
    "usergroups.disable": 2,
    "usergroups.enable": 2,
    "usergroups.list": 2,
    "usergroups.update": 2,
    "usergroups.users.list": 2,
    "usergroups.users.update": 2,
    "users.conversations": 3,
    "users.info": 4,
    "users.list": 2,
    "users.lookupByEmail": 3,
    "views.open": 4,
    "views.publish": 4,
    "views.push": 4,
    "views.update": 4,
}


@dataclass(frozen=True)
class Limit:
    """At most ``calls`` admitted calls in any ``seconds`` (at the default 60-second window)."""

    calls: int
    seconds: float


TIER_LIMITS = {tier: Limit(calls, 60.0) for tier, calls in TIER_CALLS_PER_MINUTE.items()}
# chat.postMessage: 1 per second per channel with bursts of 3, and "several hundred" per minute overall.
POST_MESSAGE_PER_CHANNEL = Limit(3, 3.0)
POST_MESSAGE_PER_WORKSPACE = Limit(300, 60.0)
SPECIAL_LIMITS = {"auth.test": TIER_LIMITS[4]}


def limits_for(method: str, channel: str | None) -> list[tuple[str, Limit]]:
    """The (key, limit) pairs a call to ``method`` (posting to ``channel``) is held to."""
    if method == "chat.postMessage":
        limits = [("chat.postMessage", POST_MESSAGE_PER_WORKSPACE)]
        if channel:
            limits.append((f"chat.postMessage:{channel}", POST_MESSAGE_PER_CHANNEL))
        return limits
    tier = METHOD_TIERS.get(method)
    if tier is None:
        return []
    limit = SPECIAL_LIMITS[method] if tier == SPECIAL else TIER_LIMITS[int(tier)]
    return [(method, limit)]


class RateLimiter:
    """A sliding window log per key; ``admit`` answers None (go ahead) or the Retry-After seconds."""

    def __init__(self, clock: Callable[[], float], window_seconds: float = 60.0) -> None:
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        self.clock = clock
        self.scale = window_seconds / 60.0
        self._admitted: defaultdict[str, deque[float]] = defaultdict(deque)

    def admit(self, method: str, channel: str | None = None) -> int | None:
        """Count the call and return None, or return the Retry-After seconds and count nothing."""
        now = self.clock()
        limits = limits_for(method, channel)
        waits = [self._wait(key, limit, now) for key, limit in limits]
        if any(wait > 0 for wait in waits):
            return max(1, math.ceil(max(waits)))
        for key, _ in limits:
            self._admitted[key].append(now)
        return None

    def _wait(self, key: str, limit: Limit, now: float) -> float:
        window = limit.seconds * self.scale
        admitted = self._admitted[key]
        while admitted and admitted[0] <= now - window:
            admitted.popleft()
        if len(admitted) < limit.calls:
            return 0.0
        return admitted[-limit.calls] + window - now
