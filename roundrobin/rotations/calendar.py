"""What a rotation's timeline depends on, gathered from the store: its overrides, its people's time
away, its holidays and working hours (see rotations/timeline.py)."""

from __future__ import annotations

from collections.abc import Iterable

from roundrobin.db import Database
from roundrobin.rotations.holidays import test_for
from roundrobin.rotations.model import Rotation
from roundrobin.rotations.timeline import Away, Override, Plan
from roundrobin.store import away as away_store
from roundrobin.store import overrides as override_store

# Overrides and time away that ended this long ago no longer shape anything ahead.
LOOK_BACK = 86400.0


async def plans(db: Database, rotations: Iterable[Rotation], now: float) -> dict[int, Plan]:
    """Each rotation's plan, with two queries for all of them."""
    rotations = list(rotations)
    overrides = await override_store.of(db, [r.id for r in rotations], now - LOOK_BACK)
    away = await away_store.of_people(db, {p for r in rotations for p in r.members}, now - LOOK_BACK)
    return {r.id: plan_for(r, now, overrides.get(r.id, ()), away) for r in rotations}


async def plan(db: Database, rotation: Rotation, now: float) -> Plan:
    return (await plans(db, [rotation], now))[rotation.id]


def plan_for(rotation: Rotation, now: float, overrides: tuple[Override, ...], away: Iterable[Away]) -> Plan:
    members = set(rotation.members)
    rule = rotation.holidays
    return Plan.of(
        rotation,
        now,
        overrides=overrides,
        away=tuple(a for a in away if a.person in members),
        holiday=test_for(rule) if rule else None,
        holiday_mode=rule.mode if rule else "stay",
        working_hours=rotation.working_hours,
    )
