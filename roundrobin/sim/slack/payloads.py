"""The payloads Slack sends an app when a person acts, shaped like the real ones.

Pure builders: they take the workspace for identities and ids, but change nothing in it except the
counters behind event ids. Field sets follow captured payloads and Bolt's own test bodies (see
/work/shared/reference/slack-socket-mode.md §2): interactions from a view carry a ``view``
container and no response_url; slash commands are a flat JSON object with a response_url.
"""

from __future__ import annotations

import copy
from typing import Any

from roundrobin.sim.slack.views import State
from roundrobin.sim.slack.workspace import Workspace

# Slack still sends the legacy verification token; Socket Mode apps ignore it.
VERIFICATION_TOKEN = "verification-token"


def view_with_state(view: dict, state: State) -> dict:
    """A stored view as an interaction carries it: with the person's current ``state.values``."""
    sent = copy.deepcopy(view)
    sent["state"] = {"values": state}
    return sent


def interaction(ws: Workspace, user_id: str, kind: str, **fields: object) -> dict:
    """An interactive payload (block_actions, view_submission, view_closed, block_suggestion)."""
    name = ws.users[user_id].name
    return {
        "type": kind,
        "user": {"id": user_id, "username": name, "name": name, "team_id": ws.team_id},
        "api_app_id": ws.app_id,
        "token": VERIFICATION_TOKEN,
        "team": {"id": ws.team_id, "domain": ws.domain},
        "enterprise": None,
        "is_enterprise_install": False,
        **fields,
    }


def event_callback(ws: Workspace, event: dict, *, context: str) -> dict:
    """The events_api payload around one event: the event_callback with its ids and authorizations."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": ws.team_id,
        "api_app_id": ws.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": ws.next_id("Ev"),
        "event_time": int(ws.clock()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": ws.team_id,
                "user_id": ws.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"1-{event['type']}-{ws.team_id}-{context}",
    }


def app_home_opened(ws: Workspace, user_id: str, home: dict | None) -> dict:
    """The events_api payload for a person opening the Home tab (``home``: their current view)."""
    channel = ws.dm_channel(user_id)
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel,
        "tab": "home",
        "event_ts": f"{ws.clock():.6f}",
    }
    # Slack includes the view only once one was published.
    if home is not None:
        event["view"] = home
    return event_callback(ws, event, context=channel)


def user_change(ws: Workspace, user: dict) -> dict:
    """The events_api payload Slack sends every connection when a member's data changes (a profile,
    a deactivation, a reactivation): the whole user object, as users.info returns it
    (docs.slack.dev/reference/events/user_change)."""
    event = {
        "type": "user_change",
        "user": user,
        "cache_ts": int(ws.clock()),
        "event_ts": f"{ws.clock():.6f}",
    }
    return event_callback(ws, event, context=user["id"])


def app_mention(ws: Workspace, message: dict) -> dict:
    """The events_api payload for a person's message that mentions the app's bot user.

    Fields as Slack sends them (docs.slack.dev/reference/events/app_mention, and a captured payload in
    bolt-js's tests): the message's text, blocks and ts, with event_ts equal to ts; a reply in a
    thread adds thread_ts and parent_user_id.
    """
    event = {
        "client_msg_id": message["client_msg_id"],
        "type": "app_mention",
        "text": message["text"],
        "user": message["user"],
        "ts": message["ts"],
        "blocks": message["blocks"],
        "team": ws.team_id,
        "channel": message["channel"],
        "event_ts": message["ts"],
    }
    if message["thread_ts"]:
        parent = ws.find_message(message["channel"], message["thread_ts"])
        event["thread_ts"] = message["thread_ts"]
        if parent is not None:
            event["parent_user_id"] = parent["user"]
    return event_callback(ws, event, context=message["channel"])


def message_action(
    ws: Workspace,
    user_id: str,
    message: dict,
    *,
    channel_id: str,
    is_ephemeral: bool,
    message_json: dict | None,
    state: dict,
    response_url: str,
    action: dict,
) -> dict:
    """block_actions for a click in a message: a ``message`` container, the channel, a response_url.

    Ephemeral messages are not sent back (``message`` is left out); Slack keeps no copy of them.
    """
    container = {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": channel_id,
        "is_ephemeral": is_ephemeral,
    }
    if message.get("thread_ts"):
        container["thread_ts"] = message["thread_ts"]
    channel = ws.channels.get(channel_id)
    fields: dict = {
        "container": container,
        "trigger_id": ws.issue_trigger(user_id),
        "channel": {"id": channel_id, "name": channel.name if channel else "directmessage"},
    }
    if message_json is not None:
        fields["message"] = message_json
    fields.update(state={"values": state}, response_url=response_url, actions=[action])
    return interaction(ws, user_id, "block_actions", **fields)


def slash_command(
    ws: Workspace,
    user_id: str,
    *,
    command: str,
    text: str,
    channel_id: str,
    response_url: str,
    trigger_id: str,
) -> dict:
    """The slash_commands payload for ``command text`` typed in ``channel_id``."""
    channel = ws.channels.get(channel_id)
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": ws.team_id,
        "team_domain": ws.domain,
        "channel_id": channel_id,
        "channel_name": channel.name if channel else "directmessage",
        "user_id": user_id,
        "user_name": ws.users[user_id].name,
        "command": command,
        "text": text,
        "api_app_id": ws.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
