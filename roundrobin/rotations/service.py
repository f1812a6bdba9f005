"""Rotation rules: create, edit, rotate, set on duty, timed handoffs, follow PagerDuty, delete.

Every change is stored first, in one transaction with its history entry; the Slack effects
(channel messages, the on-duty user group) run afterwards and never undo a stored change.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from roundrobin.db import Database
from roundrobin.rotations.draft import DraftError, RotationDraft, check, normalise_code
from roundrobin.rotations.schedule import Schedule, anchored, next_handoff
from roundrobin.store import events
from roundrobin.store import rotations as store
from roundrobin.store.rotations import Rotation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DutyChange:
    rotation: Rotation  # as it is now
    before: tuple[str, ...]
    reason: str  # created | rotated | handoff | set | edited | pagerduty
    actor: str | None = None


class NotAllowed(Exception):
    """The action does not apply to this rotation; str() is safe to show."""


Announce = Callable[[list[DutyChange]], Awaitable[None]]
Hook = Callable[[], Awaitable[None]]


class RotationService:
    def __init__(self, db: Database, announce: Announce, clock: Callable[[], float] = time.time):
        self._db = db
        self._announce = announce
        self._clock = clock
        self.on_schedule_changed: Hook | None = None  # the scheduler re-arms its wake-up
        self.on_binding_changed: Hook | None = None  # the PagerDuty sync runs soon

    # --- create, edit, delete ---------------------------------------------------------------

    async def create(self, draft: RotationDraft, actor: str, pagerduty_connected: bool) -> Rotation:
        await self.check(draft, pagerduty_connected)
        now = self._clock()
        rotation = self._apply_draft(
            Rotation(id=0, name="", code="", created_by=actor, created_at=now, updated_at=now), draft, now
        )
        async with self._db.transaction():
            rotation_id = await store.insert(self._db, rotation)
            rotation = replace(rotation, id=rotation_id)
            await events.record(self._db, "rotation.created", now, actor, rotation_id, code=rotation.code)
            if rotation.on_duty:
                await self._record_duty(rotation, (), "created", actor)
        await self._after_change(
            rotation, (), "created", actor, schedule_changed=True, binding_changed=rotation.bound
        )
        return rotation

    async def update(
        self, rotation_id: int, draft: RotationDraft, actor: str, pagerduty_connected: bool
    ) -> Rotation:
        before = await self._get(rotation_id)
        await self.check(draft, pagerduty_connected, except_id=rotation_id)
        now = self._clock()
        rotation = self._apply_draft(before, draft, now)
        async with self._db.transaction():
            await store.save(self._db, rotation)
            await events.record(self._db, "rotation.edited", now, actor, rotation_id)
            if rotation.on_duty != before.on_duty:
                await self._record_duty(rotation, before.on_duty, "edited", actor)
        await self._after_change(
            rotation,
            before.on_duty,
            "edited",
            actor,
            schedule_changed=rotation.schedule != before.schedule,
            binding_changed=(rotation.source, rotation.pd_schedule_id)
            != (before.source, before.pd_schedule_id),
            group_changed=rotation.usergroup_id != before.usergroup_id,
        )
        return rotation

    async def delete(self, rotation_id: int, actor: str) -> Rotation:
        rotation = await self._get(rotation_id)
        async with self._db.transaction():
            await events.record(self._db, "rotation.deleted", self._clock(), actor, None, code=rotation.code)
            await store.delete(self._db, rotation_id)
        if self.on_schedule_changed:
            await self.on_schedule_changed()
        return rotation

    async def check(
        self, draft: RotationDraft, pagerduty_connected: bool, except_id: int | None = None
    ) -> None:
        """Raise DraftError with every problem, before anything is created."""
        errors = check(draft, pagerduty_connected)
        if "code" not in errors and await store.code_taken(self._db, draft.code, except_id):
            errors["code"] = f"Another rotation already uses the code {normalise_code(draft.code)}."
        if errors:
            raise DraftError(errors)

    def _apply_draft(self, rotation: Rotation, draft: RotationDraft, now: float) -> Rotation:
        updated = replace(
            rotation,
            name=draft.name.strip(),
            code=normalise_code(draft.code),
            description=draft.description.strip(),
            channels=tuple(draft.channels),
            usergroup_id=draft.usergroup_id,
            usergroup_handle=draft.new_usergroup_handle
            if draft.usergroup_id is None
            else rotation.usergroup_handle,
            updated_at=now,
        )
        if draft.source == "pagerduty":
            # Members and duty now come from PagerDuty; they stay as they are until the next sync.
            return replace(
                updated,
                source="pagerduty",
                pd_schedule_id=draft.pd_schedule_id,
                pd_status=None if draft.pd_schedule_id != rotation.pd_schedule_id else rotation.pd_status,
                schedule=Schedule(),
                next_handoff_at=None,
            )
        members = tuple(dict.fromkeys(draft.members))
        on_duty = tuple(u for u in rotation.on_duty if u in members)
        if not on_duty and members:
            on_duty = members[:1]  # the first member listed goes first
        schedule = draft.schedule
        if schedule != rotation.schedule or rotation.bound:
            schedule = anchored(schedule, _utc(now))
        handoff = next_handoff(schedule, _utc(now))
        return replace(
            updated,
            source="manual",
            pd_schedule_id=None,
            pd_status=None,
            pd_unmatched=(),
            members=members,
            on_duty=on_duty,
            on_duty_since=rotation.on_duty_since if on_duty == rotation.on_duty else now,
            schedule=schedule,
            next_handoff_at=handoff.timestamp() if handoff else None,
            on_duty_until=handoff.timestamp() if handoff else None,
        )

    # --- duty ---------------------------------------------------------------------------------

    async def rotate(self, rotation_id: int, actor: str | None, reason: str = "rotated") -> DutyChange | None:
        """The next member in turn goes on duty."""
        rotation = await self._get(rotation_id)
        if rotation.bound:
            raise NotAllowed(f"{rotation.name} follows PagerDuty: change who is on call there.")
        if not rotation.members:
            raise NotAllowed(f"{rotation.name} has no members to rotate to. Add members first.")
        follower = rotation.next_up or rotation.members[0]
        return await self._set_duty(rotation, (follower,), reason, actor)

    async def set_on_duty(self, rotation_id: int, user_id: str, actor: str) -> DutyChange | None:
        rotation = await self._get(rotation_id)
        if rotation.bound:
            raise NotAllowed(f"{rotation.name} follows PagerDuty: change who is on call there.")
        if user_id not in rotation.members:
            raise NotAllowed("Only a member of the rotation can be set on duty. Add them in Edit first.")
        return await self._set_duty(rotation, (user_id,), "set", actor)

    async def run_due(self) -> list[DutyChange]:
        """Hand over every timed rotation whose time has come, once, however many slots it missed."""
        now = self._clock()
        changes = []
        for rotation in await store.due(self._db, now):
            if rotation.bound or not rotation.schedule.timed:
                continue
            handoff = next_handoff(rotation.schedule, _utc(now))
            rotation = replace(
                rotation,
                next_handoff_at=handoff.timestamp() if handoff else None,
                on_duty_until=handoff.timestamp() if handoff else None,
            )
            follower = rotation.next_up or (rotation.members[0] if rotation.members else None)
            change = await self._set_duty(
                rotation, (follower,) if follower else (), "handoff", None, force_save=True
            )
            if change:
                changes.append(change)
        if self.on_schedule_changed:
            await self.on_schedule_changed()
        return changes

    async def follow_pagerduty(
        self,
        rotation: Rotation,
        members: tuple[str, ...],
        on_duty: tuple[str, ...],
        until: float | None,
        unmatched: tuple[dict, ...],
        status: str,
    ) -> DutyChange | None:
        """Mirror PagerDuty; stores (and announces) only what really changed."""
        members = tuple(dict.fromkeys((*on_duty, *members)))
        updated = replace(
            rotation, members=members, on_duty_until=until, pd_unmatched=unmatched, pd_status=status
        )
        if updated == rotation and on_duty == rotation.on_duty:
            return None
        if on_duty == rotation.on_duty:
            updated = replace(updated, updated_at=self._clock())
            await store.save(self._db, updated)
            return None
        return await self._set_duty(updated, on_duty, "pagerduty", None, force_save=True)

    async def _set_duty(
        self,
        rotation: Rotation,
        on_duty: tuple[str, ...],
        reason: str,
        actor: str | None,
        force_save: bool = False,
    ) -> DutyChange | None:
        before = rotation.on_duty
        if on_duty == before and not force_save:
            return None
        now = self._clock()
        updated = replace(
            rotation,
            on_duty=on_duty,
            on_duty_since=now if on_duty != before else rotation.on_duty_since,
            updated_at=now,
        )
        async with self._db.transaction():
            await store.save(self._db, updated)
            if on_duty != before:
                await self._record_duty(updated, before, reason, actor)
        if on_duty == before:
            return None
        change = DutyChange(updated, before, reason, actor)
        await self._announce([change])
        return change

    async def _record_duty(
        self, rotation: Rotation, before: tuple[str, ...], reason: str, actor: str | None
    ) -> None:
        await events.record(
            self._db,
            "duty.changed",
            self._clock(),
            actor,
            rotation.id,
            before=list(before),
            after=list(rotation.on_duty),
            reason=reason,
        )
        log.info(
            "duty changed",
            extra={
                "rotation": rotation.code,
                "reason": reason,
                "on_duty": ",".join(rotation.on_duty) or "nobody",
            },
        )

    async def _after_change(
        self,
        rotation: Rotation,
        before: tuple[str, ...],
        reason: str,
        actor: str | None,
        schedule_changed: bool = False,
        binding_changed: bool = False,
        group_changed: bool = False,
    ) -> None:
        if rotation.on_duty != before or (group_changed and rotation.usergroup_id):
            await self._announce([DutyChange(rotation, before, reason, actor)])
        if schedule_changed and self.on_schedule_changed:
            await self.on_schedule_changed()
        if binding_changed and rotation.bound and self.on_binding_changed:
            await self.on_binding_changed()

    async def _get(self, rotation_id: int) -> Rotation:
        rotation = await store.get(self._db, rotation_id)
        if rotation is None:
            raise NotAllowed("That rotation no longer exists.")
        return rotation


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
