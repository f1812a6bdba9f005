"""The workspace's user groups, for the on-duty group picker (usergroups.list, cached briefly)."""

from __future__ import annotations

import time
from collections.abc import Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient


class UsergroupError(Exception):
    """Creating the on-duty group failed; str() goes under the modal field."""


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

    async def create(self, handle: str, name: str) -> str:
        """A new, empty, enabled group; returns its id."""
        try:
            response = await self._client.usergroups_create(handle=handle, name=name[:80])
        except SlackApiError as e:
            error = e.response.get("error", "unknown_error")
            raise UsergroupError(
                {
                    "name_already_exists": f"A user group named “{name}” already exists: choose it from the list instead.",
                    "handle_already_exists": f"@{handle} is taken: choose that group from the list, or another handle.",
                    "permission_denied": "This workspace does not let apps create user groups: ask a Slack admin "
                    "to create one, then choose it from the list.",
                    "missing_scope": "Round Robin lacks the usergroups:write scope: add it from manifest.yml and reinstall.",
                }.get(error, f"Slack could not create the group ({error}).")
            ) from None
        self.forget()
        return response["usergroup"]["id"]
