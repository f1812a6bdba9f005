"""Pure rules of following PagerDuty: answers into shifts, whether a poll agrees with the stored plan,
batches that stay under the paging cap, and what a bound rotation looks like at a given moment.

No I/O here: the sync reads and stores, these decide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from roundrobin.rotations.model import Rotation, Unmatched
from roundrobin.store.pagerduty import PdSchedule, PdUser, Shift

# What a bound rotation says about its schedule (pd_status).
OK = "ok"
FINAL_SCHEDULE = "final_schedule"  # no escalation policy uses it: read from its final schedule
NOT_FOUND = "schedule_not_found"

Stretch = tuple[str, float, float]  # (PagerDuty user, start, end)


def ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def iso(epoch: float) -> str:
    """UTC, whole seconds (rounded down), Z: how every time is sent to PagerDuty."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- answers into shifts -------------------------------------------------------------------------


def shift_from_oncall(row: dict[str, Any]) -> Shift | None:
    """One /oncalls row as a shift; None for permanent on-calls (a user targeted directly)."""
    schedule, user = row.get("schedule"), row.get("user")
    if not schedule or not user or not row.get("start"):
        return None
    return Shift(
        schedule_id=schedule["id"],
        pd_user_id=user["id"],
        start=ts(row["start"]),
        end=ts(row["end"]) if row.get("end") else None,
    )


def user_from(data: dict[str, Any]) -> PdUser | None:
    if not data.get("id"):
        return None
    return PdUser(
        id=data["id"],
        name=data.get("name") or data.get("summary") or data["id"],
        email=data.get("email"),
        html_url=data.get("html_url"),
    )


def shifts_from_final_schedule(schedule_id: str, schedule: dict[str, Any]) -> list[Shift]:
    """A layer-based schedule's final_schedule entries (layers and overrides merged) as shifts.
    Entries of deleted users are left out, as PagerDuty keeps them in past renderings."""
    entries = (schedule.get("final_schedule") or {}).get("rendered_schedule_entries") or []
    shifts = []
    for entry in entries:
        user = entry.get("user") or {}
        if not user.get("id") or user.get("deleted_at") or not entry.get("start"):
            continue
        end = entry.get("end")
        shifts.append(Shift(schedule_id, user["id"], ts(entry["start"]), ts(end) if end else None))
    return shifts


def shifts_from_v3(schedule_id: str, schedule: dict[str, Any]) -> list[Shift]:
    """A shift-based schedule's computed assignments as shifts; `empty_member` slots are nobody."""
    assignments = (schedule.get("final_schedule") or {}).get("computed_shift_assignments") or []
    shifts = []
    for slot in assignments:
        member = slot.get("member") or {}
        if member.get("type") != "user_member" or not member.get("user_id") or not slot.get("start_time"):
            continue
        end = slot.get("end_time")
        shifts.append(Shift(schedule_id, member["user_id"], ts(slot["start_time"]), ts(end) if end else None))
    return shifts


def v3_member_ids(schedule: dict[str, Any]) -> tuple[str, ...]:
    """Everyone a shift-based schedule's rotations name (the list endpoint only gives references)."""
    found: dict[str, None] = {}
    for rotation in schedule.get("rotations") or []:
        for event in rotation.get("events") or []:
            for member in (event.get("assignment_strategy") or {}).get("members") or []:
                if member.get("type") == "user_member" and member.get("user_id"):
                    found[member["user_id"]] = None
    return tuple(found)


def routed(schedule: dict[str, Any]) -> bool:
    """Some escalation policy uses the schedule: only then does GET /oncalls show it."""
    return bool(schedule.get("escalation_policies"))


# -- does a poll agree with the plan? ------------------------------------------------------------


def timeline(shifts: Iterable[Shift], since: float, until: float) -> frozenset[Stretch]:
    """Who is on call when within [since, until): each person's time merged into stretches and cut
    at the window's edges, so two answers that agree here agree on all the window can show, whether
    or not either was cut at the window or split where layers meet."""
    pieces: dict[str, list[tuple[float, float]]] = {}
    for shift in shifts:
        start = max(shift.start, since)
        end = until if shift.end is None else min(shift.end, until)
        if end > start:
            pieces.setdefault(shift.pd_user_id, []).append((start, end))
    stretches: set[Stretch] = set()
    for user, spans in pieces.items():
        spans.sort()
        start, end = spans[0]
        for next_start, next_end in spans[1:]:
            if next_start <= end:
                end = max(end, next_end)
            else:
                stretches.add((user, start, end))
                start, end = next_start, next_end
        stretches.add((user, start, end))
    return frozenset(stretches)


def agrees(stored: Iterable[Shift], seen: Iterable[Shift], since: float, until: float) -> bool:
    """The stored plan and a fresh answer say the same about [since, until)."""
    return timeline(stored, since, until) == timeline(seen, since, until)


# -- batches under the cap -----------------------------------------------------------------------


def batches(
    ids: Sequence[str], expected: Mapping[str, float], default: float, max_ids: int, max_rows: float
) -> list[list[str]]:
    """The ids in order, cut into batches of at most `max_ids` whose expected rows (`expected` per
    id, else `default`) stay within `max_rows`; an id heavier than that alone gets a batch of its own."""
    result: list[list[str]] = []
    current: list[str] = []
    weight = 0.0
    for schedule_id in ids:
        rows = expected.get(schedule_id, default)
        if current and (len(current) >= max_ids or weight + rows > max_rows):
            result.append(current)
            current, weight = [], 0.0
        current.append(schedule_id)
        weight += rows
    if current:
        result.append(current)
    return result


