"""What a rotation may point at: real people, channels and user groups, and who may bind which.

Socket Mode payloads carry whatever the client sends, so every id in a draft is checked against the
workspace before anything is stored, and the rules for borrowing Round Robin's powers are applied:

- a member may bind a user group only if Round Robin creates it or they are already in it
  (workspace admins and owners, and Round Robin owners, may bind any); one group, one rotation;
- a member may choose channels they are in (admins and owners any).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from roundrobin.access import MANAGERS, Access
from roundrobin.db import Database
from roundrobin.rotations.draft import RotationDraft
from roundrobin.rotations.model import Rotation
from roundrobin.store import member_groups
from roundrobin.store import pagerduty as pd_store
from roundrobin.store import rotations as store


@dataclass(frozen=True)
class Group:
    """A Slack user group, as the workspace has it."""

    id: str
    handle: str
    name: str
    users: tuple[str, ...]
    enabled: bool
    created_by: str = ""  # who made it (Round Robin's bot, for a group it created)


class Workspace(Protocol):
    """Facts about the Slack workspace (implemented over the Web API in slack/workspace.py)."""

    async def not_people(self, user_ids: Iterable[str]) -> list[str]:
        """The ids that are not active, human members of the workspace."""
        ...

    async def channel_problem(self, channel_id: str) -> str | None:
        """Why Round Robin could not tell this channel (plain words), or None."""
        ...

    async def channels_of(self, user_id: str) -> set[str]: ...

    async def channel_name(self, channel_id: str) -> str | None:
        """'#ops', for words a person reads (modal errors are plain text: no channel mentions)."""
        ...

    async def group(self, group_id: str) -> Group | None: ...

    async def groups(self, query: str) -> list[Group]:
        """The workspace's user groups whose handle or name contains `query`, by handle."""
        ...

    async def group_users(self, group_id: str) -> tuple[str, ...] | None:
        """The people in a user group now, in the group's order; None when Slack has no such group.
        Raises NotReadable when Slack cannot answer."""
        ...

    async def people_names(self, user_ids: Iterable[str]) -> dict[str, str]:
        """Person → their name in Slack (learning their accounts: guests, deactivated…)."""
        ...


class NotReadable(Exception):
    """Slack could not answer a read just now (down, slow, rate-limited): try again later."""


async def problems(
    draft: RotationDraft,
    actor: str,
    existing: Rotation | None,
    workspace: Workspace,
    access: Access,
    db: Database,
) -> dict[str, str]:
    """Field → what is wrong with the ids in the draft, or what the actor may not bind."""
    errors: dict[str, str] = {}
    manager = await access.can_manage(actor)
    # Members that follow a user group are whoever is in it (rotations/following.py checks the group).
    if draft.source != "pagerduty" and draft.members is not None and not draft.members_group_id:
        added = [u for u in draft.members if not existing or u not in existing.members]
        if bad := await workspace.not_people(added):
            errors["members"] = (
                f"{len(bad)} of the people chosen {'is' if len(bad) == 1 else 'are'} not an active member "
                "of this workspace (a deactivated account, a bot or an app): choose people."
            )
    chosen = draft.pd_schedule_ids if draft.source == "pagerduty" else ()
    added = [s for s in chosen if s not in (existing.pd_schedule_ids if existing else ())]
    known = await pd_store.schedules(db, added[:20]) if added else {}
    if unknown := [s for s in added if s not in known]:
        where = "pd_schedule" if unknown[0] == draft.pd_schedule_id else "pd_more_schedules"
        errors[where] = "Choose a schedule from the list: that one is not in PagerDuty."
    new_channels = [c for c in draft.channels if not existing or c not in existing.channels]
    if problem := await channel_problem(new_channels, actor, manager, workspace):
        errors["channels"] = problem
    handle = draft.new_usergroup_handle
    asked_before = existing and existing.usergroup_create and existing.usergroup_handle == handle
    if handle and not asked_before and (taken := await _taken(handle, workspace)):
        errors["new_usergroup"] = taken
    group_id = draft.usergroup_id
    changed_group = group_id != (existing.usergroup_id if existing else None)
    if (
        group_id
        and changed_group
        and (error := await _group_problem(group_id, actor, manager, existing, workspace, db))
    ):
        errors["usergroup"] = error
    return errors


async def _taken(handle: str, workspace: Workspace) -> str | None:
    """Why a new group cannot have this handle (another group has it), or None. Checked before the
    rotation is saved; the group itself is made once it is."""
    if any(g.handle.lower() == handle.lower() for g in await workspace.groups(handle)):
        return f"@{handle} is taken: choose that group from the list above, or another handle."
    return None


async def channel_problem(channels: list[str], actor: str, manager: bool, workspace: Workspace) -> str | None:
    """Why these (newly chosen) channels cannot be used by the actor, or None."""
    for channel in channels:
        if problem := await workspace.channel_problem(channel):
            return problem
    if channels and not manager:
        theirs = await workspace.channels_of(actor)
        if outside := [c for c in channels if c not in theirs]:
            names = [await workspace.channel_name(c) or "one channel" for c in outside[:3]]
            more = f" and {len(outside) - 3} more" if len(outside) > 3 else ""
            return (
                f"You can choose only channels you are in, and you are not in {', '.join(names)}{more}. "
                f"{MANAGERS} can choose any channel."
            )
    return None


async def _group_problem(
    group_id: str, actor: str, manager: bool, existing: Rotation | None, workspace: Workspace, db: Database
) -> str | None:
    group = await workspace.group(group_id)
    if group is None:
        return "That user group is not in Slack (any more): choose another, or create a new one."
    holder = await store.holder_of_group(db, group_id)
    if holder and (existing is None or holder[0] != existing.id):
        return (
            f"@{group.handle} already follows {holder[1]} ({holder[2]}): a group can follow one rotation. "
            "Create a new group for this one."
        )
    if follower := await member_groups.follower_label(db, group_id, existing.id if existing else None):
        return (
            f"The members of {follower[0]} ({follower[1]}) follow @{group.handle}: Round Robin would replace "
            "its people with whoever is on duty. Create a new group for this one."
        )
    if not manager and actor not in group.users:
        return (
            f"You can choose @{group.handle} only if you are in it. Create a new group here, or ask one of "
            f"the {MANAGERS} to bind it."
        )
    return None
