"""A signed call into a rotation: `POST /api/webhooks/rotations/{CODE}` with a JSON action.

Checked in this order, each refusal a JSON answer that changes nothing: the rotation takes webhooks
(404), the request is signed with its secret (or the previous one, during its grace) within five
minutes (401), the rotation has calls left this minute (429), the signature was not seen before
(401: a replay), the body says what to do (400). Then it is a duty change like any other, made by
the rotation's services as "webhook (name)" (403 when the rotation refuses it, 409 when it moved
meanwhile)."""

from __future__ import annotations

import json
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from roundrobin.access import PermissionDenied, acting_as_webhook
from roundrobin.db import Database
from roundrobin.rotations.draft import CODE_PATTERN
from roundrobin.rotations.duty import DutyService
from roundrobin.rotations.errors import AlreadyChanged, NotAllowed
from roundrobin.rotations.model import DutyChange, Rotation
from roundrobin.rotations.shifts import ShiftService
from roundrobin.rotations.status_hand_over import Asked
from roundrobin.rotations.webhook_actor import webhook_actor
from roundrobin.slack_ids import is_id
from roundrobin.store import directory, webhooks
from roundrobin.store import rotations as rotation_store
from roundrobin.vault import Vault
from roundrobin.webhooks import signing

log = logging.getLogger(__name__)

