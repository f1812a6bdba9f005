"""What every fake Web API method shares: Slack's error answer and argument parsing.

Slack sends arguments as query strings, form fields or JSON, so everything may arrive as a string:
"true"/"1" for booleans, "U1,U2" for lists, a JSON document for a view.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any, TypeVar

T = TypeVar("T")


class SlackError(Exception):
    """An ``{"ok": false, "error": code, ...extra}`` answer from the Web API."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra

    def body(self) -> dict:
        """The JSON body Slack answers with."""
        return {"ok": False, "error": self.code, **self.extra}


def invalid_arguments(*problems: str) -> SlackError:
    """Slack's answer to a malformed argument, e.g. a view that breaks a Block Kit rule."""
    return SlackError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})


def required(args: dict, name: str) -> Any:
    """An argument the method cannot do without."""
    value = args.get(name)
    if value is None or value == "":
        raise invalid_arguments(f"missing required field: {name}")
    return value


def flag(args: dict, name: str, default: bool = False) -> bool:
    """A boolean argument; slack_sdk sends booleans as "1"/"0" or "true"/"false"."""
    value = args.get(name, default)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def id_list(value: Any) -> list[str]:
    """A comma-separated list of ids (or an actual list)."""
    if isinstance(value, list | tuple):
        return [str(item).strip() for item in value if str(item).strip()]
    return [item.strip() for item in str(value or "").split(",") if item.strip()]


def json_arg(args: dict, name: str) -> Any:
    """An argument holding a JSON document: nested in a JSON body, or a string in a form."""
    value = required(args, name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as error:
            raise invalid_arguments(f"{name} is not valid JSON: {error}") from None
    return value


def paginate(
    items: Sequence[T], args: dict, *, default_limit: int = 100, max_limit: int = 1000
) -> tuple[list[T], str]:
    """One page of ``items`` and the next cursor ("" at the end), as Slack's cursor pagination does."""
    try:
        limit = int(args.get("limit") or default_limit)
    except ValueError:
        raise SlackError("invalid_limit") from None
    limit = min(max(limit, 1), max_limit)
    start = _decode_cursor(args.get("cursor") or "")
    end = start + limit
    next_cursor = _encode_cursor(end) if end < len(items) else ""
    return list(items[start:end]), next_cursor


def _encode_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        prefix, _, offset = base64.b64decode(cursor, validate=True).decode().partition(":")
        if prefix == "offset" and offset.isdigit():
            return int(offset)
    except (binascii.Error, UnicodeDecodeError):
        pass
    raise SlackError("invalid_cursor")
