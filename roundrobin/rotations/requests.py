"""Requests made with `@Round Robin CODE …`: offered to whoever is on duty, taken with ACK, passed on
with PASS, expired when nobody answers.

Every step is one transaction that re-reads the request and writes, with it, the Slack work it needs
(the thread replies and the DMs, through the outbox), so a restart loses nothing: the database is the
record, and the expiry wake-up is armed from it. The first ACK wins by compare-and-set.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from roundrobin.background import Doorbell, cancel
from roundrobin.db import Database
from roundrobin.rotations.errors import NotAllowed
from roundrobin.rotations.model import Rotation, Unmatched, next_up_people
from roundrobin.store import outbox
from roundrobin.store import requests as store
from roundrobin.store import rotations as rotation_store
from roundrobin.store.requests import ACKED, EXPIRED, OPEN, UNANSWERED, Request
from roundrobin.text import clean_text

log = logging.getLogger(__name__)

# Outbox kinds: a reply in the request's thread, and a DM offering the request with ACK and PASS.
THREAD = "request_reply"
OFFER = "request_offer"
MAX_TEXT = 3000  # what is kept of a request's text (Slack messages are far longer than anyone asks)
SUGGESTED = 10  # codes offered when the one typed does not exist
IDLE_WAKE = 300.0
SAME_ASK = 600.0  # the same message delivered again within this long opens nothing new


class RequestRefused(NotAllowed):
    """ACK or PASS does not apply: `reason` says why, `request` is the request as it is now."""

    WORDS = {
        "missing": "That request no longer exists.",
        "not_offered": "That request was not offered to you.",
        "passed": "You passed that request on.",
        ACKED: "Someone already took that request.",
        EXPIRED: "That request expired: nobody took it in time.",
        UNANSWERED: "Everyone passed that request on: nobody took it.",
    }

    def __init__(self, reason: str, request: Request | None = None):
        super().__init__(self.WORDS[reason])
        self.reason = reason
        self.request = request


@dataclass(frozen=True)
class Opened:
    """What came of a mention. `outcome`: routed | nobody | unknown_code | no_code | again (the same
    message delivered twice: already answered)."""

    outcome: str
    request: Request | None = None
    rotation: Rotation | None = None
    code: str = ""
    suggestions: tuple[str, ...] = ()  # codes that exist, for a mention without a known one


@dataclass(frozen=True)
class Passed:
    request: Request  # as it is now: still open (with someone), or unanswered
    offered: tuple[str, ...]  # who it was offered to because of this pass


# --- the rules --------------------------------------------------------------------------------------


def first_offer(rotation: Rotation, requester: str) -> tuple[str, ...]:
    """Everyone on duty (the first ACK wins); someone asking their own rotation goes to the next person."""
    if not rotation.on_duty:
        return ()
    others = tuple(u for u in rotation.on_duty if u != requester)
    return others or next_offer(rotation, requester, offered=rotation.on_duty, passed=rotation.on_duty)


def next_offer(
    rotation: Rotation | None, requester: str, offered: tuple[str, ...], passed: tuple[str, ...]
) -> tuple[str, ...]:
    """After a pass: nobody new while someone still has it; else the first of the rotation's other
    on-duty people, then who is next in turn (or next on call in PagerDuty), not yet offered."""
    if rotation is None or any(u not in passed for u in offered):
        return ()
    for candidate in (*rotation.on_duty, *next_up_people(rotation)):
        if candidate != requester and candidate not in offered:
            return (candidate,)
    return ()


def expiry_seconds(rotation: Rotation) -> float:
    """How long a request waits for an answer (the rotation's minutes; 60 when unset)."""
    return max(1.0, (rotation.request_expiry_minutes or 60) * 60.0)


# --- the service ------------------------------------------------------------------------------------


class RequestService:
    def __init__(
        self,
        db: Database,
        effects: Doorbell,
        expiry: Doorbell,
        clock: Callable[[], float] = time.time,
    ):
        self._db = db
        self._effects = effects  # the outbox has work
        self._expiry = expiry  # the earliest expiry may have moved
        self._clock = clock

    async def open(
        self,
        code: str | None,
        channel_id: str,
        thread_ts: str,
        requester: str,
        text: str,
        said: str = "",
    ) -> Opened:
        """A mention of the app with `code` (or a rotation's name: `said` is everything after the
        mention): offer it to the rotation's on-duty people, and say so."""
        named = await self._named(code, said)
        if named is not None:
            code, text = named
        if not code:
            return Opened("no_code", suggestions=await self._codes(""))
        now = self._clock()
        text = clean_text(text[:MAX_TEXT], multiline=True)
        async with self._db.transaction():
            rotation = await rotation_store.get_by_code(self._db, code)  # as it is now: who is on duty
            if rotation is None:
                return Opened("unknown_code", code=code.upper(), suggestions=await self._codes(code))
            offered = first_offer(rotation, requester)
            if await store.same_ask(self._db, channel_id, thread_ts, requester, text, now - SAME_ASK):
                return Opened("again", rotation=rotation, code=rotation.code)
            request = await store.insert(
                self._db,
                Request(
                    id=0,
                    rotation_id=rotation.id,
                    code=rotation.code,
                    channel_id=channel_id,
                    thread_ts=thread_ts,
                    requester=requester,
                    text=text,
                    state=OPEN if offered else UNANSWERED,
                    offered_to=offered,
                    created_at=now,
                    expires_at=now + expiry_seconds(rotation),
                    closed_at=None if offered else now,
                ),
            )
            await self._reply(
                ThreadNote("routed" if offered else "nobody", request, unmatched=_unmatched(rotation)), now
            )
            for user_id in offered:
                await self._offer(request, user_id, None, now)
        log.info(
            "request opened",
            extra={"rotation": rotation.code, "request": request.id, "offered": len(offered)},
        )
        self._effects.ring()
        self._expiry.ring()
        return Opened("routed" if offered else "nobody", request, rotation, rotation.code)

    async def ack(self, request_id: int, actor: str) -> Request:
        """`actor` takes the request: only one of the people it is offered to, and only the first."""
        now = self._clock()
        async with self._db.transaction():
            request = await self._answerable(request_id, actor, now)
            if not await store.take(self._db, request.id, actor, now):
                raise RequestRefused(ACKED, await store.get(self._db, request_id))
            taken = await store.reread(self._db, request.id)
            await self._reply(ThreadNote("acked", taken, by=actor), now)
            await outbox.forget_ref(self._db, OFFER, str(request.id))
        log.info("request taken", extra={"request": request.id})
        self._effects.ring()
        return taken

    async def pass_on(self, request_id: int, actor: str) -> Passed:
        """`actor` passes: it goes to the next person, or the requester hears nobody can take it."""
        now = self._clock()
        async with self._db.transaction():
            request = await self._answerable(request_id, actor, now)
            rotation = (
                await rotation_store.get(self._db, request.rotation_id) if request.rotation_id else None
            )
            passed_by = (*request.passed_by, actor)
            offered = next_offer(rotation, request.requester, request.offered_to, passed_by)
            await store.passed(self._db, request.id, passed_by, (*request.offered_to, *offered))
            after = await store.reread(self._db, request.id)
            if after.holders:
                await self._reply(ThreadNote("passed", after, by=actor, offered=tuple(offered)), now)
                for user_id in offered:
                    await self._offer(after, user_id, actor, now)
            else:
                await store.close(self._db, request.id, UNANSWERED, now)
                after = await store.reread(self._db, request.id)
                await self._reply(ThreadNote(UNANSWERED, after, by=actor), now)
        log.info("request passed", extra={"request": request.id, "offered": len(offered)})
        self._effects.ring()
        return Passed(after, offered)

    async def expire_due(self) -> list[Request]:
        """Close every open request whose time is up, saying so in its thread."""
        now = self._clock()
        closed = []
        for due in await store.expired(self._db, now):
            async with self._db.transaction():
                if not await store.close(self._db, due.id, EXPIRED, now):
                    continue  # taken or passed meanwhile
                request = await store.reread(self._db, due.id)
                await self._reply(ThreadNote(EXPIRED, request), now)
                await outbox.forget_ref(self._db, OFFER, str(request.id))
            closed.append(request)
        if closed:
            log.info("requests expired", extra={"requests": len(closed)})
            self._effects.ring()
        return closed

    async def next_expiry(self) -> float | None:
        return await store.next_expiry(self._db)

    async def opened_since(self, timeout: float) -> bool:
        """Wait until a request opens (True) or `timeout` seconds pass (False)."""
        return await self._expiry.wait(timeout)

    async def get(self, request_id: int) -> Request | None:
        return await store.get(self._db, request_id)

    # --- inside a transaction -------------------------------------------------------------------

    async def _answerable(self, request_id: int, actor: str, now: float) -> Request:
        request = await store.get(self._db, request_id)
        if request is None:
            raise RequestRefused("missing")
        if actor not in request.offered_to:
            raise RequestRefused("not_offered", request)
        if request.state != OPEN:
            raise RequestRefused(request.state, request)
        if now >= request.expires_at:
            # Its time is up though the expiry worker has not closed it yet: it will, and say so.
            raise RequestRefused(EXPIRED, replace(request, state=EXPIRED, closed_at=request.expires_at))
        if actor in request.passed_by:
            raise RequestRefused("passed", request)
        return request

    async def _reply(self, note: ThreadNote, now: float) -> None:
        """A reply in the request's thread (none once its rotation is deleted: nothing to render it)."""
        request = note.request
        if request.rotation_id is None:
            return
        ref = f"{request.id}:{note.event}:{len(request.passed_by)}"
        await outbox.enqueue(
            self._db, THREAD, request.rotation_id, request.channel_id, note.to_json(), now, ref=ref
        )

    async def _offer(self, request: Request, user_id: str, passed_by: str | None, now: float) -> None:
        if request.rotation_id is None:
            return
        body = Offer(request, passed_by).to_json()
        await outbox.enqueue(self._db, OFFER, request.rotation_id, user_id, body, now, ref=str(request.id))

    async def _named(self, code: str | None, said: str) -> tuple[str, str] | None:
        """(code, the rest) when a mention names a rotation rather than giving its code ("@Round Robin
        Primary on-call the deploy is stuck"); None when the code is one, or nothing is named."""
        if code and await rotation_store.get_by_code(self._db, code) is not None:
            return None
        rotation = await rotation_store.named_at_start(self._db, said.strip()) if said.strip() else None
        if rotation is None:
            return None
        rest = said.strip()[len(rotation.name) :]
        if rest and rest[0].isalnum():
            return None  # "Platformers" does not name "Platform"
        return rotation.code, rest.lstrip(" :,.-–—").strip()

    async def _codes(self, typed: str) -> tuple[str, ...]:
        similar = await rotation_store.search(self._db, typed, limit=3) if typed else []
        if not similar:
            rotations, _ = await rotation_store.page(self._db, 0, SUGGESTED)
            return tuple(r.code for r in rotations)
        return tuple(code for _, _, code in similar)


def _unmatched(rotation: Rotation) -> tuple[Unmatched, ...]:
    return tuple(Unmatched(None, p.name, p.email, why=p.why) for p in rotation.unmatched_on_call)


@dataclass(frozen=True)
class ThreadNote:
    """A reply in a request's thread: what happened (`event`: routed, nobody, acked, passed,
    unanswered, expired) to the request as it was then, by whom, and whom it was offered to next.
    Kept in the outbox as JSON and rendered when it is sent."""

    event: str
    request: Request
    by: str | None = None
    offered: tuple[str, ...] = ()  # "passed": whom it went to instead
    unmatched: tuple[Unmatched, ...] = ()  # "routed" and "nobody": on call in PagerDuty, not in Slack
    words: None = None  # worded from the rotation as it is when it goes out

    @property
    def people(self) -> set[str]:
        return set()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"event": self.event, "request": self.request.to_json()}
        if self.by is not None:
            data["by"] = self.by
        if self.event == "passed":
            data["offered"] = list(self.offered)
        if self.event in ("routed", "nobody"):
            data["unmatched"] = [p.named() for p in self.unmatched]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ThreadNote:
        return cls(
            event=data["event"],
            request=Request.from_json(data["request"]),
            by=data.get("by"),
            offered=tuple(data.get("offered") or ()),
            unmatched=tuple(Unmatched.from_json(p) for p in data.get("unmatched") or ()),
        )


