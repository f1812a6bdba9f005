"""The workspace's user groups, for the on-duty group picker (usergroups.list, cached briefly)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.rotations.references import Group


def parse_group(found: dict[str, Any]) -> Group:
    """A user group as usergroups.list describes it (a disabled group has a `date_delete`)."""
    return Group(
        id=str(found["id"]),
        handle=found.get("handle") or "",
        name=found.get("name") or "",
        users=tuple(found.get("users") or ()),
        enabled=not found.get("date_delete"),
        created_by=found.get("created_by") or "",
    )


class Usergroups:
    def __init__(self, client: AsyncWebClient, clock: Callable[[], float] = time.time, ttl: float = 60.0):
        self._client = client
        self._clock = clock
        self._ttl = ttl
        self._cached: tuple[float, list[Group]] | None = None

    async def all(self) -> list[Group]:
        if self._cached and self._clock() - self._cached[0] < self._ttl:
            return self._cached[1]
        try:
            listed = await self._client.usergroups_list(include_disabled=True, include_users=True)
            groups = [parse_group(g) for g in listed["usergroups"]]
        except SlackApiError:
            groups = []
        self._cached = (self._clock(), groups)
        return groups

    async def search(self, query: str, limit: int = 100) -> list[Group]:
        query = query.strip().lstrip("@").lower()
        groups = [g for g in await self.all() if query in g.handle.lower() or query in g.name.lower()]
        return sorted(groups, key=lambda g: g.handle)[:limit]

    async def get(self, group_id: str) -> Group | None:
        return next((g for g in await self.all() if g.id == group_id), None)

    def forget(self) -> None:
        self._cached = None
