"""Block Kit helpers that keep every view inside Slack's limits by construction.

Texts are cut to their limits here, so a long rotation name can never make Slack refuse a view.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any, Protocol

from roundrobin.rotations import webhook_actor
from roundrobin.slack_ids import is_id

Block = dict[str, Any]

MAX_BLOCKS = 100
MAX_METADATA = 3000
LIMITS = {
    "section": 3000,
    "field": 2000,
    "header": 150,
    "context": 2000,
    "button": 75,
    "button_value": 2000,
    "option": 75,
    "option_value": 150,
    "modal_title": 24,
    "modal_button": 24,
    "label": 2000,
    "placeholder": 150,
    "confirm_title": 100,
    "confirm_text": 300,
    "confirm_button": 30,
}


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def esc(text: str) -> str:
    """Escape user-provided text for mrkdwn: &, < and > have meaning there."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str, limit: int = 3000) -> dict:
    return {"type": "plain_text", "text": cut(text, limit), "emoji": True}


def mrkdwn(text: str, limit: int = 3000) -> dict:
    return {"type": "mrkdwn", "text": cut(text, limit)}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, LIMITS["header"])}


def section(
    text: str,
    accessory: dict[str, Any] | None = None,
    block_id: str | None = None,
    fields: Sequence[str] = (),
) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text, LIMITS["section"])}
    if fields:
        block["fields"] = [mrkdwn(f, LIMITS["field"]) for f in fields[:10]]
    if accessory:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def beside(words: str) -> dict[str, Any]:
    """An answer to a click shown only to the clicker, beside the message, which stays as it was
    (`words`: mrkdwn, escaped already)."""
    return {
        "text": words,
        "blocks": [section(words)],
        "replace_original": False,
        "response_type": "ephemeral",
    }


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(t, LIMITS["context"]) for t in texts[:10] if t]}


def divider() -> Block:
    return {"type": "divider"}


def actions(*elements: dict, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": [e for e in elements if e][:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def button(
    text: str,
    action_id: str,
    value: str | None = None,
    style: str | None = None,
    url: str | None = None,
    confirm: dict | None = None,
) -> dict:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, LIMITS["button"]),
        "action_id": action_id,
    }
    if value is not None:
        element["value"] = cut(value, LIMITS["button_value"])
    if style:
        element["style"] = style
    if url:
        element["url"] = url
    if confirm:
        element["confirm"] = confirm
    return element


def confirm(title: str, text: str, yes: str, no: str = "Cancel", style: str | None = None) -> dict:
    dialog: dict[str, Any] = {
        "title": plain(title, LIMITS["confirm_title"]),
        "text": mrkdwn(text, LIMITS["confirm_text"]),
        "confirm": plain(yes, LIMITS["confirm_button"]),
        "deny": plain(no, LIMITS["confirm_button"]),
    }
    if style:
        dialog["style"] = style
    return dialog


def option(text: str, value: str, description: str | None = None) -> dict:
    opt = {"text": plain(text, LIMITS["option"]), "value": cut(value, LIMITS["option_value"])}
    if description:
        opt["description"] = plain(description, LIMITS["option"])
    return opt


def input_block(
    block_id: str,
    label: str,
    element: dict,
    hint: str | None = None,
    optional: bool = False,
    dispatch: bool = False,
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, LIMITS["label"]),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, LIMITS["label"])
    if dispatch:
        block["dispatch_action"] = True
    return block


def text_input(
    action_id: str,
    initial: str | None = None,
    placeholder: str | None = None,
    multiline: bool = False,
    max_length: int | None = None,
) -> dict:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": action_id, "multiline": multiline}
    if initial:
        element["initial_value"] = initial
    if placeholder:
        element["placeholder"] = plain(placeholder, LIMITS["placeholder"])
    if max_length:
        element["max_length"] = max_length
    return element


