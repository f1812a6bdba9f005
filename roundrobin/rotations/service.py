"""Rotation rules: create, edit, rotate, set on duty, timed handoffs, follow PagerDuty, revert, delete.

Every change is one transaction that re-reads the rotation, applies the rule to what is stored now,
and writes it back together with its history entry and the Slack work it needs (the user group's
desired state and the channel announcements, see store/outbox.py). Slack is told afterwards by the
delivery worker, which retries until Slack confirms; Slack refusing something never undoes a change.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from roundrobin.access import Access, Actor
from roundrobin.background import Doorbell
from roundrobin.db import Database
from roundrobin.rotations import codes, references, templates
from roundrobin.rotations.draft import RotationDraft, check, normalise_code
from roundrobin.rotations.errors import AlreadyChanged, DraftError, NotAllowed
from roundrobin.rotations.model import (
    IN_TURN,
    DutyChange,
    GroupState,
    Rotation,
    merge_announcements,
    next_in_turn,
    topic_state,
    why_not,
)
from roundrobin.rotations.references import Workspace
from roundrobin.rotations.schedule import Schedule, anchored, next_handoff
from roundrobin.store import directory, events, outbox, topics
from roundrobin.store import rotations as store
from roundrobin.text import clean_text

log = logging.getLogger(__name__)

# A burst of changes (ten Rotates in two seconds) is announced once, with the final state: a channel
# message waits this long after the last change, but never longer than ANNOUNCE_MAX_DELAY after the first.
ANNOUNCE_QUIET = 2.0
ANNOUNCE_MAX_DELAY = 10.0
# Two people pressing Rotate on /rr within this long of each other: the second is told, not obeyed.
DOUBLE_PRESS = 10.0


REMINDER_CHOICES = (900, 3600, 86400)  # 15 minutes, an hour, a day before a planned hand-over
MAX_TOPIC_CHANNELS = 10


@dataclass(frozen=True)
class Notifications:
    """How a rotation tells people, beyond its channel messages and user group."""

    topic_channels: tuple[str, ...] = ()
    dm_on_duty: bool = False
    dm_off_duty: bool = False
    remind_before: int | None = None
    templates: dict[str, str] = field(default_factory=dict)
    request_expiry_minutes: int = 60

    @classmethod
    def of(cls, rotation: Rotation) -> Notifications:
        return cls(
            rotation.topic_channels,
            rotation.dm_on_duty,
            rotation.dm_off_duty,
            rotation.remind_before,
            dict(rotation.templates),
            rotation.request_expiry_minutes,
        )


class _Later(Exception):
    """A refusal found inside a transaction; `refusal()` words it after the transaction ends."""

    def __init__(self, refusal: Callable[[], Awaitable[Exception]]):
        super().__init__("refused")
        self.refusal = refusal


@dataclass(frozen=True)
class Signals:
    """Doorbells the service rings after a change is committed; workers wait on them."""

    effects: Doorbell  # Slack work is pending (groups, messages)
    handoffs: Doorbell  # a timed rotation's next hand-over moved: re-arm the wake-up
    sync: Doorbell  # a rotation was bound to a PagerDuty schedule: sync soon
    changed: Doorbell  # a duty or config change was committed: views of rotations may be stale

    @classmethod
    def new(cls) -> Signals:
        return cls(Doorbell(), Doorbell(), Doorbell(), Doorbell())


class RotationService:
    def __init__(
        self,
        db: Database,
        access: Access,
        workspace: Workspace,
        signals: Signals,
        clock: Callable[[], float] = time.time,
        announce_quiet: float = ANNOUNCE_QUIET,
        announce_max_delay: float = ANNOUNCE_MAX_DELAY,
    ):
        self._db = db
        self._access = access
        self._workspace = workspace
        self._signals = signals
        self._clock = clock
        self._quiet = announce_quiet
        self._max_delay = announce_max_delay

    # --- reading ------------------------------------------------------------------------------

    async def get(self, rotation_id: int) -> Rotation | None:
        return await store.get(self._db, rotation_id)

    async def by_code(self, code: str) -> Rotation | None:
        return await store.get_by_code(self._db, code)

    async def page(self, offset: int, limit: int, member: str | None = None) -> tuple[list[Rotation], int]:
        """Rotations by name (only those `member` is in, when given) and how many there are."""
        return await store.page(self._db, offset, limit, member)

    async def search(self, query: str, limit: int = 50) -> list[tuple[int, str, str]]:
        """(id, name, code) of rotations whose name or code contains `query`."""
        return await store.search(self._db, query, limit)

    async def announcing_in(self, channel_id: str, limit: int) -> list[Rotation]:
        """Rotations that tell this channel when duty changes."""
        return await store.announcing_in(self._db, channel_id, limit)

    async def history(self, rotation_id: int, limit: int = 10) -> list[events.Event]:
        return await events.recent(self._db, rotation_id, limit=limit)

    async def group_holders(self) -> dict[str, str]:
        """User group id → the code of the rotation it follows."""
        return await store.group_holders(self._db)

    async def group(self, group_id: str) -> references.Group | None:
        return await self._workspace.group(group_id)

    async def removed_from_group(self, draft: RotationDraft, rotation_id: int | None) -> tuple[str, ...]:
        """The people in the existing group a form chose who will not be on duty: saving takes them
        out of it (the form names them and asks to confirm)."""
        existing = await store.get(self._db, rotation_id) if rotation_id else None
        if not draft.usergroup_id or (existing and existing.usergroup_id == draft.usergroup_id):
            return ()
        group = await self._workspace.group(draft.usergroup_id)
        if not group:
            return ()
        if draft.source == "pagerduty":
            staying = existing.on_duty if existing and existing.bound else ()
        else:
            members = draft.members if draft.members is not None else (existing.members if existing else ())
            staying = tuple(u for u in (existing.on_duty if existing else ()) if u in members) or members[:1]
        return tuple(u for u in group.users if u not in staying)

    async def bindable_groups(
        self, actor: str, query: str, editing: int | None = None
    ) -> list[references.Group]:
        """The user groups `actor` may choose for a rotation now: any for managers, the ones they
        are in for members; never one another rotation follows (the one edited may keep its own)."""
        who = await self._access.actor(actor)
        held = await store.group_holders(self._db)
        current = await store.get(self._db, editing) if editing else None
        own = current.usergroup_id if current and who.may_edit(current) else None
        return [
            g
            for g in await self._workspace.groups(query)
            if (g.id not in held or g.id == own) and (who.manager or actor in g.users or g.id == own)
        ][:99]

    # --- create, edit, delete ---------------------------------------------------------------

    async def free_code(self, name: str, except_id: int | None = None) -> str:
        """A short code made from the name that no other rotation uses: its first word, its
        initials…, then PLATFORM-2, PLATFORM-3."""
        made = codes.candidates(name)
        for candidate in (*made, *(codes.numbered(made[0], n) for n in range(2, 100))):
            if not await store.code_taken(self._db, candidate, except_id):
                return candidate
        return made[0]  # a hundred alike: saving says the code is taken, under the field

    async def check(
        self, draft: RotationDraft, pagerduty_connected: bool, except_id: int | None = None
    ) -> None:
        """Raise DraftError with every problem of the form itself and what other rotations hold (no
        Slack calls: run inside the transaction that saves, so a rotation saved meanwhile counts)."""
        errors = check(draft, pagerduty_connected)
        if "code" not in errors and await store.code_taken(self._db, draft.code, except_id):
            errors["code"] = f"Another rotation already uses the code {normalise_code(draft.code)}."
        holder = await store.holder_of_group(self._db, draft.usergroup_id) if draft.usergroup_id else None
        if holder and holder[0] != except_id:
            errors["usergroup"] = (
                f"That group now follows {holder[1]} ({holder[2]}), saved a moment ago: a group can "
                "follow one rotation. Create a new group for this one."
            )
        if errors:
            raise DraftError(errors)

    async def validate(
        self, draft: RotationDraft, actor: str, pagerduty_connected: bool, existing: Rotation | None = None
    ) -> None:
        """Every problem with the draft, its ids and what the actor may bind, before anything is made."""
        errors = check(draft, pagerduty_connected)
        if "code" not in errors and await store.code_taken(
            self._db, draft.code, existing.id if existing else None
        ):
            errors["code"] = f"Another rotation already uses the code {normalise_code(draft.code)}."
        # Limits first: ids of a field already refused (1,000 members) are never looked up.
        checked = (
            replace(draft, members=existing.members if existing else ()) if "members" in errors else draft
        )
        for name, problem in (
            await references.problems(checked, actor, existing, self._workspace, self._access, self._db)
        ).items():
            errors.setdefault(name, problem)
        if errors:
            raise DraftError(errors)

    async def _with_group(self, draft: RotationDraft) -> RotationDraft:
        """Learn the chosen group's handle. A new group is not created here: the delivery worker
        creates it once the rotation is saved, so a save that fails leaves nothing in Slack."""
        if draft.usergroup_id and not draft.new_usergroup_handle:
            group = await self._workspace.group(draft.usergroup_id)
            return replace(draft, usergroup_handle=group.handle if group else draft.usergroup_handle)
        return draft

    async def group_created(self, rotation_id: int, handle: str, group_id: str) -> bool:
        """Slack created (or gave back) the group a rotation asked for: the rotation keeps it now, and
        the group follows who is on duty. False when the rotation no longer wants it."""
        async with self._transaction():
            rotation = await store.get(self._db, rotation_id)
            if rotation is None or not rotation.usergroup_create or rotation.usergroup_handle != handle:
                return False
            kept = replace(rotation, usergroup_id=group_id, usergroup_create=False)
            await self._save(kept, self._clock())
            # Made a moment ago: enabled and empty, so only its members need setting.
            await outbox.group_applied(self._db, rotation_id, group_id, GroupState(True, ()))
            await events.record(
                self._db, "usergroup.created", self._clock(), None, rotation_id, handle=handle
            )
        self._ring(effects=True)
        return True

    async def create(self, draft: RotationDraft, actor: str, pagerduty_connected: bool) -> Rotation:
        draft = draft.normalised()
        await self.validate(draft, actor, pagerduty_connected)
        draft = await self._with_group(draft)
        now = self._clock()
        blank = Rotation(id=0, name="", code="", created_by=actor, created_at=now, updated_at=now)
        async with self._transaction():
            await self.check(draft, pagerduty_connected)  # the code may have been taken meanwhile
            rotation = self._apply_draft(await self._knowing_accounts(blank, draft), draft, now)
            if rotation.on_duty:
                rotation = replace(rotation, duty_rev=1, duty_changed_at=now)
            rotation = replace(rotation, id=await store.insert(self._db, rotation))
            await self._plan(rotation, now)
            await events.record(self._db, "rotation.created", now, actor, rotation.id, code=rotation.code)
            if rotation.on_duty:
                await self._record_duty(
                    DutyChange(rotation, (), "created", actor, next_in_turn(rotation), now)
                )
            await self._welcome(rotation, (), actor, now)
        self._ring(effects=True, handoffs=rotation.schedule.timed, sync=rotation.bound)
        return rotation

    async def update(
        self,
        rotation_id: int,
        draft: RotationDraft,
        actor: str,
        pagerduty_connected: bool,
        expected_rev: int | None = None,
    ) -> Rotation:
        """Apply an edit to the rotation as it is now; refused when it changed since the form opened."""
        who = await self._access.actor(actor)
        current = await self._get(rotation_id)
        async with self._refusals():
            self._require_edit(who, current, expected_rev)  # fails fast; checked again inside
        draft = draft.normalised()
        await self.validate(draft, actor, pagerduty_connected, current)
        draft = await self._with_group(draft)
        now = self._clock()
        async with self._transaction():
            before = await self._get(rotation_id)
            self._require_edit(who, before, expected_rev)
            await self.check(draft, pagerduty_connected, except_id=rotation_id)
            rotation = self._apply_draft(await self._knowing_accounts(before, draft), draft, now)
            rotation = replace(rotation, config_rev=before.config_rev + 1)
            duty_changed = rotation.on_duty != before.on_duty
            if duty_changed:
                rotation = replace(
                    rotation, duty_rev=before.duty_rev + 1, duty_actor=None, duty_changed_at=now
                )
            await self._save(rotation, now)
            await events.record(self._db, "rotation.edited", now, actor, rotation_id)
            await outbox.forget_targets(self._db, rotation_id, rotation.channels)
            if duty_changed:
                await self._record_duty(
                    DutyChange(rotation, before.on_duty, "edited", actor, next_in_turn(rotation), now)
                )
            await self._welcome(rotation, before.members, actor, now)
        self._ring(
            effects=True,
            handoffs=rotation.schedule != before.schedule or rotation.bound != before.bound,
            sync=rotation.bound
            and (rotation.source, rotation.pd_schedule_id) != (before.source, before.pd_schedule_id),
        )
        return rotation

    async def update_notifications(
        self, rotation_id: int, wanted: Notifications, actor: str, expected_rev: int | None = None
    ) -> Rotation:
        """Topics, DMs, reminders, templates and request expiry; refused if the rotation changed since."""
        who = await self._access.actor(actor)
        current = await self._get(rotation_id)
        async with self._refusals():
            self._require_edit(who, current, None)
        wanted = replace(
            wanted,
            topic_channels=tuple(dict.fromkeys(wanted.topic_channels)),
            templates={
                k: clean_text(v, multiline=k != "topic")
                for k, v in wanted.templates.items()
                if v and clean_text(v)
            },
        )
        errors = {f"template.{k}": v for k, v in templates.problems(wanted.templates).items()}
        if len(wanted.topic_channels) > MAX_TOPIC_CHANNELS:
            errors["topic_channels"] = f"Choose up to {MAX_TOPIC_CHANNELS} channels."
        else:
            added = [c for c in wanted.topic_channels if c not in current.topic_channels]
            if problem := await references.channel_problem(added, actor, who.manager, self._workspace):
                errors["topic_channels"] = problem
        if wanted.remind_before is not None and wanted.remind_before not in REMINDER_CHOICES:
            errors["remind_before"] = "Choose 15 minutes, an hour or a day before."
        if not 5 <= wanted.request_expiry_minutes <= 7 * 24 * 60:
            errors["request_expiry"] = "Choose between 5 minutes and a week."
        if errors:
            raise DraftError(errors)
        now = self._clock()
        async with self._transaction():
            before = await self._get(rotation_id)
            self._require_edit(who, before, expected_rev)
            rotation = replace(
                before,
                topic_channels=wanted.topic_channels,
                dm_on_duty=wanted.dm_on_duty,
                dm_off_duty=wanted.dm_off_duty,
                remind_before=wanted.remind_before,
                templates=wanted.templates,
                template_authors={
                    surface: before.template_authors.get(surface, actor)
                    if before.templates.get(surface) == text
                    else actor
                    for surface, text in wanted.templates.items()
                },
                request_expiry_minutes=wanted.request_expiry_minutes,
                config_rev=before.config_rev + 1,
                updated_at=now,
            )
            await self._save(rotation, now, reclaim=wanted.topic_channels)
            await events.record(self._db, "rotation.edited", now, actor, rotation_id, part="notifications")
        self._ring(effects=True)
        return rotation

    async def delete(self, rotation_id: int, actor: str) -> Rotation:
        who = await self._access.actor(actor)
        async with self._transaction():
            rotation = await self._get(rotation_id)
            self._require_edit(who, rotation, None)
            await events.record(self._db, "rotation.deleted", self._clock(), actor, None, code=rotation.code)
            await topics.clear_all(self._db, rotation_id)  # Round Robin's own topics are cleared
            await store.delete(self._db, rotation_id)  # the rest of its pending Slack work goes with it
        self._ring(effects=True, handoffs=True)
        return rotation

    async def leave(self, rotation_id: int, actor: str) -> Rotation:
        """A member takes themselves out of a manual rotation; if they were on duty alone, the next
        in turn takes over."""
        now = self._clock()
        async with self._db.transaction():
            rotation = await self._get(rotation_id)
            if rotation.bound:
                raise NotAllowed(
                    f"{rotation.name} follows PagerDuty: its members are the schedule's. Ask whoever runs "
                    "the schedule to take you out of it."
                )
            if actor not in rotation.members:
                raise NotAllowed(f"You are not in {rotation.code}, so there is nothing to leave.")
            on_duty = tuple(u for u in rotation.on_duty if u != actor)
            if not on_duty and actor in rotation.on_duty and rotation.next_up:
                on_duty = (rotation.next_up,)
            updated = replace(
                rotation,
                members=tuple(u for u in rotation.members if u != actor),
                on_duty=tuple(u for u in rotation.on_duty if u != actor),
                config_rev=rotation.config_rev + 1,
                updated_at=now,
            )
            await events.record(self._db, "rotation.left", now, actor, rotation_id)
            if on_duty != updated.on_duty:
                await self._change_duty(updated, on_duty, "left", actor, now, force_save=True)
            else:
                await self._save(updated, now)
        self._ring(effects=True)
        return updated

    async def _welcome(self, rotation: Rotation, before: tuple[str, ...], actor: str, now: float) -> None:
        """Tell each person someone else added to a manual rotation who added them, and how to leave
        it or stop Round Robin's DMs: the bot never pulls someone into duty unannounced."""
        if rotation.bound:
            return
        for person in rotation.members:
            if person not in before and person != actor:
                await outbox.enqueue(self._db, "added", rotation.id, person, {"actor": actor}, now)

    async def _knowing_accounts(self, rotation: Rotation, draft: RotationDraft) -> Rotation:
        """The rotation with what the directory knows of its people and the draft's (who goes on duty
        first, and who the group holds, depend on it)."""
        people = {*rotation.members, *(draft.members or ())}
        return replace(rotation, unavailable=await directory.unavailable(self._db, people))

    def _apply_draft(self, rotation: Rotation, draft: RotationDraft, now: float) -> Rotation:
        updated = replace(
            rotation,
            name=draft.name.strip(),
            code=normalise_code(draft.code),
            description=draft.description.strip(),
            channels=tuple(draft.channels),
            **_group_of(rotation, draft),
            members_may_rotate=draft.members_may_rotate,
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
                **(
                    {}
                    if draft.pd_schedule_id == rotation.pd_schedule_id
                    else {"next_on_duty": (), "next_change_at": None}
                ),
            )
        # None: the form could not show them all (over Slack's 100), so they stay as they are.
        members = rotation.members if draft.members is None else tuple(dict.fromkeys(draft.members))
        on_duty = tuple(u for u in rotation.on_duty if u in members)
        if not on_duty and members:
            # The first member listed goes first (the first who can be on duty, that is).
            on_duty = tuple(replace(updated, members=members).turn_after(())[:1]) or members[:1]
        schedule = draft.schedule
        if (schedule != rotation.schedule or rotation.bound) and not _chosen_start(schedule):
            schedule = anchored(schedule, _utc(now))
        handoff = next_handoff(schedule, _utc(now))
        return replace(
            updated,
            source="manual",
            pd_schedule_id=None,
            pd_status=None,
            pd_unmatched=(),
            next_on_duty=(),
            next_change_at=None,
            members=members,
            on_duty=on_duty,
            on_duty_since=rotation.on_duty_since if on_duty == rotation.on_duty else now,
            schedule=schedule,
            next_handoff_at=handoff.timestamp() if handoff else None,
            on_duty_until=handoff.timestamp() if handoff else None,
        )

    def _require_edit(self, who: Actor, rotation: Rotation, expected_rev: int | None) -> None:
        """Refuse an edit by someone who may not make it, or of a rotation changed since the form
        opened. Safe inside a transaction: the words, which name people, come after it."""
        if not who.may_edit(rotation):
            raise _Later(lambda: self._access.edit_refusal(rotation))
        if expected_rev is not None and rotation.config_rev != expected_rev:
            raise _Later(lambda: self._edited_meanwhile(rotation))

    async def _edited_meanwhile(self, rotation: Rotation) -> AlreadyChanged:
        last = await events.recent(self._db, rotation.id, kinds=("rotation.edited",), limit=1)
        who = await self._access.name(last[0].actor) if last and last[0].actor else "Someone"
        return AlreadyChanged(
            f"{who} changed {rotation.code} while you were editing it. Close this form and open Edit "
            "again to see their changes."
        )

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        """A transaction whose refusals are worded once it is over (see `_refusals`)."""
        async with self._refusals(), self._db.transaction():
            yield

    @asynccontextmanager
    async def _refusals(self) -> AsyncIterator[None]:
        """Word the refusals raised inside (`_Later`) outside any transaction: naming people can ask
        Slack, and no request may wait on Slack while the database is locked."""
        try:
            yield
        except _Later as later:
            raise await later.refusal() from None
        except store.GroupHeld:
            raise DraftError(
                {
                    "usergroup": "Another rotation took that group a moment ago: a group can follow one rotation."
                }
            ) from None

    # --- duty ---------------------------------------------------------------------------------

    async def rotate(
        self, rotation_id: int, actor: str, expected_duty_rev: int | None = None
    ) -> DutyChange | None:
        """The next member in turn goes on duty."""

        def follower(rotation: Rotation) -> tuple[str, ...]:
            if not rotation.members:
                raise NotAllowed(f"{rotation.name} has no members to rotate to. Add members first.")
            follower = rotation.next_up or next(iter(rotation.turn_after(rotation.on_duty)), None)
            if follower is None:
                raise NotAllowed(
                    f"Nobody in {rotation.code} can be on duty: their Slack accounts are deactivated (or "
                    "Slack keeps them out of the user group). Add people in Edit."
                )
            return (follower,)

        return await self._move_duty(rotation_id, actor, "rotated", follower, expected_duty_rev)

    async def set_on_duty(
        self, rotation_id: int, user_id: str, actor: str, expected_duty_rev: int | None = None
    ) -> DutyChange | None:
        def chosen(rotation: Rotation) -> tuple[str, ...]:
            if user_id not in rotation.members:
                raise NotAllowed("Only a member of the rotation can be set on duty. Add them in Edit first.")
            if not rotation.can_serve(user_id):
                raise NotAllowed(f"That person cannot be on duty: {why_not(rotation.unavailable[user_id])}.")
            return (user_id,)

        return await self._move_duty(rotation_id, actor, "set", chosen, expected_duty_rev)

    async def hand_over(self, rotation_id: int, actor: str) -> DutyChange | None:
        """The person on duty is done: the next in turn takes over ("I'm done — hand over")."""
        rotation = await self._get(rotation_id)
        if actor not in rotation.on_duty:
            raise NotAllowed(f"You are not on duty for {rotation.code}, so there is nothing to hand over.")

        def others(rotation: Rotation) -> tuple[str, ...]:
            if actor not in rotation.on_duty:
                raise AlreadyChanged(f"You are no longer on duty for {rotation.code}.")
            if rotation.next_up is None:
                raise NotAllowed(f"Nobody else is in {rotation.code} to hand over to. Add members first.")
            return tuple(dict.fromkeys(rotation.next_up if u == actor else u for u in rotation.on_duty))

        # Handing over one's own duty is never a double press: no staleness check.
        return await self._move_duty(rotation_id, actor, "handed_over", others, check_stale=False)

    async def _move_duty(
        self,
        rotation_id: int,
        actor: str,
        reason: str,
        choose: Callable[[Rotation], tuple[str, ...]],
        expected_duty_rev: int | None = None,
        check_stale: bool = True,
    ) -> DutyChange | None:
        """A person changes who is on duty: `choose` picks the new people from the rotation as it is
        now, inside the transaction (and may refuse)."""
        who = await self._access.actor(actor)
        now = self._clock()
        async with self._transaction():
            rotation = await self._get(rotation_id)
            if not who.may_rotate(rotation):
                raise _Later(lambda: self._access.rotate_refusal(rotation))
            if check_stale:
                self._refuse_stale(rotation, actor, expected_duty_rev, now)
            if rotation.bound:
                raise NotAllowed(f"{rotation.name} follows PagerDuty: change who is on call there.")
            change = await self._change_duty(rotation, choose(rotation), reason, actor, now)
        self._ring(effects=True)
        return change

    def _refuse_stale(
        self, rotation: Rotation, actor: str, expected_duty_rev: int | None, now: float
    ) -> None:
        """Two people acting on the same view: the second is told what happened instead (in words
        that name people, so said once the transaction is over)."""
        if expected_duty_rev is not None:
            stale = rotation.duty_rev != expected_duty_rev
        else:
            stale = (
                rotation.duty_actor not in (None, actor)
                and rotation.duty_changed_at is not None
                and now - rotation.duty_changed_at < DOUBLE_PRESS
            )
        if stale:
            raise _Later(lambda: self._changed_meanwhile(rotation))

    async def _changed_meanwhile(self, rotation: Rotation) -> AlreadyChanged:
        who = await self._access.name(rotation.duty_actor) if rotation.duty_actor else "A scheduled hand-over"
        on_duty = ", ".join([await self._access.name(u) for u in rotation.on_duty]) or "nobody"
        return AlreadyChanged(
            f"{who} changed who is on duty for {rotation.code} a moment ago: {on_duty} is on duty now."
        )

    async def run_due(self) -> list[DutyChange]:
        """Hand over every timed rotation whose time has come, once, however many slots it missed."""
        now = self._clock()
        changes = []
        for due in await store.due(self._db, now):
            async with self._db.transaction():
                rotation = await store.get(self._db, due.id)
                if rotation is None or rotation.next_handoff_at is None or rotation.next_handoff_at > now:
                    continue  # edited or deleted meanwhile
                if rotation.bound or not rotation.schedule.timed:
                    continue
                handoff = next_handoff(rotation.schedule, _utc(now))
                rotation = replace(
                    rotation,
                    next_handoff_at=handoff.timestamp() if handoff else None,
                    on_duty_until=handoff.timestamp() if handoff else None,
                )
                follower = rotation.next_up or next(iter(rotation.turn_after(rotation.on_duty)), None)
                change = await self._change_duty(
                    rotation, (follower,) if follower else (), "handoff", None, now, force_save=True
                )
            if change:
                changes.append(change)
        self._ring(effects=bool(changes), handoffs=True)
        return changes

    async def follow_pagerduty(
        self,
        rotation_id: int,
        schedule_id: str,
        members: tuple[str, ...],
        on_duty: tuple[str, ...],
        until: float | None,
        unmatched: tuple[dict, ...],
        status: str,
        next_up: tuple[str, ...] = (),
        next_change_at: float | None = None,
    ) -> DutyChange | None:
        """Mirror PagerDuty into the rotation as it is now; stores (and announces) only real changes.

        Only the mirrored fields are written: a rename or a new channel saved during the sync stays.
        `next_up` is who PagerDuty has on call after `next_change_at`, the next change of hands.
        """
        now = self._clock()
        async with self._db.transaction():
            rotation = await store.get(self._db, rotation_id)
            if rotation is None or not rotation.bound or rotation.pd_schedule_id != schedule_id:
                return None  # deleted, unbound or bound elsewhere while the sync was reading
            members = tuple(dict.fromkeys((*on_duty, *members)))
            updated = replace(
                rotation,
                members=members,
                on_duty_until=until,
                pd_unmatched=unmatched,
                pd_status=status,
                next_on_duty=tuple(next_up),
                next_change_at=next_change_at,
            )
            change = None
            if on_duty != rotation.on_duty:
                change = await self._change_duty(updated, on_duty, "pagerduty", None, now, next_up=next_up)
            elif updated != rotation:
                # Members, links or the next change of hands moved: the cards that show them must too.
                await self._save(replace(updated, updated_at=now), now)
            else:
                return None
        self._ring(effects=True)
        return change

    async def revert_bound_to_manual(self, actor: str, now: float) -> list[int]:
        """Every PagerDuty-bound rotation becomes Manual, keeping its members and who is on duty;
        its channels are told. Joins the caller's transaction (disconnecting PagerDuty)."""
        reverted = []
        async with self._db.transaction():
            for rotation in await store.with_source(self._db, "pagerduty"):
                manual = replace(
                    rotation,
                    source="manual",
                    pd_schedule_id=None,
                    pd_status=None,
                    pd_unmatched=(),
                    schedule=Schedule(),
                    next_handoff_at=None,
                    on_duty_until=None,
                    next_on_duty=(),
                    next_change_at=None,
                    updated_at=now,
                    config_rev=rotation.config_rev + 1,
                )
                await self._save(manual, now)
                await events.record(
                    self._db,
                    "rotation.reverted_to_manual",
                    now,
                    actor,
                    rotation.id,
                    reason="pagerduty disconnected",
                )
                for channel in manual.channels:
                    await outbox.enqueue(self._db, "reverted", rotation.id, channel, {"actor": actor}, now)
                reverted.append(rotation.id)
        self._ring(effects=bool(reverted))
        return reverted

    async def follow_accounts(self) -> list[DutyChange]:
        """Slack accounts changed (deactivated, reactivated, guests, bots): in a Manual rotation,
        whoever is on duty and can no longer be hands over at once to the next in turn who can; every
        user group is set to the people on duty whom Slack takes (reactivated people come back)."""
        now = self._clock()
        wanted = {g.rotation_id: g.desired for g in await outbox.all_groups(self._db)}
        changes, replanned = [], 0
        for seen in await store.everything(self._db):
            group_stale = seen.id in wanted and wanted[seen.id] != seen.group_state
            if _leavers_replaced(seen) is None and not group_stale:
                continue
            async with self._db.transaction():
                rotation = await store.get(self._db, seen.id)
                if rotation is None:
                    continue
                taking_over = _leavers_replaced(rotation)
                change = None
                if taking_over is not None:
                    change = await self._change_duty(rotation, taking_over, "left", None, now)
                if change:
                    changes.append(change)
                elif rotation.group_state is not None:
                    await outbox.want_group(
                        self._db, rotation.id, rotation.usergroup_id, rotation.group_state
                    )
                    replanned += 1
        if changes or replanned:
            log.info("slack accounts changed", extra={"handed_over": len(changes), "groups": replanned})
        self._ring(effects=bool(changes or replanned))
        self._signals.changed.ring()  # cards flag (or stop flagging) people who left Slack
        return changes

    async def remove_member(self, rotation_id: int, user_id: str, actor: str) -> Rotation:
        """A manager takes someone who cannot be on duty any more (they left Slack) out of a Manual
        rotation, in one click."""
        who = await self._access.actor(actor)
        now = self._clock()
        async with self._transaction():
            rotation = await self._get(rotation_id)
            self._require_edit(who, rotation, None)
            if rotation.bound:
                raise NotAllowed(f"{rotation.code} follows PagerDuty: its members come from there.")
            if user_id not in rotation.members:
                raise AlreadyChanged(f"That person is no longer in {rotation.code}.")
            if rotation.can_serve(user_id):
                raise AlreadyChanged(
                    f"That person can be on duty for {rotation.code} again (they are back in Slack): "
                    "use Edit to change the members."
                )
            members = tuple(u for u in rotation.members if u != user_id)
            on_duty = tuple(u for u in rotation.on_duty if u != user_id)
            if not on_duty:
                on_duty = tuple(rotation.turn_after((user_id,), exclude=(user_id,))[:1])
            updated = replace(rotation, members=members, config_rev=rotation.config_rev + 1, updated_at=now)
            await events.record(
                self._db, "rotation.edited", now, actor, rotation_id, part="members", removed=user_id
            )
            change = await self._change_duty(updated, on_duty, "edited", actor, now)
            if change is None:
                await self._save(updated, now)
        self._ring(effects=True)
        return change.rotation if change else updated

    async def _change_duty(
        self,
        rotation: Rotation,
        on_duty: tuple[str, ...],
        reason: str,
        actor: str | None,
        now: float,
        next_up: tuple[str, ...] | None = None,
        force_save: bool = False,
    ) -> DutyChange | None:
        """Inside the caller's transaction: store the new duty, its history and its Slack work."""
        before = rotation.on_duty
        if on_duty == before:
            if force_save:
                await self._save(replace(rotation, updated_at=now), now)
            return None
        updated = replace(
            rotation,
            on_duty=on_duty,
            on_duty_since=now,
            updated_at=now,
            duty_rev=rotation.duty_rev + 1,
            duty_actor=actor,
            duty_changed_at=now,
        )
        await self._save(updated, now)
        left, skipped = (), ()
        if not rotation.bound:
            left = tuple((u, rotation.unavailable[u]) for u in before if not rotation.can_serve(u))
            left = tuple(p for p in left if p[0] not in on_duty)
            skipped = rotation.passed_over(before, on_duty) if reason in IN_TURN else ()
        change = DutyChange(
            updated,
            before,
            reason,
            actor,
            next_in_turn(updated) if next_up is None else next_up,
            now,
            left=left,
            skipped=skipped,
        )
        await self._record_duty(change)
        return change

    async def _save(self, rotation: Rotation, now: float, reclaim: tuple[str, ...] = ()) -> None:
        """Inside the caller's transaction: store the rotation and the Slack state it wants now."""
        await store.save(self._db, rotation)
        await self._plan(rotation, now, reclaim)

    async def _plan(self, rotation: Rotation, now: float, reclaim: tuple[str, ...] = ()) -> None:
        """The topics and the reminder a rotation wants, as it is now (`reclaim`: channels whose
        topic its editor just chose again, so someone else's topic may be replaced once more)."""
        state = topic_state(rotation)
        kept = await topics.channels_of(self._db, rotation.id)
        for channel in rotation.topic_channels:
            await topics.want(self._db, rotation.id, channel, state, reclaim=channel in reclaim)
        for channel in kept - set(rotation.topic_channels):
            await topics.want(self._db, rotation.id, channel, None)
        await self._plan_reminder(rotation, now)

    async def _plan_reminder(self, rotation: Rotation, now: float) -> None:
        """A DM to whoever takes over, `remind_before` seconds before a planned hand-over. Planned
        only ahead of time: an edit after the reminder went out never sends it again."""
        handoff = rotation.next_change_at if rotation.bound else rotation.next_handoff_at
        incoming = [u for u in next_in_turn(rotation) if u not in rotation.on_duty]
        wanted = set()
        if rotation.remind_before and handoff and incoming:
            wanted = {(person, handoff) for person in incoming}
        planned = await outbox.messages_of(self._db, rotation.id, "reminder")
        for message in planned:
            if (message.target, message.body.get("handoff_at")) not in wanted:
                await outbox.forget(self._db, rotation.id, "reminder", message.target)
        have = {(m.target, m.body.get("handoff_at")) for m in planned}
        for person, at in wanted - have:
            due = at - rotation.remind_before
            if due > now:
                await outbox.enqueue(
                    self._db, "reminder", rotation.id, person, {"handoff_at": at}, now, due_at=due
                )

    async def _record_duty(self, change: DutyChange) -> None:
        rotation = change.rotation
        await events.record(
            self._db,
            "duty.changed",
            change.at,
            change.actor,
            rotation.id,
            before=list(change.before),
            after=list(rotation.on_duty),
            reason=change.reason,
        )
        body = change.announcement()
        for channel in rotation.channels:
            await outbox.enqueue(
                self._db,
                "duty",
                rotation.id,
                channel,
                body,
                change.at,
                self._quiet,
                self._max_delay,
                merge=merge_announcements,
            )
        came, went = set(rotation.on_duty) - set(change.before), set(change.before) - set(rotation.on_duty)
        for kind, people, wanted in (
            ("dm_on", came, rotation.dm_on_duty),
            ("dm_off", went, rotation.dm_off_duty),
        ):
            for person in sorted(people) if wanted else ():
                await outbox.enqueue(
                    self._db, kind, rotation.id, person, body, change.at, self._quiet, self._max_delay
                )
        log.info(
            "duty changed",
            extra={
                "rotation": rotation.code,
                "reason": change.reason,
                "on_duty": ",".join(rotation.on_duty) or "nobody",
            },
        )

    def _ring(self, effects: bool = False, handoffs: bool = False, sync: bool = False) -> None:
        if effects or handoffs or sync:
            self._signals.changed.ring()
        if effects:
            self._signals.effects.ring()
        if handoffs:
            self._signals.handoffs.ring()
        if sync:
            self._signals.sync.ring()

    async def _get(self, rotation_id: int) -> Rotation:
        rotation = await store.get(self._db, rotation_id)
        if rotation is None:
            raise NotAllowed("That rotation no longer exists.")
        return rotation


