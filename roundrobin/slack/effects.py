"""What a duty change does in Slack: tell the rotation's channels and set its on-duty user group.

Slack refusing something never undoes the change: the refusal is stored on the rotation, in words
that say how to fix it, and shown there.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.db import Database
from roundrobin.rotations.service import DutyChange
from roundrobin.slack.views.messages import duty_message, reverted_message
from roundrobin.store import rotations as store
from roundrobin.store.rotations import Rotation

log = logging.getLogger(__name__)

NextUp = Callable[[Rotation], Awaitable[tuple[str, ...]]]


class UsergroupError(Exception):
    """Creating the on-duty group failed; str() goes under the modal field."""


GROUP_PROBLEMS = {
    "permission_denied": (
        "Slack refused to change the user group @{handle} (permission_denied): this workspace only lets "
        "some people manage user groups. A Slack admin can allow it under Settings & administration › "
        "Workspace settings › Permissions › User Groups, or pick a group Round Robin may edit."
    ),
    "missing_scope": "Round Robin lacks the usergroups:write scope: add it from manifest.yml and reinstall the app.",
    "invalid_users": "Slack would not put some on-duty people in @{handle} (guests, bots and deactivated people can't be added).",
    "no_such_subteam": "The user group @{handle} no longer exists: choose another in Edit.",
    "plan_upgrade_required": "User groups need a paid Slack plan.",
}
CHANNEL_PROBLEMS = {
    "not_in_channel": "Round Robin is not in <#{channel}>: invite it with /invite @Round Robin.",
    "channel_not_found": "Round Robin cannot see <#{channel}>: invite it to the channel, or choose another.",
    "is_archived": "<#{channel}> is archived: choose another channel.",
}


class SlackEffects:
    def __init__(self, client: AsyncWebClient, db: Database, next_up: NextUp):
        self._client = client
        self._db = db
        self._next_up = next_up

    async def announce(self, changes: list[DutyChange]) -> None:
        for change in changes:
            problems = []
            disabled = change.rotation.usergroup_disabled
            if change.rotation.usergroup_id:
                group_problem, disabled = await self._set_group(change.rotation)
                problems += [group_problem] if group_problem else []
            if change.rotation.on_duty != change.before:
                problems += await self._tell_channels(change)
            problem = " ".join(problems) or None
            if (problem, disabled) != (change.rotation.slack_problem, change.rotation.usergroup_disabled):
                await store.set_slack_state(self._db, change.rotation.id, problem, disabled)

    async def _set_group(self, rotation: Rotation) -> tuple[str | None, bool]:
        """Make the group exactly the on-duty people; an empty duty disables it (Slack cannot empty one)."""
        group, disabled = rotation.usergroup_id, rotation.usergroup_disabled
        try:
            if not rotation.on_duty:
                if not disabled:
                    await self._client.usergroups_disable(usergroup=group)
                return None, True
            if disabled:
                await self._client.usergroups_enable(usergroup=group)
            await self._client.usergroups_users_update(usergroup=group, users=",".join(rotation.on_duty))
            return None, False
        except SlackApiError as e:
            error = e.response.get("error", "unknown_error")
            log.warning("user group update refused", extra={"rotation": rotation.code, "error": error})
            words = GROUP_PROBLEMS.get(error, "Slack refused to update @{handle} ({error}).")
            return words.format(handle=rotation.usergroup_handle or group, error=error), disabled

    async def _tell_channels(self, change: DutyChange) -> list[str]:
        rotation = change.rotation
        if not rotation.channels:
            return []
        message = duty_message(rotation, await self._next_up(rotation))
        problems = []
        for channel in rotation.channels:
            try:
                await self._client.chat_postMessage(channel=channel, **message)
            except SlackApiError as e:
                error = e.response.get("error", "unknown_error")
                log.warning("channel message refused", extra={"rotation": rotation.code, "error": error})
                words = CHANNEL_PROBLEMS.get(error, "Slack refused a message to <#{channel}> ({error}).")
                problems.append(words.format(channel=channel, error=error))
        return problems

    async def tell_reverted(self, rotations: list[Rotation]) -> None:
        """After a disconnect: each formerly bound rotation's channels learn it is Manual now."""
        for rotation in rotations:
            for channel in rotation.channels:
                try:
                    await self._client.chat_postMessage(channel=channel, **reverted_message(rotation))
                except SlackApiError as e:
                    log.warning("channel message refused", extra={"error": e.response.get("error")})

    async def create_usergroup(self, handle: str, name: str) -> str:
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
        return response["usergroup"]["id"]
