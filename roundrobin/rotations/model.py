"""The rotation entity and the values a duty change carries to the Slack effects."""

from __future__ import annotations

from dataclasses import dataclass, field

from roundrobin.rotations.schedule import Schedule


@dataclass(frozen=True)
class GroupState:
    """What an on-duty user group is (or should be) in Slack."""

    enabled: bool
    users: tuple[str, ...] = ()

    @classmethod
    def of(cls, on_duty: tuple[str, ...]) -> GroupState:
        # Slack cannot empty a group: with nobody on duty it is disabled instead.
        return cls(True, tuple(sorted(set(on_duty)))) if on_duty else cls(False)

    def to_json(self) -> dict:
        return {"enabled": self.enabled, "users": list(self.users)}

    @classmethod
    def from_json(cls, data: dict | None) -> GroupState | None:
        if data is None:
            return None
        return cls(bool(data["enabled"]), tuple(sorted(data.get("users") or ())) if data["enabled"] else ())


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
    pd_status: str | None = None
    pd_unmatched: tuple[dict, ...] = ()
    created_at: float = 0.0
    updated_at: float = 0.0
    config_rev: int = 0  # bumped by every edit: a form opened before another edit is stale
    duty_rev: int = 0  # bumped by every duty change: a Rotate pressed on a stale view is refused
    duty_actor: str | None = None  # who made the last duty change (None: a schedule or PagerDuty)
    duty_changed_at: float | None = None
    # PagerDuty-bound: who is on call after the next change of hands, and when that is (from the sync).
    next_on_duty: tuple[str, ...] = ()
    next_change_at: float | None = None
    topic_channels: tuple[str, ...] = ()  # channels whose topic says who is on duty
    dm_on_duty: bool = False  # DM the person going on duty
    dm_off_duty: bool = False  # DM the person going off duty
    remind_before: int | None = None  # seconds before a planned hand-over to remind who takes over
    templates: dict[str, str] = field(default_factory=dict)  # announcement | dm_on | dm_off | topic
    template_authors: dict[str, str] = field(default_factory=dict)  # surface → who wrote its template
    request_expiry_minutes: int = 60  # an @Round Robin request nobody answers expires after this
    members_may_rotate: bool = True  # members may hand over and Rotate, not only managers

    @property
    def bound(self) -> bool:
        return self.source == "pagerduty"

    @property
    def next_up(self) -> str | None:
        """Who follows the people on duty: in turn order, or as PagerDuty has it."""
        if self.bound:
            return next((u for u in self.next_on_duty if u not in self.on_duty), None)
        if len(self.members) < 2:
            return None
        on_duty = [i for i, m in enumerate(self.members) if m in self.on_duty]
        start = on_duty[-1] if on_duty else -1
        for step in range(1, len(self.members) + 1):
            candidate = self.members[(start + step) % len(self.members)]
            if candidate not in self.on_duty:
                return candidate
        return None

    @property
    def group_state(self) -> GroupState | None:
        """What the on-duty user group should be, when the rotation has one."""
        return GroupState.of(self.on_duty) if self.usergroup_id else None

    @property
    def unmatched_on_call(self) -> tuple[dict, ...]:
        """People PagerDuty has on call whom Round Robin cannot find in Slack."""
        return tuple(p for p in self.pd_unmatched if p.get("on_call"))


@dataclass(frozen=True)
class DutyChange:
    """Everything the Slack effects of one duty change need, decided by whoever made the change."""

    rotation: Rotation  # as it is now
    before: tuple[str, ...]
    reason: str  # created | rotated | handoff | set | edited | pagerduty
    actor: str | None = None
    next_up: tuple[str, ...] = ()
    at: float = 0.0

    def announcement(self) -> dict:
        """What the channels are told, as plain data; rendered into a message when it is sent."""
        r = self.rotation
        return {
            "on_duty": list(r.on_duty),
            "before": list(self.before),
            "until": r.on_duty_until,
            "next_up": [u for u in self.next_up if u not in r.on_duty],
            "reason": self.reason,
            "actor": self.actor,
            "at": self.at,
            "unmatched": [{"name": p.get("name"), "email": p.get("email")} for p in r.unmatched_on_call],
        }


def merge_announcements(earlier: dict, later: dict) -> dict:
    """A burst of duty changes is told once: the newest state and who was on duty before the burst;
    for a run of the same change by the same person, how many it was and who was on duty only in
    between (two Rotates by mistake skip a person: the channel must hear it)."""
    before = list(earlier.get("before", []))
    same = (earlier.get("reason"), earlier.get("actor")) == (later.get("reason"), later.get("actor"))
    if not same:  # a rotation created and handed over at once: told as it is now, nothing skipped
        return {**later, "before": before}
    between = [*earlier.get("between", []), *earlier.get("on_duty", [])]
    return {
        **later,
        "before": before,
        "changes": int(earlier.get("changes", 1)) + 1,
        "between": [
            u for u in dict.fromkeys(between) if u not in later.get("on_duty", []) and u not in before
        ],
    }


def next_in_turn(rotation: Rotation) -> tuple[str, ...]:
    if rotation.bound:
        return tuple(u for u in rotation.next_on_duty if u not in rotation.on_duty)
    return (rotation.next_up,) if rotation.next_up else ()


def topic_state(rotation: Rotation) -> dict:
    """What a channel topic says about a rotation: who is on duty, until when, who is next."""
    return {
        "on_duty": list(rotation.on_duty),
        "until": rotation.on_duty_until,
        "next_up": list(next_in_turn(rotation)),
        "unmatched": [{"name": p.get("name"), "email": p.get("email")} for p in rotation.unmatched_on_call],
    }
