"""What a renderer of a stored message is given: its body, typed, and what only the moment of
sending knows.

The outbox keeps each message's body as JSON; a `Format` reads it back into its value (an
`Announcement`, a `Notice`, …) and renders it into chat.postMessage arguments, or None when the
message is no longer worth sending. The delivery worker adds a `Sending`: who the message is for,
the time, whether they muted Round Robin's DMs, and the people's names for plain-text words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from roundrobin.rotations.announcement import Words
from roundrobin.rotations.model import Rotation


@dataclass(frozen=True)
class Name:
    """A person in plain words: their name, and their handle (without the @)."""

    name: str
    handle: str


@dataclass(frozen=True)
class Sending:
    target: str = ""  # the channel or person the message goes to
    now: float = 0.0
    muted: bool = False  # the person asked Round Robin not to DM them
    names: Mapping[str, Name] = field(default_factory=dict)  # Slack user id → name, when words need it
    thread_ts: str | None = None  # the channel message a threaded kind replies under, when found


class Stored(Protocol):
    """A message body as a renderer takes it."""

    @property
    def words(self) -> Words | None:
        """The rotation's words when the message was planned (None: word it as it is now)."""
        ...

    @property
    def people(self) -> set[str]:
        """Whom the message may name in plain words."""
        ...


B = TypeVar("B", bound=Stored)


@dataclass(frozen=True)
class Format(Generic[B]):
    """How one kind of message is read back from the outbox and rendered."""

    parse: Callable[[dict[str, Any]], B]
    render: Callable[[Rotation, B, Sending], dict[str, Any] | None]
    # The key a posted message is kept under, to be edited later (an offer, once it is taken).
    keep: Callable[[B], str] | None = None
    # This kind edits the message kept under `keep(body)` for the same target, instead of posting
    # (nothing kept, or Slack no longer has it: nothing to do).
    edits: bool = False
    # A kind that replies in a thread in channels: from when the hand-over message it joins was posted.
    thread: Callable[[B], float] | None = None
