"""Slack status at hand-over, for the duty service (its base class; the rule is rotations/status.py).

A manual rotation that skips passes people over whose status counts, as it does people away (the
timeline's `unavailable`). One that asks holds the hand-over: the people on duty stay on while the
person about to take over is asked in a DM (Take it / Skip me); their answer, or the clock, lets
the hand-over go ahead from where it waited. The question is stored with the turn it waits on, so
a restart loses nothing and a duty move made meanwhile (Set on duty) makes it moot. A bound
rotation never skips: PagerDuty decides; Round Robin warns on the card and DMs the person, once
per shift.

Every step runs inside the caller's transaction (or its own) and reads only the database: the
statuses come from the cached Slack directory, with the rotation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from roundrobin.rotations.announcement import Words
from roundrobin.rotations.changes import Changes, _Later
from roundrobin.rotations.errors import NotAllowed
from roundrobin.rotations.model import DutyChange, Rotation
from roundrobin.rotations.status import (
    ASK,
    IGNORE,
    SKIP,
    UNANSWERED,
    WARN,
    SlackStatus,
    counting,
    mode_for,
    why,
)
from roundrobin.rotations.status import SKIPPED as SKIPPED_WHY
from roundrobin.rotations.timeline import Plan
from roundrobin.store import directory, outbox
from roundrobin.store import rotations as rotation_store
from roundrobin.store import status as store
from roundrobin.store.status import EXPIRED, MOOT, OPEN, SKIPPED, TAKEN, Question

# Outbox kinds: the question (with Take it and Skip me), and the warning to someone PagerDuty has on call.
STATUS_ASK = "status_ask"
STATUS_WARN = "status_warn"
# The hand-overs that wait for an answer: the schedule's, Rotate and I'm done (Set on duty is a
# person's explicit choice, and covers, time away and PagerDuty are not hand-overs in turn).
ASKING = frozenset({"handoff", "rotated", "handed_over"})
KEEP_FOR = 30 * 86400.0  # questions and warnings are kept this long after their hand-over


class Asked(NotAllowed):
    """A hand-over waits for an answer: str() says who was asked and what happens next."""

    icon = ":hourglass_flowing_sand:"


@dataclass(frozen=True)
class Answer:
    """What came of a Take it or Skip me. `outcome`: taken | skipped | late (the clock answered
    first) | moot (who is on duty changed meanwhile) | again (answered already)."""

    outcome: str
    question: Question
    rotation: Rotation | None
    change: DutyChange | None = None
    asked_next: Question | None = None  # the hand-over now waits on someone else


def turn_of(rotation: Rotation) -> tuple[str, ...]:
    return rotation.turn_people or rotation.on_duty


class StatusHandOver(Changes):
    # --- what the duty service provides -----------------------------------------------------------

    async def _turn_for(
        self, reason: str, rotation: Rotation, actor: str | None, now: float
    ) -> tuple[Rotation, tuple[str, ...], tuple[tuple[str, str], ...]]:
        """Who takes over in a hand-over of this kind (and the rotation as it moves, and who was
        passed over): the duty service's own rule."""
        raise NotImplementedError

    # --- inside a hand-over's transaction ------------------------------------------------------------

    async def _status_plan(self, rotation: Rotation, plan: Plan, now: float) -> Plan:
        """The plan with who the rotation passes over for their status at a hand-over now: everyone
        whose status counts (skip), or who said Skip me or did not answer (ask)."""
        mode = mode_for(rotation.status_signal, rotation.bound)
        if mode not in (SKIP, ASK):
            return plan
        answers = await self._answers(rotation) if mode == ASK else {}
        passed: dict[str, str] = {}
        for person in rotation.members:
            emoji = counting(rotation.status_signal.emoji, rotation.statuses.get(person), now)
            answer = answers.get(person)
            if mode == SKIP and emoji:
                passed[person] = why(emoji)
            elif answer is not None and answer.state == SKIPPED:
                passed[person] = why(answer.emoji, SKIPPED_WHY)
            elif answer is not None and answer.state == EXPIRED and emoji:
                passed[person] = why(emoji, f"{UNANSWERED}:{answer.minutes}")
        return replace(plan, status={**plan.status, **passed}) if passed else plan

    async def _ask_first(
        self, rotation: Rotation, turn: tuple[str, ...], reason: str, actor: str | None, now: float
    ) -> Question | None:
        """When the rotation asks and someone about to go on duty wears a status that counts (and
        has not said Take it already), ask them and hold the hand-over: the question, and its DM."""
        if reason not in ASKING or mode_for(rotation.status_signal, rotation.bound) != ASK:
            return None
        current = turn_of(rotation)
        answers = await self._answers(rotation)
        for person in turn:
            if person in current or (person in answers and answers[person].state == TAKEN):
                continue
            emoji = counting(rotation.status_signal.emoji, rotation.statuses.get(person), now)
            if emoji is None:
                continue
            minutes = rotation.status_signal.ask_minutes
            asked = await store.ask(
                self._db,
                Question(
                    0, rotation.id, person, emoji, reason, actor, current, OPEN, now, now + minutes * 60
                ),
            )
            body = StatusNote(asked.emoji, Words.of(rotation), question=asked).to_json()
            await outbox.enqueue(self._db, STATUS_ASK, rotation.id, person, body, now, ref=str(asked.id))
            return asked
        return None

    async def _hold(self, rotation: Rotation, asked: Question, now: float) -> DutyChange | None:
        """A timed hand-over waits for the answer: its next hand-over is when the question expires
        (the card shows the people on duty until then; the scheduler wakes for it)."""
        if asked.reason != "handoff":
            return None  # Rotate and I'm done: the question alone wakes the scheduler
        held = replace(rotation, next_hand_over_at=asked.expires_at)
        return await self._change_duty(
            held, turn_of(rotation), "handoff", None, now, force_save=True, turn_moved=False
        )

    async def _open_question(self, rotation: Rotation, now: float) -> Question | None:
        """The question the rotation's hand-over waits on; one whose turn has moved meanwhile (Set
        on duty, an edit) is closed as moot."""
        asked = await store.open_of(self._db, rotation.id)
        if asked is not None and asked.turn_from != turn_of(rotation):
            await self._close(asked, MOOT, now)
            return None
        return asked

    async def _refuse_while_asking(self, rotation: Rotation, now: float) -> None:
        """Rotate or I'm done while a hand-over waits on someone: say so, rather than ask twice."""
        asked = await self._open_question(rotation, now)
        if asked is None:
            return
        left = max(1, round((asked.expires_at - now) / 60))

        async def words() -> Exception:
            name = await self._access.name(asked.person)
            return NotAllowed(
                f"Round Robin is waiting for {name} to say whether they take over {rotation.code} "
                f"(their Slack status says {asked.emoji}), for up to {left} more minute"
                f"{'s' if left != 1 else ''}. To put someone on duty now, use Set on duty."
            )

        raise _Later(words)

    async def _moot(self, rotation: Rotation, now: float) -> None:
        """Someone chose who is on duty: a hand-over that waited on an answer no longer does."""
        asked = await store.open_of(self._db, rotation.id)
        if asked is not None:
            await self._close(asked, MOOT, now)

    async def _finish_asked(self, rotation: Rotation, asked: Question, now: float) -> DutyChange | None:
        """The hand-over that waited on `asked` goes ahead: once answered, or once its time is up
        (then it is closed as expired). It may wait on the next person in turn, if they are asked."""
        if asked.state == OPEN:
            if asked.expires_at > now:
                return None
            await self._close(asked, EXPIRED, now)
        if asked.turn_from != turn_of(rotation):
            return None  # someone moved the turn meanwhile
        try:
            moved, turn, passed = await self._turn_for(asked.reason, rotation, asked.actor, now)
        except NotAllowed:
            return None  # nobody left who can take over: the people on duty stay on
        following = await self._ask_first(moved, turn, asked.reason, asked.actor, now)
        if following is not None:
            return await self._hold(moved, following, now)
        return await self._change_duty(
            moved, turn, asked.reason, asked.actor, now, force_save=True, passed=passed
        )

    async def _answers(self, rotation: Rotation) -> dict[str, Question]:
        """Person → their answer in the hand-over in progress (given since the turn began, about
        this very turn)."""
        since = rotation.turn_since or rotation.on_duty_since or 0.0
        current = turn_of(rotation)
        return {
            q.person: q
            for q in await store.answered_since(self._db, rotation.id, since)
            if q.turn_from == current
        }

    async def _close(self, asked: Question, state: str, now: float) -> bool:
        closed = await store.close(self._db, asked.id, state, now)
        if closed:
            await outbox.forget_ref(self._db, STATUS_ASK, str(asked.id))  # not sent yet: never
        return closed

    # --- Take it / Skip me ------------------------------------------------------------------------

    async def answer_status(self, question_id: int, actor: str, take: bool) -> Answer:
        """The asked person answers. Only they may, and only while the question is open; anyone
        else's click is refused in words, and a late one is told what already happened."""
        now = self._clock()
        async with self._transaction():
            asked = await store.get(self._db, question_id)
            if asked is None or asked.person != actor:
                raise NotAllowed("That question was not for you: only the person asked can answer it.")
            rotation = await rotation_store.get(self._db, asked.rotation_id)
            if rotation is None:
                raise NotAllowed("That rotation no longer exists.")
            if asked.state != OPEN:
                result = Answer(_closed_outcome(asked), asked, rotation)
            elif now >= asked.expires_at:  # the clock answered first: let it, now
                change = await self._finish_asked(rotation, asked, now)
                result = await self._after(rotation.id, "late", asked, change)
            elif asked.turn_from != turn_of(rotation):
                await self._close(asked, MOOT, now)
                result = await self._after(rotation.id, "moot", asked)
            else:
                state = TAKEN if take else SKIPPED
                await self._close(asked, state, now)
                answered = replace(asked, state=state, closed_at=now)
                change = await self._finish_asked(rotation, answered, now)
                result = await self._after(rotation.id, state, answered, change)
        self._ring(effects=True, hand_overs=True)
        return result

    async def _after(
        self, rotation_id: int, outcome: str, asked: Question, change: DutyChange | None = None
    ) -> Answer:
        rotation = await rotation_store.get(self._db, rotation_id)
        following = await store.open_of(self._db, rotation_id)
        return Answer(
            outcome,
            await store.get(self._db, asked.id) or asked,
            rotation,
            change,
            following if following and following.id != asked.id else None,
        )

    async def status_question(self, question_id: int) -> Question | None:
        return await store.get(self._db, question_id)

    # --- PagerDuty-bound rotations: warn, never skip ---------------------------------------------------

    async def _warn_on_call(self, rotation: Rotation, now: float) -> int:
        """Inside the caller's transaction: DM each person PagerDuty has on call now or next whose
        status counts then (not expired by the shift's start), once per shift. How many were told."""
        if mode_for(rotation.status_signal, rotation.bound) != WARN:
            return 0
        shifts = [(p, rotation.on_duty_since or now) for p in rotation.on_duty]
        if rotation.next_change_at:
            shifts += [(p, rotation.next_change_at) for p in rotation.pd_next_up if p not in rotation.on_duty]
        # Read afresh: the people PagerDuty has on call may have joined the rotation just now.
        worn = await directory.statuses(self._db, {p for p, _ in shifts})
        told = 0
        for person, start in shifts:
            status = SlackStatus(*worn[person]) if person in worn else None
            emoji = counting(rotation.status_signal.emoji, status, max(now, start))
            if emoji and await store.warn_once(self._db, rotation.id, person, start, emoji, now):
                body = StatusNote(emoji, Words.of(rotation), start=start).to_json()
                await outbox.enqueue(self._db, STATUS_WARN, rotation.id, person, body, now, ref=f"{start}")
                told += 1
        return told

    async def status_changed(self, person: str) -> None:
        """Someone's Slack status changed (user_change): people PagerDuty has on call are warned if
        it says they are away, and the cards that show it follow."""
        rotations, _ = await rotation_store.page(self._db, 0, 10_000, person)
        watched = [r for r in rotations if mode_for(r.status_signal, r.bound) != IGNORE]
        if not watched:
            return
        now = self._clock()
        told = 0
        for seen in watched:
            if not seen.bound:
                continue
            async with self._db.transaction():
                rotation = await rotation_store.get(self._db, seen.id)
                if rotation is not None:
                    told += await self._warn_on_call(rotation, now)
        await store.forget_before(self._db, now - KEEP_FOR)
        self._ring(effects=bool(told))
        self._signals.changed.ring()  # the cards say who wears what


def _closed_outcome(asked: Question) -> str:
    return {TAKEN: "again", SKIPPED: "again", EXPIRED: "late"}.get(asked.state, "moot")


@dataclass(frozen=True)
class StatusNote:
    """What a status DM says: the question asked (STATUS_ASK) or the shift a warning is about
    (STATUS_WARN), the emoji that counted, and the rotation's words then."""

    emoji: str
    words: Words | None = None
    question: Question | None = None
    start: float = 0.0

    @property
    def people(self) -> set[str]:
        return set()  # named only through mentions

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"emoji": self.emoji, "start": self.start}
        if self.question is not None:
            data["question"] = {**asdict(self.question), "turn_from": list(self.question.turn_from)}
        return data if self.words is None else {**data, "rotation": self.words.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StatusNote:
        asked = data.get("question")
        question = Question(**{**asked, "turn_from": tuple(asked["turn_from"])}) if asked else None
        return cls(
            str(data.get("emoji") or ""),
            Words.from_json(data.get("rotation")),
            question,
            data.get("start") or 0.0,
        )