# -- a bound rotation at a moment ----------------------------------------------------------------


@dataclass(frozen=True)
class Mirror:
    members: tuple[str, ...]
    on_duty: tuple[str, ...]
    until: float | None
    unmatched: tuple[Unmatched, ...]
    next_up: tuple[str, ...] = ()  # who PagerDuty has on call at the next hand-over
    next_change_at: float | None = None  # when that is
    on_call_from: tuple[
        tuple[str, str], ...
    ] = ()  # (Slack user on duty, the name of the schedule that has them)


def mirror(
    schedules: Sequence[PdSchedule],
    shifts: list[Shift],
    people: Mapping[str, PdUser],
    links: Mapping[str, str],
    slack_by_email: Mapping[str, str],
    now: float,
    gone: Mapping[str, str] | None = None,
) -> Mirror:
    """A bound rotation as PagerDuty has it at `now`: members, who is on call and until when, and
    who comes next and when. Following several schedules, it is their union: the members of all,
    on duty whoever is on call in any (follow-the-sun's shifts merge in time), until the first of
    their shifts ends. `gone`: PagerDuty user → why their Slack account cannot be on duty
    (deactivated…): they are named with the reason, like people Slack does not know."""
    gone = gone or {}
    current = sorted(
        (s for s in shifts if s.start <= now and (s.end is None or s.end > now)),
        key=lambda s: (s.start, s.pd_user_id),
    )
    on_call_ids = list(dict.fromkeys(s.pd_user_id for s in current))
    member_ids = list(
        dict.fromkeys([*(m for s in schedules for m in s.member_ids), *(s.pd_user_id for s in shifts)])
    )

    def slack_of(pd_id: str) -> str | None:
        if pd_id in gone:
            return None
        if pd_id in links:
            return links[pd_id]
        email = (people.get(pd_id) or PdUser(pd_id, pd_id)).email
        return slack_by_email.get(email.lower()) if email else None

    unmatched = []
    for pd_id in member_ids:
        if slack_of(pd_id) is None:
            person = people.get(pd_id) or PdUser(pd_id, pd_id)
            unmatched.append(
                Unmatched(pd_id, person.name, person.email, pd_id in on_call_ids, gone.get(pd_id))
            )
    ends = [s.end for s in current if s.end is not None]
    on_duty = tuple(dict.fromkeys(m for pd_id in on_call_ids if (m := slack_of(pd_id))))
    order = {s.id: n for n, s in enumerate(schedules)}
    names = {s.id: s.name for s in schedules}
    held = sorted(
        {(m, s.schedule_id) for s in current if (m := slack_of(s.pd_user_id))},
        key=lambda pair: (on_duty.index(pair[0]), order.get(pair[1], len(order))),
    )
    from_ = [(m, names.get(schedule_id, schedule_id)) for m, schedule_id in held]
    next_up, next_change_at = next_change(shifts, now, on_duty, slack_of)
    return Mirror(
        members=tuple(dict.fromkeys(m for pd_id in member_ids if (m := slack_of(pd_id)))),
        on_duty=on_duty,
        until=min(ends) if ends else None,
        unmatched=tuple(unmatched),
        next_up=next_up,
        next_change_at=next_change_at,
        on_call_from=tuple(from_) if len(schedules) > 1 else (),
    )


def all_routed(schedules: Sequence[PdSchedule]) -> bool | None:
    """Whether every schedule is used by some escalation policy (None: not known for one yet)."""
    if any(s.routed is None for s in schedules):
        return None
    return all(s.routed for s in schedules)


def next_change(
    shifts: list[Shift], now: float, on_duty: tuple[str, ...], slack_of: Callable[[str], str | None]
) -> tuple[tuple[str, ...], float | None]:
    """The Slack people on call at the first coming moment those on call change, and that moment."""
    ordered = sorted(shifts, key=lambda s: (s.start, s.pd_user_id))
    moments = sorted({t for s in shifts for t in (s.start, s.end) if t is not None and t > now})
    for moment in moments:
        ids = dict.fromkeys(
            s.pd_user_id for s in ordered if s.start <= moment and (s.end is None or s.end > moment)
        )
        people = tuple(dict.fromkeys(m for pd_id in ids if (m := slack_of(pd_id))))
        if set(people) != set(on_duty):
            return people, moment
    return (), None


def status(routed_now: bool | None, previous: str | None) -> str:
    """What the rotation says about its schedule; unknown routing (before the first refresh after a
    start) keeps what it said."""
    if routed_now is None:
        return previous if previous in (OK, FINAL_SCHEDULE) else OK
    return OK if routed_now else FINAL_SCHEDULE


def mirrored(rotation: Rotation, m: Mirror, status_now: str) -> bool:
    """The rotation already shows this mirror: following it again would write nothing."""
    members = tuple(dict.fromkeys((*m.on_duty, *m.members)))  # as RotationService.follow_pagerduty keeps them
    return (
        rotation.members == members
        and rotation.on_duty == m.on_duty
        and rotation.on_duty_until == m.until
        and tuple(rotation.pd_unmatched) == m.unmatched
        and rotation.pd_status == status_now
        and tuple(rotation.pd_next_up) == m.next_up
        and rotation.next_change_at == m.next_change_at
        and rotation.pd_on_call_from == m.on_call_from
    )
