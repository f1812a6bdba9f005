"""A second Block Kit check, with slack_sdk's own models, behind the fake's validator (blockkit.py).

blockkit.py is the primary check: written from Slack's reference, strict about unknown fields.
slack_sdk's models (``View``, ``Block.parse``) encode the same limits independently, so running both
catches a rule either one missed. Each problem names the block, e.g.
``/blocks/3: text attribute cannot exceed 3000 characters (slack_sdk)``.

Where slack_sdk is stricter than Slack, or lags behind Block Kit, the case is skipped here (never
loosened in blockkit.py), each with the reason:

- ``View`` wants 1 to 100 blocks; Slack takes ``blocks: []`` (an empty Home tab or a modal with
  nothing in it yet). The view's own fields and each block are checked apart instead (which also
  says which block is wrong); blockkit.py counts the blocks.
- ``Block.parse`` knows no block type newer than the installed slack_sdk; it returns None and logs a
  warning. Such a block is left to blockkit.py, which knows every type the fake accepts.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

SOURCE = "slack_sdk"


def view_problems(view: dict) -> list[str]:
    """What slack_sdk's models find wrong with a view that blockkit.py accepted."""
    fields = {key: copy.deepcopy(value) for key, value in view.items() if key != "blocks"}
    problems = _problems("/", lambda: _check_view(fields))
    return problems + blocks_problems(view.get("blocks") or [])


def _check_view(fields: dict) -> None:
    model = View(**fields)
    model.blocks = None  # the block count is blockkit.py's to check (see the module docstring)
    model.validate_json()


def blocks_problems(blocks: list, path: str = "/blocks") -> list[str]:
    """What slack_sdk's models find wrong with each of ``blocks`` (already accepted by blockkit.py)."""
    problems = []
    for index, block in enumerate(blocks):
        problems += _problems(f"{path}/{index}", lambda block=block: _check_block(block))
    return problems


def _check_block(block: dict) -> None:
    parsed = _quietly(lambda: Block.parse(copy.deepcopy(block)))
    if parsed is not None:
        parsed.to_dict()  # validates the block and, through to_dict, every element and object in it


def _problems(path: str, check: Callable[[], Any]) -> list[str]:
    try:
        check()
    except SlackObjectFormationError as error:
        return [f"{path}: {error} ({SOURCE})"]
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        return [f"{path}: {SOURCE} cannot read it ({type(error).__name__}: {error})"]
    return []


def _quietly(parse: Callable[[], Any]) -> Any:
    """Run a slack_sdk parser without its "Unknown block detected and skipped" log line."""
    logger = logging.getLogger(Block.__module__)
    previous = logger.disabled
    logger.disabled = True
    try:
        return parse()
    finally:
        logger.disabled = previous
