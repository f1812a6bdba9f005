"""A loopback fake of Slack that speaks the real wire protocols.

One aiohttp server plays all of Slack for the app: the Web API (``/api/<method>``), Socket Mode
(``/link`` websocket) and response_urls (``/hooks/respond/<id>``). Tests and the demo page act as
people through ``slack.user("U1")`` and assert on what the app did through the records (``calls``,
``messages``, ``usergroups``, ``published``, ``acks``).

    async with FakeSlack() as slack:
        slack.add_user("U1", "alice", email="alice@example.com")
        ...  # start the app with SLACK_API_URL=slack.api_url
        await slack.wait_connected()
        home = await slack.user("U1").open_home()

The fake is strict where Slack is strict (scopes, trigger_id lifetimes, Block Kit checked by
slack_sdk's models and the rules they lack, the 3-second ack rule), so a green test means the app
would work against Slack.

What people do besides the app's views: ``slack.user(U).say(channel, text, thread_ts)`` (an
@mention of the bot reaches the app as app_mention), ``.click_in_message(message, action_id)``,
``.set_topic(channel, text)``, ``slack.edit_usergroup_by_hand(group, users=...)`` and
``await slack.change_usergroup(group, users, by=U)`` (which waits for the app to hear of it); none is
a Web API call. A group's people changing (by a person or by the app's usergroups.users.update)
reaches the app as subteam_members_changed (``tell_app=False``: an event that never reached it). Admins change accounts with ``await slack.deactivate(U)``, ``reactivate(U)`` and
``change_account(U, is_restricted=True)``, and people set their status with ``await
slack.set_status(U, ":palm_tree:", "On holiday", expiration)``: the app hears of it through a user_change event (unless
``tell_app=False``: an event that never reached it). Reading conversations: ``history``, ``thread``, ``dms_to``, ``channel(id).topic``.

Slack failing: ``fail_next``, ``fail_next_html``, ``hang_next``, ``reset_next``, ``outage`` and
rate tiers with ``enforce_rate_limits`` (off by default); ``rate_limited`` and ``faults_served``
count what the app met (controls.py).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

from roundrobin.sim.slack.api import WebApi
from roundrobin.sim.slack.api_directory import user_json
from roundrobin.sim.slack.api_usergroups import usergroup_json
from roundrobin.sim.slack.controls import FaultControls
from roundrobin.sim.slack.events import EventFeed
from roundrobin.sim.slack.faults import WRITE_METHODS, Outage
from roundrobin.sim.slack.http_server import WebApiServer
from roundrobin.sim.slack.payloads import event_callback, interaction, user_change
from roundrobin.sim.slack.people import change_account, change_members, edit_usergroup, set_status
from roundrobin.sim.slack.ratelimit import METHOD_TIERS
from roundrobin.sim.slack.socket_mode import AckRecord, AckTimeout, SocketModeHub
from roundrobin.sim.slack.user import SlackUser
from roundrobin.sim.slack.views import ConfirmRequired
from roundrobin.sim.slack.workspace import DEFAULT_SCOPES, Channel, User, Workspace

__all__ = [
    "AckRecord",
    "AckTimeout",
    "ConfirmRequired",
    "DEFAULT_SCOPES",
    "FakeSlack",
    "METHOD_TIERS",
    "Outage",
    "SlackUser",
    "WRITE_METHODS",
]


class FakeSlack(FaultControls):
    """Slack's Web API, Socket Mode and response_urls on one loopback server."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test-1",
        app_token: str = "xapp-1-A0001-test",
        team_id: str = "T0001",
        team_name: str = "Acme",
        app_id: str = "A0001",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0001",
        scopes: Iterable[str] | None = None,
        clock: Callable[[], float] = time.time,
        rate_limits: bool = False,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.workspace = Workspace(
            team_id=team_id,
            team_name=team_name,
            app_id=app_id,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            scopes=set(DEFAULT_SCOPES if scopes is None else scopes),
            clock=clock,
        )
        self.api = WebApi(self.workspace, bot_token=bot_token, app_token=app_token)
        self.server = WebApiServer(self.api, self.workspace)
        if rate_limits:
            self.enforce_rate_limits()
        self.socket = SocketModeHub(app_id=app_id, tickets=self.workspace.tickets)
        self._events = EventFeed(self._deliver_event, self.socket.connected)
        self.workspace.event_sink = self._queue_event
        self.url = ""
        self.client_url: str | None = None  # where "open the app in Slack" lands (the demo page)
        self._runner: web.AppRunner | None = None
        self._people: dict[str, SlackUser] = {}
        # Slack lists the app's bot user among the members; apps must skip it.
        self.add_user(bot_user_id, "roundrobin", real_name="Round Robin", is_bot=True)

    # --- lifecycle ---

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeSlack:
        """Listen on ``host:port`` (0: any free port); ``url`` and ``api_url`` are set afterwards."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self.server.handle_api)
        app.router.add_get("/link", self.socket.handle)
        app.router.add_get("/link/", self.socket.handle)
        app.router.add_post("/hooks/respond/{hook_id}", self.server.handle_hook)
        app.router.add_get("/app_redirect", self._handle_app_redirect)
        # A short shutdown_timeout: stop() must not hang on a request the app leaves open. No access
        # log (like the fake PagerDuty): a line per Web API call drowns what a test or the demo says.
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=2.0, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self.url = f"http://{bound_host}:{bound_port}"
        self.workspace.socket_url = f"ws://{bound_host}:{bound_port}/link/"
        self._events.start()
        return self

    async def _handle_app_redirect(self, request: web.Request) -> web.Response:
        """slack.com/app_redirect: opens the app; here, the simulated Slack client when there is one."""
        if self.client_url:
            raise web.HTTPFound(self.client_url)
        return web.Response(
            text="<!doctype html><title>Slack</title><p>Slack would now open the app's Home tab.</p>",
            content_type="text/html",
        )

    async def stop(self) -> None:
        """Close Socket Mode connections, drop requests left hanging, and stop the server."""
        self.server.closing.set()
        await self._events.stop()
        await self.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        """What the app gets as SLACK_API_URL."""
        return f"{self.url}/api/"

    # --- settings ---

    @property
    def scopes(self) -> set[str]:
        """The bot token's scopes; a mutable set tests may change."""
        return self.workspace.scopes

    @scopes.setter
    def scopes(self, scopes: Iterable[str]) -> None:
        self.workspace.scopes = set(scopes)

    @property
    def usergroup_edits_restricted(self) -> bool:
        """When True, usergroup edits answer permission_denied (a workspace that restricts them)."""
        return self.workspace.usergroup_edits_restricted

    @usergroup_edits_restricted.setter
    def usergroup_edits_restricted(self, restricted: bool) -> None:
        self.workspace.usergroup_edits_restricted = restricted

    @property
    def ack_timeout(self) -> float:
        """Seconds the app has to ack an envelope (Slack: 3)."""
        return self.socket.ack_timeout

    @ack_timeout.setter
    def ack_timeout(self, seconds: float) -> None:
        self.socket.ack_timeout = seconds

    # --- directory ---

    def add_user(
        self,
        id: str,
        name: str,
        real_name: str | None = None,
        email: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        is_primary_owner: bool = False,
        is_bot: bool = False,
        deleted: bool = False,
        tz: str = "Europe/London",
        is_restricted: bool = False,
        is_ultra_restricted: bool = False,
    ) -> User:
        """Add (or replace) a workspace member."""
        user = User(
            id=id,
            name=name,
            real_name=real_name,
            email=email,
            is_admin=is_admin,
            is_owner=is_owner,
            is_primary_owner=is_primary_owner,
            is_bot=is_bot,
            deleted=deleted,
            tz=tz,
            is_restricted=is_restricted or is_ultra_restricted,
            is_ultra_restricted=is_ultra_restricted,
        )
        self.workspace.users[id] = user
        return user

    async def change_account(self, user_id: str, *, tell_app: bool = True, **changes: Any) -> dict:
        """An admin changes an account (``deleted``, ``is_restricted``, ``is_ultra_restricted``,
        ``real_name``); Slack sends user_change to the app over Socket Mode when ``tell_app`` (and the
        app is connected). Returns the user object as users.info shows it now."""
        user = change_account(self.workspace, user_id, **changes)
        shown = user_json(self.workspace, user)
        if tell_app and self.connected.is_set():
            await self.send_envelope("events_api", user_change(self.workspace, shown))
        return shown

    async def set_status(
        self, user_id: str, emoji: str = "", text: str = "", expiration: int = 0, *, tell_app: bool = True
    ) -> dict:
        """A person sets their custom status (or clears it, with nothing): Slack tells the app with
        user_change, the whole user object as users.info shows it now, which it returns."""
        user = set_status(self.workspace, user_id, emoji, text, expiration)
        shown = user_json(self.workspace, user)
        if tell_app and self.connected.is_set():
            await self.send_envelope("events_api", user_change(self.workspace, shown))
        return shown

    async def deactivate(self, user_id: str, *, tell_app: bool = True) -> dict:
        """An admin deactivates the account: users.info says ``deleted``, user groups refuse it."""
        return await self.change_account(user_id, deleted=True, tell_app=tell_app)

    async def reactivate(self, user_id: str, *, tell_app: bool = True) -> dict:
        """An admin reactivates a deactivated account."""
        return await self.change_account(user_id, deleted=False, tell_app=tell_app)

    def add_channel(
        self,
        id: str,
        name: str,
        is_private: bool = False,
        members: Iterable[str] = (),
        bot_is_member: bool = False,
        topic: str = "",
        is_archived: bool = False,
    ) -> Channel:
        """Add (or replace) a channel; ``members`` are people (the bot is in it if ``bot_is_member``)."""
        channel = Channel(
            id=id,
            name=name,
            is_private=is_private,
            members=list(members),
            bot_is_member=bot_is_member,
            is_archived=is_archived,
            created=int(self.workspace.clock()),
        )
        if topic:
            self.workspace.set_topic(channel, topic, by=next(iter(channel.members), ""))
        self.workspace.channels[id] = channel
        return channel

    def channel(self, channel_id: str) -> Channel:
        """A channel by id: members, whether the bot is in it, its topic as conversations.info shows it."""
        if channel_id not in self.workspace.channels:
            raise KeyError(f"no channel {channel_id!r} in the fake workspace: add_channel() first")
        return self.workspace.channels[channel_id]

    def set_topic(self, channel_id: str, text: str, *, by: str) -> dict:
        """A person (``by``) edits a channel's topic in Slack's client: no Web API call is recorded."""
        return self.user(by).set_topic(channel_id, text)

    def edit_usergroup_by_hand(
        self,
        group_id: str,
        *,
        by: str | None = None,
        users: Iterable[str] | None = None,
        name: str | None = None,
        handle: str | None = None,
        description: str | None = None,
        enabled: bool | None = None,
    ) -> dict:
        """A person edits a user group in Slack's client (drift the app should notice and repair).

        Not a Web API call. Unlike usergroups.users.update, ``users=[]`` is allowed.
        """
        return edit_usergroup(
            self.workspace,
            group_id,
            by=by,
            users=users,
            name=name,
            handle=handle,
            description=description,
            enabled=enabled,
        )

    async def change_usergroup(
        self, group_id: str, users: Iterable[str], *, by: str, tell_app: bool = True
    ) -> dict:
        """A person (``by``) changes who is in a user group in Slack's client. Slack sends
        subteam_members_changed to the app over Socket Mode (after the events before it), and this
        waits for the app's ack; with ``tell_app=False`` the event never reaches the app. Returns
        the group as usergroups.list shows it now."""
        delivered = change_members(self.workspace, group_id, users, by=by, tell_app=tell_app)
        if isinstance(delivered, asyncio.Future) and (error := await delivered) is not None:
            raise error
        return usergroup_json(self.workspace, self.workspace.usergroups[group_id])

    def add_usergroup(
        self, id: str, handle: str, name: str, users: Iterable[str] = (), enabled: bool = True
    ) -> dict:
        """Add (or replace) a user group."""
        now = int(self.workspace.clock())
        group = {
            "id": id,
            "handle": handle,
            "name": name,
            "description": "",
            "users": list(users),
            "enabled": enabled,
            "date_create": now,
            "date_update": now,
        }
        self.workspace.usergroups[id] = group
        return group

    # --- records ---

    @property
    def calls(self) -> list[tuple[str, dict]]:
        """Every Web API call, in order: (method, args without the token)."""
        return self.api.calls

    @property
    def messages(self) -> list[dict]:
        """Messages the bot posted (chat.postMessage, in_channel replies), in order.

        People's messages (``slack.user(U).say``) are not in it; ``history``, ``thread`` and
        ``dms_to`` show both.
        """
        return [m for m in self.workspace.messages if m["user"] == self.workspace.bot_user_id]

    def history(self, channel_id: str) -> list[dict]:
        """The top-level messages of a channel (or of the DM with a user id), bot's and people's."""
        channel = self._conversation_id(channel_id)
        return [m for m in self.workspace.messages if m["channel"] == channel and not m["thread_ts"]]

    def thread(self, channel_id: str, ts: str) -> list[dict]:
        """A thread: its parent message first, then the replies in order."""
        parent = self.workspace.find_message(channel_id, ts)
        if parent is None:
            raise LookupError(f"no message {ts!r} in {channel_id!r}")
        root = parent["thread_ts"] or parent["ts"]
        channel = parent["channel"]
        return [
            m
            for m in self.workspace.messages
            if m["channel"] == channel and root in (m["ts"], m["thread_ts"])
        ]

    def dms_to(self, user_id: str) -> list[dict]:
        """Every message in the DM between the app and ``user_id``, theirs and the bot's."""
        return self.user(user_id).dms

    def _conversation_id(self, channel_id: str) -> str:
        dm_user = self.workspace.dm_user(channel_id)
        return self.workspace.dm_channel(dm_user) if dm_user else channel_id

    @property
    def usergroups(self) -> dict[str, dict]:
        """User groups by id: id, handle, name, users, enabled."""
        return self.workspace.usergroups

    @property
    def published(self) -> dict[str, dict]:
        """The latest home view published for each user."""
        return {
            user_id: self.workspace.views.views[view_id]
            for user_id, view_id in self.workspace.views.homes.items()
        }

    @property
    def acks(self) -> list[AckRecord]:
        """Every ack the app sent, with how long it took."""
        return self.socket.acks

    @property
    def refused(self) -> list[tuple[str, str]]:
        """(method, error) of every call Slack itself refused (not injected faults), in order."""
        return self.api.refused

    def calls_to(self, method: str) -> list[dict]:
        """The args of every call to one Web API method."""
        return [args for name, args in self.calls if name == method]

    # --- Socket Mode ---

    @property
    def connected(self) -> asyncio.Event:
        """Set while the app holds a Socket Mode connection."""
        return self.socket.connected

    async def wait_connected(self, timeout: float = 10.0) -> None:
        """Wait until the app has connected over Socket Mode."""
        try:
            await asyncio.wait_for(self.socket.connected.wait(), timeout)
        except TimeoutError:
            calls = [name for name, _ in self.calls[-5:]]
            raise TimeoutError(
                f"the app did not connect over Socket Mode within {timeout}s; last calls: {calls}"
            ) from None

    async def send_envelope(
        self,
        type: str,
        payload: dict,
        accepts_response_payload: bool = False,
        *,
        on_ack: Callable[[dict | None], None] | None = None,
    ) -> dict | None:
        """Push an envelope to the app and return its ack payload; AckTimeout after 3 seconds."""
        return await self.socket.send_envelope(type, payload, accepts_response_payload, on_ack=on_ack)

    def _queue_event(self, event: dict, context: str) -> asyncio.Future | None:
        """Workspace.tell_app: queue the event for the app, in order (see events.py)."""
        return self._events.push(event_callback(self.workspace, event, context=context))

    async def _deliver_event(self, payload: dict) -> None:
        await self.send_envelope("events_api", payload)

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Send a ``disconnect`` frame; the app reconnects through apps.connections.open."""
        await self.socket.disconnect(reason)

    # --- people ---

    async def forge(self, user_id: str, kind: str, **fields: Any) -> dict | None:
        """Deliver an interaction as `user_id` that their client would never send (a button they do
        not see, another person's modal): how tests prove the app checks permissions server-side."""
        payload = interaction(self.workspace, user_id, kind, **fields)
        if kind in ("block_actions", "view_submission") and "trigger_id" not in payload:
            payload["trigger_id"] = self.issue_trigger_id(user_id)
        return await self.send_envelope(
            "interactive", payload, accepts_response_payload=kind == "view_submission"
        )

    def user(self, user_id: str) -> SlackUser:
        """Act as a workspace member through Slack's client."""
        if user_id not in self.workspace.users:
            raise KeyError(f"no user {user_id!r} in the fake workspace: add_user() first")
        return self._people.setdefault(user_id, SlackUser(self, user_id))

    def issue_trigger_id(self, user_id: str) -> str:
        """A trigger_id as Slack hands out with an interaction by ``user_id``."""
        return self.workspace.issue_trigger(user_id)

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 5.0, *, description: str | None = None
    ) -> Any:
        """Poll ``predicate`` until it returns something truthy, and return that."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (result := predicate()):
            if loop.time() >= deadline:
                calls = [name for name, _ in self.calls[-8:]]
                what = description or _describe(predicate)
                raise TimeoutError(f"waited {timeout}s for {what}; last Web API calls: {calls}")
            await asyncio.sleep(0.01)
        return result


def _describe(predicate: Callable[[], Any]) -> str:
    try:
        return inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        return repr(predicate)
