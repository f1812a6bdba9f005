"""How the Slack client reads and fills a view: ids, elements, state, actions and visible text.

Pure functions over Block Kit dicts. FakeSlack stores views the way Slack returns them (every block
has a block_id, every interactive element an action_id) and SlackUser builds from them the payloads
that a person's clicks and typing would produce.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

# The field carrying an element's value, both in view.state.values and in block_actions payloads.
VALUE_FIELDS: dict[str, str] = {
    "plain_text_input": "value",
    "number_input": "value",
    "email_text_input": "value",
    "url_text_input": "value",
    "rich_text_input": "rich_text_value",
    "static_select": "selected_option",
    "external_select": "selected_option",
    "radio_buttons": "selected_option",
    "overflow": "selected_option",
    "multi_static_select": "selected_options",
    "multi_external_select": "selected_options",
    "checkboxes": "selected_options",
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
}
# Where an element declares its initial value, per value field.
INITIAL_FIELDS: dict[str, str] = {
    "value": "initial_value",
    "rich_text_value": "initial_value",
    "selected_option": "initial_option",
    "selected_options": "initial_options",
    "selected_user": "initial_user",
    "selected_users": "initial_users",
    "selected_conversation": "initial_conversation",
    "selected_conversations": "initial_conversations",
    "selected_channel": "initial_channel",
    "selected_channels": "initial_channels",
    "selected_date": "initial_date",
    "selected_time": "initial_time",
    "selected_date_time": "initial_date_time",
}
LIST_FIELDS = {"selected_options", "selected_users", "selected_conversations", "selected_channels"}
INTERACTIVE = {*VALUE_FIELDS, "button"}
# A click is all there is to these: they never appear in view.state.values.
STATELESS = {"button", "overflow"}
OPTION_FIELDS = {"selected_option", "selected_options"}

State = dict[str, dict[str, dict]]  # block_id -> action_id -> state entry


# --- ids and elements ---------------------------------------------------------------------------


def with_ids(blocks: list[dict]) -> list[dict]:
    """A copy of ``blocks`` where every block has a block_id and every element an action_id.

    Slack fills in missing ids when it stores a view; generated ids here derive from the content, so
    an update with the same blocks keeps the same ids (and so keeps what the person typed).
    """
    result = copy.deepcopy(blocks)
    for index, block in enumerate(result):
        block.setdefault("block_id", _generated_id(block, index))
        for position, element in enumerate(elements_of(block)):
            element.setdefault("action_id", _generated_id(element, position))
    return result


def _generated_id(item: dict, index: int) -> str:
    digest = hashlib.sha1(f"{index}:{json.dumps(item, sort_keys=True)}".encode()).hexdigest()
    return digest[:5]


def elements_of(block: dict) -> list[dict]:
    """The interactive elements of one block, in display order."""
    kind = block.get("type")
    if kind == "section":
        found = [block["accessory"]] if isinstance(block.get("accessory"), dict) else []
    elif kind == "actions":
        found = list(block.get("elements") or [])
    elif kind == "input":
        found = [block["element"]] if isinstance(block.get("element"), dict) else []
    else:
        found = []
    return [element for element in found if element.get("type") in INTERACTIVE]


def iter_elements(blocks: Iterable[dict]) -> Iterator[tuple[dict, dict]]:
    """(block, element) for every interactive element of ``blocks``."""
    for block in blocks:
        for element in elements_of(block):
            yield block, element


def find_element(
    blocks: Iterable[dict],
    action_id: str,
    *,
    value: str | None = None,
    block_id: str | None = None,
    option: Any = None,
) -> tuple[dict, dict] | None:
    """The (block, element) with ``action_id``, or None; LookupError when several match.

    Among elements sharing an action_id, ``block_id`` picks one, a button's ``value`` picks one, and
    so does ``option`` (the menu that offers it).
    """
    matches = [
        (block, element)
        for block, element in iter_elements(blocks)
        if element["action_id"] == action_id
        and (value is None or element.get("value") == value)
        and (block_id is None or block["block_id"] == block_id)
    ]
    if len(matches) > 1 and option is not None:
        wanted = option.get("value") if isinstance(option, dict) else option
        offering = [(b, e) for b, e in matches if any(o.get("value") == wanted for o in options_of(e))]
        matches = offering or matches
    if len(matches) > 1:
        values = [element.get("value") for _, element in matches]
        block_ids = [block["block_id"] for block, _ in matches]
        raise LookupError(
            f"{len(matches)} elements share action_id {action_id!r}: pass value= one of {values}, "
            f"block_id= one of {block_ids}, or an option= only one of them offers"
        )
    return matches[0] if matches else None


def options_of(element: dict) -> list[dict]:
    """An element's options, with option groups flattened."""
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return options


