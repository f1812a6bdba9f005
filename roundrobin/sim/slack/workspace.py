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
from typing import Any

from roundrobin.sim.slack.api_base import SlackError
from roundrobin.sim.slack.views import with_ids
from roundrobin.sim.slack.viewstore import ViewStore

# The bot scopes a fake workspace grants unless a test says otherwise: a superset of what the app asks
# for (roundrobin/slack/scopes.py), so tests can take scopes away one at a time.
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
        "im:read",
        "im:write",
        "channels:write.topic",
        "groups:write.topic",
        "app_mentions:read",
    }
)
# Slack: a topic "was longer than 250 characters" is ``too_long``.
MAX_TOPIC_LENGTH = 250
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
    is_restricted: bool = False  # a guest
    is_ultra_restricted: bool = False  # a single-channel guest (is_restricted too, as Slack shows it)
    # Their custom status, as profile.status_text / status_emoji / status_expiration (0: never).
    status_text: str = ""
    status_emoji: str = ""
    status_expiration: int = 0


def no_topic() -> dict:
    """A channel's topic (or purpose) before anyone set one, as conversations.info shows it."""
    return {"value": "", "creator": "", "last_set": 0}


@dataclass
class Channel:
    """A public or private channel; ``topic`` is kept the way conversations.info returns it."""

    id: str
    name: str
    is_private: bool = False
    members: list[str] = field(default_factory=list)
    bot_is_member: bool = False
    is_archived: bool = False
    created: int = 0
    topic: dict = field(default_factory=no_topic)
    purpose: dict = field(default_factory=no_topic)


@dataclass
class Trigger:
    """A trigger_id handed to the app with an interaction: whose, when, and whether used."""

    user_id: str
    issued_at: float
    used: bool = False


@dataclass
class Hook:
    """A response_url handed to the app with a slash command, or with a click in a message."""

    user_id: str
    channel_id: str
    message_ts: str | None = None  # the message clicked in: what replace_original/delete_original act on
    is_ephemeral: bool = False


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
        self.messages: list[dict] = []  # every message in every conversation, bot's and people's
        self.open_dms: set[str] = set()  # users whose DM with the app exists (opened or written to)
        self.ephemerals: defaultdict[str, list[dict]] = defaultdict(list)
        self.views = ViewStore(team_id=team_id, app_id=app_id, bot_id=bot_id, clock=clock)
        self.triggers: dict[str, Trigger] = {}
        self.hooks: dict[str, Hook] = {}
        self.tickets: set[str] = set()
        # Where events for the app go (FakeSlack's event feed, once it listens): called with the
        # inner event and its event_context, returns what the feed returns (None: not delivered).
        self.event_sink: Callable[[dict, str], object] | None = None
        self._counter = itertools.count(1)

    @property
    def domain(self) -> str:
        """The workspace's subdomain, e.g. "acme" for acme.slack.com."""
        return "".join(ch for ch in self.team_name.lower() if ch.isalnum()) or "workspace"

    # --- scopes ---

    def require_scope(self, scope: str, *alternatives: str) -> None:
        """Answer ``missing_scope`` the way Slack does when the bot token lacks ``scope`` (and every
        alternative that would do as well, e.g. channels:manage for channels:write.topic)."""
        if scope not in self.scopes and not self.scopes.intersection(alternatives):
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
        if channel_id in self.users:
            return channel_id
        if channel_id.startswith("D"):
            return next((u for u in self.users if self.dm_channel(u) == channel_id), None)
        return None

    def dm_user_of(self, channel_id: str) -> str:
        """The user of a DM channel the caller knows is one (is_dm_channel)."""
        user_id = self.dm_user(channel_id)
        if user_id is None:
            raise KeyError(f"{channel_id} is not a DM channel")
        return user_id

    def is_dm_channel(self, channel_id: str) -> bool:
        """Whether ``channel_id`` is the id of a DM channel (not a user id)."""
        user_id = self.dm_user(channel_id)
        return user_id is not None and channel_id == self.dm_channel(user_id)

    def set_topic(self, channel: Channel, text: str, by: str) -> None:
        """Change a channel's topic, as Slack records it (who and when)."""
        channel.topic = {"value": text, "creator": by, "last_set": int(self.clock())}

    def next_id(self, prefix: str) -> str:
        """A fresh id such as "S0003" for a usergroup."""
        return f"{prefix}{next(self._counter):04d}"

    # --- messages ---

    def new_ts(self) -> str:
        """A message timestamp; the counter keeps them unique even with a frozen clock."""
        return f"{int(self.clock())}.{next(self._counter):06d}"

    def post(
        self,
        channel: str,
        text: str,
        blocks: list | None,
        thread_ts: str | None,
        *,
        user: str | None = None,
        **extra: object,
    ) -> dict:
        """Record a message in a channel (or a DM) by the bot, or by ``user``, and return it.

        Blocks are stored the way Slack returns them (every block with a block_id). A reply
        (``thread_ts``) counts on its parent: reply_count, reply_users, latest_reply.
        """
        message: dict[str, Any] = {
            "channel": channel,
            "text": text,
            "blocks": with_ids(blocks or []),
            "ts": self.new_ts(),
            "thread_ts": thread_ts,
            "user": user or self.bot_user_id,
            "dm_user": self.dm_user(channel),
            **extra,
        }
        if message["dm_user"]:
            self.open_dms.add(message["dm_user"])
        if thread_ts:
            self._count_reply(message)
        self.messages.append(message)
        return message

    def find_message(self, channel: str, ts: str) -> dict | None:
        """The message at ``ts`` in ``channel`` (a DM may be named by the user's id)."""
        dm_user = self.dm_user(channel)
        channel = self.dm_channel(dm_user) if dm_user else channel
        return next((m for m in self.messages if m["channel"] == channel and m["ts"] == ts), None)

    def _count_reply(self, reply: dict) -> None:
        parent = self.find_message(reply["channel"], reply["thread_ts"])
        if parent is None or parent["thread_ts"]:
            return
        parent["reply_count"] = parent.get("reply_count", 0) + 1
        users = parent.setdefault("reply_users", [])
        if reply["user"] not in users:
            users.append(reply["user"])
        parent["latest_reply"] = reply["ts"]

    def post_ephemeral(self, user_id: str, channel: str, text: str, blocks: list | None, source: str) -> dict:
        """Record a message only ``user_id`` sees (``source`` says how it got there)."""
        message: dict[str, Any] = {
            "channel": channel,
            "text": text,
            "blocks": with_ids(blocks or []),
            "ts": self.new_ts(),
            "source": source,
        }
        self.ephemerals[user_id].append(message)
        return message

    # --- events ---

    def tell_app(self, event: dict, context: str) -> object:
        """Slack sends the app an event about something that happened here (no I/O: the sink queues it)."""
        return self.event_sink(event, context) if self.event_sink is not None else None

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

    def issue_hook(
        self, user_id: str, channel_id: str, *, message_ts: str | None = None, is_ephemeral: bool = False
    ) -> str:
        """The id of a new response_url for an interaction by ``user_id`` in ``channel_id``."""
        hook_id = uuid.uuid4().hex
        self.hooks[hook_id] = Hook(user_id, channel_id, message_ts=message_ts, is_ephemeral=is_ephemeral)
        return hook_id

    def issue_ticket(self) -> str:
        """A ticket for the Socket Mode URL that apps.connections.open hands out."""
        ticket = str(uuid.uuid4())
        self.tickets.add(ticket)
        return ticket