MAX_BODY = 8192
CALLS_PER_MINUTE = 30  # signed calls a rotation takes in any 60 seconds
REFUSALS_PER_MINUTE = 60  # refused (badly signed) calls before the rotation answers 429 to everyone
ACTIONS = ("rotate", "set_on_duty", "hand_over", "cover")


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class _Refused(Exception):
    def __init__(self, status: int, error: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.answer = Answer(status, {"ok": False, "error": error, "message": message}, headers or {})


class _Window:
    """At most `calls` in any `per` seconds, for each key (in memory: a restart forgives)."""

    def __init__(self, calls: int, per: float = 60.0):
        self._calls, self._per = calls, per
        self._seen: dict[object, deque[float]] = {}

    def wait(self, key: object, now: float) -> float:
        """0 when a call may go now (and it is counted); else seconds until one may."""
        seen = self._seen.setdefault(key, deque())
        while seen and seen[0] <= now - self._per:
            seen.popleft()
        if len(seen) >= self._calls:
            return seen[0] + self._per - now
        seen.append(now)
        return 0.0


class IncomingWebhooks:
    def __init__(
        self,
        db: Database,
        vault: Vault,
        duty: DutyService,
        shifts: ShiftService,
        clock: Callable[[], float] = time.time,
        calls_per_minute: int = CALLS_PER_MINUTE,
    ):
        self._db = db
        self._vault = vault
        self._duty = duty
        self._shifts = shifts
        self._clock = clock
        self._calls = _Window(calls_per_minute)
        self._refusals = _Window(REFUSALS_PER_MINUTE)

    async def handle(self, code: str, headers: Mapping[str, str], body: bytes) -> Answer:
        try:
            return await self._handle(code, headers, body)
        except _Refused as refused:
            log.info(
                "webhook call refused",
                extra={
                    "rotation": code[:20],
                    "status": refused.answer.status,
                    "error": refused.answer.body["error"],
                },
            )
            return refused.answer

    async def _handle(self, code: str, headers: Mapping[str, str], body: bytes) -> Answer:
        rotation, hook = await self._rotation(code)
        now = self._clock()
        try:
            timestamp, signature = signing.signed_parts(headers, now)
            if not signing.matches(self._secrets(hook, now), timestamp, body, signature):
                raise signing.Unsigned("The signature does not match this rotation's webhook secret.")
        except signing.Unsigned as unsigned:
            self._limit(self._refusals, rotation.id, now)
            raise _Refused(401, "unauthorized", str(unsigned)) from None
        self._limit(self._calls, rotation.id, now)
        async with self._db.transaction():
            first = await webhooks.first_seen(
                self._db, rotation.id, signature, timestamp + signing.WINDOW, now
            )
        if not first:
            raise _Refused(401, "replayed", "This request was received before: sign each request afresh.")
        request = _parse(body)
        actor = webhook_actor(rotation.id, hook.name)
        with acting_as_webhook(actor):
            try:
                change = await self._act(rotation, request, actor)
            except Asked as asked:
                return Answer(202, {"ok": True, "changed": False, "message": str(asked)})
            except AlreadyChanged as e:
                raise _Refused(409, "conflict", str(e)) from None
            except (NotAllowed, PermissionDenied) as e:
                raise _Refused(403, "not_allowed", str(e)) from None
        log.info(
            "webhook call",
            extra={"rotation": rotation.code, "action": request["action"], "changed": bool(change)},
        )
        return await self._done(rotation.id, change)

    async def _rotation(self, code: str) -> tuple[Rotation, webhooks.Webhook]:
        wanted = code.strip().upper()
        rotation = (
            await rotation_store.get_by_code(self._db, wanted)
            if len(wanted) <= 20 and CODE_PATTERN.fullmatch(wanted)
            else None
        )
        hook = await webhooks.get(self._db, rotation.id) if rotation else None
        if rotation is None or hook is None or hook.secret_enc is None:
            raise _Refused(
                404,
                "not_found",
                "No rotation with that code takes webhooks (a manager turns them on in its Details › Webhooks).",
            )
        return rotation, hook

    def _secrets(self, hook: webhooks.Webhook, now: float) -> list[str]:
        found = [self._vault.decrypt(hook.secret_enc)] if hook.secret_enc else []
        if hook.old_secret_enc and hook.old_until is not None and now < hook.old_until:
            found.append(self._vault.decrypt(hook.old_secret_enc))
        return found

    @staticmethod
    def _limit(window: _Window, rotation_id: int, now: float) -> None:
        wait = window.wait(rotation_id, now)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise _Refused(
                429,
                "rate_limited",
                f"Too many calls for this rotation: try again in {seconds} seconds.",
                {"Retry-After": str(seconds)},
            )

    async def _act(self, rotation: Rotation, request: dict[str, Any], actor: str) -> DutyChange | None:
        action = request["action"]
        if action == "rotate":
            return await self._duty.rotate(rotation.id, actor)
        if action == "set_on_duty":
            return await self._duty.set_on_duty(rotation.id, await self._someone(request), actor)
        if action == "hand_over":
            person = await self._person(request, "", required=False)
            if person is None:
                if len(rotation.on_duty) != 1:
                    raise _Refused(
                        400, "bad_request", "Several people are on duty: say who is done with user or email."
                    )
                person = rotation.on_duty[0]
            return await self._duty.hand_over(rotation.id, actor, person)
        start, end = _time(request, "from"), _time(request, "to")
        person_in = await self._someone(request)
        person_out = await self._person(request, "instead_of_", required=False)
        if person_out is None:
            turn = (await self._shifts.shift_at(rotation, start)).turn
            if len(turn) != 1:
                raise _Refused(
                    400, "bad_request", "Say whom they cover with instead_of_user or instead_of_email."
                )
            person_out = turn[0]
        return await self._shifts.assign_cover(rotation.id, actor, person_out, person_in, start, end)

    async def _someone(self, request: dict[str, Any]) -> str:
        person = await self._person(request, "")
        assert person is not None, "required"
        return person

    async def _person(self, request: dict[str, Any], prefix: str, required: bool = True) -> str | None:
        """A Slack user id (`user`) or an email Round Robin knows (`email`)."""
        user, email = request.get(prefix + "user"), request.get(prefix + "email")
        if user is not None:
            if not is_id("user", user):
                raise _Refused(400, "bad_request", f"{prefix}user must be a Slack user id, like U012AB3CD.")
            return user
        if email is not None:
            if not isinstance(email, str) or len(email) > 254 or "@" not in email:
                raise _Refused(400, "bad_request", f"{prefix}email must be an email address.")
            found = await directory.by_emails(self._db, [email])
            if email.lower() not in found:
                raise _Refused(
                    400, "bad_request", f"Nobody in this Slack workspace has the email in {prefix}email."
                )
            return found[email.lower()]
        if required:
            raise _Refused(400, "bad_request", f"Say who: {prefix}user (a Slack user id) or {prefix}email.")
        return None

    async def _done(self, rotation_id: int, change: DutyChange | None) -> Answer:
        rotation = change.rotation if change else await rotation_store.get(self._db, rotation_id)
        on_duty = rotation.on_duty if rotation else ()
        people = await directory.by_ids(self._db, on_duty)
        return Answer(
            200,
            {
                "ok": True,
                "changed": change is not None,
                "rotation": rotation.code if rotation else None,
                "on_duty": [
                    {"slack_id": u, "email": people[u].email if u in people else None} for u in on_duty
                ],
            },
        )


def _parse(body: bytes) -> dict[str, Any]:
    try:
        request = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _Refused(400, "bad_request", 'The body must be JSON, like {"action": "rotate"}.') from None
    if not isinstance(request, dict):
        raise _Refused(400, "bad_request", 'The body must be a JSON object, like {"action": "rotate"}.')
    if request.get("action") not in ACTIONS:
        raise _Refused(400, "bad_request", f"action must be one of: {', '.join(ACTIONS)}.")
    return request


def _time(request: dict[str, Any], key: str) -> float:
    """Unix seconds, or an ISO 8601 time with its offset ("2026-12-07T09:00:00Z")."""
    value = request.get(key)
    if isinstance(value, bool) or value is None:
        raise _Refused(400, "bad_request", f"{key} is required: Unix seconds or an ISO 8601 time.")
    if isinstance(value, int | float) and math.isfinite(value) and 0 <= value < 1e11:
        return float(value)
    if isinstance(value, str) and len(value) <= 40:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed.timestamp()
    raise _Refused(400, "bad_request", f"{key} must be Unix seconds or an ISO 8601 time with its offset.")
