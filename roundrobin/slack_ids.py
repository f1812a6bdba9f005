"""What Slack's ids look like: a value from a payload is checked against these before any lookup."""

from __future__ import annotations

import re

_IDS = {
    "user": re.compile(r"[UW][A-Z0-9]{2,30}", re.ASCII),
    "channel": re.compile(r"[CGD][A-Z0-9]{2,30}", re.ASCII),
    "group": re.compile(r"S[A-Z0-9]{2,30}", re.ASCII),
}


def is_id(kind: str, value: object) -> bool:
    """A well-formed Slack id of this kind (user, channel or group)."""
    return isinstance(value, str) and _IDS[kind].fullmatch(value) is not None
