"""Rotations, their ordered members and who of them is on duty."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

from roundrobin.db import Database
from roundrobin.rotations.schedule import Schedule
from roundrobin.store import events


@dataclass(frozen=True)
class Rotation:
    id: int
    name: str
    code: str
    created_by: str
    description: str = ""
    source: str = "manual"  # manual | pagerduty
    pd_schedule_id: str | None = None
    schedule: Schedule = field(default_factory=Schedule)
    members: tuple[str, ...] = ()
    on_duty: tuple[str, ...] = ()
    on_duty_since: float | None = None
    on_duty_until: float | None = None
    next_handoff_at: float | None = None
    channels: tuple[str, ...] = ()
    usergroup_id: str | None = None
    usergroup_handle: str | None = None
    usergroup_disabled: bool = False
    slack_problem: str | None = None
    pd_status: str | None = None
    pd_unmatched: tuple[dict, ...] = ()
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def bound(self) -> bool:
        return self.source == "pagerduty"

    @property
    def next_up(self) -> str | None:
        """Who follows the person on duty in turn order (manual and timed rotations)."""
        if len(self.members) < 2:
            return None
        current = next((i for i, m in enumerate(self.members) if m in self.on_duty), -1)
        return self.members[(current + 1) % len(self.members)]


_COLUMNS = (
    "id, name, code, created_by, description, source, pd_schedule_id, schedule, on_duty_since, "
    "on_duty_until, next_handoff_at, channels, usergroup_id, usergroup_handle, usergroup_disabled, "
    "slack_problem, pd_status, "
    "pd_unmatched, created_at, updated_at"
)


async def _hydrate(db: Database, rows: list) -> list[Rotation]:
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    members: dict[int, list[tuple[str, bool]]] = {i: [] for i in ids}
    marks = ", ".join("?" for _ in ids)
    for m in await db.fetchall(
        f"SELECT rotation_id, slack_user_id, on_duty FROM rotation_members WHERE rotation_id IN ({marks}) "
        "ORDER BY rotation_id, position",
        ids,
    ):
        members[m["rotation_id"]].append((m["slack_user_id"], bool(m["on_duty"])))
    result = []
    for r in rows:
        data = dict(r)
        data["schedule"] = Schedule.from_json(data["schedule"])
        data["channels"] = tuple(json.loads(data["channels"]))
        data["usergroup_disabled"] = bool(data["usergroup_disabled"])
        data["pd_unmatched"] = tuple(json.loads(data["pd_unmatched"]))
        data["members"] = tuple(u for u, _ in members[r["id"]])
        data["on_duty"] = tuple(u for u, duty in members[r["id"]] if duty)
        result.append(Rotation(**data))
    return result


async def get(db: Database, rotation_id: int) -> Rotation | None:
    rows = await db.fetchall(f"SELECT {_COLUMNS} FROM rotations WHERE id = ?", (rotation_id,))
    found = await _hydrate(db, rows)
    return found[0] if found else None


async def get_by_code(db: Database, code: str) -> Rotation | None:
    rows = await db.fetchall(f"SELECT {_COLUMNS} FROM rotations WHERE code = ?", (code.upper(),))
    found = await _hydrate(db, rows)
    return found[0] if found else None


async def code_taken(db: Database, code: str, except_id: int | None = None) -> bool:
    row = await db.fetchone(
        "SELECT id FROM rotations WHERE code = ? AND id IS NOT ?", (code.upper(), except_id)
    )
    return row is not None


async def page(
    db: Database, offset: int, limit: int, member: str | None = None
) -> tuple[list[Rotation], int]:
    """One page of rotations by name (only those `member` belongs to, when given) and the total."""
    where, params = "", []
    if member:
        where = "WHERE id IN (SELECT rotation_id FROM rotation_members WHERE slack_user_id = ?)"
        params = [member]
    total = (await db.fetchone(f"SELECT COUNT(*) FROM rotations {where}", params))[0]
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM rotations {where} ORDER BY name COLLATE NOCASE, id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return await _hydrate(db, rows), total


async def search(db: Database, query: str, limit: int = 50) -> list[tuple[int, str, str]]:
    """(id, name, code) of rotations whose name or code contains `query`."""
    like = f"%{query.strip()}%"
    rows = await db.fetchall(
        "SELECT id, name, code FROM rotations WHERE name LIKE ? OR code LIKE ? ORDER BY name COLLATE NOCASE LIMIT ?",
        (like, like, limit),
    )
    return [(r["id"], r["name"], r["code"]) for r in rows]


async def all_rotations(db: Database, where: str = "", params: tuple = ()) -> list[Rotation]:
    rows = await db.fetchall(f"SELECT {_COLUMNS} FROM rotations {where} ORDER BY id", params)
    return await _hydrate(db, rows)


async def due(db: Database, now: float) -> list[Rotation]:
    return await all_rotations(db, "WHERE next_handoff_at IS NOT NULL AND next_handoff_at <= ?", (now,))


async def next_due_at(db: Database) -> float | None:
    row = await db.fetchone("SELECT MIN(next_handoff_at) FROM rotations WHERE next_handoff_at IS NOT NULL")
    return row[0]


async def bound(db: Database) -> list[Rotation]:
    return await all_rotations(db, "WHERE source = 'pagerduty' AND pd_schedule_id IS NOT NULL")


async def count(db: Database, where: str = "") -> int:
    return (await db.fetchone(f"SELECT COUNT(*) FROM rotations {where}"))[0]


async def insert(db: Database, rotation: Rotation) -> int:
    async with db.transaction():
        rotation_id = await db.execute(
            """INSERT INTO rotations (name, code, created_by, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?)""",
            (rotation.name, rotation.code, rotation.created_by, rotation.created_at, rotation.updated_at),
        )
        await save(db, replace(rotation, id=rotation_id))
    return rotation_id


async def save(db: Database, rotation: Rotation) -> None:
    """Write every field of an existing rotation, members and duty included."""
    async with db.transaction():
        await db.execute(
            """UPDATE rotations SET name = ?, code = ?, description = ?, source = ?, pd_schedule_id = ?,
                   schedule = ?, next_handoff_at = ?, on_duty_since = ?, on_duty_until = ?, channels = ?,
                   usergroup_id = ?, usergroup_handle = ?, usergroup_disabled = ?, slack_problem = ?, pd_status = ?, pd_unmatched = ?,
                   updated_at = ?
               WHERE id = ?""",
            (
                rotation.name,
                rotation.code,
                rotation.description,
                rotation.source,
                rotation.pd_schedule_id,
                rotation.schedule.to_json(),
                rotation.next_handoff_at,
                rotation.on_duty_since,
                rotation.on_duty_until,
                json.dumps(list(rotation.channels)),
                rotation.usergroup_id,
                rotation.usergroup_handle,
                int(rotation.usergroup_disabled),
                rotation.slack_problem,
                rotation.pd_status,
                json.dumps(list(rotation.pd_unmatched), sort_keys=True),
                rotation.updated_at,
                rotation.id,
            ),
        )
        await db.execute("DELETE FROM rotation_members WHERE rotation_id = ?", (rotation.id,))
        await db.executemany(
            "INSERT INTO rotation_members (rotation_id, position, slack_user_id, on_duty) VALUES (?, ?, ?, ?)",
            [(rotation.id, i, u, int(u in rotation.on_duty)) for i, u in enumerate(rotation.members)],
        )


async def set_slack_state(
    db: Database, rotation_id: int, problem: str | None, usergroup_disabled: bool
) -> None:
    """What the last Slack write left behind: a problem to show, and whether the group is disabled."""
    await db.execute(
        "UPDATE rotations SET slack_problem = ?, usergroup_disabled = ? WHERE id = ?",
        (problem, int(usergroup_disabled), rotation_id),
    )


async def delete(db: Database, rotation_id: int) -> None:
    await db.execute("DELETE FROM rotations WHERE id = ?", (rotation_id,))


async def revert_bound_to_manual(db: Database, at: float, actor: str) -> list[int]:
    """Every PagerDuty-bound rotation becomes Manual, keeping its members and on-duty person."""
    async with db.transaction():
        rows = await db.fetchall("SELECT id FROM rotations WHERE source = 'pagerduty' ORDER BY id")
        ids = [r["id"] for r in rows]
        await db.execute(
            """UPDATE rotations SET source = 'manual', pd_schedule_id = NULL, pd_status = NULL,
                   pd_unmatched = '[]', schedule = '{"kind": "manual"}', next_handoff_at = NULL,
                   on_duty_until = NULL, updated_at = ?
               WHERE source = 'pagerduty'""",
            (at,),
        )
        for rotation_id in ids:
            await events.record(
                db, "rotation.reverted_to_manual", at, actor, rotation_id, reason="pagerduty disconnected"
            )
    return ids
