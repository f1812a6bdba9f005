"""The workspace's user groups, for the on-duty group picker (usergroups.list, cached briefly)."""

from __future__ import annotations

import time
from collections.abc import Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient


class Usergroups:
    def __init__(self, client: AsyncWebClient, clock: Callable[[], float] = time.time, ttl: float = 60.0):
        self._client = client
        self._clock = clock
        self._ttl = ttl
        self._cached: tuple[float, list[dict]] | None = None

    async def all(self) -> list[dict]:
        if self._cached and self._clock() - self._cached[0] < self._ttl:
            return self._cached[1]
        try:
            groups = (await self._client.usergroups_list(include_disabled=True, include_users=True))[
                "usergroups"
            ]
        except SlackApiError:
            groups = []
        self._cached = (self._clock(), groups)
        return groups

    async def search(self, query: str, limit: int = 100) -> list[dict]:
        query = query.strip().lstrip("@").lower()
        groups = [
            g
            for g in await self.all()
            if query in g.get("handle", "").lower() or query in g.get("name", "").lower()
        ]
        return sorted(groups, key=lambda g: g.get("handle", ""))[:limit]

    async def get(self, group_id: str) -> dict | None:
        return next((g for g in await self.all() if g.get("id") == group_id), None)

    def forget(self) -> None:
        self._cached = None
