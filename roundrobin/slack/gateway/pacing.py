"""Slack's published rate limits, and a pacer that keeps Round Robin's writes inside them.

Slack limits each Web API method per app and workspace by "tier" (docs.slack.dev/apis/web-api/
rate-limits): Tier 2 allows 20+ calls a minute, Tier 3 50+, Tier 4 100+, with short bursts allowed;
chat.postMessage allows about one message per second per channel. The pacer grants each method (or
each method and channel) at most `calls` slots in any `per` seconds, first come first served, so a
storm of 200 hand-overs drains at the rate Slack allows instead of failing on 429s; when Slack still
answers 429, `hold` stops that method for the Retry-After it asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rate:
    calls: int
    per: float  # seconds
    per_channel: bool = False


TIER_2 = Rate(20, 60.0)
TIER_3 = Rate(50, 60.0)
TIER_4 = Rate(100, 60.0)

# Each method's tier is on its reference page (docs.slack.dev/reference/methods/<name>, "Rate limits").
RATES: dict[str, tuple[Rate, ...]] = {
    "usergroups.create": (TIER_2,),
    "usergroups.disable": (TIER_2,),
    "usergroups.enable": (TIER_2,),
    "usergroups.list": (TIER_2,),
    "usergroups.users.update": (TIER_2,),
    "conversations.setTopic": (TIER_2,),
    "conversations.info": (TIER_3,),
    # One a second per channel, and "several hundred a minute" across the workspace.
    "chat.postMessage": (Rate(1, 1.0, per_channel=True), Rate(300, 60.0)),
    "chat.update": (TIER_3,),
    "views.publish": (TIER_4,),
}


@dataclass
class _Bucket:
    sent: deque[float] = field(default_factory=deque)
    held_until: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Pacer:
    def __init__(
        self,
        rates: dict[str, tuple[Rate, ...]] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        speedup: float = 1.0,
    ):
        # `speedup` shrinks every window (a benchmark runs Slack's limits 10x faster, the ratios hold).
        base = RATES if rates is None else rates
        self._rates = {
            m: tuple(Rate(r.calls, r.per / speedup, r.per_channel) for r in limits)
            for m, limits in base.items()
        }
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    def _buckets_for(self, method: str, channel: str) -> list[tuple[Rate, _Bucket]]:
        return [
            (rate, self._buckets.setdefault((method, channel if rate.per_channel else ""), _Bucket()))
            for rate in self._rates.get(method, ())
        ]

    async def slot(self, method: str, channel: str = "") -> list[tuple[_Bucket, float]]:
        """Wait until one call of `method` (to `channel`) may go out under every limit, and count it;
        returns what was counted (for `refund`)."""
        return [
            (bucket, await self._take(rate, bucket)) for rate, bucket in self._buckets_for(method, channel)
        ]

    async def _take(self, rate: Rate, bucket: _Bucket) -> float:
        async with bucket.lock:  # fair: waiters are served in the order they came
            while True:
                now = self._clock()
                while bucket.sent and bucket.sent[0] <= now - rate.per * 1.02:
                    bucket.sent.popleft()
                wait = bucket.held_until - now
                if len(bucket.sent) >= rate.calls:
                    # A little past the window: Slack starts its clock when the request arrives.
                    wait = max(wait, bucket.sent[0] + rate.per * 1.02 - now)
                if wait <= 0:
                    bucket.sent.append(now)
                    return now
                await self._sleep(wait)

    @staticmethod
    def refund(counted: list[tuple[_Bucket, float]]) -> None:
        """The call never reached Slack (a reset connection, a load balancer's 5xx page): it does not
        count against the limit, so the backlog waiting for Slack is not held up by calls that failed."""
        for bucket, at in counted:
            with contextlib.suppress(ValueError):  # already out of the window
                bucket.sent.remove(at)

    def hold(self, method: str, channel: str, seconds: float) -> None:
        """Slack answered 429: no call of this method (to this channel) for `seconds`."""
        buckets = [bucket for _, bucket in self._buckets_for(method, channel)] or [
            self._buckets.setdefault((method, ""), _Bucket())
        ]
        until = self._clock() + seconds
        for bucket in buckets[:1]:  # the narrowest limit: a busy channel must not stop the others
            bucket.held_until = max(bucket.held_until, until)

    def forget_idle(self) -> None:
        """Drop buckets nobody used for a while (one per channel adds up in a big workspace)."""
        now = self._clock()
        for key, bucket in list(self._buckets.items()):
            window = max((r.per for r in self._rates.get(key[0], ())), default=0.0)
            idle = not bucket.lock.locked() and (not bucket.sent or bucket.sent[-1] < now - window)
            if idle and bucket.held_until < now:
                del self._buckets[key]
