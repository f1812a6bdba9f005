"""Members that follow a Slack user group, kept current (the rules are rotations/membership.py).

Two ways keep them current. Slack's `subteam_members_changed` event says who was added to a group
and who was removed: when it follows the last news Round Robin applied (its `date_previous_update`
is the `date_update` seen last), the change is applied as it is, without asking Slack anything;
when news was missed, or the event is the first for the group, the group's people are read again
(`usergroups.users.list`). And every few minutes each group some rotation follows is read once
(however many rotations follow it), which catches an event that never arrived.

Slack is always asked first; then each rotation changes in a transaction of its own, re-read
inside it. Every join and leave is recorded in the rotation's history, said to be by the group.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from roundrobin.access import Access
from roundrobin.db import Database
from roundrobin.metrics import Metrics
from roundrobin.rotations import membership
from roundrobin.rotations.changes import Changes
from roundrobin.rotations.draft import MAX_MEMBERS, RotationDraft
from roundrobin.rotations.model import MemberSource, Rotation
from roundrobin.rotations.references import NotReadable, Workspace
from roundrobin.signals import Signals
from roundrobin.slack_ids import is_id
from roundrobin.store import directory, events
from roundrobin.store import member_groups as member_store
from roundrobin.store import rotations as store

log = logging.getLogger("roundrobin.rotations")

MAX_NEWS = 1000  # people named in one event that are looked at (a group holds this many at most here)


class GroupFollowing(Changes):
    def __init__(
        self,
        db: Database,
        access: Access,
        workspace: Workspace,
        signals: Signals,
        clock: Callable[[], float] = time.time,
        metrics: Metrics | None = None,
    ):
        super().__init__(db, access, signals, clock, metrics=metrics)
        self._workspace = workspace
        self._locks: dict[str, asyncio.Lock] = {}  # one read-and-apply at a time per group, in order

    async def group_changed(
        self,
        group_id: str,
        added: Sequence[str],
        removed: Sequence[str],
        previous_update: float | None,
        update: float | None,
    ) -> int:
        """Slack says people were added to a group or removed from it: the rotations whose members
        follow it follow. Returns how many rotations changed."""
        if not is_id("group", group_id) or not await member_store.followers(self._db, group_id):
            return 0  # a group nobody follows (Round Robin's own on-duty groups among them)
        added = [u for u in added[:MAX_NEWS] if is_id("user", u)]
        removed = [u for u in removed[:MAX_NEWS] if is_id("user", u)]
        async with self._lock(group_id):
            seen = await member_store.seen_update(self._db, group_id)
            if seen is not None and update is not None and update < seen:
                return 0  # older news than what was applied already (events may arrive out of order)
            if seen is None or (previous_update is not None and previous_update == seen):
                return await self._apply_news(group_id, added, removed, update)
            try:  # news was missed: what Slack holds now is the truth
                users = await self._workspace.group_users(group_id)
            except NotReadable:
                return await self._apply_news(group_id, added, removed, None)  # the check corrects it
            if users is None:
                return 0
            return await self._apply_all(group_id, users, update)

    async def check_all(self) -> int:
        """Read every group some rotation follows (once each, the longest unread first) and follow
        it. Returns how many rotations changed."""
        changed = 0
        for group_id in await member_store.followed(self._db):
            try:
                async with self._lock(group_id):
                    users = await self._workspace.group_users(group_id)
                    if users is None:
                        log.warning("a followed user group is not in Slack", extra={"group": group_id})
                        continue
                    changed += await self._apply_all(group_id, users, None)
            except NotReadable:
                log.info("could not read a followed user group; next check", extra={"group": group_id})
        return changed

    async def _apply_news(
        self, group_id: str, added: Sequence[str], removed: Sequence[str], update: float | None
    ) -> int:
        names = await self._workspace.people_names(added) if added else {}
        changed = await self._apply(group_id, lambda r: membership.after_event(r, added, removed), names)
        if update is not None:
            async with self._db.transaction():
                await member_store.mark(self._db, group_id, seen_update=update)
        return changed

    async def _apply_all(self, group_id: str, users: Sequence[str], update: float | None) -> int:
        names = await self._workspace.people_names(users) if users else {}
        changed = await self._apply(group_id, lambda r: users, names)
        async with self._db.transaction():
            await member_store.mark(self._db, group_id, seen_update=update, checked_at=self._clock())
        return changed

    async def _apply(
        self, group_id: str, users_for: Callable[[Rotation], Sequence[str]], names: dict[str, str]
    ) -> int:
        """Each rotation that follows the group, in a transaction of its own."""
        changed = 0
        for rotation_id in await member_store.followers(self._db, group_id):
            now = self._clock()
            async with self._transaction():
                rotation = await store.get(self._db, rotation_id)
                source = rotation.member_source if rotation else None
                if rotation is None or rotation.bound or source is None or source.usergroup_id != group_id:
                    continue  # changed meanwhile
                users = users_for(rotation)
                # Newcomers' accounts count at once (a guest is not put on duty with an on-duty group).
                rotation = replace(
                    rotation, unavailable=await directory.unavailable(self._db, {*rotation.members, *users})
                )
                result = membership.follow(rotation, users, names)
                if not result.changed:
                    continue
                await self._record(rotation, source, result, now)
                await self._follow(rotation, source, result, now)
            changed += 1
        if changed:
            self._ring(effects=True, hand_overs=True)
        return changed

    async def _follow(
        self, rotation: Rotation, source: MemberSource, result: membership.Following, now: float
    ) -> None:
        """Store the new members; who is next (and, with nobody on duty yet, who is on duty) follows."""
        updated = replace(
            rotation,
            members=result.members,
            member_source=replace(source, leaving=result.leaving),
            updated_at=now,
        )
        turn = rotation.turn_people or rotation.on_duty
        first = not turn and updated.members
        if first:  # nobody was on duty (the group was empty): the first who can be goes on duty
            turn = tuple(updated.turn_after(())[:1]) or updated.members[:1]
        await self._change_duty(updated, turn, "edited", None, now, force_save=True, turn_moved=bool(first))

    async def _record(
        self, rotation: Rotation, source: MemberSource, result: membership.Following, now: float
    ) -> None:
        """Each join and leave in the rotation's history, by the group."""
        for what, people in (
            ("added", result.joined),
            ("removed", result.removed),
            ("leaving", result.going),
            ("back", result.back),
        ):
            for person in people:
                await events.record(
                    self._db,
                    "rotation.members",
                    now,
                    None,
                    rotation.id,
                    group=source.usergroup_id,
                    handle=source.handle,
                    **{what: person},
                )
        log.info(
            "members follow their user group",
            extra={
                "rotation": rotation.code,
                "group": source.handle,
                "joined": len(result.joined),
                "left": len(result.removed),
                "leaving": len(result.going),
            },
        )

    def _lock(self, group_id: str) -> asyncio.Lock:
        return self._locks.setdefault(group_id, asyncio.Lock())


