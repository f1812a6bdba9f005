"""Block Kit validation: the limits Slack enforces on views and message blocks.

Pure functions, no I/O. A problem is a human-readable string that starts with the JSON pointer of
the offending value, e.g. ``/blocks/3/text/text: must be at most 3000 characters (got 3012)``.

The rules are data: ``ELEMENTS`` and ``BLOCKS`` map each type to a rule built from the small rule
makers of slack_schema.py (``string``, ``text``, ``array``, ``obj``...), so each Slack limit reads as
one line that can be checked against Slack's reference. Unknown fields on blocks, elements and
composition objects are problems too, because Slack refuses them (a typo like ``initial_value`` on a
select fails in Slack).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from roundrobin.sim.slack.schema import (
    Rule,
    anything,
    array,
    boolean,
    exactly_one,
    integer,
    needs_any,
    obj,
    one_of,
    string,
    text,
    typed,
)

SURFACE_MAX_BLOCKS = {"modal": 100, "home": 100, "message": 50}


# --- checks that span several fields ----------------------------------------------------------


def _option_values(element: dict) -> set:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        if isinstance(group, dict):
            options += group.get("options") or []
    return {option.get("value") for option in options if isinstance(option, dict)}


def initial_options_listed(value: dict, path: str) -> Iterator[str]:
    """Slack refuses an initial option that is not one of the element's options."""
    known = _option_values(value)
    initial = value.get("initial_options") or []
    if "initial_option" in value:
        initial = [value["initial_option"]]
    for index, option in enumerate(initial if isinstance(initial, list) else []):
        if isinstance(option, dict) and option.get("value") not in known:
            yield f"{path}: initial option {index} ({option.get('value')!r}) is not one of the options"


def unique_action_ids(value: dict, path: str) -> Iterator[str]:
    """action_ids must be unique within an actions block."""
    seen: set[str] = set()
    for index, element in enumerate(value.get("elements") or []):
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if action_id is not None and action_id in seen:
            yield f"{path}/elements/{index}/action_id: duplicate action_id {action_id!r}"
        seen.add(action_id)


# --- composition objects ----------------------------------------------------------------------

PLACEHOLDER = text(150, plain_only=True)
ACTION_ID = string(255, min_len=1)
BLOCK_ID = string(255, min_len=1)
DATE = string(10, min_len=10)  # YYYY-MM-DD
TIME = string(5, min_len=5)  # HH:mm


def option(label: Rule, *, url: bool = False) -> Rule:
    """An option object; ``url`` is only allowed in overflow menus."""
    fields = {"text": label, "value": string(150, min_len=1), "description": text(75, plain_only=True)}
    if url:
        fields["url"] = string(3000)
    return obj(fields, required=("text", "value"))


SELECT_OPTION = option(text(75, plain_only=True))
CHOICE_OPTION = option(text(75))  # checkboxes and radio buttons may use mrkdwn
OVERFLOW_OPTION = option(text(75, plain_only=True), url=True)
OPTION_GROUP = obj(
    {"label": text(75, plain_only=True), "options": array(SELECT_OPTION, max_items=100, min_items=1)},
    required=("label", "options"),
)
CONFIRM = obj(
    {
        "title": text(100, plain_only=True),
        "text": text(300),
        "confirm": text(30, plain_only=True),
        "deny": text(30, plain_only=True),
        "style": one_of("primary", "danger"),
    },
    required=("title", "text", "confirm", "deny"),
)
DISPATCH_CONFIG = obj(
    {"trigger_actions_on": array(one_of("on_enter_pressed", "on_character_entered"), max_items=2)}
)
CONVERSATION_FILTER = obj(
    {
        "include": array(one_of("im", "mpim", "private", "public"), max_items=4, min_items=1),
        "exclude_external_shared_channels": boolean,
        "exclude_bot_users": boolean,
    }
)
IMAGE_ELEMENT = obj(
    {"type": anything, "image_url": string(3000), "slack_file": anything, "alt_text": string(2000)},
    required=("alt_text",),
    checks=(needs_any("image_url", "slack_file"),),
)


# --- block elements ---------------------------------------------------------------------------


def element(fields: Mapping[str, Rule], *, required=(), checks=()) -> Rule:
    """An interactive element: ``type`` and ``action_id`` plus its own fields."""
    return obj({"type": anything, "action_id": ACTION_ID, **fields}, required=required, checks=checks)


_MENU = {"placeholder": PLACEHOLDER, "confirm": CONFIRM, "focus_on_load": boolean}
_MULTI = {"max_selected_items": integer(min_value=1)}
_STATIC_OPTIONS = {
    "options": array(SELECT_OPTION, max_items=100, min_items=1),
    "option_groups": array(OPTION_GROUP, max_items=100, min_items=1),
}
_TEXT_INPUT = {
    "dispatch_action_config": DISPATCH_CONFIG,
    "focus_on_load": boolean,
    "placeholder": PLACEHOLDER,
}
_STATIC_CHECKS = (exactly_one("options", "option_groups"), initial_options_listed)
_CHOICE_OPTIONS = array(CHOICE_OPTION, max_items=10, min_items=1)

