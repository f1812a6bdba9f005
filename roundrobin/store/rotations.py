"""Rotations, their ordered members and who of them is on duty."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import replace

from roundrobin.db import Database, Row
from roundrobin.rotations.model import Holidays, Rotation, Unmatched, WorkingHours
from roundrobin.rotations.schedule import Schedule
from roundrobin.rotations.status import IGNORE, SlackStatus, StatusSignal
from roundrobin.store import directory, member_groups, outbox

_COLUMNS = (
    "id, name, code, created_by, description, source, pd_schedule_id, schedule, on_duty_since, "
    "on_duty_until, next_hand_over_at, channels, usergroup_id, usergroup_handle, pd_status, pd_unmatched, "
    "created_at, updated_at, config_rev, duty_rev, duty_actor, duty_changed_at, pd_next_up, next_change_at, "
    "topic_channels, dm_on_duty, dm_off_duty, remind_before, templates, request_expiry_minutes, members_may_rotate, "
    "template_authors, usergroup_create, duty_size, hand_over_all, turn_people, turn_since, working_hours, holidays, duty_why, "
    "status_signal, handoff_notes, pd_on_call_from"
)
# A bound rotation's schedules, by position (the first is also rotations.pd_schedule_id).
_BOUND = (
    "SELECT rotation_id FROM rotation_schedules JOIN rotations ON rotations.id = rotation_id "
    "WHERE source = 'pagerduty'"
)


async def _hydrate(db: Database, rows: list[Row]) -> list[Rotation]:
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    members: dict[int, list[tuple[str, bool]]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        for m in await db.fetchall(
            "SELECT rotation_id, slack_user_id, on_duty FROM rotation_members "
            f"WHERE rotation_id IN ({', '.join('?' for _ in chunk)}) ORDER BY rotation_id, position",
            chunk,
        ):
            members[m["rotation_id"]].append((m["slack_user_id"], bool(m["on_duty"])))
    # Who of them Slack keeps out of user groups (deactivated, guests…), from the cached directory.
    unavailable = await directory.unavailable(db, {u for people in members.values() for u, _ in people})
    sources = await member_groups.of(db, ids)
    more = await _more_schedules(db, [r["id"] for r in rows if r["pd_schedule_id"]])
    signals = {r["id"]: StatusSignal.from_json(json.loads(r["status_signal"] or "null")) for r in rows}
    # …and the statuses they wear, only for rotations that watch them (most never cost the query).
    watched = {u for i, people in members.items() if signals[i].mode != IGNORE for u, _ in people}
    statuses = await directory.statuses(db, watched) if watched else {}
    result = []
    for r in rows:
        data = dict(r)
        data["schedule"] = Schedule.from_json(data["schedule"])
        data["channels"] = tuple(json.loads(data["channels"]))
        data["pd_unmatched"] = tuple(Unmatched.from_json(p) for p in json.loads(data["pd_unmatched"]))
        data["pd_next_up"] = tuple(json.loads(data["pd_next_up"]))
        data["topic_channels"] = tuple(json.loads(data["topic_channels"]))
        data["templates"] = json.loads(data["templates"])
        data["template_authors"] = json.loads(data["template_authors"])
        data["turn_people"] = tuple(json.loads(data["turn_people"]))
        data["working_hours"] = WorkingHours.from_json(json.loads(data["working_hours"] or "null"))
        data["holidays"] = Holidays.from_json(json.loads(data["holidays"] or "null"))
        data["status_signal"] = signals[r["id"]]
        data["handoff_notes"] = None if data["handoff_notes"] is None else bool(data["handoff_notes"])
        data["pd_more_schedule_ids"] = more.get(r["id"], ())
        data["pd_on_call_from"] = tuple((p, sid) for p, sid in json.loads(data["pd_on_call_from"]))
        for flag in ("dm_on_duty", "dm_off_duty", "members_may_rotate", "usergroup_create", "hand_over_all"):
            data[flag] = bool(data[flag])
        data["members"] = tuple(u for u, _ in members[r["id"]])
        data["on_duty"] = tuple(u for u, duty in members[r["id"]] if duty)
        data["unavailable"] = {u: unavailable[u] for u in data["members"] if u in unavailable}
        data["member_source"] = sources.get(r["id"])
        data["statuses"] = {u: SlackStatus(*statuses[u]) for u in data["members"] if u in statuses}
        result.append(Rotation(**data))
    return result


async def _more_schedules(db: Database, ids: list[int]) -> dict[int, tuple[str, ...]]:
    """The schedules bound rotations follow besides their first, in order."""
    found: dict[int, list[str]] = {}
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        for row in await db.fetchall(
            "SELECT rotation_id, schedule_id FROM rotation_schedules "
            f"WHERE position > 0 AND rotation_id IN ({', '.join('?' for _ in chunk)}) "
            "ORDER BY rotation_id, position",
            chunk,
        ):
            found.setdefault(row[0], []).append(row[1])
    return {i: tuple(more) for i, more in found.items()}


async def _select(
    db: Database, where: str, params: tuple[object, ...] = (), tail: str = "ORDER BY id"
) -> list[Rotation]:
    rows = await db.fetchall(f"SELECT {_COLUMNS} FROM rotations {where} {tail}", params)
    return await _hydrate(db, rows)


async def get(db: Database, rotation_id: int) -> Rotation | None:
    found = await _select(db, "WHERE id = ?", (rotation_id,))
    return found[0] if found else None


async def get_by_code(db: Database, code: str) -> Rotation | None:
    found = await _select(db, "WHERE code = ?", (code.strip().upper(),))
    return found[0] if found else None


async def code_taken(db: Database, code: str, except_id: int | None = None) -> bool:
    row = await db.fetchone(
        "SELECT id FROM rotations WHERE code = ? AND id IS NOT ?", (code.upper(), except_id)
    )
    return row is not None


async def holder_of_group(db: Database, usergroup_id: str) -> tuple[int, str, str] | None:
    """(id, name, code) of the rotation that keeps this user group, if any."""
    row = await db.fetchone("SELECT id, name, code FROM rotations WHERE usergroup_id = ?", (usergroup_id,))
    return (row["id"], row["name"], row["code"]) if row else None


async def group_holders(db: Database) -> dict[str, str]:
    rows = await db.fetchall("SELECT usergroup_id, code FROM rotations WHERE usergroup_id IS NOT NULL")
    return {r[0]: r[1] for r in rows}


async def page(
    db: Database, offset: int, limit: int, member: str | None = None
) -> tuple[list[Rotation], int]:
    """One page of rotations by name (only those `member` belongs to, when given) and the total."""
    where = "WHERE id IN (SELECT rotation_id FROM rotation_members WHERE slack_user_id = ?)" if member else ""
    params: tuple[str, ...] = (member,) if member else ()
    total = await db.fetch_int(f"SELECT COUNT(*) FROM rotations {where}", params)
    rotations = await _select(
        db, where, (*params, limit, offset), "ORDER BY name COLLATE NOCASE, id LIMIT ? OFFSET ?"
    )
    return rotations, total


async def announcing_in(db: Database, channel_id: str, limit: int) -> list[Rotation]:
    """Rotations that tell this channel when duty changes, by name."""
    if not channel_id.isalnum():
        return []  # ids are letters and digits: nothing else may reach the LIKE pattern
    return await _select(
        db, "WHERE channels LIKE ?", (f'%"{channel_id}"%', limit), "ORDER BY name COLLATE NOCASE, id LIMIT ?"
    )


async def search(db: Database, query: str, limit: int = 50) -> list[tuple[int, str, str]]:
    """(id, name, code) of rotations whose name or code contains `query`."""
    like = f"%{query.strip()}%"
    rows = await db.fetchall(
        "SELECT id, name, code FROM rotations WHERE name LIKE ? OR code LIKE ? "
        "ORDER BY name COLLATE NOCASE LIMIT ?",
        (like, like, limit),
    )
    return [(r["id"], r["name"], r["code"]) for r in rows]


async def named_at_start(db: Database, text: str) -> Rotation | None:
    """The rotation whose name the text starts with (any case; the longest name wins)."""
    row = await db.fetchone(
        "SELECT id FROM rotations WHERE length(name) > 0 AND instr(lower(?), lower(name)) = 1 "
        "ORDER BY length(name) DESC LIMIT 1",
        (text[:500],),
    )
    return await get(db, row["id"]) if row else None


async def due(db: Database, now: float) -> list[Rotation]:
    """Manual rotations whose turn is due to move on, or whose timeline changes who is on duty now
    (a cover starting or ending, someone going away, working hours opening or closing), or whose
    hand-over waited on an answer that did not come in time (a Slack status question)."""
    return await _select(
        db,
        "WHERE (next_hand_over_at IS NOT NULL AND next_hand_over_at <= ?) "
        "OR (source = 'manual' AND next_change_at IS NOT NULL AND next_change_at <= ?) "
        "OR id IN (SELECT rotation_id FROM status_questions WHERE state = 'open' AND expires_at <= ?)",
        (now, now, now),
    )


async def next_change_at(db: Database) -> float | None:
    """The earliest hand-over PagerDuty has planned for any bound rotation."""
    return await db.fetch_float(
        "SELECT MIN(next_change_at) FROM rotations WHERE source = 'pagerduty' AND next_change_at IS NOT NULL"
    )


async def next_due_at(db: Database) -> float | None:
    """The earliest moment a manual rotation's duty changes by itself (see `due`)."""
    found = await db.fetch_float(
        "SELECT MIN(MIN(COALESCE(next_hand_over_at, 1e300), "
        "CASE WHEN source = 'manual' THEN COALESCE(next_change_at, 1e300) ELSE 1e300 END, "
        "COALESCE((SELECT MIN(expires_at) FROM status_questions WHERE state = 'open'), 1e300))) FROM rotations"
    )
    return found if found is not None and found < 1e300 else None


