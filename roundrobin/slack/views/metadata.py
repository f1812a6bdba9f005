"""Each view's private_metadata: a small dataclass, written and read back in one place.

Slack hands private_metadata back as the view was opened, but a Socket Mode client can send any
view it likes: every value read back is parsed strictly (numbers are ASCII digits or JSON integers
within bounds, ids and words are strings of bounded length) and falls back to "not given" when it
is anything else. Views are written through `blocks.modal` and `blocks.home`, which refuse more
than Slack's 3000 characters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from roundrobin.slack.views.blocks import read_metadata

# SQLite's integers are signed 64-bit: anything larger from a payload would overflow a query.
MAX_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}", re.ASCII)
MAX_WORD = 100  # the longest id or name a view keeps (a time zone, a PagerDuty user id)


def number(value: object, low: int = 0, high: int = MAX_ID) -> int | None:
    """A whole number from a payload (a string of ASCII digits, or a JSON integer) within
    [low, high]; None for anything else. "²" and "１" are digits to str.isdigit(), not here."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not _DIGITS.fullmatch(value):
            return None
        value = int(value)
    if isinstance(value, int) and low <= value <= high:
        return value
    return None


def parse_id(value: object) -> int | None:
    """A database id (1 or more) from a payload, or None."""
    return number(value, 1)


def word(value: object) -> str | None:
    """A short string from a payload, or None."""
    return value if isinstance(value, str) and 0 < len(value) <= MAX_WORD else None


def stored(view: object) -> dict[str, Any]:
    """The JSON object a view keeps ({} when it keeps none, or anything else)."""
    return read_metadata(view.get("private_metadata")) if isinstance(view, Mapping) else {}


@dataclass(frozen=True)
class OfRotation:
    """A view about one rotation (Details, Delete): which one."""

    rotation_id: int | None

    def to_json(self) -> dict[str, Any]:
        return {"rotation_id": self.rotation_id}

    @classmethod
    def read(cls, view: object) -> OfRotation:
        return cls(parse_id(stored(view).get("rotation_id")))


@dataclass(frozen=True)
class RotationFormMeta:
    """The rotation form: which rotation at which revision (None: a new one), the time zone kept
    while its field is hidden, the turn-order version, and members kept beyond the picker."""

    rotation_id: int | None
    config_rev: int | None
    tz: str | None = None
    members_v: int = 0  # bumped when the turn order is changed in the form (see members_block_id)
    keep_members: bool = False  # more members than Slack's picker holds: they are kept, not edited
    kept_members: int = 0

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"rotation_id": self.rotation_id, "config_rev": self.config_rev, "tz": self.tz}
        if self.members_v:
            data["members_v"] = self.members_v
        if self.keep_members:
            data |= {"keep_members": True, "kept_members": self.kept_members}
        return data

    @classmethod
    def read(cls, view: object) -> RotationFormMeta:
        data = stored(view)
        return cls(
            rotation_id=parse_id(data.get("rotation_id")),
            config_rev=number(data.get("config_rev")),
            tz=word(data.get("tz")),
            members_v=number(data.get("members_v"), 0, 1000) or 0,
            keep_members=data.get("keep_members") is True,
            kept_members=number(data.get("kept_members")) or 0,
        )


@dataclass(frozen=True)
class NotificationsMeta:
    """The Notifications modal: which rotation, at the revision the form was opened on."""

    rotation_id: int | None
    config_rev: int | None

    def to_json(self) -> dict[str, Any]:
        return {"rotation_id": self.rotation_id, "config_rev": self.config_rev}

    @classmethod
    def read(cls, view: object) -> NotificationsMeta:
        data = stored(view)
        return cls(parse_id(data.get("rotation_id")), number(data.get("config_rev")))


@dataclass(frozen=True)
class SetOnDutyMeta:
    """Set on duty: which rotation, as it was when the modal opened (a duty change since refuses it)."""

    rotation_id: int | None
    duty_rev: int | None

    def to_json(self) -> dict[str, Any]:
        return {"rotation_id": self.rotation_id, "duty_rev": self.duty_rev}

    @classmethod
    def read(cls, view: object) -> SetOnDutyMeta:
        data = stored(view)
        return cls(parse_id(data.get("rotation_id")), number(data.get("duty_rev")))


@dataclass(frozen=True)
class LinkMeta:
    """Link to Slack: the PagerDuty user to link, from which rotation's Details."""

    rotation_id: int | None
    pd_user_id: str | None

    def to_json(self) -> dict[str, Any]:
        return {"rotation_id": self.rotation_id, "pd_user_id": self.pd_user_id}

    @classmethod
    def read(cls, view: object) -> LinkMeta:
        data = stored(view)
        return cls(parse_id(data.get("rotation_id")), word(data.get("pd_user_id")))


@dataclass(frozen=True)
class HoursMeta:
    """Duty & hours: which rotation, at the revision the form was opened on."""

    rotation_id: int | None
    config_rev: int | None

    def to_json(self) -> dict[str, Any]:
        return {"rotation_id": self.rotation_id, "config_rev": self.config_rev}

    @classmethod
    def read(cls, view: object) -> HoursMeta:
        data = stored(view)
        return cls(parse_id(data.get("rotation_id")), number(data.get("config_rev")))


@dataclass(frozen=True)
class CoverMeta:
    """Cover me…: which rotation, and who needs cover (for a member asking, themselves)."""

    rotation_id: int | None
    person: str | None

    def to_json(self) -> dict[str, Any]:
        return {"rotation_id": self.rotation_id, "person": self.person}

    @classmethod
    def read(cls, view: object) -> CoverMeta:
        data = stored(view)
        return cls(parse_id(data.get("rotation_id")), word(data.get("person")))


MAX_TS = 2**40  # a timestamp from a payload beyond this (the year 36812) is crafted


@dataclass(frozen=True)
class SwapMeta:
    """Offer a swap: which rotation, and the start of the shift offered."""

    rotation_id: int | None
    start: int | None

    def to_json(self) -> dict[str, Any]:
        return {"rotation_id": self.rotation_id, "start": self.start}

    @classmethod
    def read(cls, view: object) -> SwapMeta:
        data = stored(view)
        return cls(parse_id(data.get("rotation_id")), number(data.get("start"), 1, MAX_TS))


@dataclass(frozen=True)
class HomeMeta:
    """The App Home: the tab and page it shows."""

    tab: str
    page: int

    def to_json(self) -> dict[str, Any]:
        return {"tab": self.tab, "page": self.page}