@dataclass(frozen=True)
class Offer:
    """The DM that offers a request to one person (with ACK and PASS); `passed_by`: who passed it on."""

    request: Request
    passed_by: str | None = None
    words: None = None

    @property
    def people(self) -> set[str]:
        return set()

    def to_json(self) -> dict[str, Any]:
        # "with": who held it when it was offered (kept as stored; the DM reads the request itself).
        return {
            "request": self.request.to_json(),
            "passed_by": self.passed_by,
            "with": list(self.request.holders),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Offer:
        return cls(Request.from_json(data["request"]), data.get("passed_by"))


class Expiring(Protocol):
    """Requests that expire: mentions asking the people on duty, and cover and swap requests."""

    async def expire_due(self) -> Sequence[object]: ...
    async def next_expiry(self) -> float | None: ...
    async def opened_since(self, timeout: float) -> bool: ...


class RequestExpiry:
    """Wakes at the earliest expiry in the database (and whenever a request opens) and closes what is
    due; its first pass, at start-up, closes what came due while the app was down."""

    def __init__(
        self,
        service: Expiring,
        clock: Callable[[], float] = time.time,
        idle: float = IDLE_WAKE,
        name: str = "request-expiry",
    ):
        self._name = name
        self._service = service
        self._clock = clock
        self._idle = idle
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._step()  # catch up once before anything else happens
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def close(self) -> None:
        await cancel(self._task)

    async def _run(self) -> None:
        while True:
            await self._service.opened_since(await self._step())

    async def _step(self) -> float:
        """Expire what is due; seconds until the next expiry (or an idle wake-up)."""
        try:
            await self._service.expire_due()
            upcoming = await self._service.next_expiry()
        except Exception:  # noqa: BLE001 - a database hiccup must not end expiry for good
            log.exception("request expiry failed")
            return 5.0
        if upcoming is None:
            return self._idle
        return min(self._idle, max(0.05, upcoming - self._clock()))
