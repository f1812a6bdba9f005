"""The rotation entity and the values a duty change carries to the Slack effects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from roundrobin.rotations.schedule import Schedule
from roundrobin.rotations.status import SlackStatus, StatusSignal, status_words

# Why Slack keeps someone out of user groups (docs.slack.dev, usergroups.users.update: deactivated
# accounts are `invalid_users`, guests and bots `invalid_user`, single-channel guests
# `single_channel_guests_cannot_be_added`, people of another workspace `failed_for_some_users`).
DEACTIVATED = "deactivated"
BOT = "bot"
MISSING = "missing"  # Slack does not know the id (any more): gone, or of another workspace
LEFT_GROUP = "left_group"  # out of the user group the members follow: off after their shift
GUEST = "guest"
SINGLE_CHANNEL_GUEST = "single_channel_guest"
GUESTS = frozenset({GUEST, SINGLE_CHANNEL_GUEST})
# Nobody can reach these people in Slack: a turn order passes them by.
GONE = frozenset({DEACTIVATED, BOT, MISSING})
# A duty change that follows the turn order (and so may pass people by).
IN_TURN = frozenset({"rotated", "handoff", "handed_over", "left"})
WHY_NOT = {
    DEACTIVATED: "their Slack account is deactivated",
    BOT: "it is a bot, not a person",
    MISSING: "Slack does not know them (any more): not in this workspace",
    GUEST: "they are a guest, and Slack keeps guests out of user groups",
    SINGLE_CHANNEL_GUEST: "they are a single-channel guest, and Slack keeps guests out of user groups",
    "away": "they are away",
    "skipped": "their turn was skipped",
    LEFT_GROUP: "they left the user group the rotation's members follow",
}


def why_not(reason: str) -> str:
    """Why someone cannot be on duty (or in the group), in plain words: "their Slack account is …"."""
    if words := status_words(reason):
        return words
    return WHY_NOT.get(reason, "Slack will not have them in a user group")


@dataclass(frozen=True)
class Unmatched:
    """Someone PagerDuty has in a bound rotation's schedule whom Slack cannot have on duty: not
    linked to a Slack user (`why` None), or linked to an account that cannot be (`why`: DEACTIVATED…)."""

    id: str | None  # the PagerDuty user; None where a message names them (it keeps no id)
    name: str | None
    email: str | None
    on_call: bool = False
    why: str | None = None

    def to_json(self) -> dict[str, Any]:
        """As the rotation keeps it (rotations.pd_unmatched)."""
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "on_call": self.on_call,
        }
        return {**data, "why": self.why} if self.why else data

    def named(self) -> dict[str, Any]:
        """As a message keeps it: who, and why Slack cannot have them."""
        data = {"name": self.name, "email": self.email}
        return {**data, "why": self.why} if self.why else data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Unmatched:
        """Either shape: the rotation's record or a message's."""
        return cls(
            id=data.get("id"),
            name=data.get("name"),
            email=data.get("email"),
            on_call=bool(data.get("on_call")),
            why=data.get("why") or None,
        )


@dataclass(frozen=True)
class GroupState:
    """What an on-duty user group is (or should be) in Slack."""

    enabled: bool
    users: tuple[str, ...] = ()

    @classmethod
    def of(cls, on_duty: tuple[str, ...]) -> GroupState:
        # Slack cannot empty a group: with nobody on duty it is disabled instead.
        return cls(True, tuple(sorted(set(on_duty)))) if on_duty else cls(False)

    def to_json(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "users": list(self.users)}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> GroupState | None:
        if data is None:
            return None
        return cls(bool(data["enabled"]), tuple(sorted(data.get("users") or ())) if data["enabled"] else ())


@dataclass(frozen=True)
class WorkingHours:
    """On duty only on these weekdays (0 = Monday) from `start` to `end`, in the rotation's zone;
    outside them nobody is, or `fallback`."""

    days: tuple[int, ...] = (0, 1, 2, 3, 4)
    start: str = "09:00"
    end: str = "17:00"
    fallback: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"days": list(self.days), "start": self.start, "end": self.end, "fallback": self.fallback}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> WorkingHours | None:
        if not data:
            return None
        return cls(
            tuple(data.get("days") or ()),
            data.get("start", "09:00"),
            data.get("end", "17:00"),
            data.get("fallback"),
        )


HOLIDAY_MODES = ("stay", "nobody")  # on a public holiday: nobody hands over, or nobody is on duty


@dataclass(frozen=True)
class Holidays:
    """Public holidays of a country (and subdivision), from the `holidays` package."""

    country: str
    subdivision: str | None = None
    mode: str = "stay"

    def to_json(self) -> dict[str, Any]:
        return {"country": self.country, "subdivision": self.subdivision, "mode": self.mode}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Holidays | None:
        if not data or not data.get("country"):
            return None
        return cls(data["country"], data.get("subdivision"), data.get("mode", "stay"))


GROUP_ORDER, ALPHABETICAL = "group", "alphabetical"  # turn orders of members that follow a group


@dataclass(frozen=True)
class MemberSource:
    """The Slack user group a manual rotation's members follow (rotations/membership.py has the rules)."""

    usergroup_id: str
    handle: str
    order: str = GROUP_ORDER  # the first turn order: the group's, or alphabetical; newcomers join at the end
    # People out of the group whose shift is not over (on duty, or their turn): they leave the
    # rotation at the next hand-over.
    leaving: tuple[str, ...] = ()


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
    next_hand_over_at: float | None = None
    channels: tuple[str, ...] = ()
    usergroup_id: str | None = None
    usergroup_handle: str | None = None
    usergroup_create: bool = False  # the group is still to be created in Slack (with usergroup_handle)
    pd_status: str | None = None
    pd_unmatched: tuple[Unmatched, ...] = ()
    created_at: float = 0.0
    updated_at: float = 0.0
    config_rev: int = 0  # bumped by every edit: a form opened before another edit is stale
    duty_rev: int = 0  # bumped by every duty change: a Rotate pressed on a stale view is refused
    duty_actor: str | None = None  # who made the last duty change (None: a schedule or PagerDuty)
    duty_changed_at: float | None = None
    # PagerDuty-bound: who is on call after the next hand-over, and when that is (from the sync).
    pd_next_up: tuple[str, ...] = ()
    next_change_at: float | None = None
    topic_channels: tuple[str, ...] = ()  # channels whose topic says who is on duty
    dm_on_duty: bool = False  # DM the person going on duty
    dm_off_duty: bool = False  # DM the person going off duty
    remind_before: int | None = None  # seconds before a planned hand-over to remind who takes over
    templates: dict[str, str] = field(default_factory=dict)  # announcement | dm_on | dm_off | topic
    template_authors: dict[str, str] = field(default_factory=dict)  # surface → who wrote its template
    request_expiry_minutes: int = 60  # an @Round Robin request nobody answers expires after this
    members_may_rotate: bool = True  # members may hand over and Rotate, not only managers
    duty_size: int = 1  # how many people are on duty at once (manual rotations)
    hand_over_all: bool = True  # a hand-over moves the whole set; False: one person at a time
    # Who the turn order has on duty now, when covers, time away or working hours put others on
    # (empty: the people on duty), and since when (None: on_duty_since).
    turn_people: tuple[str, ...] = ()
    turn_since: float | None = None
    working_hours: WorkingHours | None = None
    holidays: Holidays | None = None
    duty_why: str = "turn"  # why these people are on duty now (rotations/timeline.py: turn, cover, closed…)
    member_source: MemberSource | None = None  # the members follow a Slack user group
    status_signal: StatusSignal = field(default_factory=StatusSignal)  # what a Slack status does at hand-over
    handoff_notes: bool | None = (
        None  # ask whoever goes off duty for a note (None: as rotations/handoff.py says)
    )
    # PagerDuty-bound: the schedules it follows besides the first (pd_schedule_id): on duty is whoever
    # is on call in any of them (primary + secondary; follow-the-sun's shifts merged in time)…
    pd_more_schedule_ids: tuple[str, ...] = ()
    # …and which schedule put each person on duty: (Slack user, schedule name) pairs, for the labels
    # on the card, in Details and in announcements (a name changed in PagerDuty follows at the next look).
    pd_on_call_from: tuple[tuple[str, str], ...] = ()
    # The rotation's people whom Slack keeps out of user groups, and why (DEACTIVATED, GUEST, …):
    # facts from the cached Slack directory, read with the rotation and never stored with it.
    unavailable: dict[str, str] = field(default_factory=dict, compare=False)
    # The Slack statuses its members wear, when the rotation watches them (from the same directory).
    statuses: dict[str, SlackStatus] = field(default_factory=dict, compare=False)

    @property
    def bound(self) -> bool:
        return self.source == "pagerduty"

    @property
    def pd_schedule_ids(self) -> tuple[str, ...]:
        """Every PagerDuty schedule the rotation follows, the first first (none once unbound)."""
        if not self.pd_schedule_id:
            return ()
        return tuple(dict.fromkeys((self.pd_schedule_id, *self.pd_more_schedule_ids)))

    def on_call_from(self, person: str) -> tuple[str, ...]:
        """The names of the schedules that have this person on duty now (following several)."""
        return tuple(s for p, s in self.pd_on_call_from if p == person)

    def can_serve(self, user_id: str) -> bool:
        """Whether the turn order may put this person on duty: not a deactivated account, a bot or an
        id Slack no longer knows; not a guest either when the rotation keeps a user group (Slack keeps
        guests out of groups, and the group is how people reach whoever is on duty)."""
        why = self.unavailable.get(user_id)
        return why is None or (why in GUESTS and not self.usergroup_id)

    @property
    def next_up(self) -> str | None:
        """Who follows the people on duty: in turn order (passing by whoever cannot be on duty), or
        as PagerDuty has it."""
        if self.bound or self.pd_next_up:  # PagerDuty's, or the timeline's next change
            return next((u for u in self.pd_next_up if u not in self.on_duty), None)
        if len(self.members) < 2:
            return None
        turn = self.turn_people or self.on_duty
        return next(iter(self.turn_after(turn, exclude=(*self.on_duty, *turn))), None)

    def turn_after(self, people: tuple[str, ...], exclude: tuple[str, ...] = ()) -> list[str]:
        """Members who can be on duty, in turn order from just after the last of `people` (from the
        top when none of them is a member), without those in `exclude`."""
        if not self.members:
            return []
        places = [i for i, m in enumerate(self.members) if m in people]
        start = places[-1] if places else -1
        count = len(self.members)
        ordered = (self.members[(start + step) % count] for step in range(1, count + 1))
        return [u for u in ordered if u not in exclude and self.can_serve(u)]

    def passed_over(self, before: tuple[str, ...], after: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
        """(person, why) for the members the turn order passed by going from `before` to `after`:
        those between them who cannot be on duty."""
        if not after or after[0] not in self.members:
            return ()
        places = [i for i, m in enumerate(self.members) if m in before]
        start = places[-1] if places else -1
        count = len(self.members)
        found: list[tuple[str, str]] = []
        for step in range(1, count + 1):
            person = self.members[(start + step) % count]
            if person == after[0]:
                return tuple(found)
            if person not in before and not self.can_serve(person):
                found.append((person, self.unavailable[person]))
        return ()

    @property
    def cannot_serve(self) -> tuple[tuple[str, str], ...]:
        """(member, why) for members the turn order passes by: shown so a manager can remove them."""
        return tuple((u, self.unavailable[u]) for u in self.members if not self.can_serve(u))

    @property
    def out_of_group(self) -> tuple[tuple[str, str], ...]:
        """(person, why) for people on duty whom Slack will not have in the user group."""
        if not self.usergroup_id:
            return ()
        return tuple((u, self.unavailable[u]) for u in self.on_duty if u in self.unavailable)

    @property
    def group_key(self) -> str | None:
        """What the group work is keyed by: the group's id, or "+handle" while it is still to be
        created (no Slack id begins with "+")."""
        if self.usergroup_id:
            return self.usergroup_id
        return f"+{self.usergroup_handle}" if self.usergroup_create and self.usergroup_handle else None

    @property
    def group_state(self) -> GroupState | None:
        """What the on-duty user group should be, when the rotation has one: the people on duty whom
        Slack takes (one bad account never blocks the rest); disabled when that is nobody."""
        if not self.usergroup_id and not self.usergroup_create:
            return None
        return GroupState.of(tuple(u for u in self.on_duty if u not in self.unavailable))

    @property
    def unmatched_on_call(self) -> tuple[Unmatched, ...]:
        """People PagerDuty has on call whom Round Robin cannot find in Slack."""
        return tuple(p for p in self.pd_unmatched if p.on_call)


@dataclass(frozen=True)
class Notifications:
    """How a rotation tells people, beyond its channel messages and user group."""

    topic_channels: tuple[str, ...] = ()
    dm_on_duty: bool = False
    dm_off_duty: bool = False
    remind_before: int | None = None
    templates: dict[str, str] = field(default_factory=dict)
    request_expiry_minutes: int = 60
    handoff_notes: bool | None = None  # None: not in the form (the rotation's setting is kept)

    @classmethod
    def of(cls, rotation: Rotation) -> Notifications:
        return cls(
            rotation.topic_channels,
            rotation.dm_on_duty,
            rotation.dm_off_duty,
            rotation.remind_before,
            dict(rotation.templates),
            rotation.request_expiry_minutes,
            rotation.handoff_notes,
        )


@dataclass(frozen=True)
class DutyChange:
    """Everything the Slack effects of one duty change need, decided by whoever made the change."""

    rotation: Rotation  # as it is now
    before: tuple[str, ...]
    reason: str  # created | rotated | hand-over | handed_over | set | edited | pagerduty | left
    actor: str | None = None
    next_up: tuple[str, ...] = ()
    at: float = 0.0
    # (person, why): people who went off duty because they cannot be on duty any more (reason
    # "left"), and members the turn order passed by on the way to who is on duty now.
    left: tuple[tuple[str, str], ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()


def next_up_people(rotation: Rotation) -> tuple[str, ...]:
    """Who is on duty next: as PagerDuty or the timeline has it, or the next in turn."""
    if rotation.bound or rotation.pd_next_up:
        return tuple(u for u in rotation.pd_next_up if u not in rotation.on_duty)
    return (rotation.next_up,) if rotation.next_up else ()
