"""chat.postMessage, chat.postEphemeral and chat.update, plus replies to slash commands and response_urls.

Where the bot may post follows Slack: a channel it is in (not archived), a public channel with
chat:write.public, or a DM (a user id or the DM channel id). Blocks are checked for the message
surface (50 blocks) by blockkit.py: slack_sdk's models, then the rules they lack. The bot can only
edit its own messages (``cant_update_message``).

A response_url from a click in a message can also replace (``replace_original``) or delete
(``delete_original``) that message; otherwise a post makes a new message, ephemeral unless
``response_type`` is ``in_channel``.
"""

from __future__ import annotations

import json

from roundrobin.sim.slack.api_base import SlackError, required
from roundrobin.sim.slack.blockkit import message_problems
from roundrobin.sim.slack.views import with_ids
from roundrobin.sim.slack.workspace import Hook, Workspace

MAX_TEXT = 40_000


def chat_post_message(ws: Workspace, args: dict) -> dict:
    """Post a message as the bot."""
    ws.require_scope("chat:write")
    channel = postable_channel(ws, required(args, "channel"))
    text, blocks = message_content(args)
    message = ws.post(channel, text, blocks, args.get("thread_ts") or None)
    return {"channel": channel, "ts": message["ts"], "message": message_json(ws, message)}


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
    message = ws.find_message(channel, ts)
    if message is None:
        raise SlackError("message_not_found")
    if message["user"] != ws.bot_user_id:
        raise SlackError("cant_update_message")
    message["text"], blocks = message_content(args)
    message["blocks"] = with_ids(blocks)
    message["edited"] = {"user": ws.bot_user_id, "ts": ws.new_ts()}
    return {"channel": channel, "ts": ts, "text": message["text"], "message": message_json(ws, message)}


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
    if channel.is_archived:
        raise SlackError("is_archived")
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
    problems = message_problems(blocks)
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


def deliver_hook_reply(ws: Workspace, hook: Hook, body: dict) -> dict | None:
    """A post to a response_url: a new reply, or (after a click in a message) a change to that message."""
    original = _hook_original(ws, hook)
    if original is not None and body.get("delete_original") in (True, "true"):
        _remove(ws, hook, original)
        return None
    if original is not None and body.get("replace_original") in (True, "true"):
        original["text"], blocks = message_content(body)
        original["blocks"] = with_ids(blocks)
        return original
    return deliver_reply(ws, hook.user_id, hook.channel_id, body, source="response_url")


def _hook_original(ws: Workspace, hook: Hook) -> dict | None:
    if hook.message_ts is None:
        return None
    if hook.is_ephemeral:
        return next((m for m in ws.ephemerals[hook.user_id] if m["ts"] == hook.message_ts), None)
    return ws.find_message(hook.channel_id, hook.message_ts)


def _remove(ws: Workspace, hook: Hook, message: dict) -> None:
    kept = ws.ephemerals[hook.user_id] if hook.is_ephemeral else ws.messages
    kept[:] = [m for m in kept if m is not message]


def message_json(ws: Workspace, message: dict) -> dict:
    """A message as the Web API and interaction payloads show it."""
    answer = {"type": "message", "user": message["user"], "text": message["text"]}
    if message.get("subtype"):  # channel_join: what Slack posts when a person joins
        answer["subtype"] = message["subtype"]
    if message["user"] == ws.bot_user_id:
        answer.update(bot_id=ws.bot_id, app_id=ws.app_id)
    elif message.get("client_msg_id"):
        answer["client_msg_id"] = message["client_msg_id"]
    answer.update(blocks=message["blocks"], ts=message["ts"], team=ws.team_id)
    if message.get("edited"):
        answer["edited"] = dict(message["edited"])
    if message["thread_ts"]:
        parent = ws.find_message(message["channel"], message["thread_ts"])
        answer["thread_ts"] = message["thread_ts"]
        if parent is not None:
            answer["parent_user_id"] = parent["user"]
    elif message.get("reply_count"):
        answer.update(
            thread_ts=message["ts"],
            reply_count=message["reply_count"],
            reply_users=list(message["reply_users"]),
            reply_users_count=len(message["reply_users"]),
            latest_reply=message["latest_reply"],
        )
    return answer


METHODS = {
    "chat.postMessage": chat_post_message,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.update": chat_update,
}
