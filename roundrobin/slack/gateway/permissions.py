"""Facts about people from Slack (users.info): who is a workspace admin, what they are called.

The rules that use these facts live in roundrobin/access.py.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


class SlackRoles:
    """Answers are cached briefly: a check runs inside a 3-second ack, and roles rarely change."""

    def __init__(self, client: AsyncWebClient, clock: Callable[[], float] = time.time, ttl: float = 60.0):
        self._client = client
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

    async def is_person(self, user_id: str) -> bool:
        user = await self.profile(user_id)
        return (
            bool(user)
            and user.get("id") == user_id
            and not (user.get("deleted") or user.get("is_bot") or user_id == "USLACKBOT")
        )

    async def name(self, user_id: str) -> str:
        """The name Slack shows for a person (plain text: fit for modal field errors too)."""
        user = await self.profile(user_id)
        profile = user.get("profile") or {}
        return (
            user.get("real_name")
            or profile.get("real_name")
            or profile.get("display_name")
            or user.get("name")
            or "someone"
        )