async def bound(db: Database) -> list[Rotation]:
    return await _select(db, "WHERE source = 'pagerduty' AND pd_schedule_id IS NOT NULL")


async def everything(db: Database) -> list[Rotation]:
    return await _select(db, "")


async def bound_schedule_ids(db: Database) -> set[str]:
    """The PagerDuty schedules bound rotations follow (without loading the rotations)."""
    rows = await db.fetchall(
        "SELECT DISTINCT schedule_id FROM rotation_schedules JOIN rotations ON rotations.id = rotation_id "
        "WHERE source = 'pagerduty'"
    )
    return {r[0] for r in rows}


async def bound_to(db: Database, schedule_ids: Iterable[str]) -> list[Rotation]:
    """The bound rotations that follow these schedules (any of theirs), each once."""
    ids, found = list(schedule_ids), {}
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        for rotation in await _select(
            db,
            f"WHERE id IN ({_BOUND} AND schedule_id IN ({', '.join('?' for _ in chunk)}))",
            tuple(chunk),
        ):
            found[rotation.id] = rotation
    return sorted(found.values(), key=lambda r: r.id)


async def bound_changing_by(db: Database, at: float) -> list[Rotation]:
    """The bound rotations whose planned hand-over is due by `at`."""
    return await _select(
        db, "WHERE source = 'pagerduty' AND next_change_at IS NOT NULL AND next_change_at <= ?", (at,)
    )


