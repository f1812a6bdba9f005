"""users.* and conversations.*: who and what the app can see, shaped like Slack's objects.

Emails appear only with users:read.email, private channels only when the bot is a member, and lists
come in cursor-paginated pages, as in Slack.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from roundrobin.sim.slack_api_base import SlackError, id_list, invalid_arguments, paginate, required
from roundrobin.sim.slack_workspace import Channel, User, Workspace

# The scope each conversation type needs, for conversations.list/info.
TYPE_SCOPES = {
    "public_channel": "channels:read",
    "private_channel": "groups:read",
    "mpim": "mpim:read",
    "im": "im:read",
}


# --- users ---


def user_json(ws: Workspace, user: User) -> dict:
    """A user object as users.info returns it."""
    real_name = user.real_name or user.name
    profile = {
        "real_name": real_name,
        "real_name_normalized": real_name,
        "display_name": user.name,
        "display_name_normalized": user.name,
        "team": ws.team_id,
    }
    # Slack: "users:read.email ... is now required to access the email field".
    if user.email and "users:read.email" in ws.scopes:
        profile["email"] = user.email
    return {
        "id": user.id,
        "team_id": ws.team_id,
        "name": user.name,
        "deleted": user.deleted,
        "real_name": real_name,
        **_timezone(user.tz, ws.clock()),
        "profile": profile,
        "is_admin": user.is_admin,
        "is_owner": user.is_owner,
        "is_primary_owner": user.is_primary_owner,
        "is_restricted": user.is_restricted,
        "is_ultra_restricted": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": int(ws.clock()),
    }


def _timezone(tz: str, now: float) -> dict:
    try:
        moment = dt.datetime.fromtimestamp(now, ZoneInfo(tz))
    except (ZoneInfoNotFoundError, ValueError):
        return {"tz": tz, "tz_label": tz, "tz_offset": 0}
    offset = moment.utcoffset() or dt.timedelta()
    return {"tz": tz, "tz_label": moment.tzname() or tz, "tz_offset": int(offset.total_seconds())}


def users_info(ws: Workspace, args: dict) -> dict:
    """One user by id."""
    ws.require_scope("users:read")
    return {"user": user_json(ws, ws.user(required(args, "user")))}


def users_list(ws: Workspace, args: dict) -> dict:
    """Everyone in the workspace (bots and deactivated users included), one page at a time."""
    ws.require_scope("users:read")
    page, next_cursor = paginate(list(ws.users.values()), args)
    return {
        "members": [user_json(ws, user) for user in page],
        "cache_ts": int(ws.clock()),
        "response_metadata": {"next_cursor": next_cursor},
    }


def bots_info(ws: Workspace, args: dict) -> dict:
    """The app's own bot: apps learn their app id here (auth.test does not carry it)."""
    ws.require_scope("users:read")
    if required(args, "bot") != ws.bot_id:
        raise SlackError("bot_not_found")
    bot = ws.users[ws.bot_user_id]
    return {
        "bot": {
            "id": ws.bot_id,
            "deleted": False,
            "name": bot.name,
            "app_id": ws.app_id,
            "user_id": ws.bot_user_id,
        }
    }


def users_lookup_by_email(ws: Workspace, args: dict) -> dict:
    """A user by email address."""
    ws.require_scope("users:read.email")
    email = required(args, "email").strip().lower()
    for user in ws.users.values():
        if user.email and user.email.lower() == email:
            return {"user": user_json(ws, user)}
    raise SlackError("users_not_found")


# --- conversations ---


def channel_json(channel: Channel) -> dict:
    """A channel object as conversations.info returns it."""
    return {
        "id": channel.id,
        "name": channel.name,
        "name_normalized": channel.name,
        "is_channel": not channel.is_private,
        "is_group": False,
        "is_im": False,
        "is_mpim": False,
        "is_private": channel.is_private,
        "is_archived": False,
        "is_general": channel.name == "general",
        "is_shared": False,
        "is_ext_shared": False,
        "is_org_shared": False,
        "is_member": channel.bot_is_member,
        "num_members": len(channel.members),
    }


def visible_channel(ws: Workspace, channel_id: str) -> Channel:
    """A channel the bot can see: public, or private with the bot in it."""
    channel = ws.channels.get(channel_id)
    if channel is None:
        raise SlackError("channel_not_found")
    ws.require_scope(TYPE_SCOPES["private_channel" if channel.is_private else "public_channel"])
    if channel.is_private and not channel.bot_is_member:
        raise SlackError("channel_not_found")
    return channel


def conversations_info(ws: Workspace, args: dict) -> dict:
    """One channel by id."""
    return {"channel": channel_json(visible_channel(ws, required(args, "channel")))}


def conversations_list(ws: Workspace, args: dict) -> dict:
    """The channels of the requested ``types`` that the bot can see, one page at a time."""
    types = id_list(args.get("types") or "public_channel")
    for kind in types:
        if kind not in TYPE_SCOPES:
            raise SlackError("invalid_types")
        ws.require_scope(TYPE_SCOPES[kind])
    wanted = [
        channel
        for channel in ws.channels.values()
        if ("private_channel" if channel.is_private else "public_channel") in types
        and (channel.bot_is_member or not channel.is_private)
    ]
    page, next_cursor = paginate(wanted, args)
    return {"channels": [channel_json(c) for c in page], "response_metadata": {"next_cursor": next_cursor}}


def conversations_members(ws: Workspace, args: dict) -> dict:
    """The members of a channel, one page at a time."""
    channel = visible_channel(ws, required(args, "channel"))
    page, next_cursor = paginate(channel.members, args)
    return {"members": page, "response_metadata": {"next_cursor": next_cursor}}


def conversations_open(ws: Workspace, args: dict) -> dict:
    """The app's DM channel with one user (group DMs are not simulated)."""
    ws.require_scope("im:write")
    users = id_list(required(args, "users"))
    if len(users) != 1:
        raise invalid_arguments("the fake only opens DMs with one user")
    user = ws.user(users[0])
    if user.is_bot:
        raise SlackError("cannot_dm_bot")
    return {"channel": {"id": ws.dm_channel(user.id)}}


METHODS = {
    "users.info": users_info,
    "bots.info": bots_info,
    "users.list": users_list,
    "users.lookupByEmail": users_lookup_by_email,
    "conversations.info": conversations_info,
    "conversations.list": conversations_list,
    "conversations.members": conversations_members,
    "conversations.open": conversations_open,
}
