"""conversations.* and users.conversations: the channels and DMs the app can see, and channel topics.

What Slack enforces and the fake copies (from each method's reference page on docs.slack.dev):

- Reading needs the read scope of the conversation's type: channels:read (public), groups:read
  (private), im:read (DMs). A private channel the bot is not in does not exist for it:
  ``channel_not_found``.
- Lists are cursor-paginated (``limit``, ``cursor``, ``response_metadata.next_cursor``).
- conversations.setTopic needs channels:write.topic (public) or groups:write.topic (private);
  channels:manage or groups:write will do too. The bot must be a member (``not_in_channel``), the
  channel not archived (``is_archived``), the topic at most 250 characters (``too_long``). The topic
  is plain text: stored as sent, no formatting or linkification.
- conversations.open (im:write) opens the app's DM with one person; group DMs are not simulated.
"""

from __future__ import annotations

from roundrobin.sim.slack.api_base import SlackError, flag, id_list, invalid_arguments, paginate, required
from roundrobin.sim.slack.workspace import MAX_TOPIC_LENGTH, Channel, Workspace

# The scope each conversation type needs to be read.
TYPE_SCOPES = {
    "public_channel": "channels:read",
    "private_channel": "groups:read",
    "mpim": "mpim:read",
    "im": "im:read",
}
# conversations.setTopic: the fine-grained scope per channel type, and the broader one that also works.
TOPIC_SCOPES = {
    "public_channel": ("channels:write.topic", "channels:manage"),
    "private_channel": ("groups:write.topic", "groups:write"),
}


def channel_type(channel: Channel) -> str:
    """ "public_channel" or "private_channel"."""
    return "private_channel" if channel.is_private else "public_channel"


def channel_json(ws: Workspace, channel: Channel) -> dict:
    """A channel object as conversations.info returns it (``is_member``: whether the bot is in it)."""
    return {
        "id": channel.id,
        "name": channel.name,
        "name_normalized": channel.name,
        "created": channel.created,
        "creator": "",
        "is_channel": not channel.is_private,
        "is_group": False,
        "is_im": False,
        "is_mpim": False,
        "is_private": channel.is_private,
        "is_archived": channel.is_archived,
        "is_general": channel.name == "general",
        "is_shared": False,
        "is_ext_shared": False,
        "is_org_shared": False,
        "context_team_id": ws.team_id,
        "is_member": channel.bot_is_member,
        "num_members": len(channel.members),
        "topic": dict(channel.topic),
        "purpose": dict(channel.purpose),
        "previous_names": [],
    }


def im_json(ws: Workspace, user_id: str) -> dict:
    """The app's DM with a person, as conversations.info returns an im."""
    return {
        "id": ws.dm_channel(user_id),
        "created": 0,
        "is_im": True,
        "is_org_shared": False,
        "context_team_id": ws.team_id,
        "user": user_id,
        "is_user_deleted": ws.users[user_id].deleted,
        "priority": 0,
    }


def visible_channel(ws: Workspace, channel_id: str) -> Channel:
    """A channel the bot can see: public, or private with the bot in it."""
    channel = ws.channels.get(channel_id)
    if channel is None:
        raise SlackError("channel_not_found")
    ws.require_scope(TYPE_SCOPES[channel_type(channel)])
    if channel.is_private and not channel.bot_is_member:
        raise SlackError("channel_not_found")
    return channel


def conversations_info(ws: Workspace, args: dict) -> dict:
    """One channel (or the app's DM with someone) by id."""
    channel_id = required(args, "channel")
    if ws.is_dm_channel(channel_id):
        ws.require_scope(TYPE_SCOPES["im"])
        return {"channel": im_json(ws, ws.dm_user_of(channel_id))}
    return {"channel": channel_json(ws, visible_channel(ws, channel_id))}


def conversations_list(ws: Workspace, args: dict) -> dict:
    """The channels of the requested ``types`` that the bot can see, one page at a time."""
    types = _types(ws, args)
    wanted = [
        channel
        for channel in ws.channels.values()
        if channel_type(channel) in types
        and (channel.bot_is_member or not channel.is_private)
        and not (channel.is_archived and flag(args, "exclude_archived"))
    ]
    page, next_cursor = paginate(wanted, args)
    return {
        "channels": [channel_json(ws, c) for c in page],
        "response_metadata": {"next_cursor": next_cursor},
    }