def _leavers_replaced(rotation: Rotation) -> tuple[str, ...] | None:
    """Who is on duty in a Manual rotation once each person on duty who can no longer be is replaced
    by the next in turn who can; None when nothing changes (nobody left, or nobody can take over)."""
    if rotation.bound or all(rotation.can_serve(u) for u in rotation.on_duty):
        return None
    staying: list[str] = []
    for person in rotation.on_duty:
        if rotation.can_serve(person):
            staying.append(person)
            continue
        follower = rotation.turn_after((person,), exclude=(*rotation.on_duty, *staying))
        if follower:
            staying.append(follower[0])
    return tuple(dict.fromkeys(staying)) or None


def _group_of(rotation: Rotation, draft: RotationDraft) -> dict:
    """The group fields an edit leaves the rotation with: the group chosen, or a new one still to be
    created (kept waiting if the same handle was asked for again before Slack made it)."""
    if draft.new_usergroup_handle:
        return {
            "usergroup_id": None,
            "usergroup_handle": draft.new_usergroup_handle,
            "usergroup_create": True,
        }
    if (
        rotation.usergroup_create
        and draft.usergroup_id is None
        and draft.usergroup_handle == rotation.usergroup_handle
    ):
        return {}
    return {
        "usergroup_id": draft.usergroup_id,
        "usergroup_handle": draft.usergroup_handle if draft.usergroup_id else None,
        "usergroup_create": False,
    }


def _chosen_start(schedule: Schedule) -> bool:
    """The form chose which week an every-N-weeks rotation starts in: a date on its weekday."""
    if schedule.kind != "weekly" or not schedule.anchor:
        return False
    try:
        return datetime.fromisoformat(schedule.anchor).weekday() == schedule.weekday
    except ValueError:
        return False


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
