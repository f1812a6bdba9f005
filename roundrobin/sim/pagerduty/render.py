"""The JSON shapes of PagerDuty's REST API (per its OpenAPI spec), built for one request.

`self` links point back at the fake that answered, `html_url` links at the account's web host, and
times are rendered in the zone the request asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo

from aiohttp import web

from roundrobin.sim.pagerduty.gate import DIRECTORY
from roundrobin.sim.pagerduty.model import (
    EscalationPolicy,
    OnCall,
    Schedule,
    Shift,
    User,
    coverage_percentage,
    covered_intervals,
    gaps,
    render_time,
)

Window = tuple[float, float]
UTC_ZONE = ZoneInfo("UTC")


class Render:
    """The spec's JSON shapes for one request; `self` links point back at this fake."""

    def __init__(self, request: web.Request, zone: ZoneInfo | None = None) -> None:
        self.directory = request.app[DIRECTORY]
        self.api = str(request.url.origin())
        self.web = self.directory.account.web_url
        self.zone = zone or ZoneInfo("UTC")

    def time(self, epoch: float | None) -> str | None:
        return None if epoch is None else render_time(epoch, self.zone)

    def _ref(self, kind: str, obj_id: str, summary: str | None, api_path: str, web_path: str) -> dict:
        return {
            "id": obj_id,
            "type": kind,
            "summary": summary,
            "self": f"{self.api}{api_path}",
            "html_url": f"{self.web}{web_path}",
        }

    def user_ref(self, user_id: str) -> dict:
        user = self.directory.users.get(user_id)
        path = f"/users/{user_id}"
        return self._ref("user_reference", user_id, user.name if user else None, path, path)

    def user(self, user: User) -> dict:
        path = f"/users/{user.id}"
        return {
            **self._ref("user", user.id, user.name, path, path),
            "name": user.name,
            "email": user.email,
            "time_zone": user.time_zone,
            "color": "purple",
            "role": user.role,
            "avatar_url": "https://pd-static-assets.pagerduty.com/users/blank-avatar.png",
            "description": None,
            "invitation_sent": False,
            "job_title": user.job_title,
            "created_via_sso": False,
            "teams": [],
            "contact_methods": [],
            "notification_rules": [],
        }

    def schedule_ref(self, schedule: Schedule) -> dict:
        if schedule.shift_based:
            api_path, kind = f"/v3/schedules/{schedule.id}", "schedule_v3_reference"
        else:
            api_path, kind = f"/schedules/{schedule.id}", "schedule_reference"
        return self._ref(kind, schedule.id, schedule.name, api_path, f"/schedules/{schedule.id}")

    def schedule(self, schedule: Schedule) -> dict:
        """A layer-based schedule as GET /schedules lists it."""
        path = f"/schedules/{schedule.id}"
        return {
            **self._ref("schedule", schedule.id, schedule.name, path, path),
            "name": schedule.name,
            "time_zone": schedule.time_zone,
            "description": schedule.description,
            "escalation_policies": [self.policy_ref(p) for p in self.directory.policies_of(schedule.id)],
            "users": [self.user_ref(user_id) for user_id in schedule.member_ids()],
            "teams": [],
        }

    def schedule_detail(self, schedule: Schedule, window: Window | None, overflow: bool) -> dict:
        """GET /schedules/{id}: the list shape plus one layer, overrides and the final schedule."""
        final = self.final_schedule(schedule, window, overflow)
        start = self.time(self._rotation_start(schedule))
        layer = {
            "id": f"L{schedule.id}",
            "name": "Layer 1",
            "start": start,
            "rotation_virtual_start": start,
            "rotation_turn_length_seconds": schedule.rotation_turn(),
            "users": [{"user": self.user_ref(user_id)} for user_id in schedule.member_ids()],
            "restrictions": [],
            "rendered_schedule_entries": final["rendered_schedule_entries"],
            "rendered_coverage_percentage": final["rendered_coverage_percentage"],
        }
        empty = None if window is None else 0
        return {
            **self.schedule(schedule),
            **self._calendar_urls(schedule),
            "schedule_layers": [layer],
            "overrides_subschedule": {
                "name": "Overrides",
                "rendered_schedule_entries": [],
                "rendered_coverage_percentage": empty,
            },
            "final_schedule": final,
        }

    def final_schedule(self, schedule: Schedule, window: Window | None, overflow: bool) -> dict:
        """v2 final_schedule: entries are cut at the window's edges unless overflow=true."""
        if window is None:
            return {
                "name": "Final Schedule",
                "rendered_schedule_entries": [],
                "rendered_coverage_percentage": None,
            }
        shifts = schedule.shifts_between(*window)
        entries = []
        for shift in shifts:
            start, end = _bounds(shift, window, overflow)
            entries.append(
                {"start": self.time(start), "end": self.time(end), "user": self.user_ref(shift.user_ids[0])}
            )
        covered = covered_intervals(shifts, *window)
        return {
            "name": "Final Schedule",
            "rendered_schedule_entries": entries,
            "rendered_coverage_percentage": coverage_percentage(covered, *window),
        }

    def v3_schedule(self, schedule: Schedule) -> dict:
        """GET /v3/schedules/{id} without includes: one rotation whose one event holds every member."""
        members = [{"type": "user_member", "user_id": user_id} for user_id in schedule.member_ids()]
        zone, start, turn = (
            ZoneInfo(schedule.time_zone),
            self._rotation_start(schedule),
            schedule.rotation_turn(),
        )
        event = {
            "id": f"{_rotation_id(schedule)[:-1]}E",
            "type": "schedule_event",
            "name": schedule.name,
            "start_time": {"date_time": render_time(start, zone), "time_zone": schedule.time_zone},
            "end_time": {"date_time": render_time(start + turn, zone), "time_zone": schedule.time_zone},
            "effective_since": render_time(start, UTC_ZONE),
            "effective_until": None,
            "recurrence": [_rrule(turn)],
            # an event has at least one member: a schedule nobody is on yet has an unassigned slot
            "assignment_strategy": {
                "type": "every_member_assignment_strategy",
                "members": members or [{"type": "empty_member"}],
            },
        }
        rotation = {"id": _rotation_id(schedule), "type": "schedule_rotation", "events": [event]}
        return {
            "id": schedule.id,
            "type": "schedule_v3",
            "name": schedule.name,
            "time_zone": schedule.time_zone,
            "description": schedule.description,
            "self": f"{self.api}/v3/schedules/{schedule.id}",
            "html_url": f"{self.web}/schedules/{schedule.id}",
            "teams": [],
            "escalation_policies": [self.policy_ref(p) for p in self.directory.policies_of(schedule.id)],
            "rotations": [rotation],
            **self._calendar_urls(schedule),
        }

    def computed_shifts(self, schedule: Schedule, window: Window, overflow: bool) -> dict:
        """v3 final_schedule: one assignment per user per shift, and empty_member for the gaps."""
        shifts = schedule.shifts_between(*window)
        source = {"type": "schedule_rotation", "rotation_id": _rotation_id(schedule)}
        slots: list[tuple[float, float, dict]] = []
        for shift in shifts:
            # end_time is required in v3, so a shift that never ends is cut at the window even with overflow.
            start, end = _bounds(shift, window, overflow)
            end = window[1] if end is None else end
            slots += [(start, end, {"type": "user_member", "user_id": uid}) for uid in shift.user_ids]
        covered = covered_intervals(shifts, *window)
        slots += [(start, end, {"type": "empty_member"}) for start, end in gaps(covered, *window)]
        slots.sort(key=lambda slot: (slot[0], slot[2].get("user_id", "")))
        assignments = [
            {
                "type": "computed_shift_assignment",
                "start_time": self.time(start),
                "end_time": self.time(end),
                "member": member,
                "source": source,
            }
            for start, end, member in slots
        ]
        return {
            "type": "final_schedule",
            "rendered_coverage_percentage": coverage_percentage(covered, *window),
            "computed_shift_assignments": assignments,
        }

    def policy_ref(self, policy: EscalationPolicy) -> dict:
        path = f"/escalation_policies/{policy.id}"
        return self._ref("escalation_policy_reference", policy.id, policy.name, path, path)

    def policy(self, policy: EscalationPolicy) -> dict:
        path = f"/escalation_policies/{policy.id}"
        rules = [
            {
                "id": f"R{policy.id}{rule.level}",
                "escalation_delay_in_minutes": 30,
                "targets": [self.schedule_ref(self.directory.schedules[sid]) for sid in rule.schedule_ids]
                + [self.user_ref(user_id) for user_id in rule.user_ids],
            }
            for rule in policy.rules
        ]
        return {
            **self._ref("escalation_policy", policy.id, policy.name, path, path),
            "name": policy.name,
            "escalation_rules": rules,
            "num_loops": 0,
            "services": [],
            "teams": [],
        }

    def oncall(self, row: OnCall, includes: set[str]) -> dict:
        """A GET /oncalls row; include[] swaps references for full objects."""
        policy = self.directory.policies[row.policy_id]
        user = self.directory.users[row.user_id]
        schedule = None if row.schedule_id is None else self.directory.schedules[row.schedule_id]
        return {
            "escalation_policy": self.policy(policy)
            if "escalation_policies" in includes
            else self.policy_ref(policy),
            "escalation_level": row.level,
            "schedule": self._oncall_schedule(schedule, "schedules" in includes),
            "user": self.user(user) if "users" in includes else self.user_ref(user.id),
            "start": self.time(row.start),
            "end": self.time(row.end),
        }

    def _oncall_schedule(self, schedule: Schedule | None, full: bool) -> dict | None:
        if schedule is None:
            return None
        if not full:
            return self.schedule_ref(schedule)
        return self.v3_schedule(schedule) if schedule.shift_based else self.schedule(schedule)

    def _rotation_start(self, schedule: Schedule) -> float:
        """Where the rotation starts: its first shift, or (nobody scheduled yet) now."""
        return schedule.shifts[0].start if schedule.shifts else self.directory.account.now()

    def _calendar_urls(self, schedule: Schedule) -> Mapping[str, str]:
        feed = f"{self.web.removeprefix('https://')}/private/feed/schedule/{schedule.id}"
        return {"http_cal_url": f"https://{feed}", "web_cal_url": f"webcal://{feed}"}


def _bounds(shift: Shift, window: Window, overflow: bool) -> tuple[float, float | None]:
    if overflow:
        return shift.start, shift.end
    return max(shift.start, window[0]), min(shift.stop, window[1])


def _rrule(turn: int) -> str:
    """The RFC 5545 rule of a rotation that hands over every `turn` seconds."""
    for unit, frequency in ((7 * 86400, "WEEKLY"), (86400, "DAILY"), (3600, "HOURLY"), (60, "MINUTELY")):
        if turn % unit == 0:
            count = turn // unit
            return f"RRULE:FREQ={frequency}" + (f";INTERVAL={count}" if count > 1 else "")
    return f"RRULE:FREQ=SECONDLY;INTERVAL={turn}"


def _rotation_id(schedule: Schedule) -> str:
    """A stable 26-character rotation id, shaped like PagerDuty's."""
    return f"R{schedule.id}".upper().ljust(26, "0")[:26]