def conversations_members(ws: Workspace, args: dict) -> dict:
    """The members of a channel (or of the app's DM with someone), one page at a time."""
    channel_id = required(args, "channel")
    if ws.is_dm_channel(channel_id):
        ws.require_scope(TYPE_SCOPES["im"])
        members = [ws.dm_user_of(channel_id), ws.bot_user_id]
    else:
        channel = visible_channel(ws, channel_id)
        members = channel.members + ([ws.bot_user_id] if channel.bot_is_member else [])
    page, next_cursor = paginate(members, args)
    return {"members": page, "response_metadata": {"next_cursor": next_cursor}}


def users_conversations(ws: Workspace, args: dict) -> dict:
    """The conversations a user (the bot by default) is in, among those the bot can see."""
    types = _types(ws, args)
    user_id = args.get("user") or ws.bot_user_id
    ws.user(user_id)
    found: list[dict] = []
    for channel in ws.channels.values():
        member = channel.bot_is_member if user_id == ws.bot_user_id else user_id in channel.members
        visible = channel.bot_is_member or not channel.is_private
        archived_out = channel.is_archived and flag(args, "exclude_archived")
        if channel_type(channel) in types and member and visible and not archived_out:
            found.append(channel_json(ws, channel))
    if "im" in types:
        people = sorted(ws.open_dms) if user_id == ws.bot_user_id else sorted(ws.open_dms & {user_id})
        found += [im_json(ws, person) for person in people]
    page, next_cursor = paginate(found, args, max_limit=999)
    return {"channels": page, "response_metadata": {"next_cursor": next_cursor}}


def conversations_set_topic(ws: Workspace, args: dict) -> dict:
    """Set a channel's topic as the bot."""
    channel_id = required(args, "channel")
    topic = args.get("topic")
    if topic is None:
        raise invalid_arguments("missing required field: topic")
    channel = ws.channels.get(channel_id)
    if channel is None:
        if ws.is_dm_channel(channel_id):
            raise SlackError("method_not_supported_for_channel_type")  # DM topics are not simulated
        raise SlackError("channel_not_found")
    ws.require_scope(*TOPIC_SCOPES[channel_type(channel)])
    if channel.is_private and not channel.bot_is_member:
        raise SlackError("channel_not_found")
    if channel.is_archived:
        raise SlackError("is_archived")
    if not channel.bot_is_member:
        raise SlackError("not_in_channel")
    if len(str(topic)) > MAX_TOPIC_LENGTH:
        raise SlackError("too_long")
    ws.set_topic(channel, str(topic), by=ws.bot_user_id)
    return {"channel": channel_json(ws, channel)}


def conversations_open(ws: Workspace, args: dict) -> dict:
    """The app's DM channel with one user (group DMs are not simulated)."""
    ws.require_scope("im:write")
    if args.get("channel"):
        if not ws.is_dm_channel(args["channel"]):
            raise SlackError("channel_not_found")
        user_id = ws.dm_user_of(args["channel"])
    else:
        users = id_list(required(args, "users"))
        if len(users) != 1:
            raise invalid_arguments("the fake only opens DMs with one user")
        user_id = ws.user(users[0]).id
    if ws.users[user_id].is_bot:
        raise SlackError("cannot_dm_bot")
    already_open = user_id in ws.open_dms
    ws.open_dms.add(user_id)
    channel = im_json(ws, user_id) if flag(args, "return_im") else {"id": ws.dm_channel(user_id)}
    answer: dict = {"channel": channel}
    if already_open:
        answer.update(no_op=True, already_open=True)
    return answer


def _types(ws: Workspace, args: dict) -> list[str]:
    types = id_list(args.get("types") or "public_channel")
    for kind in types:
        if kind not in TYPE_SCOPES:
            raise SlackError("invalid_types")
        ws.require_scope(TYPE_SCOPES[kind])
    return types


METHODS = {
    "conversations.info": conversations_info,
    "conversations.list": conversations_list,
    "conversations.members": conversations_members,
    "conversations.open": conversations_open,
    "conversations.setTopic": conversations_set_topic,
    "users.conversations": users_conversations,
}
