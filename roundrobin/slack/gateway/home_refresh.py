"""Keeps open App Homes live: after a duty or config change, republish the Home of everyone who
looked at it recently, if the page they are on shows something that changed.

The rotation service rings a doorbell after every committed change; this watcher waits for the burst
to settle (one publish per person however many changes), then republishes through a pacer that keeps
views.publish inside Slack's Tier 4 with room to spare for people's own clicks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from roundrobin.background import Doorbell, cancel
from roundrobin.slack.gateway.pacing import Pacer, Rate

log = logging.getLogger(__name__)

LOOKING_FOR = 30 * 60.0  # a Home opened or used this recently is probably still on someone's screen
QUIET = 1.0  # a burst of changes settles this long before anyone's Home is republished
MAX_DELAY = 5.0  # …but a steady stream of changes still shows at least this often
# views.publish is Tier 4 (100+ a minute): refreshes take three quarters, people's clicks the rest.
REFRESH_RATE = Rate(75, 60.0)


class Homes(Protocol):
    def recent(self, within: float) -> list[str]: ...

    async def refresh(self, user_id: str, wait_turn: Callable[[], Awaitable[None]]) -> bool: ...


class HomeRefresh:
    def __init__(
        self,
        homes: Homes,
        changed: Doorbell,
        pacer: Pacer | None = None,
        looking_for: float = LOOKING_FOR,
        quiet: float = QUIET,
        max_delay: float = MAX_DELAY,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._homes = homes
        self._changed = changed
        self._pacer = pacer or Pacer({"views.publish": (REFRESH_RATE,)})
        self._looking_for = looking_for
        self._quiet = quiet
        self._max_delay = max_delay
        self._clock = clock
        self._task: asyncio.Task | None = None
        self.published = 0  # Homes republished, for tests and the log

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="home-refresh")

    async def close(self) -> None:
        await cancel(self._task)

    async def _run(self) -> None:
        while True:
            await self._changed.wait()
            await self._settle()
            try:
                await self.refresh_all()
            except Exception:  # noqa: BLE001 - keep watching: the next change tries again
                log.exception("App Home refresh failed")

    async def _settle(self) -> None:
        """Wait until no change came for `quiet` seconds, or `max_delay` passed since the first."""
        deadline = self._clock() + self._max_delay
        while (left := deadline - self._clock()) > 0 and await self._changed.wait(min(self._quiet, left)):
            pass

    async def refresh_all(self) -> int:
        """Republish every recently opened Home whose page changed; how many were published."""
        published = 0
        for user_id in self._homes.recent(self._looking_for):
            try:
                if await self._homes.refresh(user_id, self._turn):
                    published += 1
            except Exception:  # noqa: BLE001 - one person's Home failing never stops the others'
                log.exception("App Home refresh failed", extra={"user": user_id})
        if published:
            self.published += published
            log.info("App Homes refreshed", extra={"people": published})
        return published

    async def _turn(self) -> None:
        await self._pacer.slot("views.publish")
