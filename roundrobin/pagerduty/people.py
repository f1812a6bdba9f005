"""Who a PagerDuty person is in Slack: matched by email, or linked by hand by an admin.

Links are made and undone here, with the actor checked inside: only the people who manage Round
Robin may link. The sync reads the links on its next run (requested straight away), so a bound
rotation shows its linked person on duty within seconds. This module also reads, for the Slack
surfaces, what PagerDuty has coming up for a bound rotation and who of those people Slack does not
know, so a team is warned before an unlinked person's shift starts rather than after.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from roundrobin.access import Access
from roundrobin.db import Database
from roundrobin.rotations.errors import NotAllowed
from roundrobin.rotations.model import Rotation, Unmatched
from roundrobin.store import events
from roundrobin.store import pagerduty as store
from roundrobin.store.pagerduty import PdUser, Shift

Ahead = tuple[Unmatched, float]  # someone not in Slack, and the start of their first shift ahead


class Directory(Protocol):
    async def match(self, emails: Iterable[str]) -> dict[str, str]: ...


class People(Protocol):
    async def not_people(self, user_ids: Iterable[str]) -> list[str]: ...


@dataclass(frozen=True)
class Linked:
    """A link made or undone: the PagerDuty person and the Slack user they are (or were) linked to."""

    person: PdUser
    slack_user_id: str | None


@dataclass(frozen=True)
class RotationPeople:
    """What Details shows about a bound rotation's people: upcoming shifts and how each is matched."""

    schedule_name: str | None = None
    shifts: list[Shift] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # PagerDuty user → name
    slack_of: dict[str, str] = field(default_factory=dict)  # PagerDuty user → Slack user (link or email)
    by_hand: dict[str, str] = field(default_factory=dict)  # PagerDuty user → Slack user, linked by hand
    emails: dict[str, str] = field(default_factory=dict)  # PagerDuty user → email, where PagerDuty has one
    schedule_names: dict[str, str] = field(default_factory=dict)  # following several: id → name, per shift


class PeopleLinks:
    def __init__(
        self,
        db: Database,
        access: Access,
        directory: Directory,
        people: People,
        request_sync: Callable[[], Any],
        clock: Callable[[], float] = time.time,
    ):
        self._db = db
        self._access = access
        self._directory = directory
        self._people = people
        self._request_sync = request_sync
        self._clock = clock

    async def person(self, pd_user_id: str) -> PdUser | None:
        """A PagerDuty person Round Robin has seen (a schedule member or someone on call)."""
        return (await store.users(self._db, [pd_user_id])).get(pd_user_id)

    async def link(self, actor: str, pd_user_id: str, slack_user_id: str) -> Linked:
        """From now on this PagerDuty person is this Slack user, whatever their email says."""
        await self._access.require_manage(actor)
        person = await self._known(pd_user_id)
        if not slack_user_id or await self._people.not_people([slack_user_id]):
            raise NotAllowed("Choose a person in Slack (not a bot, an app or a deactivated account).")
        now = self._clock()
        async with self._db.transaction():
            await store.set_link(self._db, pd_user_id, slack_user_id, actor, now)
            await events.record(
                self._db, "pagerduty.user_linked", now, actor, pd_user=pd_user_id, slack_user=slack_user_id
            )
        self._request_sync()
        return Linked(person, slack_user_id)

    async def unlink(self, actor: str, pd_user_id: str) -> Linked:
        """Undo a link made by hand: the person is matched by email again (or not at all)."""
        await self._access.require_manage(actor)
        person = await self._known(pd_user_id)
        was = (await store.links(self._db)).get(pd_user_id)
        if was is None:
            raise NotAllowed(f"{person.name} is not linked by hand, so there is nothing to undo.")
        now = self._clock()
        async with self._db.transaction():
            await store.set_link(self._db, pd_user_id, None, actor, now)
            await events.record(
                self._db, "pagerduty.user_unlinked", now, actor, pd_user=pd_user_id, slack_user=was
            )
        self._request_sync()
        return Linked(person, was)

    async def _known(self, pd_user_id: str) -> PdUser:
        person = await self.person(pd_user_id)
        if person is None:
            raise NotAllowed(
                "Round Robin does not know that PagerDuty user (any more). Press Sync now in Settings, "
                "then open the rotation's Details again."
            )
        return person

    async def of_rotation(self, rotation: Rotation, limit: int = 20) -> RotationPeople:
        """The bound rotation's upcoming shifts (of every schedule it follows, merged by start; the
        first `limit` of each), its
        people's names, and who is linked how."""
        followed = rotation.pd_schedule_ids
        if not followed:
            return RotationPeople()
        schedules = await store.schedules(self._db, followed)
        shifts = await self._shifts(followed, limit)
        ids = {s.pd_user_id for s in shifts} | {p.id for p in rotation.pd_unmatched if p.id}
        ids |= {m for schedule in schedules.values() for m in schedule.member_ids}
        people = await store.users(self._db, ids)
        links = await store.links(self._db)
        matched = await self._directory.match(u.email for u in people.values() if u.email)
        slack_of = {}
        for pd_id, person in people.items():
            slack = links.get(pd_id) or matched.get((person.email or "").lower())
            if slack:
                slack_of[pd_id] = slack
        names = [schedules[s].name if s in schedules else s for s in followed]
        return RotationPeople(
            schedule_name=" + ".join(names) if schedules else None,
            shifts=shifts,
            names={k: v.name for k, v in people.items()},
            slack_of=slack_of,
            by_hand={pd_id: links[pd_id] for pd_id in sorted(ids) if pd_id in links},
            emails={k: v.email for k, v in people.items() if v.email},
            schedule_names={s: n for s, n in zip(followed, names, strict=True)} if len(followed) > 1 else {},
        )

    async def _shifts(self, schedule_ids: tuple[str, ...], limit: int = 20) -> list[Shift]:
        """The next shifts of these schedules (`limit` of each), merged by start."""
        now = self._clock()
        found = [shift for s in schedule_ids for shift in await store.shifts(self._db, s, now, limit)]
        return sorted(found, key=lambda s: (s.start, s.schedule_id, s.pd_user_id))

    async def unlinked_ahead(self, rotations: Iterable[Rotation]) -> dict[int, tuple[Ahead, ...]]:
        """Rotation id → the people not in Slack whom PagerDuty has on call later (within the synced
        week), each once, with the start of their first such shift."""
        now = self._clock()
        found: dict[int, tuple[Ahead, ...]] = {}
        for rotation in rotations:
            unmatched = {p.id: p for p in rotation.pd_unmatched if p.id}
            if not rotation.bound or not rotation.pd_schedule_id or not unmatched:
                continue
            ahead: dict[str, Ahead] = {}
            for shift in await self._shifts(rotation.pd_schedule_ids):
                person = unmatched.get(shift.pd_user_id)
                if person and shift.start > now and shift.pd_user_id not in ahead:
                    ahead[shift.pd_user_id] = (person, shift.start)
            if ahead:
                found[rotation.id] = tuple(ahead.values())
        return found
