"""Who may do what: Slack workspace admins/owners (users.info) and Round Robin owners."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.db import Database
from roundrobin.store import owners
from roundrobin.store.rotations import Rotation

log = logging.getLogger(__name__)

MANAGE_REFUSED = "Only Slack workspace admins and owners, and Round Robin owners, can do that."
EDIT_REFUSED = (
    "Only the rotation's creator, Slack workspace admins and owners, and Round Robin owners can change it."
)


class Permissions:
    """Answers are cached briefly: a check runs inside a 3-second ack, and roles rarely change."""

    def __init__(
        self,
        client: AsyncWebClient,
        db: Database,
        config_owners: tuple[str, ...],
        clock: Callable[[], float] = time.time,
        ttl: float = 60.0,
    ):
        self._client = client
        self._db = db
        self._config_owners = set(config_owners)
        self._clock = clock
        self._ttl = ttl
        self._profiles: dict[str, tuple[float, dict]] = {}

    async def profile(self, user_id: str) -> dict:
        """users.info's user object (empty when Slack would not say)."""
        cached = self._profiles.get(user_id)
        if cached and self._clock() - cached[0] < self._ttl:
            return cached[1]
        try:
            user = (await self._client.users_info(user=user_id))["user"]
        except SlackApiError as e:
            log.warning("users.info failed", extra={"user": user_id, "error": e.response.get("error")})
            return {}
        self._profiles[user_id] = (self._clock(), user)
        return user

    async def is_workspace_admin(self, user_id: str) -> bool:
        user = await self.profile(user_id)
        admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        return admin and not user.get("deleted") and not user.get("is_restricted")

    async def is_owner(self, user_id: str) -> bool:
        return user_id in self._config_owners or await owners.is_owner(self._db, user_id)

    async def can_manage(self, user_id: str) -> bool:
        """Connect, edit, refresh and disconnect integrations; edit owners; edit any rotation."""
        return await self.is_owner(user_id) or await self.is_workspace_admin(user_id)

    async def can_edit(self, user_id: str, rotation: Rotation) -> bool:
        """A rotation's creator may edit it, as may everyone who can manage Round Robin."""
        return rotation.created_by == user_id or await self.can_manage(user_id)
