"""Gathering rotations' duties over a window from the store: their plans (a few queries for all of
them), the week PagerDuty planned for bound ones, and their recorded history."""

from __future__ import annotations

from dataclasses import replace

from roundrobin.db import Database
from roundrobin.feeds.duties import Duty, duties
from roundrobin.pagerduty.people import PeopleLinks
from roundrobin.rotations import calendar, timeline
from roundrobin.rotations.model import Rotation
from roundrobin.rotations.timeline import FOREVER, PAGERDUTY, Plan, Shift
from roundrobin.store import directory
from roundrobin.store import feeds as store

PD_SHIFTS = 200  # PagerDuty shifts read per bound rotation (the sync keeps about a week)


async def gather(
    db: Database, people: PeopleLinks, rotations: list[Rotation], now: float, start: float, end: float
) -> dict[int, list[Duty]]:
    """Rotation id → its duties overlapping [start, end)."""
    plans = await calendar.plans(db, rotations, now)
    history = await store.duty_history(db, [r.id for r in rotations], start, now + 1)
    found = {}
    for rotation in rotations:
        plan = plans[rotation.id]
        if rotation.bound:
            plan = await _with_pagerduty(plan, people)
        present = timeline.at(plan, now)
        ahead = timeline.shifts(plan, min(present.start, now), end) if end > now else []
        found[rotation.id] = duties(rotation.id, history.get(rotation.id, []), ahead, start, end)
    return found


async def _with_pagerduty(plan: Plan, people: PeopleLinks) -> Plan:
    """A bound rotation's plan with the shifts PagerDuty has planned, for the people Slack knows."""
    found = await people.of_rotation(plan.rotation, limit=PD_SHIFTS)
    shifts = tuple(
        Shift(s.start, s.end if s.end is not None else FOREVER, (found.slack_of[s.pd_user_id],), PAGERDUTY)
        for s in found.shifts
        if s.pd_user_id in found.slack_of
    )
    return replace(plan, pagerduty=shifts)


async def names(db: Database, people: set[str]) -> dict[str, str]:
    """The names the cached Slack directory has for these people (their id when it has none)."""
    known = await directory.by_ids(db, people)
    return {p: (known[p].real_name or known[p].name) if p in known else p for p in people}
