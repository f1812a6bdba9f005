"""users.* and bots.info: who is in the workspace, shaped like Slack's user objects.

Emails appear only with users:read.email, and lists come in cursor-paginated pages, as in Slack.
(conversations.* live in api_conversations.py.)
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from roundrobin.sim.slack.api_base import SlackError, paginate, required
from roundrobin.sim.slack.workspace import User, Workspace

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
        **_status(user, ws.clock()),
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
        "is_ultra_restricted": user.is_ultra_restricted,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": int(ws.clock()),
    }


def _status(user: User, now: float) -> dict:
    """A person's custom status, as every profile carries it (api.slack.com/apis/presence-and-status:
    status_text, status_emoji, status_expiration; "when it becomes this time, the status will be
    reset"). Bots have none."""
    expired = user.status_expiration and user.status_expiration <= now
    if user.is_bot or expired:
        return {"status_text": "", "status_emoji": "", "status_expiration": 0}
    return {
        "status_text": user.status_text,
        "status_emoji": user.status_emoji,
        "status_expiration": user.status_expiration,
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


METHODS = {
    "users.info": users_info,
    "bots.info": bots_info,
    "users.list": users_list,
    "users.lookupByEmail": users_lookup_by_email,
}
