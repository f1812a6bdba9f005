"""What every change to a rotation shares: one transaction that re-reads the rotation and applies
the rule to what is stored now; refusals worded once it is over; the rotation written together with
its history and the Slack work it needs (rotations/effects.py decides it, store/effects.py records
it); and the doorbells rung once it is committed. Slack is told afterwards by the delivery worker,
which retries until Slack confirms; Slack refusing something never undoes a change.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace

from roundrobin.access import Access, Actor
from roundrobin.db import Database
from roundrobin.metrics import Metrics
from roundrobin.rotations import calendar, timeline
from roundrobin.rotations.effects import plan
from roundrobin.rotations.errors import AlreadyChanged, DraftError, NotAllowed
from roundrobin.rotations.membership import without_leavers
from roundrobin.rotations.model import IN_TURN, DutyChange, Rotation, next_up_people
from roundrobin.rotations.webhook_event import duty_event
from roundrobin.signals import Signals
from roundrobin.store import directory, effects, events, webhook_outbox, webhooks
from roundrobin.store import rotations as store

log = logging.getLogger("roundrobin.rotations")

# A burst of changes (ten Rotates in two seconds) is announced once, with the final state: a channel
# message waits this long after the last change, but never longer than ANNOUNCE_MAX_DELAY after the first.
ANNOUNCE_QUIET = 2.0
ANNOUNCE_MAX_DELAY = 10.0


class _Later(Exception):
    """A refusal found inside a transaction; `refusal()` words it after the transaction ends."""

    def __init__(self, refusal: Callable[[], Awaitable[Exception]]):
        super().__init__("refused")
        self.refusal = refusal


class Changes:
    """The base of the services that change rotations (editing.py, duty.py)."""

    def __init__(
        self,
        db: Database,
        access: Access,
        signals: Signals,
        clock: Callable[[], float] = time.time,
        announce_quiet: float = ANNOUNCE_QUIET,
        announce_max_delay: float = ANNOUNCE_MAX_DELAY,
        *,
        metrics: Metrics | None = None,
    ):
        self._db = db
        self._metrics = metrics  # duty changes counted by reason, once committed
        self._access = access
        self._signals = signals
        self._clock = clock
        self._quiet = announce_quiet
        self._max_delay = announce_max_delay

    async def _commit(
        self,
        before: Rotation | None,
        after: Rotation,
        now: float,
        change: DutyChange | None = None,
        editor: str | None = None,
        reverted_by: str | None = None,
        reclaim: tuple[str, ...] = (),
    ) -> None:
        """Inside the caller's transaction: store the rotation and the Slack work the change needs."""
        await store.save(self._db, after)
        work = plan(before, after, change=change, editor=editor, reverted_by=reverted_by)
        await effects.record(self._db, after.id, work, now, self._quiet, self._max_delay, reclaim)

    async def _change_duty(
        self,
        rotation: Rotation,
        on_duty: tuple[str, ...],
        reason: str,
        actor: str | None,
        now: float,
        next_up: tuple[str, ...] | None = None,
        force_save: bool = False,
        passed: tuple[tuple[str, str], ...] | None = None,
        turn_moved: bool = True,
    ) -> DutyChange | None:
        """Inside the caller's transaction: store the new duty, its history and its Slack work.

        For a manual rotation `on_duty` is whose turn it is now (the turn order's people); who is on
        duty is then what the timeline says for this moment (a cover, someone away, working hours),
        and until when, and who is next. `passed`: who the turn order passed over, and why."""
        before = rotation.on_duty
        if rotation.bound:
            settled = replace(rotation, on_duty=on_duty)
        else:
            turn = on_duty if turn_moved else (rotation.turn_people or rotation.on_duty)
            since = now if turn_moved else rotation.turn_since or rotation.on_duty_since
            settled = await self._settle(replace(rotation, turn_people=turn, turn_since=since), now)
            settled = await self._drop_leavers(settled, now)
        if settled.on_duty == before:
            if force_save or settled != rotation:
                await self._commit(rotation, replace(settled, updated_at=now), now)
            return None
        updated = replace(
            settled,
            on_duty_since=now,
            updated_at=now,
            duty_rev=rotation.duty_rev + 1,
            duty_actor=actor,
            duty_changed_at=now,
        )
        after = updated.on_duty
        left: tuple[tuple[str, str], ...] = ()
        skipped: tuple[tuple[str, str], ...] = ()
        if not rotation.bound:
            left = tuple((u, rotation.unavailable[u]) for u in before if not rotation.can_serve(u))
            left = tuple(p for p in left if p[0] not in after)
            if passed is not None:
                skipped = tuple(p for p in passed if p[0] not in after)
            elif reason in IN_TURN:
                skipped = rotation.passed_over(before, after)
        change = DutyChange(
            updated,
            before,
            reason,
            actor,
            next_up_people(updated) if next_up is None else next_up,
            now,
            left=left,
            skipped=skipped,
        )
        await self._commit(rotation, updated, now, change=change)
        await self._record_duty(change)
        return change

    async def _settle(self, rotation: Rotation, now: float) -> Rotation:
        """A manual rotation as its timeline has it at `now`: who is on duty (the turn's people, or
        whoever a cover, time away or working hours put on), until when, and the next change."""
        plan = await calendar.plan(self._db, rotation, now)
        shift = timeline.at(plan, now)
        upcoming = timeline.next_change(plan, now)
        return replace(
            rotation,
            on_duty=shift.people,
            duty_why=shift.why,
            on_duty_until=shift.end if shift.end != timeline.FOREVER else None,
            next_change_at=upcoming.start if upcoming else None,
            pd_next_up=tuple(p for p in upcoming.people if p not in shift.people) if upcoming else (),
        )

    async def _drop_leavers(self, rotation: Rotation, now: float) -> Rotation:
        """Inside the caller's transaction: people who left the group the members follow leave the
        rotation once their shift is over (rotations/membership.py), recorded in its history."""
        kept, done = without_leavers(rotation)
        source = rotation.member_source
        if source is None:
            return kept
        for person in done:
            await events.record(
                self._db,
                "rotation.members",
                now,
                None,
                rotation.id,
                removed=person,
                after_shift=True,
                group=source.usergroup_id,
                handle=source.handle,
            )
        return kept

    async def _record_duty(self, change: DutyChange) -> None:
        """The duty change in the rotation's history, in the log, and (once committed) in the metrics."""
        rotation = change.rotation
        if self._metrics is not None:
            counted = self._metrics
            self._db.after_commit(lambda: counted.duty_changed(change.reason))
        await events.record(
            self._db,
            "duty.changed",
            change.at,
            change.actor,
            rotation.id,
            before=list(change.before),
            after=list(rotation.on_duty),
            reason=change.reason,
            why=rotation.duty_why,  # why they are on duty (turn, cover…): past shifts in calendar feeds
        )
        await self._tell_webhook(change)
        log.info(
            "duty changed",
            extra={
                "rotation": rotation.code,
                "reason": change.reason,
                "on_duty": ",".join(rotation.on_duty) or "nobody",
            },
        )

    async def _tell_webhook(self, change: DutyChange) -> None:
        """The event for the rotation's outgoing webhook, if it has one, in the change's transaction
        (the webhook delivery worker posts it once committed: webhooks/outgoing.py)."""
        rotation = change.rotation
        if not await webhooks.url_of(self._db, rotation.id):
            return
        people = {*change.before, *rotation.on_duty, *change.next_up}
        emails = {u: p.email for u, p in (await directory.by_ids(self._db, people)).items() if p.email}
        await webhook_outbox.enqueue(self._db, rotation.id, duty_event(change, emails), change.at)

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

    def _ring(self, effects: bool = False, hand_overs: bool = False, sync: bool = False) -> None:
        if effects or hand_overs or sync:
            self._signals.changed.ring()
        if effects:
            self._signals.effects.ring()
            self._signals.webhooks.ring()
        if hand_overs:
            self._signals.hand_overs.ring()
        if sync:
            self._signals.sync.ring()

    async def _get(self, rotation_id: int) -> Rotation:
        rotation = await store.get(self._db, rotation_id)
        if rotation is None:
            raise NotAllowed("That rotation no longer exists.")
        return rotation
