"""The payloads Slack sends an app when a person acts, shaped like the real ones.

Pure builders: they take the workspace for identities and ids, but change nothing in it except the
counters behind event ids. Field sets follow captured payloads and Bolt's own test bodies (see
/work/shared/reference/slack-socket-mode.md §2): interactions from a view carry a ``view``
container and no response_url; slash commands are a flat JSON object with a response_url.
"""

from __future__ import annotations

import copy

from roundrobin.sim.slack_views import State
from roundrobin.sim.slack_workspace import Workspace

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


def app_home_opened(ws: Workspace, user_id: str, home: dict | None) -> dict:
    """The events_api payload for a person opening the Home tab (``home``: their current view)."""
    channel = ws.dm_channel(user_id)
    event = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel,
        "tab": "home",
        "event_ts": f"{ws.clock():.6f}",
    }
    # Slack includes the view only once one was published.
    if home is not None:
        event["view"] = home
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
        "event_context": f"1-app_home_opened-{ws.team_id}-{channel}",
    }


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
