"""What people change on a rotation's timeline: covers (asked for, or assigned by a manager), swaps
and skips; and cover and swap requests, offered, taken, declined or expired.

Each change is an override stored with who made it (rotations/timeline.py applies them); the rotation
is settled in the same transaction, so a cover that starts now puts its person on duty at once, and
one that starts later is the scheduler's next wake-up. Every message goes through the outbox.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from roundrobin.background import Doorbell
from roundrobin.rotations import calendar, timeline
from roundrobin.rotations.announcement import Words
from roundrobin.rotations.changes import Changes, _Later
from roundrobin.rotations.errors import AlreadyChanged, NotAllowed
from roundrobin.rotations.load import least_loaded
from roundrobin.rotations.load_report import LoadReports
from roundrobin.rotations.model import DutyChange, Rotation
from roundrobin.rotations.timeline import Override, Shift
from roundrobin.store import outbox
from roundrobin.store import overrides as override_store
from roundrobin.store import shift_requests as store
from roundrobin.store.shift_requests import CANCELLED, DECLINED, EXPIRED, OPEN, TAKEN, ShiftRequest
from roundrobin.text import clean_text

log = logging.getLogger(__name__)

# Outbox kinds.
COVER_OFFER = "cover_offer"  # a DM to a member: someone asks for cover, with "I'll cover"
COVER_POST = "cover_post"  # the same in the rotation's channels
SHIFT_NEWS = "shift_news"  # a DM saying how a request ended, or what a manager did
OFFER_CLOSED = "shift_offer_closed"  # an offer (DM or channel post) edited once its request closed
SWAP_OFFER = "swap_offer"  # a DM to whoever a swap is asked of, with Accept and Decline

MAX_AHEAD = 90 * 86400.0  # covers, swaps and skips within the next 90 days
MIN_REQUEST = 15 * 60.0  # a request for cover "from now" stays open this long at least
MAX_NOTE = 300


@dataclass(frozen=True)
class ShiftNote:
    """What an offer, a post or a piece of news about a cover or swap request says: the request as
    it was then, the rotation's words, and who arranged it (a manager assigning cover)."""

    request: ShiftRequest
    words: Words | None = None
    by: str | None = None

    @property
    def people(self) -> set[str]:
        return set()  # named only through mentions

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"request": self.request.to_json(), "by": self.by}
        return data if self.words is None else {**data, "rotation": self.words.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ShiftNote:
        return cls(
            ShiftRequest.from_json(data["request"]), Words.from_json(data.get("rotation")), data.get("by")
        )


@dataclass(frozen=True)
class Taken:
    request: ShiftRequest
    change: DutyChange | None  # the cover started at once


class ShiftService(Changes):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._opened = Doorbell()  # a request opened: the earliest expiry may have moved
        self._load = LoadReports(self._db, self._clock)

    # --- reading ---------------------------------------------------------------------------------

    async def shifts(self, rotation: Rotation, start: float, end: float) -> list[Shift]:
        """The rotation's shifts in [start, end), as its timeline has them."""
        plan = await calendar.plan(self._db, rotation, self._clock())
        return timeline.shifts(plan, start, end)

    async def shift_at(self, rotation: Rotation, t: float) -> Shift:
        """The whole shift at instant t (from its own start to its own end)."""
        return timeline.at(await calendar.plan(self._db, rotation, self._clock()), max(t, self._clock()))

    async def shifts_of(self, rotation: Rotation, person: str, days: int = 30) -> list[Shift]:
        """A person's own shifts from now: the ones they may ask cover for, or offer in a swap."""
        now = self._clock()
        return [s for s in await self.shifts(rotation, now, now + days * 86400) if person in s.turn]

    async def hours_on_duty(self, rotation: Rotation) -> dict[str, float]:
        """Hours each person was on duty for the rotation over the last 30 days: covers are offered
        to (and the Cover form lists) the least-loaded members first."""
        return await self._load.hours(rotation)

    async def open_requests(self, rotation_id: int) -> list[ShiftRequest]:
        return await store.open_of(self._db, rotation_id)

    async def request(self, request_id: int) -> ShiftRequest | None:
        return await store.get(self._db, request_id)

    async def next_expiry(self) -> float | None:
        return await store.next_expiry(self._db)

    async def opened_since(self, timeout: float) -> bool:
        """Wait until a request opens (True) or `timeout` seconds pass (False)."""
        return await self._opened.wait(timeout)

    # --- covers ----------------------------------------------------------------------------------

    async def request_cover(
        self, rotation_id: int, actor: str, start: float, end: float, note: str = ""
    ) -> ShiftRequest:
        """`actor` asks the rotation's other members to cover [start, end) of their duty."""
        return await self._request_cover(rotation_id, actor, actor, start, end, note)

    async def request_cover_for(
        self, rotation_id: int, actor: str, person: str, start: float, end: float, note: str = ""
    ) -> ShiftRequest:
        """Whoever may edit the rotation asks its members to cover `person`."""
        return await self._request_cover(rotation_id, actor, person, start, end, note)

    async def _request_cover(
        self, rotation_id: int, actor: str, person: str, start: float, end: float, note: str
    ) -> ShiftRequest:
        who = await self._access.actor(actor) if person != actor else None
        now = self._clock()
        async with self._transaction():
            rotation = await self._manual(rotation_id)
            if who is not None and not who.may_edit(rotation):
                raise _Later(lambda: self._access.edit_refusal(rotation))
            if person not in rotation.members:
                raise NotAllowed(
                    f"You are not in {rotation.code}: only its members ask for cover."
                    if person == actor
                    else f"That person is not in {rotation.code}."
                )
            start, end = await self._own_stretch(rotation, person, start, end, now)
            plan = await calendar.plan(self._db, rotation, now)
            free = [
                p
                for p in rotation.members
                if p != person and rotation.can_serve(p) and not timeline.unavailable(plan, p, start, end)
            ]
            offered = tuple(least_loaded(free, await self._load.hours(rotation)))
            if not offered:
                raise NotAllowed(f"Nobody else in {rotation.code} is free then to cover you.")
            expires = (
                start
                if start > now + MIN_REQUEST
                else now + max(MIN_REQUEST, rotation.request_expiry_minutes * 60)
            )
            request = await store.insert(
                self._db,
                ShiftRequest(
                    0,
                    rotation.id,
                    "cover",
                    person,
                    start,
                    end,
                    OPEN,
                    offered,
                    note=_note(note),
                    created_at=now,
                    expires_at=min(expires, end),
                ),
            )
            body = self._body(rotation, request)
            for member in offered:
                await outbox.enqueue(
                    self._db, COVER_OFFER, rotation.id, member, body, now, ref=str(request.id)
                )
            for channel in rotation.channels:
                await outbox.enqueue(
                    self._db, COVER_POST, rotation.id, channel, body, now, ref=str(request.id)
                )
        log.info("cover asked", extra={"rotation": rotation.code, "offered": len(offered)})
        self._opened.ring()
        self._ring(effects=True)
        return request

    async def take_cover(self, request_id: int, actor: str) -> Taken:
        """`actor` covers: the first to take an open request gets it."""
        now = self._clock()
        async with self._transaction():
            request = await self._open(request_id, "cover", actor, now)
            if not await store.close(self._db, request.id, TAKEN, now, taken_by=actor):
                raise AlreadyChanged(_closed_words(await store.get(self._db, request.id)))
            rotation = await self._get(request.rotation_id)
            cover = Override(0, "cover", request.requester, request.start, request.end, actor, now)
            await override_store.add(self._db, rotation.id, cover, actor, ref=f"request:{request.id}")
            taken = replace(request, state=TAKEN, taken_by=actor, closed_at=now)
            await self._tell(rotation, taken, (request.requester,), now)
            await self._close_offers(rotation, taken, now)
            change = await self._settle_now(rotation, "cover", actor, now)
        self._ring(effects=True, hand_overs=True)
        return Taken(taken, change)

    async def assign_cover(
        self, rotation_id: int, actor: str, person_out: str, person_in: str, start: float, end: float
    ) -> DutyChange | None:
        """A manager (or whoever may edit the rotation) puts `person_in` on instead of `person_out`."""
        who = await self._access.actor(actor)
        now = self._clock()
        async with self._transaction():
            rotation = await self._manual(rotation_id)
            if not who.may_edit(rotation):
                raise _Later(lambda: self._access.edit_refusal(rotation))
            _check_span(start, end, now)
            for person in (person_out, person_in):
                if person not in rotation.members:
                    raise NotAllowed("Both people must be members of the rotation: add them in Edit first.")
            if person_out == person_in:
                raise NotAllowed("Choose someone else to cover: a person cannot cover themselves.")
            if not rotation.can_serve(person_in):
                raise NotAllowed("That person cannot be on duty: their Slack account cannot be.")
            cover = Override(0, "cover", person_out, start, end, person_in, now)
            await override_store.add(self._db, rotation.id, cover, actor, ref="assigned")
            news = ShiftRequest(
                0,
                rotation.id,
                "cover",
                person_out,
                start,
                end,
                TAKEN,
                taken_by=person_in,
                created_at=now,
                closed_at=now,
            )
            await self._tell(rotation, news, (person_out, person_in), now, by=actor)
            change = await self._settle_now(rotation, "cover", actor, now)
        self._ring(effects=True, hand_overs=True)
        return change

    async def cancel_request(self, request_id: int, actor: str) -> ShiftRequest:
        now = self._clock()
        async with self._transaction():
            request = await store.get(self._db, request_id)
            if request is None or request.requester != actor:
                raise NotAllowed("Only the person who asked can take the request back.")
            if not await store.close(self._db, request.id, CANCELLED, now):
                raise AlreadyChanged(_closed_words(request))
            rotation = await self._get(request.rotation_id)
            await self._close_offers(rotation, replace(request, state=CANCELLED, closed_at=now), now)
        self._ring(effects=True)
        return replace(request, state=CANCELLED, closed_at=now)

    async def expire_due(self) -> list[ShiftRequest]:
        """Close every open request whose time is up, telling whoever asked."""
        now = self._clock()
        closed = []
        for due in await store.expired(self._db, now):
            async with self._db.transaction():
                if not await store.close(self._db, due.id, EXPIRED, now):
                    continue
                rotation = await self._get(due.rotation_id)
                expired = replace(due, state=EXPIRED, closed_at=now)
                await self._tell(rotation, expired, (due.requester,), now)
                await self._close_offers(rotation, expired, now)
            closed.append(due)
        if closed:
            self._ring(effects=True)
        return closed

    # --- swaps -----------------------------------------------------------------------------------

    async def offer_swap(
        self, rotation_id: int, actor: str, start: float, target: str, target_start: float
    ) -> ShiftRequest:
        """`actor` offers their shift starting at `start` for `target`'s starting at `target_start`."""
        now = self._clock()
        async with self._transaction():
            rotation = await self._manual(rotation_id)
            if target == actor:
                raise NotAllowed("Choose someone else's shift: a swap with yourself changes nothing.")
            if target not in rotation.members or actor not in rotation.members:
                raise NotAllowed(f"Swaps are between members of {rotation.code}.")
            mine = await self._shift_starting(rotation, actor, start, now)
            theirs = await self._shift_starting(rotation, target, target_start, now)
            request = await store.insert(
                self._db,
                ShiftRequest(
                    0,
                    rotation.id,
                    "swap",
                    actor,
                    mine.start,
                    mine.end,
                    OPEN,
                    (target,),
                    target=target,
                    target_start=theirs.start,
                    target_end=theirs.end,
                    created_at=now,
                    expires_at=min(mine.start, theirs.start),
                ),
            )
            await outbox.enqueue(
                self._db,
                SWAP_OFFER,
                rotation.id,
                target,
                self._body(rotation, request),
                now,
                ref=str(request.id),
            )
        self._opened.ring()
        self._ring(effects=True)
        return request

    async def answer_swap(self, request_id: int, actor: str, accept: bool) -> Taken:
        now = self._clock()
        async with self._transaction():
            request = await self._open(request_id, "swap", actor, now)
            state = TAKEN if accept else DECLINED
            if not await store.close(self._db, request.id, state, now, taken_by=actor if accept else None):
                raise AlreadyChanged(_closed_words(await store.get(self._db, request.id)))
            rotation = await self._get(request.rotation_id)
            answered = replace(request, state=state, taken_by=actor if accept else None, closed_at=now)
            change = None
            if accept:
                assert request.target_start is not None and request.target_end is not None
                ref = f"swap:{request.id}"
                mine = Override(
                    0, "cover", request.requester, request.start, request.end, actor, now, why="swap"
                )
                theirs = Override(
                    0,
                    "cover",
                    actor,
                    request.target_start,
                    request.target_end,
                    request.requester,
                    now,
                    why="swap",
                )
                await override_store.add(self._db, rotation.id, mine, actor, ref=ref)
                await override_store.add(self._db, rotation.id, theirs, actor, ref=ref)
                change = await self._settle_now(rotation, "swap", actor, now)
            await self._tell(rotation, answered, (request.requester,), now)
            # Only its answerer had the offer, and their click replaced it: nothing more to edit.
            await self._close_offers(rotation, answered, now, edit=False)
        self._ring(effects=True, hand_overs=accept)
        return Taken(answered, change)

    # --- skips -----------------------------------------------------------------------------------

    async def skip(self, rotation_id: int, actor: str, person: str, turn_start: float) -> DutyChange | None:
        """Pass `person` over for their turn starting at `turn_start` (the order moves on). Their own,
        or anyone's for whoever may edit the rotation."""
        who = await self._access.actor(actor)
        now = self._clock()
        async with self._transaction():
            rotation = await self._manual(rotation_id)
            if person != actor and not who.may_edit(rotation):
                raise _Later(lambda: self._access.edit_refusal(rotation))
            if turn_start <= now:
                raise NotAllowed("That turn has started: to hand it over now, use I'm done or Rotate.")
            plan = await calendar.plan(self._db, rotation, now)
            turns = [s for s in timeline.shifts(plan, now, turn_start + 1) if abs(s.start - turn_start) < 1]
            if not turns or person not in turns[0].turn:
                raise AlreadyChanged(
                    "That turn is not theirs any more: open Details again to see the shifts."
                )
            skip = Override(0, "skip", person, turn_start, turn_start, None, now, note="skipped")
            await override_store.add(self._db, rotation.id, skip, actor, ref="skip")
            change = await self._settle_now(rotation, "skip", actor, now)
        self._ring(effects=True, hand_overs=True)
        return change

    # --- inside a transaction --------------------------------------------------------------------

    async def _settle_now(self, rotation: Rotation, why: str, actor: str, now: float) -> DutyChange | None:
        """The timeline changed: whoever it has on duty now goes on, and the next change is planned."""
        return await self._change_duty(
            rotation,
            rotation.turn_people or rotation.on_duty,
            why,
            actor,
            now,
            force_save=True,
            turn_moved=False,
        )

    async def _manual(self, rotation_id: int) -> Rotation:
        rotation = await self._get(rotation_id)
        if rotation.bound:
            raise NotAllowed(
                f"{rotation.name} follows PagerDuty: covers and swaps are made there (Schedules › your "
                "schedule › Schedule an override), and Round Robin follows them at its next look."
            )
        return rotation

    async def _own_stretch(
        self, rotation: Rotation, person: str, start: float, end: float, now: float
    ) -> tuple[float, float]:
        """[start, end) clipped to now and checked: the person must be on duty (by turn) in it."""
        _check_span(start, end, now)
        start = max(start, now)
        plan = await calendar.plan(self._db, rotation, now)
        if not any(person in s.turn for s in timeline.shifts(plan, start, end)):
            raise NotAllowed("You are not on duty then: choose one of your own shifts.")
        return start, end

    async def _shift_starting(self, rotation: Rotation, person: str, start: float, now: float) -> Shift:
        if now <= start <= now + MAX_AHEAD:
            shift = timeline.at(await calendar.plan(self._db, rotation, now), start)
            if abs(shift.start - start) < 1 and person in shift.turn:
                return shift
        raise AlreadyChanged("That shift is not theirs any more: open Details again to see the shifts.")

    async def _open(self, request_id: int, kind: str, actor: str, now: float) -> ShiftRequest:
        request = await store.get(self._db, request_id)
        if request is None or request.kind != kind:
            raise NotAllowed("That request no longer exists.")
        if actor not in request.offered_to:
            raise NotAllowed("That request was not offered to you.")
        if request.state != OPEN:
            raise AlreadyChanged(_closed_words(request))
        if now >= request.expires_at:
            raise AlreadyChanged("That request has expired: nobody took it in time.")
        return request

    async def _close_offers(
        self, rotation: Rotation, request: ShiftRequest, now: float, edit: bool = True
    ) -> None:
        """Inside the caller's transaction: offers not sent yet never go; the ones sent (DMs and
        channel posts, the taker's too, wherever they pressed) are edited to say how it ended."""
        ref = str(request.id)
        for kind in (COVER_OFFER, COVER_POST, SWAP_OFFER):
            await outbox.forget_ref(self._db, kind, ref)
        if not edit:
            return
        offered = (request.target,) if request.kind == "swap" else (*request.offered_to, *rotation.channels)
        body = ShiftNote(request, Words.of(rotation)).to_json()
        for target in dict.fromkeys(t for t in offered if t):
            await outbox.enqueue(self._db, OFFER_CLOSED, rotation.id, target, body, now, ref=ref)

    async def _tell(
        self,
        rotation: Rotation,
        request: ShiftRequest,
        people: tuple[str, ...],
        now: float,
        skip: str | None = None,
        by: str | None = None,
    ) -> None:
        body = ShiftNote(request, Words.of(rotation), by).to_json()
        for person in dict.fromkeys(people):
            if person != skip:
                await outbox.enqueue(
                    self._db,
                    SHIFT_NEWS,
                    rotation.id,
                    person,
                    body,
                    now,
                    ref=f"{request.id}:{request.state}:{person}:{now}",
                )

    def _body(self, rotation: Rotation, request: ShiftRequest) -> dict[str, Any]:
        return ShiftNote(request, Words.of(rotation)).to_json()


def _check_span(start: float, end: float, now: float) -> None:
    if end <= start:
        raise NotAllowed("The end must come after the start.")
    if end <= now:
        raise NotAllowed("That time is in the past: choose a time from now on.")
    if start > now + MAX_AHEAD:
        raise NotAllowed("Choose a time within the next 90 days.")


def _note(text: str) -> str:
    return clean_text(text, multiline=True)[:MAX_NOTE]


def _closed_words(request: ShiftRequest | None) -> str:
    if request is None:
        return "That request no longer exists."
    return {
        TAKEN: "Someone already took that request.",
        DECLINED: "That swap was declined.",
        EXPIRED: "That request has expired: nobody took it in time.",
        CANCELLED: "That request was taken back.",
    }.get(request.state, "That request is closed.")