async def bound_labels(
    db: Database, schedule_ids: Iterable[str] | None = None, limit: int = 10
) -> list[tuple[str, str]]:
    """(schedule id, "Name (CODE)") of bound rotations (following these schedules), by name: for
    words about them, without loading thousands of rotations."""
    where, params = "WHERE source = 'pagerduty'", []
    if schedule_ids is not None:
        params = list(schedule_ids)[:500]
        where += f" AND schedule_id IN ({', '.join('?' for _ in params)})"
    rows = await db.fetchall(
        "SELECT schedule_id, name, code FROM rotation_schedules JOIN rotations ON rotations.id = rotation_id "
        f"{where} ORDER BY name COLLATE NOCASE, id, position LIMIT ?",
        (*params, limit),
    )
    return [(r[0], f"{r[1]} ({r[2]})") for r in rows]


async def with_source(db: Database, source: str) -> list[Rotation]:
    return await _select(db, "WHERE source = ?", (source,))


async def count(db: Database, source: str | None = None) -> int:
    if source is None:
        return await db.fetch_int("SELECT COUNT(*) FROM rotations")
    return await db.fetch_int("SELECT COUNT(*) FROM rotations WHERE source = ?", (source,))


async def insert(db: Database, rotation: Rotation) -> int:
    async with db.transaction():
        rotation_id = await db.execute(
            "INSERT INTO rotations (name, code, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            (rotation.name, rotation.code, rotation.created_by, rotation.created_at, rotation.updated_at),
        )
        await save(db, replace(rotation, id=rotation_id))
    return rotation_id


async def save(db: Database, rotation: Rotation) -> None:
    """Write every field of an existing rotation, its members and who of them is on duty, and the
    group they follow (the Slack work it wants is recorded by store/effects.py).

    Callers read the rotation inside the same transaction they save it in, so nothing another task
    wrote in between is overwritten.
    """
    async with db.transaction():
        await _update(db, rotation)
        await db.execute("DELETE FROM rotation_members WHERE rotation_id = ?", (rotation.id,))
        await db.executemany(
            "INSERT INTO rotation_members (rotation_id, position, slack_user_id, on_duty) VALUES (?, ?, ?, ?)",
            [(rotation.id, i, u, int(u in rotation.on_duty)) for i, u in enumerate(rotation.members)],
        )
        await db.execute("DELETE FROM rotation_schedules WHERE rotation_id = ?", (rotation.id,))
        await db.executemany(
            "INSERT INTO rotation_schedules (rotation_id, position, schedule_id) VALUES (?, ?, ?)",
            [(rotation.id, i, s) for i, s in enumerate(rotation.pd_schedule_ids)],
        )
        await member_groups.write(db, rotation)