ELEMENTS: dict[str, Rule] = {
    "button": element(
        {
            "text": text(75, plain_only=True),
            "value": string(2000),
            "url": string(3000),
            "style": one_of("primary", "danger"),
            "confirm": CONFIRM,
            "accessibility_label": string(75),
        },
        required=("text",),
    ),
    "overflow": element(
        {"options": array(OVERFLOW_OPTION, max_items=5, min_items=1), "confirm": CONFIRM},
        required=("options",),
    ),
    "static_select": element(
        {**_MENU, **_STATIC_OPTIONS, "initial_option": SELECT_OPTION}, checks=_STATIC_CHECKS
    ),
    "multi_static_select": element(
        {**_MENU, **_MULTI, **_STATIC_OPTIONS, "initial_options": array(SELECT_OPTION, max_items=100)},
        checks=_STATIC_CHECKS,
    ),
    "external_select": element(
        {**_MENU, "initial_option": SELECT_OPTION, "min_query_length": integer(min_value=0)}
    ),
    "multi_external_select": element(
        {
            **_MENU,
            **_MULTI,
            "initial_options": array(SELECT_OPTION, max_items=100),
            "min_query_length": integer(min_value=0),
        }
    ),
    "users_select": element({**_MENU, "initial_user": string(255, min_len=1)}),
    "multi_users_select": element({**_MENU, **_MULTI, "initial_users": array(string(255), max_items=100)}),
    "conversations_select": element(
        {
            **_MENU,
            "initial_conversation": string(255, min_len=1),
            "default_to_current_conversation": boolean,
            "response_url_enabled": boolean,
            "filter": CONVERSATION_FILTER,
        }
    ),
    "multi_conversations_select": element(
        {
            **_MENU,
            **_MULTI,
            "initial_conversations": array(string(255), max_items=100),
            "default_to_current_conversation": boolean,
            "filter": CONVERSATION_FILTER,
        }
    ),
    "channels_select": element(
        {**_MENU, "initial_channel": string(255, min_len=1), "response_url_enabled": boolean}
    ),
    "multi_channels_select": element(
        {**_MENU, **_MULTI, "initial_channels": array(string(255), max_items=100)}
    ),
    "checkboxes": element(
        {
            "options": _CHOICE_OPTIONS,
            "initial_options": array(CHOICE_OPTION, max_items=10),
            "confirm": CONFIRM,
            "focus_on_load": boolean,
        },
        required=("options",),
        checks=(initial_options_listed,),
    ),
    "radio_buttons": element(
        {
            "options": _CHOICE_OPTIONS,
            "initial_option": CHOICE_OPTION,
            "confirm": CONFIRM,
            "focus_on_load": boolean,
        },
        required=("options",),
        checks=(initial_options_listed,),
    ),
    "datepicker": element({**_MENU, "initial_date": DATE}),
    "timepicker": element({**_MENU, "initial_time": TIME, "timezone": string(100)}),
    "datetimepicker": element(
        {"initial_date_time": integer(min_value=0), "confirm": CONFIRM, "focus_on_load": boolean}
    ),
    "plain_text_input": element(
        {
            **_TEXT_INPUT,
            "initial_value": string(3000),
            "multiline": boolean,
            "min_length": integer(min_value=0, max_value=3000),
            "max_length": integer(min_value=1, max_value=3000),
        }
    ),
    "number_input": element(
        {
            **_TEXT_INPUT,
            "is_decimal_allowed": boolean,
            "initial_value": string(150),
            "min_value": string(150),
            "max_value": string(150),
        },
        required=("is_decimal_allowed",),
    ),
    "email_text_input": element({**_TEXT_INPUT, "initial_value": string(3000)}),
    "url_text_input": element({**_TEXT_INPUT, "initial_value": string(3000)}),
    "rich_text_input": element({**_TEXT_INPUT, "initial_value": anything}),
    "image": IMAGE_ELEMENT,
}

_SELECTS = {"static_select", "external_select", "users_select", "conversations_select", "channels_select"}
_MULTI_SELECTS = {f"multi_{kind}" for kind in _SELECTS}
_CHOICES = {"checkboxes", "radio_buttons", "datepicker", "timepicker"}
SECTION_ACCESSORIES = {"button", "overflow", "image", *_CHOICES, *_SELECTS, *_MULTI_SELECTS}
ACTIONS_ELEMENTS = {"button", "overflow", "datetimepicker", *_CHOICES, *_SELECTS, *_MULTI_SELECTS}
INPUT_ELEMENTS = {
    "plain_text_input",
    "number_input",
    "email_text_input",
    "url_text_input",
    "rich_text_input",
    "datetimepicker",
    *_CHOICES,
    *_SELECTS,
    *_MULTI_SELECTS,
}
CONTEXT_ELEMENTS = {"plain_text": text(3000), "mrkdwn": text(3000), "image": IMAGE_ELEMENT}


