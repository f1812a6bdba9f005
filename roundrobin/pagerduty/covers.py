"""Cover me… on a PagerDuty-bound rotation: the cover becomes a PagerDuty schedule override.

PagerDuty decides who is on call in a bound rotation, so a cover made only in Round Robin would be
undone by the next look. When the credential may write (an API key with write access, or OAuth with
`schedules.write`), Round Robin writes the override itself (`POST /schedules/{id}/overrides`) in each
schedule of the rotation that has the person on call then, and reads those schedules again at once:
the rotation follows the override as it follows any other. A read-only credential cannot: the person
is told how to make it in PagerDuty. An API key says whether it may write only by trying: a 403 is
remembered (the next Cover me explains at once), and so is a success.

The write happens outside any database transaction, bounded by a short timeout (the person waits for
the modal's answer), and is never retried once it may have reached PagerDuty.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from roundrobin.db import Database
from roundrobin.pagerduty.client import PagerDutyClient, PagerDutyError, PagerDutyScopeError
from roundrobin.pagerduty.connection import PagerDutyConnection
from roundrobin.pagerduty.oauth import WRITE_SCOPE
from roundrobin.pagerduty.plan import iso
from roundrobin.rotations.errors import NotAllowed
from roundrobin.rotations.model import Rotation
from roundrobin.store import events, integrations
from roundrobin.store import pagerduty as store
from roundrobin.store.pagerduty import PdSchedule, Shift

log = logging.getLogger(__name__)

WRITE_TIMEOUT = 2.0  # seconds: the person waits for the modal's answer (Slack gives it 3)
MAX_AHEAD = 90 * 86400.0  # as far ahead as covers of manual rotations
DEFAULT_SPAN = 8 * 3600.0  # a shift without an end: cover a working day


class Directory(Protocol):
    async def match(self, emails: Iterable[str]) -> dict[str, str]: ...


KEY, OAUTH, SHIFT_BASED = "api_key", "oauth", "shift_based"  # why a cover is made in PagerDuty


class ReadOnly(NotAllowed):
    """The cover must be made in PagerDuty: the credential may not write (an API key without write
    access, OAuth without schedules.write), or the schedules are shift-based."""

    def __init__(self, rotation: str, why: str, schedules: tuple[tuple[str, str | None], ...]):
        self.rotation = rotation
        self.why = why
        self.schedules = schedules  # (name, PagerDuty web address) of the rotation's schedules
        where = " or ".join(name for name, _ in schedules) or "the schedule"
        super().__init__(
            f"Make the cover in PagerDuty: open {where} › Schedule an override. Round Robin's PagerDuty "
            "connection may only read." if why != SHIFT_BASED else
            f"{rotation} follows a shift-based schedule: make the cover in PagerDuty ({where})."
        )  # fmt: skip


@dataclass(frozen=True)
class CoverForm:
    """What Cover me… on a bound rotation offers the person: who may cover, and their own shift."""

    rotation: Rotation
    person: str
    start: float
    end: float
    coverers: tuple[str, ...]  # members PagerDuty knows (an override names a PagerDuty user)
    schedules: tuple[str, ...] = ()  # names of the schedules that have the person on call then


@dataclass(frozen=True)
class Covered:
    schedules: tuple[str, ...]  # names of the schedules the override was written to
    start: float
    end: float
    by: str


@dataclass(frozen=True)
class _People:
    """The rotation's PagerDuty schedules and who of them is who in Slack."""

    schedules: dict[str, PdSchedule]
    pd_of: dict[str, str]  # Slack user → PagerDuty user
    shifts: dict[str, list[Shift]] = field(default_factory=dict)  # schedule → stored shifts from now