# --- state ---------------------------------------------------------------------------------------


def value_field(element: dict) -> str:
    """The field that carries this element's value."""
    return VALUE_FIELDS[element["type"]]


def state_entry(element: dict, value: Any) -> dict:
    """One ``view.state.values[block_id][action_id]`` entry, as Slack sends it."""
    field = value_field(element)
    if value is None and field in LIST_FIELDS:
        value = []
    return {"type": element["type"], field: value}


def initial_value(element: dict) -> Any:
    """The value an element starts with (``initial_*``), or None."""
    return element.get(INITIAL_FIELDS[value_field(element)])


def initial_state(blocks: Iterable[dict]) -> State:
    """The state a freshly shown view has: every input (empty or initial) and initial menus."""
    values: State = {}
    for block, element in iter_elements(blocks):
        if element["type"] in STATELESS:
            continue
        start = initial_value(element)
        if block["type"] == "input" or start is not None:
            values.setdefault(block["block_id"], {})[element["action_id"]] = state_entry(element, start)
    return values


def current_state(blocks: Iterable[dict], entered: State) -> State:
    """The view's state: initial values overlaid with what the person entered."""
    values = initial_state(blocks)
    for block_id, actions in entered.items():
        values.setdefault(block_id, {}).update(copy.deepcopy(actions))
    return values


def carry_over(entered: State, blocks: Iterable[dict]) -> State:
    """What survives a views.update: entries whose block_id, action_id and type are unchanged."""
    kept: State = {}
    for block, element in iter_elements(blocks):
        entry = entered.get(block["block_id"], {}).get(element["action_id"])
        if entry is not None and entry["type"] == element["type"]:
            kept.setdefault(block["block_id"], {})[element["action_id"]] = entry
    return kept


def is_empty(entry: dict | None) -> bool:
    """True when a state entry holds no value (what makes a required input complain)."""
    if entry is None:
        return True
    value = next((v for k, v in entry.items() if k != "type"), None)
    return value is None or value == "" or value == []


# --- what the person picks -------------------------------------------------------------------------


class ConfirmRequired(AssertionError):
    """The element asks for confirmation first; pass ``confirm=True`` to click through the dialog."""


def check_confirm(element: dict, confirm: bool) -> None:
    """A click goes through only past the element's confirm dialog, and ``confirm`` needs one."""
    if element.get("confirm") and not confirm:
        title = element["confirm"]["title"]["text"]
        raise ConfirmRequired(
            f"{element['action_id']!r} shows a confirm dialog ({title!r}): pass confirm=True"
        )
    if confirm and not element.get("confirm"):
        raise AssertionError(f"no confirm dialog on {element['action_id']!r}")


def client_value(element: dict, value: Any, suggestions: Iterable[dict] = ()) -> Any:
    """Turn what a test passes (an option value, a user id, a date...) into Slack's value shape."""
    field = value_field(element)
    if field == "selected_option":
        return pick_option(element, value, suggestions)
    if field == "selected_options":
        return [pick_option(element, item, suggestions) for item in value]
    if field in LIST_FIELDS:
        return list(value)
    if field == "selected_date" and isinstance(value, dt.date):
        return value.isoformat()
    if field == "selected_time" and isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if field == "value" and value is not None:
        return str(value)
    return value


def pick_option(element: dict, value: Any, suggestions: Iterable[dict] = ()) -> dict:
    """The option a person picks: by value among the element's options (or earlier suggestions)."""
    wanted = value.get("value") if isinstance(value, dict) else value
    candidates = options_of(element) + list(suggestions)
    if element["type"] in ("external_select", "multi_external_select") and isinstance(value, dict):
        return value  # the person picked an option the app served earlier
    for option in candidates:
        if option.get("value") == wanted:
            return option
    offered = [option.get("value") for option in candidates]
    raise LookupError(
        f"{element.get('action_id')!r} has no option with value {wanted!r}; it offers {offered}"
    )


