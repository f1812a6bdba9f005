"""chat.postMessage, chat.postEphemeral and chat.update, plus replies to slash commands.

Where the bot may post follows Slack: a channel it is in, a public channel with chat:write.public,
or a DM (a user id or the DM channel id). Blocks are validated for the message surface (50 blocks).
"""

from __future__ import annotations

import json

from roundrobin.sim.blockkit import validate_blocks
from roundrobin.sim.slack_api_base import SlackError, required
from roundrobin.sim.slack_workspace import Workspace

MAX_TEXT = 40_000


def chat_post_message(ws: Workspace, args: dict) -> dict:
    """Post a message as the bot."""
    ws.require_scope("chat:write")
    channel = postable_channel(ws, required(args, "channel"))
    text, blocks = message_content(args)
    message = ws.post(channel, text, blocks, args.get("thread_ts"))
    return {"channel": channel, "ts": message["ts"], "message": _message_json(ws, message)}


def chat_post_ephemeral(ws: Workspace, args: dict) -> dict:
    """Post a message only one member of the channel sees."""
    ws.require_scope("chat:write")
    channel = postable_channel(ws, required(args, "channel"))
    user = ws.user(required(args, "user"))
    known = ws.channels.get(channel)
    if known is not None and user.id not in known.members:
        raise SlackError("user_not_in_channel")
    text, blocks = message_content(args)
    message = ws.post_ephemeral(user.id, channel, text, blocks, source="chat.postEphemeral")
    return {"message_ts": message["ts"]}


def chat_update(ws: Workspace, args: dict) -> dict:
    """Edit a message the bot posted earlier."""
    ws.require_scope("chat:write")
    channel = postable_channel(ws, required(args, "channel"))
    ts = required(args, "ts")
    message = next((m for m in ws.messages if m["channel"] == channel and m["ts"] == ts), None)
    if message is None:
        raise SlackError("message_not_found")
    message["text"], message["blocks"] = message_content(args)
    return {"channel": channel, "ts": ts, "text": message["text"], "message": _message_json(ws, message)}


def postable_channel(ws: Workspace, channel_id: str) -> str:
    """The channel id a message to ``channel_id`` lands in, if the bot may post there."""
    dm_user = ws.dm_user(channel_id)
    if dm_user is not None:
        if ws.users[dm_user].is_bot:
            raise SlackError("cannot_dm_bot")
        return ws.dm_channel(dm_user)
    channel = ws.channels.get(channel_id)
    if channel is None:
        raise SlackError("channel_not_found")
    if channel.bot_is_member:
        return channel.id
    # A private channel the bot is not in does not exist as far as the bot can tell.
    if channel.is_private:
        raise SlackError("channel_not_found")
    if "chat:write.public" not in ws.scopes:
        raise SlackError("not_in_channel")
    return channel.id


def message_content(args: dict) -> tuple[str, list]:
    """The text and blocks of a message, checked the way Slack checks them."""
    text = args.get("text") or ""
    blocks = args.get("blocks") or []
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except json.JSONDecodeError:
            raise SlackError("invalid_blocks_format") from None
    if not text and not blocks:
        raise SlackError("no_text")
    if len(text) > MAX_TEXT:
        raise SlackError("msg_too_long")
    problems = validate_blocks(blocks, surface="message")
    if problems:
        raise SlackError("invalid_blocks", response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})
    return text, blocks


def deliver_reply(ws: Workspace, user_id: str, channel_id: str, body: dict, *, source: str) -> dict | None:
    """A slash command's reply (its ack or a response_url post): ephemeral unless ``in_channel``."""
    if not body.get("text") and not body.get("blocks"):
        return None
    text, blocks = message_content(body)
    if body.get("response_type") == "in_channel":
        return ws.post(channel_id, text, blocks, body.get("thread_ts"))
    return ws.post_ephemeral(user_id, channel_id, text, blocks, source=source)


def _message_json(ws: Workspace, message: dict) -> dict:
    answer = {
        "type": "message",
        "user": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "app_id": ws.app_id,
        "text": message["text"],
        "blocks": message["blocks"],
        "ts": message["ts"],
        "team": ws.team_id,
    }
    if message["thread_ts"]:
        answer["thread_ts"] = message["thread_ts"]
    return answer


METHODS = {
    "chat.postMessage": chat_post_message,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.update": chat_update,
}
