"""Builds each person's App Home from current state and publishes it, and keeps it live.

A person's place (tab and page), when they last looked, and a digest of the rotations they were
shown are remembered, so `refresh` can republish the page only when what it shows has changed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.access import Access
from roundrobin.db import Database
from roundrobin.metrics import Metrics
from roundrobin.pagerduty.connection import PagerDutyConnection
from roundrobin.slack.gateway.identity import SlackIdentity
from roundrobin.slack.views.blocks import Block
from roundrobin.slack.views.home import TABS, HomeState, home_view
from roundrobin.slack.views.settings import SettingsState, SyncSummary
from roundrobin.store import away as away_store
from roundrobin.store import owners, preferences

log = logging.getLogger(__name__)

NEEDED_FOR_MATCHING = ("users:read.email",)

RotationsSection = Callable[[str, int, bool], Awaitable[Sequence[Block]]]
SyncSummarySource = Callable[[], Awaitable[SyncSummary]]
CalendarLink = Callable[[str], Awaitable[str]]  # a person's calendar feed link
LoadSection = Callable[[str, int], Awaitable[Sequence[Block]]]  # (person, page): the Load tab


class HomePublisher:
    def __init__(
        self,
        client: AsyncWebClient,
        db: Database,
        identity: SlackIdentity,
        pagerduty: PagerDutyConnection,
        access: Access,
        config_owners: tuple[str, ...],
        rotations_section: RotationsSection,
        sync_summary: SyncSummarySource,
        clock: Callable[[], float] = time.time,
        metrics: Metrics | None = None,
        calendar_link: CalendarLink | None = None,
        load_section: LoadSection | None = None,
    ):
        self._client = client
        self._metrics = metrics
        self._db = db
        self._identity = identity
        self._pagerduty = pagerduty
        self._access = access
        self._config_owners = config_owners
        self._clock = clock
        # Which tab and page each person last looked at, so a refresh keeps their place.
        self._places: dict[str, tuple[str, int]] = {}
        self._looked_at: dict[str, float] = {}  # when each person last opened or used their Home
        self._shown: dict[str, str] = {}  # digest of the rotations each person was last shown
        self._locks: dict[str, asyncio.Lock] = {}  # one publish per person at a time, in order
        self._rotations_section = rotations_section
        self._sync_summary = sync_summary
        self._calendar_link = calendar_link
        self._load_section = load_section

    async def publish(
        self,
        user_id: str,
        tab: str | None = None,
        page: int | None = None,
        notice: str | None = None,
        icon: str = ":information_source:",
    ) -> None:
        async with self._lock(user_id):
            last_tab, last_page = self._places.get(user_id, ("rotations", 0))
            tab = tab if tab in TABS else last_tab
            page = last_page if page is None else max(0, page)
            self._places[user_id] = (tab, page)
            self._looked_at[user_id] = self._clock()
            state = replace(await self.state(user_id, tab, page, notice), notice_icon=icon)
            await self._send(user_id, state)

    def recent(self, within: float) -> list[str]:
        """People who opened or used their Home in the last `within` seconds (the others are forgotten)."""
        since = self._clock() - within
        for user_id in [u for u, at in self._looked_at.items() if at < since]:
            for remembered in (self._looked_at, self._shown, self._places):
                remembered.pop(user_id, None)
            if not self._lock(user_id).locked():
                self._locks.pop(user_id, None)
        return list(self._looked_at)

    async def refresh(self, user_id: str, wait_turn: Callable[[], Awaitable[None]]) -> bool:
        """Publish this person's Home again, at their place, if the rotations it shows changed;
        `wait_turn` paces the publish. True when it was published."""
        if not await self._stale(user_id):
            return False
        await wait_turn()
        async with self._lock(user_id):
            if user_id not in self._places:
                return False  # forgotten while waiting
            tab, page = self._places[user_id]
            state = await self.state(user_id, tab, page, None)
            if _digest(state) == self._shown.get(user_id):
                return False  # they published it themselves meanwhile
            await self._send(user_id, state)
            return True

    async def _stale(self, user_id: str) -> bool:
        tab, page = self._places.get(user_id, ("settings", 0))
        if tab != "rotations":
            return False  # duty changes show on the Rotations tab only
        blocks = await self._rotations_section(user_id, page, await self._access.can_manage(user_id))
        return _digest(HomeState(tab=tab, rotations_blocks=tuple(blocks), page=page)) != self._shown.get(
            user_id
        )

    async def _send(self, user_id: str, state: HomeState) -> None:
        try:
            await self._client.views_publish(user_id=user_id, view=home_view(state))
        except SlackApiError as e:
            log.error("views.publish failed", extra={"user": user_id, "error": e.response.get("error")})
            self._shown.pop(user_id, None)  # not known what they see: the next change publishes again
            self._count(ok=False)
            return
        self._shown[user_id] = _digest(state)
        self._count(ok=True)

    def _count(self, ok: bool) -> None:
        if self._metrics is not None:
            self._metrics.home_published(ok)

    def _lock(self, user_id: str) -> asyncio.Lock:
        return self._locks.setdefault(user_id, asyncio.Lock())

    async def state(self, user_id: str, tab: str, page: int, notice: str | None) -> HomeState:
        can_manage = await self._access.can_manage(user_id)
        if tab == "settings":
            return HomeState(
                tab=tab,
                settings=await self.settings_state(user_id, can_manage),
                notice=notice,
                dms_muted=await preferences.dms_muted(self._db, user_id),
                away=tuple(await away_store.of_person(self._db, user_id, self._clock())),
                calendar_feed=await self._calendar_link(user_id) if self._calendar_link else None,
            )
        if tab == "load" and self._load_section is not None:
            load = await self._load_section(user_id, page)
            return HomeState(tab=tab, notice=notice, page=page, load_blocks=tuple(load))
        blocks = await self._rotations_section(user_id, page, can_manage)
        return HomeState(tab=tab, rotations_blocks=tuple(blocks), notice=notice, page=page)

    async def settings_state(self, user_id: str, can_manage: bool) -> SettingsState:
        return SettingsState(
            can_manage=can_manage,
            now=self._clock(),
            connection=await self._pagerduty.current(),
            pending=await self._pagerduty.pending_login(),
            owners=await owners.list_owners(self._db),
            config_owners=self._config_owners,
            missing_scopes=[s for s in NEEDED_FOR_MATCHING if s not in self._identity.scopes],
            sync=await self._sync_summary(),
        )


def _digest(state: HomeState) -> str:
    """What the rotations page shows (the notice aside): equal digests, the same page."""
    shown = {"tab": state.tab, "page": state.page, "blocks": list(state.rotations_blocks)}
    return hashlib.sha256(json.dumps(shown, sort_keys=True, default=str).encode()).hexdigest()
