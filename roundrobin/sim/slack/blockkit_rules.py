"""What Slack refuses in Block Kit that slack_sdk's models let through.

blockkit.py asks slack_sdk's models first: they check most lengths and counts (24-character modal
titles, 3000-character private_metadata, 100 blocks in a view, 75-character buttons...), date and
time formats, styles, and which fields each object takes. These are the rules they leave out, each
from Slack's Block Kit reference (docs.slack.dev/reference/block-kit: blocks, block-elements/*,
composition-objects/*, views) unless it says otherwise:

- where each type may appear: the blocks and elements the fake serves, a section's accessory, an
  actions block's and a context block's elements (slack_sdk parses any element anywhere but in an
  input block);
- text objects: plain_text or mrkdwn with 1+ characters, and plain_text only where Slack says so
  (slack_sdk reads an unknown type as mrkdwn and passes an empty text);
- arrays that may not be empty, the counts and lengths slack_sdk does not know (50 blocks in a
  message, section fields of 2000 characters, 10 checkboxes, option descriptions of 75...), and
  booleans and integers of the right JSON type;
- what must be there that slack_sdk fills in or does not ask for (a confirm dialog's buttons, a
  modal's title, submit when it has inputs, number_input's is_decimal_allowed...);
- checks across fields: initial options among the options, block_ids unique in a view, action_ids
  unique in an actions block, option urls only in overflow menus, and response_action errors keyed
  by input blocks.

Pure functions over the JSON as sent. A problem starts with the JSON pointer of what is wrong:
``/blocks/3/fields/0/text: must be at most 2000 characters (got 2012)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

MAX_MESSAGE_BLOCKS = 50  # "up to 50 blocks in each message, and 100 blocks in modals or Home tabs"

SELECTS = {"static_select", "external_select", "users_select", "conversations_select", "channels_select"}
MULTI_SELECTS = {f"multi_{kind}" for kind in SELECTS}
CHOICES = {"checkboxes", "radio_buttons", "datepicker", "timepicker"}
TEXT_INPUTS = {"plain_text_input", "number_input", "email_text_input", "url_text_input", "rich_text_input"}
SECTION_ACCESSORIES = {"button", "overflow", "image", *CHOICES, *SELECTS, *MULTI_SELECTS}
ACTIONS_ELEMENTS = {"button", "overflow", "datetimepicker", *CHOICES, *SELECTS, *MULTI_SELECTS}
# (slack_sdk's InputBlock refuses the elements that take no input itself.)
ELEMENTS = {*SECTION_ACCESSORIES, *ACTIONS_ELEMENTS, *TEXT_INPUTS}
CONTEXT_ELEMENTS = {"plain_text", "mrkdwn", "image"}
# Menus whose option text is plain_text only; checkboxes and radio buttons may use mrkdwn.
PLAIN_OPTION_MENUS = {
    "overflow",
    "static_select",
    "multi_static_select",
    "external_select",
    "multi_external_select",
}
# Fields that are JSON booleans wherever they appear (slack_sdk passes any value through).
BOOLEANS = {
    "expand",
    "optional",
    "dispatch_action",
    "focus_on_load",
    "multiline",
    "is_decimal_allowed",
    "default_to_current_conversation",
    "response_url_enabled",
    "exclude_external_shared_channels",
    "exclude_bot_users",
    "clear_on_close",
    "notify_on_close",
    "submit_disabled",
}
CONVERSATION_KINDS = ("im", "mpim", "private", "public")
DISPATCH_TRIGGERS = ("on_enter_pressed", "on_character_entered")

Problems = Iterator[str]


# --- views, messages and modal answers ---------------------------------------------------------


def view_problems(view: Any) -> list[str]:
    """What Slack refuses in a modal or Home tab view beyond slack_sdk's models."""
    if not isinstance(view, dict):
        return ["/: a view must be an object"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return [f"/type: must be modal or home (got {kind!r})"]
    problems = list(_booleans(view, ""))
    problems += _chars(view, "external_id", "", most=255)
    if kind == "modal":
        problems += _required(view, "", "title")
        for key in ("title", "submit", "close"):
            problems += _text_field(view, key, "", plain=True)
    if "blocks" not in view:
        return [*problems, "/blocks: is required"]
    problems += _blocks(view["blocks"])
    if kind == "modal" and "submit" not in view and _input_ids(view):
        problems.append("/submit: is required when a modal has input blocks")
    return problems


def message_problems(blocks: Any) -> list[str]:
    """What Slack refuses in a message's blocks beyond slack_sdk's models."""
    return list(_blocks(blocks, most=MAX_MESSAGE_BLOCKS))


def menu_problems(menu: dict) -> list[str]:
    """What Slack refuses in a static menu's options: the shape of a block_suggestion answer."""
    return list(_element(menu, "", {"static_select"}, "a menu"))


def errors_problems(view: dict, errors: Any) -> list[str]:
    """response_action errors must key input blocks of the view, or the person sees "We had some
    trouble connecting" (reference/slack-socket-mode.md: bolt-js #544)."""
    inputs = _input_ids(view)
    if not isinstance(errors, dict) or not errors:
        return [f"/errors: must name input blocks of the view (inputs: {sorted(inputs)})"]
    unknown = sorted(set(errors) - inputs)
    if unknown:
        return [f"/errors: {unknown} are not input blocks of the view (inputs: {sorted(inputs)})"]
    return []


def _input_ids(view: dict) -> set[str]:
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return set()
    return {
        b["block_id"]
        for b in blocks
        if isinstance(b, dict) and b.get("type") == "input" and isinstance(b.get("block_id"), str)
    }


def _blocks(blocks: Any, *, most: int | None = None) -> Problems:
    if not isinstance(blocks, list):
        yield "/blocks: must be an array"
        return
    if most is not None and len(blocks) > most:
        yield f"/blocks: must have at most {most} items (got {len(blocks)})"
    seen: set[object] = set()
    for index, block in enumerate(blocks):
        path = f"/blocks/{index}"
        yield from _block(block, path)
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if block_id is not None and block_id in seen:
            yield f"{path}/block_id: duplicate block_id {block_id!r}"
        seen.add(block_id)


# --- blocks ------------------------------------------------------------------------------------


def _block(block: Any, path: str) -> Problems:
    if not isinstance(block, dict):
        yield f"{path}: must be an object"
        return
    rules = BLOCKS.get(str(block.get("type")))
    if rules is None:
        yield f"{path}/type: unknown block type {block.get('type')!r}"
        return
    yield from _chars(block, "block_id", path, least=1)
    yield from _booleans(block, path)
    yield from rules(block, path)


def _section(block: dict, path: str) -> Problems:
    yield from _text_field(block, "text", path)
    yield from _items(block, "fields", path, least=1)
    for index, field in enumerate(_listed(block, "fields")):
        yield from _text(field, f"{path}/fields/{index}", most=2000)
    if "accessory" in block:
        yield from _element(
            block["accessory"], f"{path}/accessory", SECTION_ACCESSORIES, "a section accessory"
        )


def _header(block: dict, path: str) -> Problems:
    yield from _text_field(block, "text", path, plain=True)


def _context(block: dict, path: str) -> Problems:
    yield from _items(block, "elements", path, least=1)
    for index, element in enumerate(_listed(block, "elements")):
        where = f"{path}/elements/{index}"
        kind = element.get("type") if isinstance(element, dict) else None
        if kind not in CONTEXT_ELEMENTS:
            yield f"{where}/type: {kind!r} is not allowed in a context block"
        elif kind == "image":
            yield from _image_source(element, where)
        else:
            yield from _text(element, where, most=3000)


def _actions(block: dict, path: str) -> Problems:
    yield from _items(block, "elements", path, least=1)
    seen: set[object] = set()
    for index, element in enumerate(_listed(block, "elements")):
        where = f"{path}/elements/{index}"
        yield from _element(element, where, ACTIONS_ELEMENTS, "an actions block")
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if action_id is not None and action_id in seen:
            yield f"{where}/action_id: duplicate action_id {action_id!r}"
        seen.add(action_id)


def _input(block: dict, path: str) -> Problems:
    for key in ("label", "hint"):
        yield from _text_field(block, key, path, plain=True)
    if "element" in block:
        yield from _element(block["element"], f"{path}/element", ELEMENTS, "an input block")


def _image(block: dict, path: str) -> Problems:
    yield from _text_field(block, "title", path, plain=True)
    yield from _image_source(block, path)


def _rich_text(block: dict, path: str) -> Problems:
    yield from _items(block, "elements", path, least=1, most=100)


def _nothing(block: dict, path: str) -> Problems:
    yield from ()


# The blocks the fake serves; slack_sdk also parses others (video, file, table...), which it refuses.
BLOCKS: dict[str, Callable[[dict, str], Problems]] = {
    "section": _section,
    "divider": _nothing,
    "header": _header,
    "context": _context,
    "actions": _actions,
    "input": _input,
    "image": _image,
    "rich_text": _rich_text,
}


# --- elements ----------------------------------------------------------------------------------


def _element(element: Any, path: str, allowed: set[str], where: str) -> Problems:
    if not isinstance(element, dict):
        yield f"{path}: must be an object"
        return
    kind = element.get("type")
    if kind not in ELEMENTS:
        yield f"{path}/type: unknown element type {kind!r}"
        return
    if kind not in allowed:
        yield f"{path}/type: {kind!r} is not allowed in {where}"
        return
    if kind == "image":
        yield from _image_source(element, path)
        return
    yield from _chars(element, "action_id", path, least=1)
    yield from _booleans(element, path)
    yield from _text_field(element, "placeholder", path, plain=True)
    if "confirm" in element:
        yield from _confirm(element["confirm"], f"{path}/confirm")
    yield from _options(element, path)
    if kind == "button":
        yield from _text_field(element, "text", path, plain=True)
    if kind in SELECTS | MULTI_SELECTS:
        yield from _menu(element, path)
    if kind in TEXT_INPUTS:
        yield from _typing(element, path)
    if kind == "timepicker":
        yield from _chars(element, "timezone", path, most=100)


def _menu(element: dict, path: str) -> Problems:
    """Selects and multi-selects: what slack_sdk does not check of their own fields."""
    yield from _whole(element, "min_query_length", path, least=0)
    yield from _whole(element, "max_selected_items", path, least=1)
    for key in ("initial_user", "initial_channel", "initial_conversation"):
        yield from _chars(element, key, path, least=1, most=255)
    for key in ("initial_users", "initial_channels", "initial_conversations"):
        yield from _items(element, key, path, most=100)
        for index, value in enumerate(_listed(element, key)):
            yield from _string(value, f"{path}/{key}/{index}", most=255)
    if "filter" in element:
        yield from _conversation_filter(element["filter"], f"{path}/filter")


def _typing(element: dict, path: str) -> Problems:
    """Text, number, email and URL inputs: initial values and lengths slack_sdk does not check."""
    if element["type"] == "number_input":
        yield from _required(element, path, "is_decimal_allowed")
        for key in ("initial_value", "min_value", "max_value"):
            # Not on Slack's page for number_input: kept from the fake's earlier table, to be safe.
            yield from _chars(element, key, path, most=150)
    elif element["type"] != "rich_text_input":
        yield from _chars(element, "initial_value", path, most=3000)
    yield from _whole(element, "min_length", path, least=0, most=3000)
    yield from _whole(element, "max_length", path, least=1, most=3000)
    if "dispatch_action_config" in element:
        yield from _dispatch_config(element["dispatch_action_config"], f"{path}/dispatch_action_config")


def _image_source(image: dict, path: str) -> Problems:
    if "image_url" not in image and "slack_file" not in image:
        yield f"{path}: needs image_url or slack_file"


# --- options -----------------------------------------------------------------------------------


def _options(element: dict, path: str) -> Problems:
    """Option lists: not empty, within their counts, plain where the menu says so, initials offered."""
    kind = element["type"]
    plain = kind in PLAIN_OPTION_MENUS
    if kind in ("checkboxes", "radio_buttons"):
        yield from _required(element, path, "options")
        yield from _items(element, "options", path, least=1, most=10)
        yield from _items(element, "initial_options", path, most=10)
    elif kind != "overflow":  # slack_sdk counts an overflow menu's 1 to 5 options
        yield from _items(element, "options", path, least=1)
        yield from _items(element, "option_groups", path, least=1)
        yield from _items(element, "initial_options", path, most=100)
    for index, group in enumerate(_listed(element, "option_groups")):
        where = f"{path}/option_groups/{index}"
        if isinstance(group, dict):
            yield from _required(group, where, "label")
            yield from _text_field(group, "label", where, plain=True)
            yield from _items(group, "options", where, least=1)
            for number, option in enumerate(_listed(group, "options")):
                yield from _option(option, f"{where}/options/{number}", plain=plain, url=False)
    for index, option in enumerate(_listed(element, "options")):
        yield from _option(option, f"{path}/options/{index}", plain=plain, url=kind == "overflow")
    initial = [(f"{path}/initial_options/{i}", o) for i, o in enumerate(_listed(element, "initial_options"))]
    if "initial_option" in element:
        initial.append((f"{path}/initial_option", element["initial_option"]))
    for index, (where, option) in enumerate(initial):
        yield from _option(option, where, plain=plain, url=False)
        if isinstance(option, dict):
            yield from _offered(element, option, path, index)


def _option(option: Any, path: str, *, plain: bool, url: bool) -> Problems:
    if not isinstance(option, dict):
        yield f"{path}: must be an object"
        return
    yield from _required(option, path, "text", "value")
    yield from _text_field(option, "text", path, plain=plain)
    yield from _chars(option, "value", path, least=1)
    yield from _text_field(option, "description", path, plain=True, most=75)
    if not url and "url" in option:
        yield f"{path}/url: only overflow menus take an option url"
    yield from _chars(option, "url", path, most=3000)


def _offered(element: dict, option: dict, path: str, index: int) -> Problems:
    """Slack refuses an initial option that is not one of the element's options (external menus
    have none to compare with)."""
    if element["type"] in ("external_select", "multi_external_select"):
        return
    offered = list(_listed(element, "options"))
    for group in _listed(element, "option_groups"):
        offered += _listed(group, "options") if isinstance(group, dict) else []
    if option.get("value") not in {o.get("value") for o in offered if isinstance(o, dict)}:
        yield f"{path}: initial option {index} ({option.get('value')!r}) is not one of the options"


# --- composition objects -----------------------------------------------------------------------


def _confirm(confirm: Any, path: str) -> Problems:
    """A confirm dialog: slack_sdk fills in "Yes" and "No" when its buttons are missing."""
    if not isinstance(confirm, dict):
        yield f"{path}: must be an object"
        return
    yield from _required(confirm, path, "title", "text", "confirm", "deny")
    for key in ("title", "confirm", "deny"):
        yield from _text_field(confirm, key, path, plain=True)
    yield from _text_field(confirm, "text", path)


def _conversation_filter(value: Any, path: str) -> Problems:
    """A conversations menu's filter (conversations_select keeps it as given, unread by slack_sdk)."""
    if not isinstance(value, dict):
        yield f"{path}: must be an object"
        return
    yield from _only(value, path, "include", "exclude_external_shared_channels", "exclude_bot_users")
    yield from _booleans(value, path)
    yield from _items(value, "include", path, least=1, most=len(CONVERSATION_KINDS))
    for index, kind in enumerate(_listed(value, "include")):
        if kind not in CONVERSATION_KINDS:
            yield f"{path}/include/{index}: must be one of {', '.join(CONVERSATION_KINDS)} (got {kind!r})"


def _dispatch_config(value: Any, path: str) -> Problems:
    """A text input's dispatch configuration (kept as given, unread by slack_sdk)."""
    if not isinstance(value, dict):
        yield f"{path}: must be an object"
        return
    yield from _only(value, path, "trigger_actions_on")
    yield from _items(value, "trigger_actions_on", path, most=len(DISPATCH_TRIGGERS))
    for index, trigger in enumerate(_listed(value, "trigger_actions_on")):
        if trigger not in DISPATCH_TRIGGERS:
            yield f"{path}/trigger_actions_on/{index}: must be one of {', '.join(DISPATCH_TRIGGERS)} (got {trigger!r})"


def _text_field(node: dict, key: str, path: str, *, plain: bool = False, most: int | None = None) -> Problems:
    if key in node:
        yield from _text(node[key], f"{path}/{key}", plain=plain, most=most)


def _text(value: Any, path: str, *, plain: bool = False, most: int | None = None) -> Problems:
    """A text object: plain_text (or mrkdwn, unless ``plain``) with 1 to ``most`` characters."""
    types = ("plain_text",) if plain else ("plain_text", "mrkdwn")
    if not isinstance(value, dict):
        yield f"{path}: must be a text object"
    elif value.get("type") not in types:
        yield f"{path}/type: must be {' or '.join(types)} (got {value.get('type')!r})"
    elif "text" not in value:
        yield f"{path}/text: is required"
    else:
        yield from _chars(value, "text", path, least=1, most=most)


# --- values ------------------------------------------------------------------------------------


def _listed(node: dict, key: str) -> list:
    """node[key] when it is an array (what it should be is _items' to say), else nothing."""
    value = node.get(key)
    return value if isinstance(value, list) else []


def _only(node: dict, path: str, *keys: str) -> Problems:
    for key in node:
        if key not in keys:
            yield f"{path}/{key}: unknown field"


def _required(node: dict, path: str, *keys: str) -> Problems:
    for key in keys:
        if key not in node:
            yield f"{path}/{key}: is required"


def _items(node: dict, key: str, path: str, *, least: int = 0, most: int | None = None) -> Problems:
    if key not in node:
        return
    value, where = node[key], f"{path}/{key}"
    if not isinstance(value, list):
        yield f"{where}: must be an array"
    elif most is not None and len(value) > most:
        yield f"{where}: must have at most {most} items (got {len(value)})"
    elif len(value) < least:
        yield f"{where}: must have at least {least} items (got {len(value)})"


def _chars(node: dict, key: str, path: str, *, least: int = 0, most: int | None = None) -> Problems:
    if key in node:
        yield from _string(node[key], f"{path}/{key}", least=least, most=most)


def _string(value: Any, where: str, *, least: int = 0, most: int | None = None) -> Problems:
    if not isinstance(value, str):
        yield f"{where}: must be a string"
    elif most is not None and len(value) > most:
        yield f"{where}: must be at most {most} characters (got {len(value)})"
    elif len(value) < least:
        yield f"{where}: must be at least {least} characters (got {len(value)})"


def _whole(node: dict, key: str, path: str, *, least: int, most: int | None = None) -> Problems:
    if key not in node:
        return
    value, where = node[key], f"{path}/{key}"
    if isinstance(value, bool) or not isinstance(value, int):
        yield f"{where}: must be an integer"
    elif value < least:
        yield f"{where}: must be at least {least} (got {value})"
    elif most is not None and value > most:
        yield f"{where}: must be at most {most} (got {value})"


def _booleans(node: dict, path: str) -> Problems:
    for key, value in node.items():
        if key in BOOLEANS and not isinstance(value, bool):
            yield f"{path}/{key}: must be a boolean"
