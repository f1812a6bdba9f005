"""A calendar feed as RFC 5545 text, written with `icalendar`: pure, and the same bytes for the same
duties (so its ETag changes only when what it says does).

Times are UTC (`…Z`): a calendar app shows them in its own time zone, right across DST, with no
VTIMEZONE to get wrong. Events are transparent: being on duty does not make a person busy.
"""

from __future__ import annotations

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
    """The feed called `name`: one event per duty with someone on it (in a person's feed, `person`'s)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Round Robin//Calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Round Robin: {name}")
    calendar.add("refresh-interval", POLL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", POLL)
    for duty in sorted(duties, key=lambda d: (d.start, d.rotation_id)):
        if duty.people and duty.rotation_id in rotations:
            calendar.add_component(_event(duty, rotations[duty.rotation_id], names, slack_link, host, person))
    return calendar.to_ical()


def _event(
    duty: Duty, rotation: Titled, names: Callable[[str], str], slack_link: str, host: str, person: str | None
) -> Event:
    event = Event()
    event.add("uid", f"{duty.key}@{host}")
    event.add("dtstamp", _utc(rotation.revised))
    event.add("dtstart", _utc(duty.start))
    event.add("dtend", _utc(duty.end))
    who = _people(duty.people, names)
    event.add("summary", f"On duty: {rotation.title}" if person else f"On duty: {who} ({rotation.code})")
    event.add("description", description(duty, rotation, names, slack_link))
    event.add("url", slack_link)
    event.add("categories", [duty.why])
    event.add("transp", "TRANSPARENT")
    return event


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