class GroupHeld(Exception):
    """Another rotation follows this user group (the unique index caught a race the checks missed)."""


async def _update(db: Database, rotation: Rotation) -> None:
    try:
        await db.execute(
            """UPDATE rotations SET name = ?, code = ?, description = ?, source = ?, pd_schedule_id = ?,
                   schedule = ?, next_hand_over_at = ?, on_duty_since = ?, on_duty_until = ?, channels = ?,
                   usergroup_id = ?, usergroup_handle = ?, pd_status = ?, pd_unmatched = ?, updated_at = ?,
                   config_rev = ?, duty_rev = ?, duty_actor = ?, duty_changed_at = ?, pd_next_up = ?,
                   next_change_at = ?, topic_channels = ?, dm_on_duty = ?, dm_off_duty = ?, remind_before = ?,
                   templates = ?, request_expiry_minutes = ?, members_may_rotate = ?, template_authors = ?,
                   usergroup_create = ?, duty_size = ?, hand_over_all = ?, turn_people = ?, turn_since = ?,
                   working_hours = ?, holidays = ?, duty_why = ?, status_signal = ?, handoff_notes = ?,
                   pd_on_call_from = ?
               WHERE id = ?""",
            (
                rotation.name,
                rotation.code,
                rotation.description,
                rotation.source,
                rotation.pd_schedule_id,
                rotation.schedule.to_json(),
                rotation.next_hand_over_at,
                rotation.on_duty_since,
                rotation.on_duty_until,
                json.dumps(list(rotation.channels)),
                rotation.usergroup_id,
                rotation.usergroup_handle,
                rotation.pd_status,
                json.dumps([p.to_json() for p in rotation.pd_unmatched], sort_keys=True),
                rotation.updated_at,
                rotation.config_rev,
                rotation.duty_rev,
                rotation.duty_actor,
                rotation.duty_changed_at,
                json.dumps(list(rotation.pd_next_up)),
                rotation.next_change_at,
                json.dumps(list(rotation.topic_channels)),
                int(rotation.dm_on_duty),
                int(rotation.dm_off_duty),
                rotation.remind_before,
                json.dumps(rotation.templates, sort_keys=True),
                rotation.request_expiry_minutes,
                int(rotation.members_may_rotate),
                json.dumps(rotation.template_authors, sort_keys=True),
                int(rotation.usergroup_create),
                rotation.duty_size,
                int(rotation.hand_over_all),
                json.dumps(list(rotation.turn_people)),
                rotation.turn_since,
                json.dumps(rotation.working_hours.to_json()) if rotation.working_hours else None,
                json.dumps(rotation.holidays.to_json()) if rotation.holidays else None,
                rotation.duty_why,
                json.dumps(rotation.status_signal.to_json(), sort_keys=True),
                None if rotation.handoff_notes is None else int(rotation.handoff_notes),
                json.dumps([list(pair) for pair in rotation.pd_on_call_from]),
                rotation.id,
            ),
        )
    except sqlite3.IntegrityError as e:
        if "usergroup_id" in str(e):
            raise GroupHeld(rotation.usergroup_id) from None
        raise


async def delete(db: Database, rotation_id: int) -> None:
    await db.execute("DELETE FROM rotations WHERE id = ?", (rotation_id,))


async def adopt_groups(db: Database) -> int:
    """Groups kept before Round Robin tracked what Slack holds: assume they are as stored (the drift
    check reads them back within minutes), rather than rewriting every group at the first start."""
    missing = await _select(
        db,
        "WHERE usergroup_id IS NOT NULL AND id NOT IN (SELECT rotation_id FROM usergroup_sync)",
    )
    async with db.transaction():
        for rotation in missing:
            state = rotation.group_state
            if rotation.usergroup_id is None or state is None:
                continue  # the query asked for groups: not reached
            await outbox.want_group(db, rotation.id, rotation.usergroup_id, state)
            await outbox.group_applied(db, rotation.id, rotation.usergroup_id, state)
    return len(missing)
