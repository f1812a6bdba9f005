"""A person and messages: writing one (with @mentions of the app), and clicking in one the bot posted.

SlackUser's ``say`` and ``click_in_message`` are thin wrappers over these. What Slack sends follows
its docs: an ``app_mention`` event only for a channel the app is in, with the app_mentions:read scope,
never for DMs ("Messages sent to your app in direct message conversations are not dispatched via
app_mention"); a click in a message is block_actions with a ``message`` container and a response_url
that can replace or delete the message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roundrobin.sim.slack.api_chat import message_json
from roundrobin.sim.slack.payloads import app_mention, message_action
from roundrobin.sim.slack.people import mentioned, write
from roundrobin.sim.slack.views import (
    STATELESS,
    block_action,
    check_confirm,
    client_value,
    find_element,
    initial_state,
    iter_elements,
    state_entry,
)

if TYPE_CHECKING:
    from roundrobin.sim.slack.fake import FakeSlack
    from roundrobin.sim.slack.workspace import Workspace


def mentions_app(ws: Workspace, message: dict) -> bool:
    """Whether Slack would deliver ``message`` to the app as an app_mention event."""
    channel = ws.channels.get(message["channel"])
    return (
        ws.bot_user_id in mentioned(message["text"])
        and channel is not None
        and channel.bot_is_member
        and "app_mentions:read" in ws.scopes
    )


async def say(slack: FakeSlack, user_id: str, channel_id: str, text: str, thread_ts: str | None) -> dict:
    """Post as ``user_id``; deliver app_mention (and wait for its ack) when Slack would."""
    message = write(slack.workspace, user_id, channel_id, text, thread_ts)
    if mentions_app(slack.workspace, message):
        await slack.send_envelope("events_api", app_mention(slack.workspace, message))
    return message


async def click_in_message(
    slack: FakeSlack,
    user_id: str,
    message: dict,
    action_id: str,
    *,
    value: str | None = None,
    option: Any = None,
    block_id: str | None = None,
    confirm: bool = False,
) -> Any:
    """Click a button (or pick ``option`` in a menu) in a message; returns the ack, or a url button's url."""
    ws = slack.workspace
    stored, is_ephemeral = _visible_message(ws, user_id, message)
    found = find_element(stored["blocks"], action_id, value=value, block_id=block_id, option=option)
    if found is None:
        seen = sorted({element["action_id"] for _, element in iter_elements(stored["blocks"])})
        raise LookupError(f"the message has no element {action_id!r}; its action_ids: {seen}")
    block, element = found
    check_confirm(element, confirm)
    picked = None
    if element["type"] != "button":
        if block["type"] == "input":
            raise TypeError(f"{action_id!r} is in an input block: messages send nothing until submitted")
        if option is None:
            raise TypeError(f"{action_id!r} is a {element['type']}: pass option=<value>")
        picked = client_value(element, option)
    state = initial_state(stored["blocks"])
    if element["type"] not in STATELESS:
        state.setdefault(block["block_id"], {})[action_id] = state_entry(element, picked)
    hook_id = ws.issue_hook(user_id, stored["channel"], message_ts=stored["ts"], is_ephemeral=is_ephemeral)
    payload = message_action(
        ws,
        user_id,
        stored,
        channel_id=stored["channel"],
        is_ephemeral=is_ephemeral,
        message_json=None if is_ephemeral else message_json(ws, stored),
        state=state,
        response_url=f"{slack.url}/hooks/respond/{hook_id}",
        action=block_action(block, element, picked, ws.new_ts()),
    )
    ack = await slack.send_envelope("interactive", payload)
    if ack and "response_action" in ack:
        raise AssertionError(f"response_action only answers view_submission, not block_actions: {ack!r}")
    return element.get("url", ack)


def _visible_message(ws: Workspace, user_id: str, message: dict) -> tuple[dict, bool]:
    """The stored message (and whether it is ephemeral) if ``user_id`` can see it in their client."""
    own = next((m for m in ws.ephemerals[user_id] if m["ts"] == message.get("ts")), None)
    if own is not None:
        return own, True
    stored = ws.find_message(message.get("channel", ""), message.get("ts", ""))
    if stored is None:
        raise LookupError(
            f"no message {message.get('ts')!r} in {message.get('channel')!r}: deleted, or ephemeral to someone else"
        )
    dm_user = stored["dm_user"]
    channel = ws.channels.get(stored["channel"])
    if dm_user is not None and dm_user != user_id:
        raise AssertionError(f"{user_id} cannot see a DM between the app and {dm_user}")
    if channel is not None and channel.is_private and user_id not in channel.members:
        raise AssertionError(f"{user_id} is not in the private channel #{channel.name}")
    return stored, False
