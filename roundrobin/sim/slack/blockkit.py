"""Block Kit checked the way Slack checks it: slack_sdk's models first, then the rules they lack.

slack_sdk's models (``View``, ``Block``, ``BlockElement``, ``Option``, ``OptionGroup``) hold most of
Block Kit's limits: lengths, counts, date and time formats, styles, and the fields each object
takes. What they let through that Slack refuses is in blockkit_rules.py. A problem is a string that
starts with the JSON pointer of what is wrong; those found by slack_sdk name the block (or the view)
and end with ``(slack_sdk)``: ``/blocks/3: text attribute cannot exceed 3000 characters (slack_sdk)``.

How the models are asked:

- Each block is parsed, validated and written back (``to_dict``). A field of the block that does
  not come back is one slack_sdk's models do not read, and Slack refuses unknown fields (a typo
  like ``initial_value`` on a select fails in Slack). ``to_dict`` also drops empty values (``""``,
  ``[]``), so an empty field counts as unknown only when no Block Kit model takes a field of that
  name; whether it may be empty is blockkit_rules' question.
- Some elements (static_select, external_select, radio_buttons, overflow) keep their options as
  given, unchecked: every option object is read with ``Option`` (and option groups with
  ``OptionGroup``) before the block is parsed.
- ``View`` wants 1 to 100 blocks; Slack takes ``blocks: []`` (an empty Home tab, or a modal with
  nothing in it yet), so an empty list is not counted.
- A block or element type slack_sdk does not know is parsed as nothing (it logs and skips it): it
  is left to blockkit_rules, which says which types the fake accepts where.
"""

from __future__ import annotations

import copy
import functools
import inspect
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import Block, BlockElement, Option, OptionGroup, basic_components, block_elements
from slack_sdk.models.blocks import blocks as layout_blocks
from slack_sdk.models.views import View

from roundrobin.sim.slack import blockkit_rules

SOURCE = "slack_sdk"
NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
MODEL_MODULES = (layout_blocks, block_elements, basic_components)


def view_problems(view: Any) -> list[str]:
    """Problems with a modal or Home tab view (none: Slack would take it)."""
    if not isinstance(view, dict):
        return blockkit_rules.view_problems(view)
    return _view(view) + _blocks(view.get("blocks")) + blockkit_rules.view_problems(view)


def message_problems(blocks: Any) -> list[str]:
    """Problems with a message's blocks (chat.postMessage, chat.update, a slash command's reply)."""
    return _blocks(blocks) + blockkit_rules.message_problems(blocks)


def suggestion_problems(answer: dict) -> list[str]:
    """Problems with the options a block_suggestion ack serves: the same as a static menu's.

    An answer with no options is fine: the person sees "No results".
    """
    key = "option_groups" if "option_groups" in answer else "options"
    if not answer.get(key):
        return []
    menu = {"type": "static_select", "action_id": "suggestion", key: answer[key]}
    return _read(menu, "", BlockElement.parse) + blockkit_rules.menu_problems(menu)


def _view(view: dict) -> list[str]:
    fields = {key: copy.deepcopy(value) for key, value in view.items() if key != "blocks"}
    blocks = view.get("blocks")

    def check() -> None:
        model = View(**fields)
        # Only the count of blocks is View's to check (each block is read on its own, which also
        # says which one is wrong); an empty list is left alone, see the module docstring.
        # The raw blocks, not Block models: View counts them, nothing more (see above).
        model.blocks = blocks if isinstance(blocks, list) and blocks else None  # type: ignore[assignment]
        model.validate_json()

    return _asked("/", check)


def _blocks(blocks: Any) -> list[str]:
    if not isinstance(blocks, list):
        return []  # blockkit_rules says it must be an array
    problems = []
    for index, block in enumerate(blocks):
        if isinstance(block, dict):
            problems += _read(block, f"/blocks/{index}", Block.parse)
    return problems


def _read(given: dict, path: str, parse: Callable[[Any], Any]) -> list[str]:
    """slack_sdk's model of ``given``: its validators, then the fields it did not read back."""
    read: dict = {}

    def check() -> None:
        nonlocal read
        with _quiet():
            model = parse(_with_option_models(given))
        read = model.to_dict() if model is not None else given

    return _asked(path, check) or list(_unread(given, read, path))


def _asked(path: str, check: Callable[[], None]) -> list[str]:
    try:
        check()
    except SlackObjectFormationError as error:
        return [f"{path or '/'}: {error} ({SOURCE})"]
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        return [f"{path or '/'}: {SOURCE} cannot read it ({type(error).__name__}: {error})"]
    return []


def _with_option_models(node: Any) -> Any:
    """A copy of ``node`` (slack_sdk's parsers may change what they are given), with every option
    object as slack_sdk's Option and every option group as OptionGroup."""
    if isinstance(node, list):
        return [_with_option_models(value) for value in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("options", "initial_options") and _all_objects(value):
            result[key] = [Option(**option) for option in value]
        elif key == "initial_option" and isinstance(value, dict):
            result[key] = Option(**value)
        elif key == "option_groups" and _all_objects(value):
            result[key] = [OptionGroup(**group) for group in value]
        else:
            result[key] = _with_option_models(value)
    return result


def _all_objects(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _unread(given: Any, read: Any, path: str) -> Iterator[str]:
    if isinstance(given, dict) and isinstance(read, dict):
        for key, value in given.items():
            if key in read:
                yield from _unread(value, read[key], f"{path}/{key}")
            elif not _empty(value) or key not in _model_fields():
                yield f"{path}/{key}: unknown field ({SOURCE})"
    elif isinstance(given, list) and isinstance(read, list) and len(given) == len(read):
        # (a list slack_sdk shortened held something it skipped: blockkit_rules names it)
        for index, (item, read_item) in enumerate(zip(given, read, strict=True)):
            yield from _unread(item, read_item, f"{path}/{index}")


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)


@functools.cache
def _model_fields() -> frozenset[str]:
    """Every field name some slack_sdk Block Kit model takes (its constructors' keyword names)."""
    names: set[str] = set()
    for module in MODEL_MODULES:
        for model in vars(module).values():
            if isinstance(model, type) and issubclass(model, JsonObject):
                parameters = inspect.signature(model.__init__).parameters.values()
                names |= {p.name for p in parameters if p.kind in NAMED and p.name != "self"}
    return frozenset(names)


@contextmanager
def _quiet() -> Iterator[None]:
    """slack_sdk logs what it skips ("Unknown element detected"); here that is a problem, not news."""
    loggers = [logging.getLogger(module.__name__) for module in MODEL_MODULES]
    previous = [logger.disabled for logger in loggers]
    for logger in loggers:
        logger.disabled = True
    try:
        yield
    finally:
        for logger, disabled in zip(loggers, previous, strict=True):
            logger.disabled = disabled
