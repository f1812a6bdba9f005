"""Every move of who is on duty: by a person (rotate, set, hand over, leave), by the clock (timed
hand-overs), by PagerDuty (the sync mirrors it) and by Slack (accounts that left)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from roundrobin.rotations import calendar, timeline, webhook_actor
from roundrobin.rotations.changes import Changes, _Later
from roundrobin.rotations.errors import AlreadyChanged, NotAllowed
from roundrobin.rotations.model import DutyChange, Rotation, Unmatched, why_not
from roundrobin.rotations.schedule import Schedule
from roundrobin.rotations.status_hand_over import ASKING, Asked, StatusHandOver
from roundrobin.store import events, outbox
from roundrobin.store import rotations as store
from roundrobin.store.status import Question

log = logging.getLogger("roundrobin.rotations")

# Two people pressing Rotate on /rr within this long of each other: the second is told, not obeyed.
DOUBLE_PRESS = 10.0


class DutyService(StatusHandOver, Changes):
    async def rotate(
        self, rotation_id: int, actor: str, expected_duty_rev: int | None = None
    ) -> DutyChange | None:
        """The next people in turn go on duty (as many as the rotation has on duty at once)."""
        return await self._move_duty(rotation_id, actor, "rotated", self._next_turn, expected_duty_rev)

    async def _next_turn(
        self, rotation: Rotation, now: float
    ) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
        """Who takes the turn from now: the next in turn who are free until the next hand-over."""
        if not rotation.members:
            raise NotAllowed(f"{rotation.name} has no members to rotate to. Add members first.")
        plan = await self._status_plan(rotation, await calendar.plan(self._db, rotation, now), now)
        end = rotation.next_hand_over_at or now + 1
        current = rotation.turn_people or rotation.on_duty
        turn, passed = timeline.advance(plan, current, now, end)
        if not any(rotation.can_serve(u) for u in turn):
            raise NotAllowed(
                f"Nobody in {rotation.code} can be on duty: their Slack accounts are deactivated (or "
                "Slack keeps them out of the user group). Add people in Edit."
            )
        return turn, passed

    async def may_set_on_duty(self, rotation: Rotation, actor: str) -> None:
        """Refuse, in words, anyone who may not choose who is on duty for this rotation, and a
        rotation nobody can be chosen for (before a form is opened, and again when it is saved)."""
        if not (await self._access.actor(actor)).may_rotate(rotation):
            raise await self._access.rotate_refusal(rotation)
        _settable(rotation)

    async def set_on_duty(
        self, rotation_id: int, user_id: str, actor: str, expected_duty_rev: int | None = None
    ) -> DutyChange | None:
        async def chosen(
            rotation: Rotation, now: float
        ) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
            _settable(rotation)
            if user_id not in rotation.members:
                raise NotAllowed("Only a member of the rotation can be set on duty. Add them in Edit first.")
            if rotation.member_source and user_id in rotation.member_source.leaving:
                raise NotAllowed(
                    f"That person left @{rotation.member_source.handle}: they leave the rotation at the "
                    "next hand-over."
                )
            if not rotation.can_serve(user_id):
                raise NotAllowed(f"That person cannot be on duty: {why_not(rotation.unavailable[user_id])}.")
            if rotation.duty_size <= 1:
                return (user_id,), ()
            plan = await calendar.plan(self._db, rotation, now)
            rest, _ = timeline.advance(plan, (user_id,), now, rotation.next_hand_over_at or now + 1)
            return tuple(dict.fromkeys((user_id, *rest)))[: rotation.duty_size], ()

        return await self._move_duty(rotation_id, actor, "set", chosen, expected_duty_rev)

    async def hand_over(self, rotation_id: int, actor: str, person: str | None = None) -> DutyChange | None:
        """The person on duty is done: the next in turn takes over ("I'm done — hand over").
        `person`: who is done, when someone else says so (the rotation's webhook)."""
        rotation = await self._get(rotation_id)
        done = person or actor
        if done not in rotation.on_duty:
            raise NotAllowed(
                f"You are not on duty for {rotation.code}, so there is nothing to hand over."
                if done == actor
                else f"That person is not on duty for {rotation.code}, so there is nothing to hand over."
            )

        async def others(
            rotation: Rotation, now: float
        ) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
            return await self._hand_over_turn(rotation, done, now)

        # Handing over one's own duty is never a double press: no staleness check.
        return await self._move_duty(rotation_id, actor, "handed_over", others, check_stale=False)

    async def _hand_over_turn(
        self, rotation: Rotation, actor: str, now: float
    ) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
        """Who takes over from `actor`, who is done (and who was passed over)."""
        if actor not in rotation.on_duty:
            raise AlreadyChanged(f"You are no longer on duty for {rotation.code}.")
        plan = await self._status_plan(rotation, await calendar.plan(self._db, rotation, now), now)
        turn = rotation.turn_people or rotation.on_duty
        if len(turn) <= 1:
            following, passed = timeline.advance(plan, turn, now, rotation.next_hand_over_at or now + 1)
        else:  # several on duty: only the person done is replaced, by the next in turn who is free
            after = (actor,) if actor in turn else turn
            candidates, passed = timeline.advance(plan, after, now, rotation.next_hand_over_at or now + 1)
            stand_in = next((p for p in candidates if p not in turn), None)
            following = tuple(stand_in if p == actor else p for p in turn) if stand_in else turn
        if set(following) == set(turn) and actor in following:
            raise NotAllowed(f"Nobody else is in {rotation.code} to hand over to. Add members first.")
        return tuple(dict.fromkeys(following)), passed

    async def _turn_for(
        self, reason: str, rotation: Rotation, actor: str | None, now: float
    ) -> tuple[Rotation, tuple[str, ...], tuple[tuple[str, str], ...]]:
        """Who takes over in a hand-over of this kind: the schedule's, I'm done, or Rotate."""
        if reason == "handed_over" and actor is not None and webhook_actor.parse(actor) is None:
            return (rotation, *await self._hand_over_turn(rotation, actor, now))
        if reason == "handoff" and rotation.schedule.timed:
            plan = await self._status_plan(rotation, await calendar.plan(self._db, rotation, now), now)
            boundary = timeline.next_boundary(plan, now)
            following = boundary if boundary != timeline.FOREVER else None
            # The turn that came due began at its planned time (a skip names that time), however
            # late the app wakes: the last boundary passed; missed turns are one step on, not several.
            began = timeline.last_boundary(plan, rotation.next_hand_over_at or now, now)
            turn, passed = timeline.advance(plan, rotation.turn_people or rotation.on_duty, began, boundary)
            return replace(rotation, next_hand_over_at=following), turn, passed
        return (rotation, *await self._next_turn(rotation, now))

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
            if rotation.member_source:
                raise NotAllowed(
                    f"The members of {rotation.name} are the people in @{rotation.member_source.handle}: "
                    "leave that user group in Slack, and you leave the rotation after your shift."
                )
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
                await self._commit(rotation, updated, now)
        self._ring(effects=True)
        return updated

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
            if rotation.member_source:
                raise NotAllowed(
                    f"The members of {rotation.code} are the people in @{rotation.member_source.handle}: "
                    "take them out of that user group in Slack."
                )
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
                await self._commit(rotation, updated, now)
        self._ring(effects=True)
        return change.rotation if change else updated

    async def _move_duty(
        self,
        rotation_id: int,
        actor: str,
        reason: str,
        choose: Callable[[Rotation, float], Awaitable[tuple[tuple[str, ...], tuple[tuple[str, str], ...]]]],
        expected_duty_rev: int | None = None,
        check_stale: bool = True,
    ) -> DutyChange | None:
        """A person changes whose turn it is: `choose` picks the new people (and who was passed over)
        from the rotation as it is now, inside the transaction (and may refuse)."""
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
            if reason in ASKING:
                await self._refuse_while_asking(rotation, now)
            turn, passed = await choose(rotation, now)
            asked = await self._ask_first(rotation, turn, reason, actor, now)
            change = None
            if asked is None:
                await self._moot(rotation, now)  # Set on duty: whoever was asked is not waited on
                change = await self._change_duty(
                    rotation, turn, reason, actor, now, passed=passed, force_save=True
                )
        self._ring(effects=True, hand_overs=asked is not None)
        if asked is not None:
            raise await self._asked(rotation, asked, actor)
        return change

    async def _asked(self, rotation: Rotation, asked: Question, actor: str) -> Asked:
        """The words for whoever pressed Rotate or I'm done: the hand-over waits on someone."""
        name = await self._access.name(asked.person)
        staying = rotation.on_duty
        if staying == (actor,):
            who = "You stay"
        else:
            names = [await self._access.name(u) for u in staying]
            who = (", ".join(names) or "Nobody") + (" stay" if len(names) > 1 else " stays")
        return Asked(
            f"{name}'s Slack status says {asked.emoji}, so Round Robin asked them first whether they "
            f"take over {rotation.code}. {who} on duty until they answer, for up to {asked.minutes} "
            "minutes; if they do not, the turn passes to the next person."
        )

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
        """Every manual rotation whose timeline changes now: a timed turn that came due moves on,
        once however many it missed; a cover, time away or working hours starting or ending put
        the people the timeline has on duty."""
        now = self._clock()
        changes = []
        for due in await store.due(self._db, now):
            async with self._db.transaction():
                rotation = await store.get(self._db, due.id)
                if rotation is None or rotation.bound:
                    continue  # deleted or bound meanwhile
                change = await self._follow_timeline(rotation, now)
            if change:
                changes.append(change)
        self._ring(effects=bool(changes), hand_overs=True)
        return changes

    async def _follow_timeline(self, rotation: Rotation, now: float) -> DutyChange | None:
        asked = await self._open_question(rotation, now)
        if asked is not None and asked.expires_at <= now:  # nobody answered: the hand-over goes ahead
            return await self._finish_asked(rotation, asked, now)
        turn_due = rotation.next_hand_over_at is not None and rotation.next_hand_over_at <= now
        if turn_due and asked is not None:
            if asked.reason == "handoff":
                return await self._hold(rotation, asked, now)  # still waiting on an answer
            await self._moot(rotation, now)  # the schedule's hand-over comes first (and may ask again)
        if turn_due and rotation.schedule.timed:
            moved, turn, passed = await self._turn_for("handoff", rotation, None, now)
            if (asked := await self._ask_first(moved, turn, "handoff", None, now)) is not None:
                return await self._hold(moved, asked, now)
            return await self._change_duty(moved, turn, "handoff", None, now, force_save=True, passed=passed)
        if rotation.next_change_at is None or rotation.next_change_at > now:
            return None  # edited meanwhile
        plan = await calendar.plan(self._db, rotation, now)
        why = timeline.at(plan, now).why
        return await self._change_duty(
            rotation, rotation.on_duty, why, None, now, force_save=True, turn_moved=False
        )

    async def follow_pagerduty(
        self,
        rotation_id: int,
        schedules: str | Sequence[str],
        members: tuple[str, ...],
        on_duty: tuple[str, ...],
        until: float | None,
        unmatched: tuple[Unmatched, ...],
        status: str,
        next_up: tuple[str, ...] = (),
        next_change_at: float | None = None,
        on_call_from: tuple[tuple[str, str], ...] = (),
    ) -> DutyChange | None:
        """Mirror PagerDuty into the rotation as it is now; stores (and announces) only real changes.

        Only the mirrored fields are written: a rename or a new channel saved during the sync stays.
        `schedules`: the schedule the mirror was made from, or all of them for a rotation following
        several. `next_up` is who PagerDuty has on call after `next_change_at`, the next hand-over;
        `on_call_from` which schedule has each person on duty.
        """
        now = self._clock()
        read_from = (schedules,) if isinstance(schedules, str) else tuple(schedules)
        async with self._db.transaction():
            rotation = await store.get(self._db, rotation_id)
            if rotation is None or not rotation.bound or rotation.pd_schedule_ids != read_from:
                return None  # deleted, unbound or bound elsewhere while the sync was reading
            members = tuple(dict.fromkeys((*on_duty, *members)))
            updated = replace(
                rotation,
                members=members,
                on_duty_until=until,
                pd_unmatched=unmatched,
                pd_status=status,
                pd_next_up=tuple(next_up),
                next_change_at=next_change_at,
                pd_on_call_from=on_call_from,
            )
            change = None
            if on_duty != rotation.on_duty:
                change = await self._change_duty(updated, on_duty, "pagerduty", None, now, next_up=next_up)
            elif updated != rotation:
                # Members, links or the next hand-over moved: the cards that show them must too.
                await self._commit(rotation, replace(updated, updated_at=now), now)
            else:
                return None
            await self._warn_on_call(change.rotation if change else updated, now)  # PagerDuty vs Slack status
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
                    pd_more_schedule_ids=(),
                    pd_on_call_from=(),
                    pd_status=None,
                    pd_unmatched=(),
                    schedule=Schedule(),
                    next_hand_over_at=None,
                    on_duty_until=None,
                    pd_next_up=(),
                    next_change_at=None,
                    updated_at=now,
                    config_rev=rotation.config_rev + 1,
                )
                await self._commit(rotation, manual, now, reverted_by=actor)
                await events.record(
                    self._db,
                    "rotation.reverted_to_manual",
                    now,
                    actor,
                    rotation.id,
                    reason="pagerduty disconnected",
                )
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
                    await outbox.want_group(self._db, rotation.id, rotation.group_key, rotation.group_state)
                    replanned += 1
        if changes or replanned:
            log.info("slack accounts changed", extra={"handed_over": len(changes), "groups": replanned})
        self._ring(effects=bool(changes or replanned))
        self._signals.changed.ring()  # cards flag (or stop flagging) people who left Slack
        return changes


def _settable(rotation: Rotation) -> None:
    if rotation.bound:
        raise NotAllowed(f"{rotation.name} follows PagerDuty: change who is on call there.")
    if not rotation.members:
        raise NotAllowed(f"{rotation.name} has nobody to set on duty yet: add members in Edit first.")


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


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
