"""Posts each rotation's duty-change events to its outgoing webhook, until the receiver answers 2xx.

One long-running worker, like Slack's delivery (slack/gateway/delivery.py) but its own: it wakes when
a change is committed (the webhooks doorbell), when a retry comes due, and at start-up, so events
left by a crash or an outage go out. Each rotation's events go one at a time, oldest first (a
receiver sees them in order), and all rotations together at most PACE a second.

- Signed like the calls in (webhooks/signing.py), with the rotation's current secret at the time of
  sending; `X-RoundRobin-Event-Id` lets a receiver drop the copy a crash may cause (an event whose
  2xx arrived just before a kill -9 is posted again at the next start).
- Redirects are never followed; every attempt is bounded by a timeout.
- The URL is checked again at every attempt: its host must not be (or resolve to) a loopback,
  link-local or private address unless WEBHOOK_ALLOW_PRIVATE_URLS=true; the session's resolver
  (addresses.GuardedResolver) checks the addresses actually connected to.
- Timeouts, connection failures, 408, 429 and 5xx back off and retry (for a day at most); other
  answers (3xx, 4xx) are given up at once. Every attempt's outcome is kept for Details.
- No request is made while a database transaction is open: read, post, then record.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
import time
from collections.abc import Callable

import aiohttp

from roundrobin.background import Doorbell, wait_until, work_loop
from roundrobin.db import Database
from roundrobin.store import webhook_outbox, webhooks
from roundrobin.store.webhook_outbox import Pending
from roundrobin.vault import Vault
from roundrobin.webhooks import signing
from roundrobin.webhooks.addresses import RefusedURL, check_url

log = logging.getLogger(__name__)

TIMEOUT = 10.0  # one attempt, connecting included
PACE = 20.0  # attempts a second, all rotations together
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 600.0
GIVE_UP_AFTER = 86400.0
IDLE_WAKE = 30.0
USER_AGENT = "RoundRobin-Webhooks/1"
EVENT_ID_HEADER = "X-RoundRobin-Event-Id"


class _Failed(Exception):
    def __init__(self, detail: str, retry: bool, after: float | None = None):
        super().__init__(detail)
        self.detail, self.retry, self.after = detail, retry, after


class WebhookDelivery:
    def __init__(
        self,
        db: Database,
        vault: Vault,
        http: aiohttp.ClientSession,
        doorbell: Doorbell,
        allow_private: bool,
        clock: Callable[[], float] = time.time,
        timeout: float = TIMEOUT,
        pace: float = PACE,
    ):
        self._db = db
        self._vault = vault
        self._http = http
        self._doorbell = doorbell
        self._allow_private = allow_private
        self._clock = clock
        self._timeout = timeout
        self._gap = 1.0 / pace
        self._next_slot = 0.0
        self._tasks: dict[int, asyncio.Task[None]] = {}  # rotation id → its delivery under way
        self._worker: asyncio.Task | None = None
        self._closing = False
        self._progress = asyncio.Event()

    async def start(self) -> None:
        self._worker = asyncio.create_task(self._run(), name="webhook-delivery")

    async def close(self, timeout: float = 5.0) -> None:
        """Stop; a post on the wire may finish (and be recorded), the rest go at the next start."""
        self._closing = True
        if self._worker:
            self._worker.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks.values()), timeout=timeout)
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*(t for t in (self._worker, *self._tasks.values()) if t), return_exceptions=True)

    async def wait_idle(self, timeout: float) -> None:
        """Until nothing is left to post (tests and benchmarks)."""
        await wait_until(self._idle, self._progress, timeout)

    async def _idle(self) -> bool:
        return not self._tasks and not await webhook_outbox.pending_count(self._db)

    async def _run(self) -> None:
        await work_loop(self._dispatch, self._doorbell, lambda: self._closing, "webhook delivery")

    async def _dispatch(self) -> float:
        now = self._clock()
        for event in await webhook_outbox.due(self._db, now):
            if event.rotation_id not in self._tasks and not self._closing:
                task = asyncio.create_task(self._deliver(event), name=f"webhook-{event.rotation_id}")
                self._tasks[event.rotation_id] = task
                task.add_done_callback(functools.partial(self._finished, event.rotation_id))
        upcoming = await webhook_outbox.next_due_at(self._db)
        if upcoming is None or upcoming <= now:
            return IDLE_WAKE  # nothing, or only work under way: its task rings when done
        return min(IDLE_WAKE, max(0.05, upcoming - now))

    def _finished(self, key: int, task: asyncio.Task[None]) -> None:
        self._tasks.pop(key, None)
        self._progress.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("webhook delivery failed unexpectedly", exc_info=task.exception())
        if not self._closing:
            self._doorbell.ring()  # the rotation's next event may go now

    async def _slot(self) -> None:
        """Pacing: attempts spread at most PACE a second, first come first served."""
        loop = asyncio.get_running_loop()
        at = max(loop.time(), self._next_slot)
        self._next_slot = at + self._gap
        await asyncio.sleep(at - loop.time())

    async def _deliver(self, event: Pending) -> None:
        hook = await webhooks.get(self._db, event.rotation_id)
        if hook is None or not hook.url or hook.secret_enc is None:
            await webhook_outbox.drop(self._db, event.rotation_id)  # turned off meanwhile
            return
        await self._slot()
        try:
            status = await self._post(hook.url, self._vault.decrypt(hook.secret_enc), event)
        except _Failed as failed:
            await self._failed(event, failed)
            return
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - a bug (or an unreadable secret) backs off, never spins
            log.exception("webhook delivery failed unexpectedly")
            await self._failed(event, _Failed(f"unexpected {type(error).__name__}", retry=True))
            return
        async with self._db.transaction():
            await webhook_outbox.done(self._db, event, "delivered", f"HTTP {status}", self._clock())
        log.info("webhook event delivered", extra={"rotation": event.rotation_id, "status": status})

    async def _post(self, url: str, secret: str, event: Pending) -> int:
        try:
            await check_url(url, self._allow_private, timeout=self._timeout)
        except RefusedURL as refused:
            raise _Failed(f"refused: {refused}", retry=True) from None  # DNS may change back
        body = json.dumps(event.body, sort_keys=True).encode()
        headers = {
            **signing.headers(secret, int(self._clock()), body),
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            EVENT_ID_HEADER: event.event_id,
        }
        try:
            async with self._http.post(
                url,
                data=body,
                headers=headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            ) as response:
                status = response.status
                retry_after = response.headers.get("Retry-After", "")
        except TimeoutError:
            raise _Failed(f"no answer within {self._timeout:g} seconds", retry=True) from None
        except (aiohttp.ClientError, OSError) as e:
            raise _Failed(f"could not connect ({type(e).__name__}: {str(e)[:120]})", retry=True) from None
        if 200 <= status < 300:
            return status
        if status in (408, 429) or status >= 500:
            after = float(retry_after) if retry_after.isdigit() else None
            raise _Failed(f"HTTP {status}", retry=True, after=after)
        if 300 <= status < 400:
            raise _Failed(f"HTTP {status}: redirects are not followed", retry=False)
        raise _Failed(f"HTTP {status}", retry=False)

    async def _failed(self, event: Pending, failed: _Failed) -> None:
        now = self._clock()
        give_up = not failed.retry or now - event.created_at >= GIVE_UP_AFTER
        log.warning(
            "webhook event not delivered",
            extra={"rotation": event.rotation_id, "error": failed.detail, "given_up": give_up},
        )
        async with self._db.transaction():
            if give_up:
                await webhook_outbox.done(self._db, event, "gave_up", failed.detail, now)
                return
            backoff = min(MAX_BACKOFF, FIRST_BACKOFF * 2**event.attempts) * random.uniform(0.8, 1.2)
            wait = min(MAX_BACKOFF, max(backoff, failed.after or 0.0))
            await webhook_outbox.retry(self._db, event, failed.detail, now + wait, now)
