"""The Slack work a change to a rotation needs, decided in one place.

`plan` is a pure function of the rotation before and after a change (and the duty change, when who
is on duty moved): what its user group should be, what each chosen channel's topic should say, which
reminders should be waiting, and which messages and DMs to send. It reads nothing and writes
nothing; store/effects.py records its answer in the same transaction as the change, and the
delivery worker carries it out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from roundrobin.rotations import handoff
from roundrobin.rotations.announcement import (
    Announcement,
    Body,
    Notice,
    TopicState,
    Words,
    merge_bodies,
)
from roundrobin.rotations.model import DutyChange, GroupState, Rotation, next_up_people

# Kinds of message (what renders them lives on the Slack side).
DUTY, DM_ON, DM_OFF, REMINDER, ADDED, REVERTED = "duty", "dm_on", "dm_off", "reminder", "added", "reverted"


@dataclass(frozen=True)
class Post:
    """A message to send: to a channel (`target` C…) or a person (U…), rendered when it is sent."""

    kind: str
    target: str
    body: Body
    burst: bool = False  # waits a little and merges with the next of its kind (a burst is told once)


@dataclass(frozen=True)
class Effects:
    group_key: str | None  # the group's id, "+handle" while it is to be made, None: no group
    group: GroupState | None
    topics: dict[str, TopicState | None]  # channel → what its topic should say (None: clear ours)
    reminders: frozenset[tuple[str, float]]  # (person, hand-over) a reminder should be waiting for
    remind_before: int | None
    posts: tuple[Post, ...] = field(default=())
    handoff_asks: frozenset[tuple[str, float]] = frozenset()  # (person, hand-over): "Anything to hand over?"


def plan(
    before: Rotation | None,
    after: Rotation,
    change: DutyChange | None = None,
    editor: str | None = None,
    reverted_by: str | None = None,
) -> Effects:
    """Everything Slack should be told of `after`, having been told of `before` (None: a new
    rotation). `editor`: who saved a form (people they added are told, unless the members follow a
    user group: joining it was their own doing); `reverted_by`: who
    disconnected PagerDuty (the channels of a rotation that stopped following it are told)."""
    posts: list[Post] = []
    if change is not None:
        posts += _duty_posts(change)
    if editor is not None and not after.bound and after.member_source is None:  # a group's: no DMs
        known = before.members if before else ()
        posts += [
            Post(ADDED, person, Notice(editor, Words.of(after)))
            for person in after.members
            if person not in known and person != editor
        ]
    if reverted_by is not None:
        posts += [Post(REVERTED, c, Notice(reverted_by, Words.of(after))) for c in after.channels]
    return Effects(
        group_key=after.group_key,
        group=after.group_state,
        topics=_topics(before, after),
        reminders=_reminders(after),
        remind_before=after.remind_before,
        posts=tuple(posts),
        handoff_asks=handoff.asks(after),
    )


def _duty_posts(change: DutyChange) -> list[Post]:
    """Who is on duty now, to the rotation's channels; and a DM to whoever came on or went off duty,
    when the rotation asks for it. One body for all, with the rotation as it was at the change."""
    rotation = change.rotation
    body = Announcement.of(change)
    posts = [Post(DUTY, channel, body, burst=True) for channel in rotation.channels]
    came = sorted(set(rotation.on_duty) - set(change.before)) if rotation.dm_on_duty else []
    went = sorted(set(change.before) - set(rotation.on_duty)) if rotation.dm_off_duty else []
    posts += [Post(DM_ON, person, body, burst=True) for person in came]
    posts += [Post(DM_OFF, person, body, burst=True) for person in went]
    return posts


def _topics(before: Rotation | None, after: Rotation) -> dict[str, TopicState | None]:
    state = TopicState.of(after)
    wanted: dict[str, TopicState | None] = {channel: state for channel in after.topic_channels}
    for channel in before.topic_channels if before else ():
        wanted.setdefault(channel, None)  # no longer chosen: Round Robin's own topic is cleared
    return wanted


def _reminders(rotation: Rotation) -> frozenset[tuple[str, float]]:
    """A DM to whoever takes over, `remind_before` seconds before a planned hand-over."""
    hand_over = rotation.next_change_at if rotation.bound else rotation.next_hand_over_at
    incoming = [u for u in next_up_people(rotation) if u not in rotation.on_duty]
    if not rotation.remind_before or not hand_over or not incoming:
        return frozenset()
    return frozenset((person, hand_over) for person in incoming)


# How a burst of one kind is told once, over the outbox's JSON.
MERGE: dict[str, Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]] = {DUTY: merge_bodies}
