"""Work that runs after an ack: tracked, logged when it fails, awaited at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def run(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception(), extra={"task": task.get_name()})

    async def drain(self, timeout: float = 10.0) -> None:
        """Let running work (and the work it starts) finish; cancel what outlives the timeout."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._tasks:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            await asyncio.wait(set(self._tasks), timeout=remaining)
        pending = set(self._tasks)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


class Doorbell:
    """Wakes a worker that waits for work. Rings while nobody waits are remembered, not counted:
    the worker looks at everything pending when it wakes, so one wake-up serves any number of rings."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def ring(self) -> None:
        self._event.set()

    async def wait(self, timeout: float | None = None) -> bool:
        """True when rung, False when `timeout` seconds passed first."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            return False
        self._event.clear()
        return True


async def cancel(*tasks: asyncio.Task | None) -> None:
    """Stop workers' tasks and wait until they have stopped (what they raise on the way out is theirs)."""
    running = [t for t in tasks if t is not None]
    for task in running:
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)


async def work_loop(
    dispatch: Callable[[], Awaitable[float]], doorbell: Doorbell, closing: Callable[[], bool], what: str
) -> None:
    """A delivery worker's loop: start what is due, then sleep until the doorbell rings or more
    comes due. A database hiccup is logged and tried again in 5 s, never the end of delivery."""
    while not closing():
        try:
            wait = await dispatch()
        except Exception:  # noqa: BLE001 - a database hiccup must not end delivery for good
            log.exception("a delivery worker could not read its work", extra={"worker": what})
            wait = 5.0
        await doorbell.wait(wait)


async def wait_until(done: Callable[[], Awaitable[bool]], progress: asyncio.Event, timeout: float) -> None:
    """Until `done()` (tests and benchmarks), looking again whenever a piece of work finishes
    (`progress` is set) and at least every half second."""
    async with asyncio.timeout(timeout):
        while not await done():
            progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(progress.wait(), 0.5)
