"""A tiny schema language for JSON documents: rules that yield human-readable problems.

A rule is a function ``(value, path) -> Iterator[str]``; each problem starts with the JSON pointer
of the offending value. The makers below compose into tables of Slack's limits (see blockkit.py).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

Rule = Callable[[Any, str], Iterator[str]]


# --- rule makers -------------------------------------------------------------------------------


def anything(value: Any, path: str) -> Iterator[str]:
    """Accept any value (fields we know about but do not check)."""
    yield from ()


def boolean(value: Any, path: str) -> Iterator[str]:
    """A JSON boolean."""
    if not isinstance(value, bool):
        yield f"{path}: must be a boolean"


def string(max_len: int, *, min_len: int = 0) -> Rule:
    """A string of min_len..max_len characters."""

    def rule(value: Any, path: str) -> Iterator[str]:
        if not isinstance(value, str):
            yield f"{path}: must be a string"
        elif len(value) > max_len:
            yield f"{path}: must be at most {max_len} characters (got {len(value)})"
        elif len(value) < min_len:
            yield f"{path}: must be at least {min_len} characters (got {len(value)})"

    return rule


def integer(*, min_value: int | None = None, max_value: int | None = None) -> Rule:
    """An integer within optional bounds."""

    def rule(value: Any, path: str) -> Iterator[str]:
        if isinstance(value, bool) or not isinstance(value, int):
            yield f"{path}: must be an integer"
        elif min_value is not None and value < min_value:
            yield f"{path}: must be at least {min_value} (got {value})"
        elif max_value is not None and value > max_value:
            yield f"{path}: must be at most {max_value} (got {value})"

    return rule


def one_of(*choices: str) -> Rule:
    """One of a fixed set of strings."""

    def rule(value: Any, path: str) -> Iterator[str]:
        if value not in choices:
            yield f"{path}: must be one of {', '.join(choices)} (got {value!r})"

    return rule


def text(max_len: int, *, plain_only: bool = False) -> Rule:
    """A text object ``{"type": "plain_text"|"mrkdwn", "text": ...}`` with 1..max_len characters."""
    allowed_fields = {
        "plain_text": {"type", "text", "emoji"},
        "mrkdwn": {"type", "text", "verbatim"},
    }
    types = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")

    def rule(value: Any, path: str) -> Iterator[str]:
        if not isinstance(value, dict):
            yield f"{path}: must be a text object"
            return
        if value.get("type") not in types:
            yield f"{path}/type: must be {' or '.join(types)} (got {value.get('type')!r})"
            return
        yield from _unknown_fields(value, allowed_fields[value["type"]], path)
        if "text" not in value:
            yield f"{path}/text: is required"
        else:
            yield from string(max_len, min_len=1)(value["text"], f"{path}/text")

    return rule


def array(item: Rule, *, max_items: int, min_items: int = 0) -> Rule:
    """A list of min_items..max_items values, each checked by ``item``."""

    def rule(value: Any, path: str) -> Iterator[str]:
        if not isinstance(value, list):
            yield f"{path}: must be an array"
            return
        if len(value) > max_items:
            yield f"{path}: must have at most {max_items} items (got {len(value)})"
        if len(value) < min_items:
            yield f"{path}: must have at least {min_items} items (got {len(value)})"
        for index, entry in enumerate(value):
            yield from item(entry, f"{path}/{index}")

    return rule


def obj(
    fields: Mapping[str, Rule],
    *,
    required: Collection[str] = (),
    checks: Collection[Rule] = (),
    strict: bool = True,
) -> Rule:
    """An object with known ``fields``; ``checks`` are rules that look at several fields at once."""

    def rule(value: Any, path: str) -> Iterator[str]:
        if not isinstance(value, dict):
            yield f"{path}: must be an object"
            return
        if strict:
            yield from _unknown_fields(value, fields.keys(), path)
        for key in required:
            if key not in value:
                yield f"{path}/{key}: is required"
        for key, field_rule in fields.items():
            if key in value:
                yield from field_rule(value[key], f"{path}/{key}")
        for check in checks:
            yield from check(value, path)

    return rule


def typed(table: Mapping[str, Rule], allowed: Collection[str], where: str) -> Rule:
    """Dispatch on the ``type`` field to the rule in ``table``, if that type may appear ``where``."""

    def rule(value: Any, path: str) -> Iterator[str]:
        if not isinstance(value, dict):
            yield f"{path}: must be an object"
            return
        kind = value.get("type")
        if kind not in table:
            yield f"{path}/type: unknown type {kind!r}"
        elif kind not in allowed:
            yield f"{path}/type: {kind!r} is not allowed in {where}"
        else:
            yield from table[kind](value, path)

    return rule


def _unknown_fields(value: dict, known: Collection[str], path: str) -> Iterator[str]:
    for key in value:
        if key not in known:
            yield f"{path}/{key}: unknown field"


# --- checks that span several fields ----------------------------------------------------------


def needs_any(*keys: str) -> Rule:
    """At least one of ``keys`` must be present."""

    def check(value: dict, path: str) -> Iterator[str]:
        if not any(key in value for key in keys):
            yield f"{path}: needs {' or '.join(keys)}"

    return check


def exactly_one(*keys: str) -> Rule:
    """Exactly one of ``keys`` must be present."""

    def check(value: dict, path: str) -> Iterator[str]:
        if sum(key in value for key in keys) != 1:
            yield f"{path}: needs exactly one of {', '.join(keys)}"

    return check
