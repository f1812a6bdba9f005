"""What the on-call load report reads from the history: duty changes over a period (with the last
one before it, so who was on duty when it began is known), covers, and answered requests."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from roundrobin.db import Database
from roundrobin.rotations.load import Change, Counts

_CHUNK = 500


def _marks(ids: list[int]) -> str:
    return ", ".join("?" for _ in ids)


def _people(detail: str) -> tuple[str, ...]:
    after: Any = json.loads(detail).get("after")
    return tuple(p for p in after if isinstance(p, str)) if isinstance(after, list) else ()


async def duty_changes(
    db: Database, rotation_ids: Iterable[int], start: float, end: float
) -> dict[int, list[Change]]:
    """Rotation id → its duty changes in [start, end), oldest first, after the last one before `start`."""
    ids = sorted(set(rotation_ids))
    found: dict[int, list[Change]] = {i: [] for i in ids}
    for first in range(0, len(ids), _CHUNK):
        chunk = ids[first : first + _CHUNK]
        ids_sql = ", ".join("(?)" for _ in chunk)
        # The last change before the period (one index seek a rotation), then the period's own.
        rows = await db.fetchall(
            f"""WITH ids(id) AS (VALUES {ids_sql}),
                last(rotation_id, at) AS (
                    SELECT id, (SELECT MAX(at) FROM events
                                WHERE rotation_id = ids.id AND kind = 'duty.changed' AND at < ?)
                    FROM ids)
                SELECT e.rotation_id, e.at, e.detail FROM last
                JOIN events e ON e.rotation_id = last.rotation_id AND e.kind = 'duty.changed' AND e.at = last.at
                UNION ALL
                SELECT rotation_id, at, detail FROM events
                WHERE rotation_id IN (SELECT id FROM ids) AND kind = 'duty.changed' AND at >= ? AND at < ?
                ORDER BY 2""",
            (*chunk, start, start, end),
        )
        for r in rows:
            found[r[0]].append(Change(r[1], _people(r[2])))
    return found


async def counts(db: Database, rotation_ids: Iterable[int], start: float, end: float) -> dict[int, Counts]:
    """Rotation id → covers given and taken (starting in the period; swaps are not covers) and
    @Round Robin requests answered (closed in it), per person."""
    ids = sorted(set(rotation_ids))
    found: dict[int, Counts] = {i: Counts({}, {}, {}) for i in ids}
    for first in range(0, len(ids), _CHUNK):
        chunk = ids[first : first + _CHUNK]
        covers = await db.fetchall(
            f"""SELECT rotation_id, person_in, person_out, COUNT(*) FROM overrides
                WHERE kind = 'cover' AND why = 'cover' AND person_in IS NOT NULL
                  AND start_at >= ? AND start_at < ? AND rotation_id IN ({_marks(chunk)})
                GROUP BY rotation_id, person_in, person_out""",
            (start, end, *chunk),
        )
        for rotation_id, person_in, person_out, n in covers:
            given, taken = found[rotation_id].covers_given, found[rotation_id].covers_taken
            given[person_in] = given.get(person_in, 0) + n
            taken[person_out] = taken.get(person_out, 0) + n
        answered = await db.fetchall(
            f"""SELECT rotation_id, acked_by, COUNT(*) FROM requests
                WHERE state = 'acked' AND acked_by IS NOT NULL AND closed_at >= ? AND closed_at < ?
                  AND rotation_id IN ({_marks(chunk)})
                GROUP BY rotation_id, acked_by""",
            (start, end, *chunk),
        )
        for rotation_id, person, n in answered:
            found[rotation_id].answered[person] = n
    return found
