"""The state of the fake workspace: who is in it, what the app may do, and what it has done.

No I/O here. The Web API handlers read and change this; tests read it to assert on what the app did.
"""

from __future__ import annotations

import itertools
import secrets
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from roundrobin.sim.slack_api_base import SlackError
from roundrobin.sim.slack_viewstore import ViewStore

DEFAULT_SCOPES = frozenset(
    {
        "commands",
        "chat:write",
        "chat:write.public",
        "users:read",
        "users:read.email",
        "usergroups:read",
        "usergroups:write",
        "channels:read",
        "groups:read",
        "im:write",
    }
)
# Slack: "Triggers expire in three seconds" and "may only be used once".
TRIGGER_TTL_SECONDS = 3.0


@dataclass
class User:
    """A member of the workspace, as users.info describes them."""

    id: str
    name: str
    real_name: str | None = None
    email: str | None = None
    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False
    is_bot: bool = False
    deleted: bool = False
    tz: str = "Europe/London"
    is_restricted: bool = False


@dataclass
class Channel:
    """A public or private channel."""

    id: str
    name: str
    is_private: bool = False
    members: list[str] = field(default_factory=list)
    bot_is_member: bool = False


@dataclass
class Trigger:
    """A trigger_id handed to the app with an interaction: whose, when, and whether used."""

    user_id: str
    issued_at: float
    used: bool = False


@dataclass
class Hook:
    """A response_url handed to the app with a slash command."""

    user_id: str
    channel_id: str


class Workspace:
    """One Slack workspace with the app installed."""

    def __init__(
        self,
        *,
        team_id: str,
        team_name: str,
        app_id: str,
        bot_user_id: str,
        bot_id: str,
        scopes: set[str],
        clock: Callable[[], float],
    ) -> None:
        self.team_id = team_id
        self.team_name = team_name
        self.app_id = app_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.scopes = scopes
        self.clock = clock
        self.usergroup_edits_restricted = False
        # Where apps.connections.open sends the app; known once the server listens.
        self.socket_url = ""
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, dict] = {}
        self.messages: list[dict] = []
        self.ephemerals: defaultdict[str, list[dict]] = defaultdict(list)
        self.views = ViewStore(team_id=team_id, app_id=app_id, bot_id=bot_id, clock=clock)
        self.triggers: dict[str, Trigger] = {}
        self.hooks: dict[str, Hook] = {}
        self.tickets: set[str] = set()
        self._counter = itertools.count(1)

    @property
    def domain(self) -> str:
        """The workspace's subdomain, e.g. "acme" for acme.slack.com."""
        return "".join(ch for ch in self.team_name.lower() if ch.isalnum()) or "workspace"

    # --- scopes ---

    def require_scope(self, scope: str) -> None:
        """Answer ``missing_scope`` the way Slack does when the bot token lacks ``scope``."""
        if scope not in self.scopes:
            raise SlackError("missing_scope", needed=scope, provided=self.scope_header())

    def scope_header(self) -> str:
        """The ``x-oauth-scopes`` header value: the granted scopes, comma-separated."""
        return ",".join(sorted(self.scopes))

    # --- directory ---

    def user(self, user_id: str) -> User:
        """A user by id; Slack answers ``user_not_found`` otherwise."""
        if user_id not in self.users:
            raise SlackError("user_not_found")
        return self.users[user_id]

    def dm_channel(self, user_id: str) -> str:
        """The id of the app's direct message channel with a user."""
        return "D" + user_id[1:]

    def dm_user(self, channel_id: str) -> str | None:
        """The user a DM channel id (or a user id, which Slack accepts too) points at."""
        for user_id in self.users:
            if channel_id in (user_id, self.dm_channel(user_id)):
                return user_id
        return None

    def next_id(self, prefix: str) -> str:
        """A fresh id such as "S0003" for a usergroup."""
        return f"{prefix}{next(self._counter):04d}"

    # --- messages ---

    def new_ts(self) -> str:
        """A message timestamp; the counter keeps them unique even with a frozen clock."""
        return f"{int(self.clock())}.{next(self._counter):06d}"

    def post(self, channel: str, text: str, blocks: list | None, thread_ts: str | None) -> dict:
        """Record a message in a channel (or a DM) and return it."""
        message = {
            "channel": channel,
            "text": text,
            "blocks": blocks or [],
            "ts": self.new_ts(),
            "thread_ts": thread_ts,
            "user": self.bot_user_id,
            "dm_user": self.dm_user(channel),
        }
        self.messages.append(message)
        return message

    def post_ephemeral(self, user_id: str, channel: str, text: str, blocks: list | None, source: str) -> dict:
        """Record a message only ``user_id`` sees (``source`` says how it got there)."""
        message = {
            "channel": channel,
            "text": text,
            "blocks": blocks or [],
            "ts": self.new_ts(),
            "source": source,
        }
        self.ephemerals[user_id].append(message)
        return message

    # --- triggers, response_urls and socket tickets ---

    def issue_trigger(self, user_id: str) -> str:
        """A trigger_id for an interaction by ``user_id``, shaped like Slack's."""
        trigger_id = (
            f"{next(self._counter)}{secrets.randbelow(10**6):06d}.{self.team_id[1:]}.{secrets.token_hex(16)}"
        )
        self.triggers[trigger_id] = Trigger(user_id=user_id, issued_at=self.clock())
        return trigger_id

    def exchange_trigger(self, trigger_id: str) -> str:
        """Use a trigger_id once, within 3 seconds; returns the user it belongs to."""
        trigger = self.triggers.get(trigger_id)
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if self.clock() - trigger.issued_at > TRIGGER_TTL_SECONDS:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger.user_id

    def issue_hook(self, user_id: str, channel_id: str) -> str:
        """The id of a new response_url for an interaction by ``user_id`` in ``channel_id``."""
        hook_id = uuid.uuid4().hex
        self.hooks[hook_id] = Hook(user_id=user_id, channel_id=channel_id)
        return hook_id

    def issue_ticket(self) -> str:
        """A ticket for the Socket Mode URL that apps.connections.open hands out."""
        ticket = str(uuid.uuid4())
        self.tickets.add(ticket)
        return ticket
