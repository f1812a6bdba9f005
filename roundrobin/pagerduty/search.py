"""The schedule picker's search: PagerDuty's own `query`, asked as seldom as typing allows.

No list of every schedule is kept (an account may have more than PagerDuty pages through): what a
person types is sent as `query` to GET /schedules and GET /v3/schedules, one page each.

- Each answer is kept for CACHE_SECONDS, for everyone.
- An answer that held every match answers any longer query that contains it, with no request: a
  name that contains "payments pr" contains "payments". Each list on its own: an account with few
  shift-based schedules stops asking /v3/schedules after the first key. So typing costs requests
  only until the matches fit on one page, then none, however fast or long anyone types.
- The same query asked twice at once is asked once; an answer that takes longer than ANSWER_SECONDS
  is not waited for (Slack wants the options within 3 s), and lands in the cache for the next key.
- The schedules offered are remembered for a day, so the one chosen is known when the form is saved.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from roundrobin.background import Background
from roundrobin.db import Database
from roundrobin.pagerduty.client import PagerDutyClient, PagerDutyError
from roundrobin.pagerduty.reading import Found, Reader
from roundrobin.store import pagerduty as store
from roundrobin.store.pagerduty import PdSchedule

log = logging.getLogger(__name__)

LIMIT = 100  # Slack shows at most 100 options
CACHE_SECONDS = 60.0
CACHE_ENTRIES = 1000
ANSWER_SECONDS = 2.0
LONGEST_QUERY = 100  # characters sent to PagerDuty; a crafted payload may carry any length
LISTS = (2, 3)  # layer-based schedules (GET /schedules), shift-based ones (GET /v3/schedules)

Clients = Callable[[], Awaitable[PagerDutyClient | None]]
Key = tuple[int, str]  # (list, normalised query)


@dataclass(frozen=True)
class _Answer:
    at: float
    found: Found


class ScheduleSearch:
    def __init__(self, db: Database, clients: Clients, clock: Callable[[], float], background: Background):
        self._db = db
        self._clients = clients
        self._clock = clock
        self._background = background
        self._answers: dict[Key, _Answer] = {}  # oldest first
        self._asking: dict[Key, asyncio.Task[Found | None]] = {}
        self.requests = 0  # PagerDuty requests made by searches (for the benchmark and the tests)

    async def search(self, typed: str) -> list[PdSchedule]:
        """Schedules whose name contains what was typed, by name, at most LIMIT."""
        query = " ".join(typed.split())[:LONGEST_QUERY]
        self._forget_old()
        found = await asyncio.gather(*(self._search(version, query) for version in LISTS))
        merged = sorted(
            (s for schedules in found for s in schedules), key=lambda s: (s.name.casefold(), s.id)
        )
        return merged[:LIMIT]

    async def _search(self, version: int, query: str) -> list[PdSchedule]:
        key = (version, query.casefold())
        if (known := self._known(key)) is not None:
            return known
        task = self._asking.get(key)
        if task is None:
            task = self._background.run(self._ask(version, query, key), "pagerduty-schedule-search")
            self._asking[key] = task
            task.add_done_callback(lambda _: self._asking.pop(key, None))
        try:
            found = await asyncio.wait_for(asyncio.shield(task), ANSWER_SECONDS)
        except TimeoutError:
            log.info("pagerduty schedule search slow", extra={"query_length": len(query)})
            return []
        return found.schedules if found else []

    def _forget_old(self) -> None:
        now = self._clock()
        for key, answer in list(self._answers.items()):
            if now - answer.at > CACHE_SECONDS:
                del self._answers[key]

    def _known(self, key: Key) -> list[PdSchedule] | None:
        """An answer still fresh for this query, or one that held every match of a part of it."""
        if (answer := self._answers.get(key)) is not None:
            return answer.found.schedules
        version, text = key
        for (cached_version, cached), answer in self._answers.items():
            if cached_version == version and answer.found.complete and cached in text:
                narrowed = [s for s in answer.found.schedules if text in s.name.casefold()]
                self._keep(key, Found(narrowed, True), answer.at)
                return narrowed
        return None

    async def _ask(self, version: int, query: str, key: Key) -> Found | None:
        client = await self._clients()
        if client is None:
            return None
        try:
            found = await Reader(client).search(query, LIMIT, version)
        except PagerDutyError as e:
            log.warning("pagerduty schedule search failed", extra={"error": str(e)})
            return None
        finally:
            self.requests += client.requests_made
        now = self._clock()
        await store.remember_schedules(self._db, found.schedules, now)
        self._keep(key, found, now)
        return found

    def _keep(self, key: Key, found: Found, at: float) -> None:
        self._answers.pop(key, None)
        self._answers[key] = _Answer(at, found)
        while len(self._answers) > CACHE_ENTRIES:
            del self._answers[next(iter(self._answers))]
