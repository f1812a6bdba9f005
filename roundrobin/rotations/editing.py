"""Making and changing rotations: the form's rules, codes, the user group, notifications, delete."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime

from roundrobin.access import Access
from roundrobin.db import Database
from roundrobin.metrics import Metrics
from roundrobin.rotations import codes, following, references, templates
from roundrobin.rotations.changes import ANNOUNCE_MAX_DELAY, ANNOUNCE_QUIET, Changes
from roundrobin.rotations.draft import RotationDraft, check, normalise_code
from roundrobin.rotations.errors import DraftError
from roundrobin.rotations.holidays import problem as holiday_problem
from roundrobin.rotations.model import (
    DutyChange,
    GroupState,
    Holidays,
    Notifications,
    Rotation,
    WorkingHours,
    next_up_people,
)
from roundrobin.rotations.references import Workspace
from roundrobin.rotations.schedule import Schedule, anchored, next_hand_over
from roundrobin.rotations.status import NEW_MODE, StatusSignal, signal_of
from roundrobin.signals import Signals
from roundrobin.store import directory, events, outbox, topics
from roundrobin.store import rotations as store
from roundrobin.text import clean_text

MAX_DUTY_SIZE = 10
REMINDER_CHOICES = (900, 3600, 86400)  # 15 minutes, an hour, a day before a planned hand-over
MAX_TOPIC_CHANNELS = 10


class RotationEditor(Changes):
    def __init__(
        self,
        db: Database,
        access: Access,
        workspace: Workspace,
        signals: Signals,
        clock: Callable[[], float] = time.time,
        announce_quiet: float = ANNOUNCE_QUIET,
        announce_max_delay: float = ANNOUNCE_MAX_DELAY,
        pagerduty_connected: Callable[[], Awaitable[bool]] | None = None,
        metrics: Metrics | None = None,
    ):
        super().__init__(db, access, signals, clock, announce_quiet, announce_max_delay, metrics=metrics)
        self._workspace = workspace
        self._pagerduty_connected = pagerduty_connected

    async def _connected(self, told: bool | None) -> bool:
        """Whether PagerDuty is connected, asked of the connection itself (a surface never says)."""
        if told is not None:
            return told  # tests and tools that set the stage themselves
        return bool(self._pagerduty_connected and await self._pagerduty_connected())

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
        for problem in await following.race_problems(self._db, draft, except_id):
            errors.setdefault(*problem)
        if errors:
            raise DraftError(errors)

    async def validate(
        self,
        draft: RotationDraft,
        actor: str,
        pagerduty_connected: bool | None = None,
        existing: Rotation | None = None,
        known: dict[str, str] | None = None,
    ) -> None:
        """Every problem with the draft, its ids and what the actor may bind, before anything is made
        (`known`: problems found already with the group the members follow; None: look now)."""
        if known is None:
            draft, known = await following.members_of_group(draft, existing, self._workspace, self._db)
        errors = {**known, **check(draft, await self._connected(pagerduty_connected))}
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
            await self._commit(rotation, kept, self._clock())
            # Made a moment ago: enabled and empty, so only its members need setting.
            await outbox.group_applied(self._db, rotation_id, group_id, GroupState(True, ()))
            await events.record(
                self._db, "usergroup.created", self._clock(), None, rotation_id, handle=handle
            )
        self._ring(effects=True)
        return True

    async def create(
        self, draft: RotationDraft, actor: str, pagerduty_connected: bool | None = None
    ) -> Rotation:
        pagerduty_connected = await self._connected(pagerduty_connected)
        draft, group_problems = await following.members_of_group(
            draft.normalised(), None, self._workspace, self._db
        )
        await self.validate(draft, actor, pagerduty_connected, known=group_problems)
        draft = await self._with_group(draft)
        now = self._clock()
        blank = Rotation(id=0, name="", code="", created_by=actor, created_at=now, updated_at=now)
        async with self._transaction():
            await self.check(draft, pagerduty_connected)  # the code may have been taken meanwhile
            rotation = self._apply_draft(await self._knowing_accounts(blank, draft), draft, now)
            if rotation.on_duty:
                rotation = replace(rotation, duty_rev=1, duty_changed_at=now)
            rotation = replace(rotation, id=await store.insert(self._db, rotation))
            change = (
                DutyChange(rotation, (), "created", actor, next_up_people(rotation), now)
                if rotation.on_duty
                else None
            )
            await self._commit(None, rotation, now, change=change, editor=actor)
            await events.record(self._db, "rotation.created", now, actor, rotation.id, code=rotation.code)
            if change:
                await self._record_duty(change)
        self._ring(effects=True, hand_overs=rotation.schedule.timed, sync=rotation.bound)
        return rotation

    async def update(
        self,
        rotation_id: int,
        draft: RotationDraft,
        actor: str,
        pagerduty_connected: bool | None = None,
        expected_rev: int | None = None,
    ) -> Rotation:
        """Apply an edit to the rotation as it is now; refused when it changed since the form opened."""
        pagerduty_connected = await self._connected(pagerduty_connected)
        who = await self._access.actor(actor)
        current = await self._get(rotation_id)
        async with self._refusals():
            self._require_edit(who, current, expected_rev)  # fails fast; checked again inside
        draft, group_problems = await following.members_of_group(
            draft.normalised(), current, self._workspace, self._db
        )
        await self.validate(draft, actor, pagerduty_connected, current, known=group_problems)
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
            change = (
                DutyChange(rotation, before.on_duty, "edited", actor, next_up_people(rotation), now)
                if duty_changed
                else None
            )
            await self._commit(before, rotation, now, change=change, editor=actor)
            await events.record(self._db, "rotation.edited", now, actor, rotation_id)
            await outbox.forget_targets(self._db, rotation_id, rotation.channels)
            if change:
                await self._record_duty(change)
        self._ring(
            effects=True,
            hand_overs=rotation.schedule != before.schedule or rotation.bound != before.bound,
            sync=rotation.bound
            and (rotation.source, rotation.pd_schedule_ids) != (before.source, before.pd_schedule_ids),
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
                handoff_notes=before.handoff_notes if wanted.handoff_notes is None else wanted.handoff_notes,
                config_rev=before.config_rev + 1,
                updated_at=now,
            )
            await self._commit(before, rotation, now, reclaim=wanted.topic_channels)
            await events.record(self._db, "rotation.edited", now, actor, rotation_id, part="notifications")
        self._ring(effects=True)
        return rotation

    async def update_hours(
        self,
        rotation_id: int,
        actor: str,
        duty_size: int,
        hand_over_all: bool,
        working_hours: WorkingHours | None,
        holiday_rule: Holidays | None,
        expected_rev: int | None = None,
    ) -> DutyChange | None:
        """How many are on duty at once, and when: working hours (with a fallback person) and public
        holidays. Who is on duty follows at once (a second person joins, or nobody outside hours)."""
        who = await self._access.actor(actor)
        current = await self._get(rotation_id)
        async with self._refusals():
            self._require_edit(who, current, None)
        errors = hours_problems(current, duty_size, working_hours, holiday_rule)
        if errors:
            raise DraftError(errors)
        now = self._clock()
        async with self._transaction():
            before = await self._get(rotation_id)
            self._require_edit(who, before, expected_rev)
            if before.bound:
                raise DraftError({"size": f"{before.name} follows PagerDuty: its shifts are set there."})
            turn = before.turn_people or before.on_duty
            if len(turn) < duty_size:
                turn = (*turn, *before.turn_after(turn, exclude=turn))[:duty_size]
            rotation = replace(
                before,
                duty_size=duty_size,
                hand_over_all=hand_over_all,
                working_hours=working_hours,
                holidays=holiday_rule,
                config_rev=before.config_rev + 1,
                updated_at=now,
            )
            await events.record(self._db, "rotation.edited", now, actor, rotation_id, part="hours")
            change = await self._change_duty(
                replace(rotation, turn_people=tuple(turn[:duty_size])),
                tuple(turn[:duty_size]),
                "edited",
                actor,
                now,
                force_save=True,
                turn_moved=False,
            )
        self._ring(effects=True, hand_overs=True)
        return change

    async def delete(self, rotation_id: int, actor: str) -> Rotation:
        who = await self._access.actor(actor)
        async with self._transaction():
            rotation = await self._get(rotation_id)
            self._require_edit(who, rotation, None)
            await events.record(self._db, "rotation.deleted", self._clock(), actor, None, code=rotation.code)
            await topics.clear_all(self._db, rotation_id)  # Round Robin's own topics are cleared
            await store.delete(self._db, rotation_id)  # the rest of its pending Slack work goes with it
        self._ring(effects=True, hand_overs=True)
        return rotation

    async def _knowing_accounts(self, rotation: Rotation, draft: RotationDraft) -> Rotation:
        """The rotation with what the directory knows of its people and the draft's (who goes on duty
        first, and who the group holds, depend on it)."""
        people = {*rotation.members, *(draft.members or ())}
        return replace(rotation, unavailable=await directory.unavailable(self._db, people))

    def _apply_draft(self, rotation: Rotation, draft: RotationDraft, now: float) -> Rotation:
        updated = _with_group(
            replace(
                rotation,
                name=draft.name.strip(),
                code=normalise_code(draft.code),
                description=draft.description.strip(),
                channels=tuple(draft.channels),
                members_may_rotate=draft.members_may_rotate,
                status_signal=_status_of(rotation, draft),
                updated_at=now,
            ),
            draft,
        )
        if draft.source == "pagerduty":
            # Members and duty now come from PagerDuty; they stay as they are until the next sync.
            same = draft.pd_schedule_ids == rotation.pd_schedule_ids
            bound = replace(
                updated,
                source="pagerduty",
                pd_schedule_id=draft.pd_schedule_id,
                pd_more_schedule_ids=draft.pd_schedule_ids[1:],
                pd_status=rotation.pd_status if same else None,
                schedule=Schedule(),
                member_source=None,
                next_hand_over_at=None,
            )
            if same:
                return bound
            return replace(bound, pd_next_up=(), next_change_at=None, pd_on_call_from=())
        # None: the form could not show them all (over Slack's 100), so they stay as they are.
        members = rotation.members if draft.members is None else tuple(dict.fromkeys(draft.members))
        on_duty = tuple(u for u in rotation.on_duty if u in members)
        if not on_duty and members:
            # The first member listed goes first (the first who can be on duty, that is).
            on_duty = tuple(replace(updated, members=members).turn_after(())[:1]) or members[:1]
        schedule = draft.schedule
        if (schedule != rotation.schedule or rotation.bound) and not _chosen_start(schedule):
            schedule = anchored(schedule, _utc(now))
        hand_over = next_hand_over(schedule, _utc(now))
        return replace(
            updated,
            source="manual",
            pd_schedule_id=None,
            pd_more_schedule_ids=(),
            pd_on_call_from=(),
            pd_status=None,
            pd_unmatched=(),
            pd_next_up=(),
            next_change_at=None,
            members=members,
            on_duty=on_duty,
            on_duty_since=rotation.on_duty_since if on_duty == rotation.on_duty else now,
            schedule=schedule,
            next_hand_over_at=hand_over.timestamp() if hand_over else None,
            on_duty_until=hand_over.timestamp() if hand_over else None,
            member_source=following.source_of(rotation, draft, members),
        )


def _with_group(rotation: Rotation, draft: RotationDraft) -> Rotation:
    """The rotation with the group an edit leaves it: the group chosen, or a new one still to be
    created (kept waiting if the same handle was asked for again before Slack made it)."""
    if draft.new_usergroup_handle:
        return replace(
            rotation, usergroup_id=None, usergroup_handle=draft.new_usergroup_handle, usergroup_create=True
        )
    if (
        rotation.usergroup_create
        and draft.usergroup_id is None
        and draft.usergroup_handle == rotation.usergroup_handle
    ):
        return rotation
    return replace(
        rotation,
        usergroup_id=draft.usergroup_id,
        usergroup_handle=draft.usergroup_handle if draft.usergroup_id else None,
        usergroup_create=False,
    )


def _status_of(rotation: Rotation, draft: RotationDraft) -> StatusSignal:
    """What a Slack status does at hand-over: as the form says, as it was, or (a new rotation made
    without the form) the default for new rotations."""
    if draft.status is not None:
        return signal_of(draft.status, bound=draft.source == "pagerduty")
    return rotation.status_signal if rotation.id else StatusSignal(mode=NEW_MODE)


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


def hours_problems(
    rotation: Rotation, duty_size: int, hours: WorkingHours | None, rule: Holidays | None
) -> dict[str, str]:
    """Field → what to fix in Duty & hours, in words."""
    errors = {}
    serving = len([m for m in rotation.members if rotation.can_serve(m)])
    if not 1 <= duty_size <= MAX_DUTY_SIZE:
        errors["size"] = f"Choose between 1 and {MAX_DUTY_SIZE} people on duty."
    elif duty_size > max(1, serving):
        errors["size"] = (
            f"{rotation.code} has {serving} member{'s' if serving != 1 else ''} who can be on duty: add people in Edit first."
        )
    if hours is not None:
        if not hours.days:
            errors["days"] = "Choose the working days, or clear the hours to be on duty all the time."
        if hours.start == hours.end:
            errors["end"] = "Working hours must end at another time than they start."
        if hours.fallback and hours.fallback not in rotation.members:
            errors["fallback"] = "Choose a member of the rotation (or nobody)."
    if rule is not None and (problem := holiday_problem(rule.country, rule.subdivision)):
        errors["country"] = problem
    return errors
