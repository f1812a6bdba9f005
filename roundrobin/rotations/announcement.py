"""What a change tells people, as values kept with the message until it is sent.

An `Announcement` is what a duty change tells its channels and the people who came on or went off
duty; `Words` are the rotation's own words when the change was made (a rename a moment later does
not change an announcement already made); `Notice` and `Reminder` are the other messages a change
plans; `TopicState` is what a channel topic says. Each is stored as JSON (the outbox, channel
topics) and read back when it is sent, so `from_json` reads every body the app has stored: its keys
are never renamed, and a key an older body lacks has its old meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from roundrobin.rotations.model import DutyChange, Rotation, Unmatched, next_up_people
from roundrobin.rotations.schedule import Schedule


class Body(Protocol):
    """A message body the outbox keeps: plain data, rendered when it is sent."""

    def to_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Words:
    """The words of a rotation a message needs, as they were when the message was planned."""

    name: str
    code: str
    description: str = ""
    usergroup_id: str | None = None
    usergroup_handle: str | None = None
    source: str = "manual"
    templates: dict[str, str] = field(default_factory=dict)
    template_authors: dict[str, str] = field(default_factory=dict)
    schedule: Schedule = field(default_factory=Schedule)

    @classmethod
    def of(cls, rotation: Rotation) -> Words:
        return cls(
            name=rotation.name,
            code=rotation.code,
            description=rotation.description,
            usergroup_id=rotation.usergroup_id,
            usergroup_handle=rotation.usergroup_handle,
            source=rotation.source,
            templates=dict(rotation.templates),
            template_authors=dict(rotation.template_authors),
            schedule=rotation.schedule,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "code": self.code,
            "description": self.description,
            "usergroup_id": self.usergroup_id,
            "usergroup_handle": self.usergroup_handle,
            "source": self.source,
            "templates": dict(self.templates),
            "template_authors": dict(self.template_authors),
            "schedule": self.schedule.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Words | None:
        """None for a body stored before messages kept their words (and for one that has none)."""
        if not data:
            return None
        return cls(
            name=data["name"],
            code=data["code"],
            description=data.get("description") or "",
            usergroup_id=data.get("usergroup_id"),
            usergroup_handle=data.get("usergroup_handle"),
            source=data.get("source") or "manual",
            templates=dict(data.get("templates") or {}),
            template_authors=dict(data.get("template_authors") or {}),
            schedule=Schedule.from_json(data.get("schedule")),
        )


def with_snapshot(rotation: Rotation, words: Words | None) -> Rotation:
    """The rotation as it is now (who is on duty: is the message still true?), in the words it had
    when the message was planned."""
    if words is None:
        return rotation
    return replace(
        rotation,
        name=words.name,
        code=words.code,
        description=words.description,
        usergroup_id=words.usergroup_id,
        usergroup_handle=words.usergroup_handle,
        source=words.source,
        templates=dict(words.templates),
        template_authors=dict(words.template_authors),
        schedule=words.schedule,
    )


def _pairs(data: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(person), str(why)) for person, why in data or ())


@dataclass(frozen=True)
class Announcement:
    """What a duty change tells: who is on duty now and until when, who was before and who is next,
    why and by whom; people PagerDuty has on call whom Slack cannot have on duty; people who left
    duty at once or were passed by. A burst told once says how many changes it was (`changes`) and
    who was on duty only in between (`between`)."""

    on_duty: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    until: float | None = None
    next_up: tuple[str, ...] = ()
    reason: str | None = None  # created | rotated | handoff | handed_over | set | edited | pagerduty | left
    actor: str | None = None
    at: float = 0.0
    unmatched: tuple[Unmatched, ...] = ()  # as a message names them (no PagerDuty id)
    left: tuple[tuple[str, str], ...] = ()  # (person, why)
    skipped: tuple[tuple[str, str], ...] = ()  # (person, why)
    changes: int = 1
    between: tuple[str, ...] = ()
    words: Words | None = None  # None: stored before messages kept their words
    # Why these people are on duty when it is not simply their turn (a cover, time away, outside
    # working hours, a holiday: rotations/timeline.py), and whose turn it is.
    why: str | None = None
    turn: tuple[str, ...] = ()
    # Following several PagerDuty schedules: (person on duty, the schedule's name), for the labels.
    from_schedules: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, change: DutyChange) -> Announcement:
        r = change.rotation
        return cls(
            on_duty=r.on_duty,
            before=change.before,
            until=r.on_duty_until,
            next_up=tuple(u for u in change.next_up if u not in r.on_duty),
            reason=change.reason,
            actor=change.actor,
            at=change.at,
            unmatched=tuple(_named(p) for p in r.unmatched_on_call),
            left=change.left,
            skipped=change.skipped,
            words=Words.of(r),
            why=r.duty_why if not r.bound and r.duty_why != "turn" else None,
            turn=r.turn_people if not r.bound and r.duty_why != "turn" else (),
            from_schedules=r.pd_on_call_from if r.bound else (),
        )

    @property
    def people(self) -> set[str]:
        """Whom the message may name in plain words (a template's _TEXTONLY tokens)."""
        return {*self.on_duty, *self.next_up, *((self.actor,) if self.actor else ())}

    def topic(self) -> TopicState:
        """What a channel topic would say of the rotation as this announcement has it."""
        return TopicState(self.on_duty, self.until, self.next_up, self.unmatched)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "on_duty": list(self.on_duty),
            "before": list(self.before),
            "until": self.until,
            "next_up": list(self.next_up),
            "reason": self.reason,
            "actor": self.actor,
            "at": self.at,
            "unmatched": [p.named() for p in self.unmatched],
        }
        if self.left:
            data["left"] = [list(p) for p in self.left]
        if self.skipped:
            data["skipped"] = [list(p) for p in self.skipped]
        if self.changes > 1:
            data |= {"changes": self.changes, "between": list(self.between)}
        if self.words is not None:
            data["rotation"] = self.words.to_json()
        if self.why:
            data |= {"why": self.why, "turn": list(self.turn)}
        if self.from_schedules:
            data["from_schedules"] = [list(p) for p in self.from_schedules]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Announcement:
        return cls(
            on_duty=tuple(data.get("on_duty") or ()),
            before=tuple(data.get("before") or ()),
            until=data.get("until"),
            next_up=tuple(data.get("next_up") or ()),
            reason=data.get("reason"),
            actor=data.get("actor"),
            at=float(data.get("at") or 0.0),
            unmatched=tuple(Unmatched.from_json(p) for p in data.get("unmatched") or ()),
            left=_pairs(data.get("left")),
            skipped=_pairs(data.get("skipped")),
            changes=int(data.get("changes") or 1),
            between=tuple(data.get("between") or ()),
            words=Words.from_json(data.get("rotation")),
            why=data.get("why"),
            from_schedules=_pairs(data.get("from_schedules")),
            turn=tuple(data.get("turn") or ()),
        )


