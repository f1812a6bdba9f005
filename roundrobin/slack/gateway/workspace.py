"""Facts about the Slack workspace a rotation may point at, read over the Web API.

Implements rotations.references.Workspace: who is a real, active person (the cached directory, then
users.info), which channels Round Robin can tell (conversations.info) and which a person is in
(users.conversations), the user groups (usergroups.list, cached briefly) and the people in one now
(usergroups.users.list, for members that follow a group), and creating a group.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.rotations.model import GONE
from roundrobin.rotations.references import Group, NotReadable
from roundrobin.slack.gateway.directory import SlackDirectory
from roundrobin.slack.gateway.usergroups import Usergroups
from roundrobin.slack.views.blocks import is_id

CHANNEL_TYPES = "public_channel,private_channel"


class SlackWorkspace:
    def __init__(self, client: AsyncWebClient, directory: SlackDirectory, usergroups: Usergroups):
        self._client = client
        self._directory = directory
        self._usergroups = usergroups
        self._channel_names: dict[str, str] = {}  # learned from conversations.info, for refusals

    async def not_people(self, user_ids: Iterable[str]) -> list[str]:
        ids = list(dict.fromkeys(user_ids))
        people = await self._directory.people(ids)  # well-formed ids only, and at most 100
        return [u for u in ids if u not in people or people[u].why_unavailable in GONE]

    async def channel_problem(self, channel_id: str) -> str | None:
        if not is_id("channel", channel_id):
            return "Choose channels from the list."
        try:
            channel = (await self._client.conversations_info(channel=channel_id))["channel"]
        except SlackApiError as e:
            error = e.response.get("error")
            if error == "channel_not_found":
                return (
                    "Round Robin cannot see one of these channels: it is private, or gone. Invite "
                    "@Round Robin to a private channel first (/invite @Round Robin)."
                )
            if error == "missing_scope":
                return "Round Robin lacks the channels:read and groups:read scopes: reinstall it from manifest.yml."
            raise
        if len(self._channel_names) < 10_000:
            self._channel_names[channel_id] = channel.get("name", "")
        if channel.get("is_archived"):
            return f"#{channel.get('name', channel_id)} is archived: choose another channel."
        if channel.get("is_im") or channel.get("is_mpim"):
            return "Choose channels, not direct messages."
        return None

    async def channel_name(self, channel_id: str) -> str | None:
        """#name of a channel Round Robin looked at (channel_problem runs first)."""
        name = self._channel_names.get(channel_id)
        return f"#{name}" if name else None

    async def channels_of(self, user_id: str) -> set[str]:
        found: set[str] = set()
        cursor = None
        while True:
            page = await self._client.users_conversations(
                user=user_id, types=CHANNEL_TYPES, exclude_archived=True, limit=999, cursor=cursor
            )
            channels: list[dict[str, Any]] = page.get("channels", [])
            found |= {c["id"] for c in channels}
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return found

    async def groups(self, query: str) -> list[Group]:
        return await self._usergroups.search(query)

    async def group_users(self, group_id: str) -> tuple[str, ...] | None:
        """The people in a group now (usergroups.users.list, Tier 2), disabled groups included."""
        if not is_id("group", group_id):
            return None
        try:
            answer = await self._client.usergroups_users_list(usergroup=group_id, include_disabled=True)
        except SlackApiError as e:
            if e.response.get("error") == "no_such_subteam":
                return None
            raise NotReadable(str(e.response.get("error"))) from None
        except (aiohttp.ClientError, TimeoutError) as e:
            raise NotReadable(type(e).__name__) from None
        return tuple(dict.fromkeys(u for u in answer.get("users") or () if is_id("user", u)))

    async def people_names(self, user_ids: Iterable[str]) -> dict[str, str]:
        """Names from the cached directory (newcomers looked up, and so their accounts learned)."""
        people = await self._directory.people(user_ids)
        return {u: p.real_name or p.name for u, p in people.items()}

    async def group(self, group_id: str) -> Group | None:
        if not is_id("group", group_id):
            return None
        found = await self._usergroups.get(group_id)
        if found is None:
            self._usergroups.forget()  # made a moment ago, perhaps
            found = await self._usergroups.get(group_id)
        return found