class PagerDutyCovers:
    def __init__(
        self,
        db: Database,
        connection: PagerDutyConnection,
        directory: Directory,
        reread: Callable[[Iterable[str]], Any],
        clock: Callable[[], float] = time.time,
    ):
        self._db = db
        self._connection = connection
        self._directory = directory
        self._reread = reread
        self._clock = clock

    async def form(self, rotation: Rotation, person: str) -> CoverForm:
        """Cover me… for `person`: their next stretch on call (now, or their next shift), and who may
        cover; ReadOnly when the credential cannot write, NotAllowed when there is nothing to cover."""
        self._member(rotation, person)
        await self._require_write(rotation)
        now = self._clock()
        people = await self._people(rotation, now)
        mine = self._own_shifts(rotation, people, person, now, now + MAX_AHEAD)
        if not mine:
            raise NotAllowed(
                f"PagerDuty does not have you on call in {rotation.name} in the coming week: there is "
                "nothing to cover. (Round Robin reads the week ahead.)"
            )
        first = min(mine, key=lambda s: (s[1], s[2] if s[2] is not None else float("inf")))
        start = max(now, first[1])
        end = first[2] if first[2] is not None else start + DEFAULT_SPAN
        coverers = tuple(
            m for m in rotation.members if m != person and m in people.pd_of and rotation.can_serve(m)
        )
        if not coverers:
            raise NotAllowed(
                f"Nobody else in {rotation.name} is in PagerDuty and linked to Slack, so nobody can cover "
                "you from here: schedule the override in PagerDuty."
            )
        names = tuple(
            dict.fromkeys(
                people.schedules[s].name for s, a, b in mine if a < end and (b is None or b > start)
            )
        )
        return CoverForm(rotation, person, start, end, coverers, names)

    async def cover(self, rotation: Rotation, person: str, by: str, start: float, end: float) -> Covered:
        """`by` covers `person` over [start, end): an override in every schedule of the rotation that
        has `person` on call then, written to PagerDuty; the schedules are read again at once."""
        self._member(rotation, person)
        now = self._clock()
        if end <= start:
            raise NotAllowed("The end must come after the start.")
        if end <= now:
            raise NotAllowed("That time is in the past: choose a time from now on.")
        if start > now + MAX_AHEAD:
            raise NotAllowed("Choose a time within the next 90 days.")
        start = max(start, now)
        if by == person:
            raise NotAllowed("Choose someone else to cover: a person cannot cover themselves.")
        if by not in rotation.members:
            raise NotAllowed(f"Choose a member of {rotation.code} to cover.")
        connection = await self._require_write(rotation)
        people = await self._people(rotation, now)
        if by not in people.pd_of:
            raise NotAllowed("PagerDuty does not know that person: choose someone linked to PagerDuty.")
        wanted: dict[str, list[tuple[float, float]]] = {}
        for schedule_id, shift_start, shift_end in self._own_shifts(rotation, people, person, start, end):
            stretch = (max(start, shift_start), end if shift_end is None else min(end, shift_end))
            wanted.setdefault(schedule_id, []).append(stretch)
        if not wanted:
            raise NotAllowed("PagerDuty does not have you on call then: choose a time in one of your shifts.")
        client = await self._connection.client(timeout=WRITE_TIMEOUT, max_retries=0)
        if client is None:
            raise NotAllowed("PagerDuty is not connected (or needs re-authorisation): nothing was changed.")
        user = {"id": people.pd_of[by], "type": "user_reference"}
        written: list[str] = []
        try:
            for schedule_id, stretches in wanted.items():
                body = {"overrides": [{"start": iso(a), "end": iso(b), "user": user} for a, b in stretches]}
                await self._write(client, connection, rotation, people, schedule_id, body)
                written.append(schedule_id)
        except NotAllowed as refused:
            if not written:
                raise
            # One schedule took it and the next did not: the rotation follows what was made.
            self._reread(written)
            made = " and ".join(people.schedules[s].name for s in written)
            raise NotAllowed(
                f"{refused} The override in {made} was made, and the rotation follows it."
            ) from None
        if connection.method == "api_key" and connection.write_access != "yes":
            await integrations.set_write_access(self._db, "yes")
        names = tuple(people.schedules[s].name for s in written)
        await events.record(
            self._db, "pagerduty.override_created", now, person, rotation.id,
            by=by, schedules=written, start=start, end=end,
        )  # fmt: skip
        log.info(
            "pagerduty override written", extra={"rotation": rotation.code, "schedules": ",".join(written)}
        )
        self._reread(written)
        return Covered(names, start, end, by)

    async def _write(
        self,
        client: PagerDutyClient,
        connection: integrations.Connection,
        rotation: Rotation,
        people: _People,
        schedule_id: str,
        body: dict[str, Any],
    ) -> None:
        try:
            answer = await client.post(f"/schedules/{schedule_id}/overrides", body)
        except PagerDutyScopeError:
            if connection.method == "api_key":
                await integrations.set_write_access(self._db, "no")
            raise _read_only(
                rotation, people.schedules, OAUTH if connection.method == "oauth" else KEY
            ) from None
        except PagerDutyError as e:
            raise NotAllowed(f"PagerDuty did not take the cover: {e}. Nothing else was changed.") from None
        # Each override is answered on its own: [{"status": 201, "override": …}, {"status": 400, …}]
        items = answer if isinstance(answer, list) else [answer]
        refused = [a for a in items if not isinstance(a, dict) or a.get("status") != 201]
        if refused:
            why = "; ".join(str(e) for a in refused if isinstance(a, dict) for e in a.get("errors") or [])
            raise NotAllowed(f"PagerDuty refused the override{': ' + why if why else ''}.")

    # --- the rules ---------------------------------------------------------------------------------

    def _member(self, rotation: Rotation, person: str) -> None:
        if not rotation.bound:
            raise NotAllowed(f"{rotation.name} does not follow PagerDuty.")
        if person not in rotation.members:
            raise NotAllowed(f"You are not in {rotation.code}: only its members ask for cover.")

    async def _require_write(self, rotation: Rotation) -> integrations.Connection:
        """The connection, if it may write (or an API key not yet known not to); ReadOnly otherwise."""
        connection = await self._connection.current()
        if connection is None or connection.status != "connected":
            raise NotAllowed("PagerDuty is not connected (or needs re-authorisation): covers are made there.")
        schedules = await store.schedules(self._db, rotation.pd_schedule_ids)
        if connection.method == "oauth":
            granted = set((connection.granted_scopes or "").split())
            if WRITE_SCOPE not in granted and "write" not in granted:
                raise _read_only(rotation, schedules, OAUTH)
        elif connection.write_access == "no":
            raise _read_only(rotation, schedules, KEY)
        if schedules and all(s.version == 3 for s in schedules.values()):
            raise _read_only(rotation, schedules, SHIFT_BASED)
        return connection

    async def _people(self, rotation: Rotation, now: float) -> _People:
        followed = rotation.pd_schedule_ids
        schedules = await store.schedules(self._db, followed)
        shifts = await store.shifts_of(self._db, followed, now)
        ids = {s.pd_user_id for held in shifts.values() for s in held}
        ids |= {m for s in schedules.values() for m in s.member_ids}
        users = await store.users(self._db, ids)
        links = await store.links(self._db)
        by_email = await self._directory.match(u.email for u in users.values() if u.email)
        pd_of: dict[str, str] = {}
        for pd_id, user in sorted(users.items()):
            slack = by_email.get((user.email or "").lower())
            if slack and pd_id not in links:
                pd_of.setdefault(slack, pd_id)
        pd_of.update({slack: pd_id for pd_id, slack in links.items() if pd_id in ids})  # links win
        return _People(schedules, pd_of, shifts)

    def _own_shifts(
        self, rotation: Rotation, people: _People, person: str, start: float, end: float
    ) -> list[tuple[str, float, float | None]]:
        """(schedule, start, end) of the person's shifts in the rotation's layer-based schedules that
        overlap [start, end)."""
        pd_id = people.pd_of.get(person)
        found = []
        for schedule_id in rotation.pd_schedule_ids:
            schedule = people.schedules.get(schedule_id)
            if pd_id is None or schedule is None or schedule.version == 3:
                continue  # shift-based: their overrides replace one member (made in PagerDuty)
            for shift in people.shifts.get(schedule_id, []):
                if (
                    shift.pd_user_id == pd_id
                    and shift.start < end
                    and (shift.end is None or shift.end > start)
                ):
                    found.append((schedule_id, shift.start, shift.end))
        return found


def _read_only(rotation: Rotation, schedules: dict[str, PdSchedule], why: str) -> ReadOnly:
    named = tuple(
        (schedules[s].name, schedules[s].html_url) for s in rotation.pd_schedule_ids if s in schedules
    )
    return ReadOnly(rotation.name, why, named)
