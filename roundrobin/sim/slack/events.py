"""Events Slack sends the app as things happen in the workspace, one after another over Socket Mode.

Web API handlers and people's actions are not coroutines that may wait for an ack, so what they
cause is queued here (``Workspace.tell_app``) and delivered in order by one task, each envelope
waiting for its ack before the next goes out, as Slack delivers one connection's envelopes. An event
that happens while the app is not connected is never delivered (a missed event, as after an outage);
one the app fails to ack in time is logged, and so is the envelope that was not delivered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


class EventFeed:
    def __init__(self, send: Callable[[dict], Awaitable[object]], connected: asyncio.Event) -> None:
        self._send = send
        self._connected = connected
        self._queue: asyncio.Queue[tuple[dict, asyncio.Future]] = asyncio.Queue()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="fake-slack-events")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def push(self, payload: dict) -> asyncio.Future | None:
        """Queue an events_api payload; the future resolves once the app acked it (to the error when
        it did not). None when the app is not connected: the event is lost."""
        if self._task is None or not self._connected.is_set():
            return None
        delivered = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((payload, delivered))
        return delivered

    async def _run(self) -> None:
        while True:
            payload, delivered = await self._queue.get()
            try:
                await self._send(payload)
            except Exception as error:  # noqa: BLE001 - a lost or late event is the app's to survive
                logger.warning("fake Slack could not deliver %s: %s", payload["event"]["type"], error)
                outcome: BaseException | None = error
            else:
                outcome = None
            if not delivered.done():
                delivered.set_result(outcome)