def merge_announcements(earlier: Announcement, later: Announcement) -> Announcement:
    """A burst of duty changes is told once: the newest state and who was on duty before the burst;
    for a run of the same change by the same person, how many it was and who was on duty only in
    between (two Rotates by mistake skip a person: the channel must hear it)."""
    if (earlier.reason, earlier.actor) != (later.reason, later.actor):
        # A rotation created and handed over at once: told as it is now, nothing skipped.
        return replace(later, before=earlier.before)
    between = dict.fromkeys([*earlier.between, *earlier.on_duty])
    return replace(
        later,
        before=earlier.before,
        changes=earlier.changes + 1,
        between=tuple(u for u in between if u not in later.on_duty and u not in earlier.before),
    )


def merge_bodies(earlier: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    """merge_announcements over the outbox's JSON."""
    return merge_announcements(Announcement.from_json(earlier), Announcement.from_json(later)).to_json()


def _named(person: Unmatched) -> Unmatched:
    """Someone PagerDuty has on call whom Slack cannot have on duty, as a message names them."""
    return Unmatched(None, person.name, person.email, why=person.why)


@dataclass(frozen=True)
class Notice:
    """A message about the rotation itself: who added the reader to it, or that it stopped
    following PagerDuty (who disconnected it)."""

    actor: str | None
    words: Words | None = None

    @property
    def people(self) -> set[str]:
        return {self.actor} if self.actor else set()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"actor": self.actor}
        return data if self.words is None else {**data, "rotation": self.words.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Notice:
        return cls(data.get("actor"), Words.from_json(data.get("rotation")))


@dataclass(frozen=True)
class Reminder:
    """A heads-up to whoever takes over at `hand_over` (kept as "handoff_at", as stored)."""

    hand_over: float
    words: None = None  # worded from the rotation as it is when it goes out

    @property
    def people(self) -> set[str]:
        return set()

    def to_json(self) -> dict[str, Any]:
        return {"handoff_at": self.hand_over}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reminder:
        return cls(float(data.get("handoff_at") or 0.0))


@dataclass(frozen=True)
class TopicState:
    """What a channel topic says about a rotation: who is on duty, until when, who is next."""

    on_duty: tuple[str, ...] = ()
    until: float | None = None
    next_up: tuple[str, ...] = ()
    unmatched: tuple[Unmatched, ...] = ()

    @classmethod
    def of(cls, rotation: Rotation) -> TopicState:
        return cls(
            on_duty=rotation.on_duty,
            until=rotation.on_duty_until,
            next_up=next_up_people(rotation),
            unmatched=tuple(_named(p) for p in rotation.unmatched_on_call),
        )

    @property
    def people(self) -> set[str]:
        return {*self.on_duty, *self.next_up}

    def to_json(self) -> dict[str, Any]:
        return {
            "on_duty": list(self.on_duty),
            "until": self.until,
            "next_up": list(self.next_up),
            "unmatched": [p.named() for p in self.unmatched],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TopicState:
        return cls(
            on_duty=tuple(data.get("on_duty") or ()),
            until=data.get("until"),
            next_up=tuple(data.get("next_up") or ()),
            unmatched=tuple(Unmatched.from_json(p) for p in data.get("unmatched") or ()),
        )
