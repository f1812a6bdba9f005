"""A calendar feed as RFC 5545 text, written with `icalendar`: pure, and the same bytes for the same
duties (so its ETag changes only when what it says does).

Times are UTC (`…Z`): a calendar app shows them in its own time zone, right across DST, with no
VTIMEZONE to get wrong. Events are transparent: being on duty does not make a person busy.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from roundrobin.feeds.duties import Duty

POLL = timedelta(minutes=15)  # how often a calendar app is asked to look again
WHY_WORDS = {
    "turn": "their turn",
    "cover": "a cover",
    "swap": "a swap",
    "away": "standing in for someone away",
    "pagerduty": "PagerDuty's schedule",
}


@dataclass(frozen=True)
class Titled:
    """What a feed needs to know of one rotation."""

    name: str
    code: str
    revised: float  # when the rotation was last changed (every event's DTSTAMP: stable between polls)

    @property
    def title(self) -> str:
        return f"{self.name} ({self.code})"


def feed(
    name: str,
    duties: Sequence[Duty],
    rotations: Mapping[int, Titled],
    names: Callable[[str], str],
    slack_link: str,
    host: str,
    person: str | None = None,
) -> bytes:
    """The feed called `name`: one event per duty with someone on it (in a person's feed, `person`'s).

    Each event is written by icalendar once and remembered (most of a feed is the same from one poll
    to the next); the calendar around them is too."""
    events = []
    for duty in sorted(duties, key=lambda d: (d.start, d.rotation_id)):
        if duty.people and duty.rotation_id in rotations:
            events.append(_event(_facts(duty, rotations[duty.rotation_id], names, slack_link, host, person)))
    head, tail = _wrapper(name)
    return head + b"".join(events) + tail


@dataclass(frozen=True)
class _Facts:
    """Everything one event says: what its memo is keyed on."""

    uid: str
    revised: int
    start: int
    end: int
    summary: str
    description: str
    url: str
    why: str


def _facts(
    duty: Duty, rotation: Titled, names: Callable[[str], str], slack_link: str, host: str, person: str | None
) -> _Facts:
    who = _people(duty.people, names)
    return _Facts(
        uid=f"{duty.key}@{host}",
        revised=int(rotation.revised),
        start=int(duty.start),
        end=int(duty.end),
        summary=f"On duty: {rotation.title}" if person else f"On duty: {who} ({rotation.code})",
        description=description(duty, rotation, names, slack_link),
        url=slack_link,
        why=duty.why,
    )


@functools.lru_cache(maxsize=20_000)
def _event(facts: _Facts) -> bytes:
    event = Event()
    event.add("uid", facts.uid)
    event.add("dtstamp", _utc(facts.revised))
    event.add("dtstart", _utc(facts.start))
    event.add("dtend", _utc(facts.end))
    event.add("summary", facts.summary)
    event.add("description", facts.description)
    event.add("url", facts.url)
    event.add("categories", [facts.why])
    event.add("transp", "TRANSPARENT")
    return event.to_ical()


@functools.lru_cache(maxsize=1_000)
def _wrapper(name: str) -> tuple[bytes, bytes]:
    """The calendar's own lines, before and after its events."""
    calendar = Calendar()
    calendar.add("prodid", "-//Round Robin//Calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Round Robin: {name}")
    calendar.add("refresh-interval", POLL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", POLL)
    text = calendar.to_ical()
    end = b"END:VCALENDAR\r\n"
    assert text.endswith(end)
    return text[: -len(end)], end


def description(duty: Duty, rotation: Titled, names: Callable[[str], str], slack_link: str) -> str:
    lines = [
        f"{rotation.title}: {_people(duty.people, names)} on duty ({WHY_WORDS.get(duty.why, duty.why)})."
    ]
    lines += [_named(note, names) + "." for note in duty.notes]
    lines.append(f"Before: {_people(duty.before, names)}. After: {_people(duty.after, names)}.")
    lines.append(f"Open Round Robin in Slack: {slack_link}")
    return "\n".join(lines)


def _people(people: Sequence[str], names: Callable[[str], str]) -> str:
    return ", ".join(names(p) for p in people) or "nobody"


def _named(note: str, names: Callable[[str], str]) -> str:
    """A timeline note ("U1 covers U2") with people's names for their ids (other words are no one's)."""
    return " ".join(names(word) for word in note.split(" "))


def _utc(t: float) -> datetime:
    return datetime.fromtimestamp(int(t), UTC)