# --- blocks -----------------------------------------------------------------------------------


def block(fields: Mapping[str, Rule], *, required=(), checks=()) -> Rule:
    """A layout block: ``type`` and ``block_id`` plus its own fields."""
    return obj({"type": anything, "block_id": BLOCK_ID, **fields}, required=required, checks=checks)


BLOCKS: dict[str, Rule] = {
    "section": block(
        {
            "text": text(3000),
            "fields": array(text(2000), max_items=10, min_items=1),
            "accessory": typed(ELEMENTS, SECTION_ACCESSORIES, "a section accessory"),
            "expand": boolean,
        },
        checks=(needs_any("text", "fields"),),
    ),
    "divider": block({}),
    "header": block({"text": text(150, plain_only=True)}, required=("text",)),
    "context": block(
        {
            "elements": array(
                typed(CONTEXT_ELEMENTS, CONTEXT_ELEMENTS, "a context block"), max_items=10, min_items=1
            )
        },
        required=("elements",),
    ),
    "actions": block(
        {"elements": array(typed(ELEMENTS, ACTIONS_ELEMENTS, "an actions block"), max_items=25, min_items=1)},
        required=("elements",),
        checks=(unique_action_ids,),
    ),
    "input": block(
        {
            "label": text(2000, plain_only=True),
            "element": typed(ELEMENTS, INPUT_ELEMENTS, "an input block"),
            "hint": text(2000, plain_only=True),
            "optional": boolean,
            "dispatch_action": boolean,
        },
        required=("label", "element"),
    ),
    "image": block(
        {
            "image_url": string(3000),
            "slack_file": anything,
            "alt_text": string(2000),
            "title": text(2000, plain_only=True),
        },
        required=("alt_text",),
        checks=(needs_any("image_url", "slack_file"),),
    ),
    # Rich text is checked shallowly: Slack's nested rich text schema is large and apps rarely build it.
    "rich_text": block({"elements": array(anything, max_items=100, min_items=1)}, required=("elements",)),
}
ANY_BLOCK = typed(BLOCKS, BLOCKS, "blocks")


# --- views ------------------------------------------------------------------------------------

_VIEW_COMMON = {
    "private_metadata": string(3000),
    "callback_id": string(255),
    "external_id": string(255),
}
# Top-level fields are not checked for unknown names: Slack adds many (id, hash, state...) and apps
# sometimes send a view back as they received it.
VIEWS: dict[str, Rule] = {
    "modal": obj(
        {
            **_VIEW_COMMON,
            "title": text(24, plain_only=True),
            "submit": text(24, plain_only=True),
            "close": text(24, plain_only=True),
            "clear_on_close": boolean,
            "notify_on_close": boolean,
            "submit_disabled": boolean,
        },
        required=("title", "blocks"),
        strict=False,
    ),
    "home": obj(_VIEW_COMMON, required=("blocks",), strict=False),
}


def validate_blocks(blocks: Any, *, surface: str = "modal", path: str = "/blocks") -> list[str]:
    """Problems with a list of blocks shown on ``surface`` ("modal", "home" or "message")."""
    if surface not in SURFACE_MAX_BLOCKS:
        raise ValueError(f"unknown surface {surface!r}")
    rule = array(ANY_BLOCK, max_items=SURFACE_MAX_BLOCKS[surface])
    problems = list(rule(blocks, path))
    if isinstance(blocks, list):
        problems += _duplicate_block_ids(blocks, path)
    return problems


def validate_view(view: Any) -> list[str]:
    """Problems with a modal or home view (empty list: Slack would accept it)."""
    if not isinstance(view, dict):
        return ["/: a view must be an object"]
    kind = view.get("type")
    if kind not in VIEWS:
        return [f"/type: must be modal or home (got {kind!r})"]
    problems = list(VIEWS[kind](view, ""))
    if "blocks" in view:
        problems += validate_blocks(view["blocks"], surface=kind)
    if kind == "modal" and _has_input(view) and "submit" not in view:
        problems.append("/submit: is required when a modal has input blocks")
    return problems


def _has_input(view: dict) -> bool:
    blocks = view.get("blocks")
    return isinstance(blocks, list) and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)


def _duplicate_block_ids(blocks: list, path: str) -> Iterator[str]:
    seen: set[str] = set()
    for index, entry in enumerate(blocks):
        block_id = entry.get("block_id") if isinstance(entry, dict) else None
        if block_id is None:
            continue
        if block_id in seen:
            yield f"{path}/{index}/block_id: duplicate block_id {block_id!r}"
        seen.add(block_id)