def channels_select(
    action_id: str, initial: tuple[str, ...] | list[str] = (), max_selected: int = 10
) -> dict:
    """Channels a rotation uses: public or private, never DMs or channels shared with other orgs."""
    element: dict[str, Any] = {
        "type": "multi_conversations_select",
        "action_id": action_id,
        "max_selected_items": max_selected,
        "filter": {
            "include": ["public", "private"],
            "exclude_bot_users": True,
            "exclude_external_shared_channels": True,
        },
    }
    if initial:
        element["initial_conversations"] = list(initial)
    return element


def radio_buttons(action_id: str, options: list[dict], initial_value: str | None = None) -> dict:
    element: dict[str, Any] = {"type": "radio_buttons", "action_id": action_id, "options": options}
    initial = next((o for o in options if o["value"] == initial_value), None)
    if initial:
        element["initial_option"] = initial
    return element


def static_select(
    action_id: str, options: list[dict], initial_value: str | None = None, placeholder: str = "Choose…"
) -> dict:
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": plain(placeholder, LIMITS["placeholder"]),
        "options": options[:100],
    }
    initial = next((o for o in options if o["value"] == initial_value), None)
    if initial:
        element["initial_option"] = initial
    return element


class Metadata(Protocol):
    """What a view keeps in private_metadata (one dataclass per view: slack/views/metadata.py)."""

    def to_json(self) -> dict[str, Any]: ...


def metadata(data: dict[str, Any]) -> str:
    text = json.dumps(data, separators=(",", ":"), sort_keys=True)
    if len(text) > MAX_METADATA:
        raise ValueError(f"private_metadata would be {len(text)} characters; Slack allows {MAX_METADATA}")
    return text


def read_metadata(text: object) -> dict[str, Any]:
    """The JSON object in a view's private_metadata; {} for anything else (it may be crafted)."""
    if not isinstance(text, str):
        return {}
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def modal(
    title: str,
    blocks: list[Block],
    callback_id: str | None = None,
    submit: str | None = None,
    close: str = "Cancel",
    private_metadata: Metadata | None = None,
    notify_on_close: bool = False,
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "title": plain(title, LIMITS["modal_title"]),
        "close": plain(close, LIMITS["modal_button"]),
        "blocks": _checked(blocks),
    }
    if callback_id:
        view["callback_id"] = callback_id
    if submit:
        view["submit"] = plain(submit, LIMITS["modal_button"])
    if private_metadata is not None:
        view["private_metadata"] = metadata(private_metadata.to_json())
    if notify_on_close:
        view["notify_on_close"] = True
    return view


def home(blocks: list[Block], private_metadata: Metadata | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {"type": "home", "blocks": _checked(blocks)}
    if private_metadata is not None:
        view["private_metadata"] = metadata(private_metadata.to_json())
    return view


def _checked(blocks: list[Block]) -> list[Block]:
    if len(blocks) > MAX_BLOCKS:
        # Builders paginate to stay far below this; reaching it is a bug, not a user error.
        raise ValueError(f"a view of {len(blocks)} blocks; Slack allows {MAX_BLOCKS}")
    return blocks


def slack_date(ts: float, pattern: str = "{date_short_pretty} at {time}", fallback: str | None = None) -> str:
    """A timestamp Slack renders in the reader's own time zone and clock (UTC text as the fallback)."""
    fallback = fallback or time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts))
    return f"<!date^{int(ts)}^{pattern}|{esc(fallback).replace('|', '/')}>"


def ago(ts: float, now: float) -> str:
    """'just now', '5 minutes ago', '3 hours ago', '2 days ago'."""
    seconds = max(0, int(now - ts))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def mention(slack_id: str, handle: str | None = None) -> str:
    """The one way an id reaches mrkdwn: <@U…>, <#C…> or <!subteam^S…>.

    Anything that is not a well-formed id is refused: it is shown as escaped text, so a forged
    "U1> <!here" can never turn into a ping.
    """
    if is_id("user", slack_id):
        return f"<@{slack_id}>"
    if is_id("channel", slack_id):
        return f"<#{slack_id}>"
    if is_id("group", slack_id):
        return f"<!subteam^{slack_id}>"
    if hook := webhook_actor.label(slack_id):
        return esc(hook)  # a rotation's webhook made the change: "by webhook (deploy-bot)"
    return esc(f"@{handle}" if handle else str(slack_id))