def block_action(block: dict, element: dict, value: Any, action_ts: str) -> dict:
    """One entry of a block_actions payload's ``actions``, shaped per element type."""
    action = {"type": element["type"], "action_id": element["action_id"], "block_id": block["block_id"]}
    if element["type"] == "button":
        action["text"] = element["text"]
        action.update({key: element[key] for key in ("value", "style") if key in element})
    else:
        action[value_field(element)] = value
        if "placeholder" in element:
            action["placeholder"] = element["placeholder"]
    action["action_ts"] = action_ts
    return action


# --- what the person reads -------------------------------------------------------------------------


def visible_text(view: dict) -> str:
    """All the text a person reads on a view, one piece per line, in display order."""
    parts = [_text_of(view.get("title"))]
    for block in view.get("blocks") or []:
        parts += block_text(block)
    parts += [_text_of(view.get("close")), _text_of(view.get("submit"))]
    return "\n".join(part for part in parts if part)


def block_text(block: dict) -> list[str]:
    """The visible text of one block."""
    kind = block.get("type")
    if kind in ("header", "section"):
        parts = [_text_of(block.get("text"))] + [_text_of(field) for field in block.get("fields") or []]
        return parts + element_text(block.get("accessory") or {})
    if kind == "context":
        return [_text_of(element) for element in block.get("elements") or []]
    if kind == "actions":
        return [part for element in block.get("elements") or [] for part in element_text(element)]
    if kind == "input":
        element = block.get("element") or {}
        return [_text_of(block.get("label"))] + element_text(element) + [_text_of(block.get("hint"))]
    if kind == "image":
        return [_text_of(block.get("title"))]
    if kind == "rich_text":
        return ["".join(_rich_text(block.get("elements") or []))]
    return []


def element_text(element: dict) -> list[str]:
    """The visible text of one element: its label, placeholder, initial value and option texts."""
    parts = [_text_of(element.get(key)) for key in ("text", "placeholder")]
    if isinstance(element.get("initial_value"), str):
        parts.append(element["initial_value"])
    for group in element.get("option_groups") or []:
        parts.append(_text_of(group.get("label")))
        parts += [_text_of(option.get("text")) for option in group.get("options") or []]
    for option in element.get("options") or []:
        parts += [_text_of(option.get("text")), _text_of(option.get("description"))]
    return parts


def _text_of(text_object: Any) -> str:
    if isinstance(text_object, dict) and text_object.get("type") in ("plain_text", "mrkdwn"):
        return str(text_object.get("text", ""))
    return ""


def _rich_text(elements: list) -> Iterator[str]:
    for element in elements:
        if not isinstance(element, dict):
            continue
        if isinstance(element.get("text"), str):
            yield element["text"]
        yield from _rich_text(element.get("elements") or [])


# --- what the client checks before a submit --------------------------------------------------------

REQUIRED_MESSAGE = "This field is required"


def input_problem(block: dict, element: dict, entry: dict | None) -> str | None:
    """What Slack's client shows under an input block before it lets the person submit, or None."""
    if is_empty(entry):
        return None if block.get("optional") else REQUIRED_MESSAGE
    value: Any = entry.get("value") if entry is not None else None
    if element["type"] == "plain_text_input":
        max_length = element.get("max_length", 3000)
        if len(value) < element.get("min_length", 0):
            return f"Must be at least {element['min_length']} characters"
        if len(value) > max_length:
            return f"Must be at most {max_length} characters"
    if element["type"] == "number_input":
        return _number_problem(element, value)
    return None


def _number_problem(element: dict, value: str) -> str | None:
    decimal = element.get("is_decimal_allowed")
    try:
        number = float(value) if decimal else int(value)
    except ValueError:
        return "Must be a number" if decimal else "Must be a whole number"
    if "min_value" in element and number < float(element["min_value"]):
        return f"Must be at least {element['min_value']}"
    if "max_value" in element and number > float(element["max_value"]):
        return f"Must be at most {element['max_value']}"
    return None
