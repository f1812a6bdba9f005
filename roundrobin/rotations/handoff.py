"""Hand-off notes: shortly before a planned hand-over, whoever goes off duty is asked "Anything to
hand over?"; what they write reaches whoever takes over (a DM) and the rotation's channels (in the
thread of the hand-over's message), with the shift's @Round Robin requests summarised. Nothing
written, nothing sent.

Pure rules and the messages' bodies, as the outbox keeps them; rotations/handoff_notes.py is the
service that checks and stores a note.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from roundrobin.rotations.announcement import Words
from roundrobin.rotations.model import Rotation, next_up_people

ASK_BEFORE = 30 * 60  # the ask goes out this long before a planned hand-over
WRITE_AFTER = 2 * 3600  # a note may still be written this long after the hand-over
NOTE_LIMIT = 2000  # characters a note keeps
# A note written before the hand-over goes out this long after it: the channel message of the
# hand-over (a burst, told at most 10 s after the change) is then there to thread under.
SEND_AFTER = 15.0
MAX_LINES = 5  # requests listed one by one in the summary; the rest are counted

ASK, NOTE = "handoff_ask", "handoff_note"  # kinds of outbox message


def wants_notes(rotation: Rotation) -> bool:
    """The rotation's setting; unset, on for rotations with planned hand-overs (timed or PagerDuty)."""
    if rotation.handoff_notes is not None:
        return rotation.handoff_notes
    return rotation.bound or rotation.schedule.timed


def planned_hand_over(rotation: Rotation) -> float | None:
    """When duty next changes as planned (the schedule's or PagerDuty's), if it is planned."""
    return rotation.next_change_at if rotation.bound else rotation.next_hand_over_at


def outgoing(rotation: Rotation) -> tuple[str, ...]:
    """Who goes off duty at the planned hand-over: on duty now and not on after it."""
    incoming = next_up_people(rotation)
    if not incoming:
        return ()
    return tuple(p for p in rotation.on_duty if p not in incoming)


def asks(rotation: Rotation) -> frozenset[tuple[str, float]]:
    """(person, hand-over) for each ask that should be waiting to go out."""
    at = planned_hand_over(rotation)
    if not wants_notes(rotation) or at is None:
        return frozenset()
    return frozenset((person, at) for person in outgoing(rotation))


@dataclass(frozen=True)
class Ask:
    """The DM asking whoever goes off duty at `hand_over` for a note."""

    hand_over: float
    words: None = None  # worded from the rotation as it is when it goes out

    @property
    def people(self) -> set[str]:
        return set()

    def to_json(self) -> dict[str, Any]:
        return {"hand_over": self.hand_over}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Ask:
        return cls(float(data.get("hand_over") or 0.0))


@dataclass(frozen=True)
class RequestLine:
    requester: str
    text: str
    outcome: str  # answered | passed | expired | open
    by: str | None = None  # who answered

    def to_json(self) -> dict[str, Any]:
        return {"requester": self.requester, "text": self.text, "outcome": self.outcome, "by": self.by}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RequestLine:
        return cls(str(data["requester"]), str(data["text"]), str(data["outcome"]), data.get("by"))


@dataclass(frozen=True)
class Summary:
    """The shift's @Round Robin requests: how many were answered, passed on, expired or still open."""

    answered: int = 0
    passed: int = 0
    expired: int = 0
    open: int = 0
    lines: tuple[RequestLine, ...] = ()

    @property
    def total(self) -> int:
        return self.answered + self.expired + self.open

    def to_json(self) -> dict[str, Any]:
        return {
            "answered": self.answered,
            "passed": self.passed,
            "expired": self.expired,
            "open": self.open,
            "lines": [line.to_json() for line in self.lines],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Summary:
        data = data or {}
        return cls(
            int(data.get("answered") or 0),
            int(data.get("passed") or 0),
            int(data.get("expired") or 0),
            int(data.get("open") or 0),
            tuple(RequestLine.from_json(line) for line in data.get("lines") or ()),
        )


def summarise(requests: Iterable[Any]) -> Summary:
    """The shift's requests (store/requests.Request rows), oldest first."""
    answered = passed = expired = still_open = 0
    lines: list[RequestLine] = []
    for r in requests:
        if r.passed_by:
            passed += 1
        if r.state == "acked":
            answered += 1
            outcome = "answered"
        elif r.state == "open":
            still_open += 1
            outcome = "passed" if r.passed_by else "open"
        else:
            expired += 1
            outcome = "expired"
        if len(lines) < MAX_LINES:
            lines.append(RequestLine(r.requester, r.text[:120], outcome, r.acked_by))
    return Summary(answered, passed, expired, still_open, tuple(lines))


@dataclass(frozen=True)
class Note:
    """A hand-off note as it goes out: to whoever takes over, and into the channels' threads."""

    note_id: int
    author: str
    text: str
    hand_over: float
    incoming: tuple[str, ...]
    summary: Summary = field(default_factory=Summary)
    words: Words | None = None

    @property
    def people(self) -> set[str]:
        return {self.author, *self.incoming}

    def to_json(self) -> dict[str, Any]:
        data = {
            "note_id": self.note_id,
            "author": self.author,
            "text": self.text,
            "hand_over": self.hand_over,
            "incoming": list(self.incoming),
            "summary": self.summary.to_json(),
        }
        return data if self.words is None else {**data, "rotation": self.words.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Note:
        return cls(
            int(data["note_id"]),
            str(data["author"]),
            str(data["text"]),
            float(data["hand_over"]),
            tuple(data.get("incoming") or ()),
            Summary.from_json(data.get("summary")),
            Words.from_json(data.get("rotation")),
        )