async def members_of_group(
    draft: RotationDraft, existing: Rotation | None, workspace: Workspace, db: Database
) -> tuple[RotationDraft, dict[str, str]]:
    """A draft whose members follow a user group, with the members it gives (none: kept as they
    are, for the same group and order), and what is wrong with the group, by field. Asks Slack:
    call it before any transaction."""
    if draft.source == "pagerduty" or not draft.members_group_id:
        return replace(draft, members_group_id=None, members_group_handle=None), {}
    group_id = draft.members_group_id
    kept = replace(draft, members=None)  # a group refused: no second error about missing members
    if not is_id("group", group_id):
        return kept, {"members_group": "Choose a user group from the list."}
    try:
        users = await workspace.group_users(group_id)
        group = await workspace.group(group_id)
    except NotReadable:
        return kept, {"members_group": "Slack did not answer just now: save again in a moment."}
    if users is None or group is None:
        return kept, {"members_group": "That user group is not in Slack (any more): choose another."}
    handle = group.handle
    if problem := await _group_problem(draft, existing, group_id, handle, users, db):
        return kept, {"members_group": problem}
    draft = replace(draft, members_group_handle=handle)
    source = existing.member_source if existing and not existing.bound else None
    if source and source.usergroup_id == group_id and source.order == draft.members_order:
        return replace(draft, members=None), {}  # the same group: its changes come as they happen
    names = await workspace.people_names(users)
    return replace(draft, members=membership.turn_order((), users, draft.members_order, names)), {}


async def _group_problem(
    draft: RotationDraft,
    existing: Rotation | None,
    group_id: str,
    handle: str,
    users: Sequence[str],
    db: Database,
) -> str | None:
    """Why the members cannot follow this group, or None."""
    if group_id == draft.usergroup_id or handle == draft.new_usergroup_handle:
        return (
            f"Round Robin sets @{handle} to whoever is on duty here, so the members cannot also come from it. "
            "Choose the team's own group."
        )
    holder = await store.holder_of_group(db, group_id)
    if holder and (existing is None or holder[0] != existing.id):
        return (
            f"@{handle} is the on-duty group of {holder[1]} ({holder[2]}): it holds whoever is on duty there, "
            "not a team. Choose the team's own group."
        )
    if len(users) > MAX_MEMBERS:
        return f"@{handle} has {len(users)} people, and a rotation can have up to {MAX_MEMBERS}."
    if draft.schedule.timed and not users:
        return f"@{handle} has nobody in it yet, and a timed rotation needs someone to hand over to."
    return None


def source_of(rotation: Rotation, draft: RotationDraft, members: Sequence[str]) -> MemberSource | None:
    """The group a rotation's members follow once its form is saved; people leaving the same group
    after their shift still do."""
    if not draft.members_group_id:
        return None
    before = rotation.member_source
    same = before is not None and before.usergroup_id == draft.members_group_id
    return MemberSource(
        draft.members_group_id,
        draft.members_group_handle or (before.handle if before and same else draft.members_group_id),
        draft.members_order,
        tuple(p for p in before.leaving if p in members) if before and same else (),
    )


async def race_problems(db: Database, draft: RotationDraft, except_id: int | None) -> list[tuple[str, str]]:
    """(field, problem) for a group another rotation took a moment ago for its duty or its members:
    checked inside the transaction that saves."""
    found = []
    if draft.members_group_id:
        holder = await store.holder_of_group(db, draft.members_group_id)
        if holder and holder[0] != except_id:
            found.append(
                (
                    "members_group",
                    f"That group became the on-duty group of {holder[1]} ({holder[2]}) a moment ago: "
                    "choose the team's own group.",
                )
            )
    if draft.usergroup_id:
        follower = await member_store.follower_label(db, draft.usergroup_id, except_id)
        if follower:
            found.append(
                (
                    "usergroup",
                    f"The members of {follower[0]} ({follower[1]}) follow that group since a moment ago: "
                    "create a new group for this one.",
                )
            )
    return found
