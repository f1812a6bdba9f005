"""Builds each person's App Home from current state and publishes it."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.access import Access
from roundrobin.db import Database
from roundrobin.pagerduty.connection import PagerDutyConnection
from roundrobin.slack.identity import SlackIdentity
from roundrobin.slack.views.blocks import Block
from roundrobin.slack.views.home import TABS, HomeState, home_view
from roundrobin.slack.views.settings import SettingsState, SyncSummary
from roundrobin.store import owners

log = logging.getLogger(__name__)

NEEDED_FOR_MATCHING = ("users:read.email",)

RotationsSection = Callable[[str, int, bool], Awaitable[Sequence[Block]]]
SyncSummarySource = Callable[[], Awaitable[SyncSummary]]


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
    ):
        self._client = client
        self._db = db
        self._identity = identity
        self._pagerduty = pagerduty
        self._access = access
        self._config_owners = config_owners
        self._clock = clock
        # Which tab and page each person last looked at, so a refresh keeps their place.
        self._places: dict[str, tuple[str, int]] = {}
        self._rotations_section = rotations_section
        self._sync_summary = sync_summary

    async def publish(
        self,
        user_id: str,
        tab: str | None = None,
        page: int | None = None,
        notice: str | None = None,
        icon: str = ":information_source:",
    ) -> None:
        last_tab, last_page = self._places.get(user_id, ("rotations", 0))
        tab = tab if tab in TABS else last_tab
        page = last_page if page is None else max(0, page)
        self._places[user_id] = (tab, page)
        state = replace(await self.state(user_id, tab, page, notice), notice_icon=icon)
        try:
            await self._client.views_publish(user_id=user_id, view=home_view(state))
        except SlackApiError as e:
            log.error("views.publish failed", extra={"user": user_id, "error": e.response.get("error")})

    async def state(self, user_id: str, tab: str, page: int, notice: str | None) -> HomeState:
        can_manage = await self._access.can_manage(user_id)
        if tab == "settings":
            return HomeState(tab=tab, settings=await self.settings_state(user_id, can_manage), notice=notice)
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
