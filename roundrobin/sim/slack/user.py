"""A person using Slack's client: reads the home tab and modals, clicks, types, submits.

SlackUser sends what Slack would send for each gesture (block_actions with the view's current
state and a fresh trigger_id, view_submission with ``state.values``, slash commands with a
response_url pointing at the fake) and applies the app's acks the way Slack would: a required input
left empty never reaches the app, ``response_action: errors`` must name input blocks, and so on.
Problems a person would see as a broken app are raised as AssertionError.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roundrobin.sim.slack.api_base import SlackError
from roundrobin.sim.slack.api_chat import deliver_reply
from roundrobin.sim.slack.blockkit import suggestion_problems, view_problems
from roundrobin.sim.slack.blockkit_rules import errors_problems
from roundrobin.sim.slack.messaging import click_in_message, say
from roundrobin.sim.slack.payloads import app_home_opened, interaction, slash_command, view_with_state
from roundrobin.sim.slack.people import join, set_topic
from roundrobin.sim.slack.views import (
    STATELESS,
    ConfirmRequired,
    block_action,
    check_confirm,
    client_value,
    find_element,
    input_problem,
    iter_elements,
    state_entry,
    value_field,
    visible_text,
)

if TYPE_CHECKING:
    from roundrobin.sim.slack.fake import FakeSlack
    from roundrobin.sim.slack.workspace import Workspace

__all__ = ["ConfirmRequired", "SlackUser"]  # ConfirmRequired lives in views.py; imported from here too

EXTERNAL_SELECTS = ("external_select", "multi_external_select")
USER_FIELDS = ("selected_user", "selected_users")
CONVERSATION_FIELDS = (
    "selected_channel",
    "selected_channels",
    "selected_conversation",
    "selected_conversations",
)


class SlackUser:
    """One person in the fake workspace, acting through Slack's client."""

    def __init__(self, slack: FakeSlack, user_id: str) -> None:
        self._slack = slack
        self.id = user_id
        self.errors: dict[str, str] = {}  # what the top modal shows under its inputs
        self._suggestions: dict[str, list[dict]] = {}  # action_id -> options the app served

    @property
    def _ws(self) -> Workspace:
        return self._slack.workspace

    # --- what the person sees ---

    @property
    def home(self) -> dict | None:
        """The latest home view published for this person."""
        return self._ws.views.home(self.id)

    @property
    def modals(self) -> list[dict]:
        """This person's modal stack, root first."""
        return self._ws.views.modals(self.id)

    @property
    def modal(self) -> dict | None:
        """The modal on top of the stack, or None."""
        return self.modals[-1] if self.modals else None

    @property
    def ephemerals(self) -> list[dict]:
        """Messages only this person saw: command replies, response_url posts, chat.postEphemeral."""
        return self._ws.ephemerals[self.id]

    @property
    def dms(self) -> list[dict]:
        """Every message in this person's DM with the app (the app's Messages tab), theirs and the bot's."""
        channel = self._ws.dm_channel(self.id)
        return [m for m in self._ws.messages if m["channel"] == channel]

    def text(self, view: dict | None = None) -> str:
        """All the text this person reads on a view (the home tab by default)."""
        view = view or self.home
        if view is None:
            raise AssertionError(f"{self.id} has no home tab: nothing was published yet")
        return visible_text(view)

    def values(self, view: dict | None = None) -> dict:
        """The ``state.values`` Slack would send for a view (the top modal by default)."""
        return self._ws.views.state(view or self._top_modal())

    def find(self, action_id: str, view: dict | None = None, *, block_id: str | None = None) -> dict:
        """The element with ``action_id`` (in ``block_id``): in ``view``, else the top modal, else home."""
        return self._locate(action_id, view=view, block_id=block_id)[2]

    # --- what the person does ---

    async def open_home(self, timeout: float = 5.0) -> dict:
        """Open the app's Home tab and wait for the app to publish it; returns the new view."""
        before = self._ws.views.publish_counts[self.id]
        home = self._with_state(self.home) if self.home else None
        await self._slack.send_envelope("events_api", app_home_opened(self._ws, self.id, home))
        await self._slack.wait_for(
            lambda: self._ws.views.publish_counts[self.id] > before,
            timeout=timeout,
            description=f"a views.publish for {self.id} after app_home_opened",
        )
        assert self.home is not None, "a views.publish was just seen"
        return self.home

    async def click(
        self,
        action_id: str,
        *,
        value: str | None = None,
        option: Any = None,
        confirm: bool = False,
        block_id: str | None = None,
    ) -> Any:
        """Click a button or pick ``option`` in a menu.

        Among elements sharing an action_id, ``block_id`` picks one, a button's ``value`` picks one,
        and so does ``option`` (the menu that offers it). Returns the ack payload, or a url button's
        url (Slack sends block_actions for those too).
        """
        view, block, element = self._locate(action_id, value=value, block_id=block_id, option=option)
        if element["type"] == "button":
            check_confirm(element, confirm)
            ack = await self._send_action(view, block, element, None)
            return element.get("url", ack)
        if option is None:
            raise TypeError(f"{action_id!r} is a {element['type']}: pass option=<value>, or use fill()")
        if not _dispatches(block):
            raise AssertionError(f"{action_id!r} is in an input block without dispatch_action: use fill()")
        return await self._change(view, block, element, option, confirm)

    async def fill(
        self, action_id: str, value: Any, *, confirm: bool = False, block_id: str | None = None
    ) -> dict | None:
        """Type into or pick in an input; sends block_actions when Slack would (returns its ack)."""
        view, block, element = self._locate(action_id, block_id=block_id)
        if element["type"] in STATELESS:
            raise TypeError(f"{action_id!r} is a {element['type']}: use click()")
        return await self._change(view, block, element, value, confirm)

    async def submit(self) -> dict:
        """Press the top modal's submit button; returns ``{"errors": {block_id: message}}`` or ``{}``."""
        view = self._top_modal()
        errors = self._client_side_errors(view)
        if errors:
            self.errors = errors
            return {"errors": errors}
        payload = interaction(
            self._ws,
            self.id,
            "view_submission",
            trigger_id=self._ws.issue_trigger(self.id),
            view=self._with_state(view),
            response_urls=[],
        )
        ack = await self._slack.send_envelope("interactive", payload, accepts_response_payload=True)
        return self._apply_submission_ack(view, ack or {})

    async def close(self) -> None:
        """Press the top modal's close button (view_closed is sent when notify_on_close is set)."""
        view = self._top_modal()
        payload = interaction(self._ws, self.id, "view_closed", view=self._with_state(view), is_cleared=False)
        self._ws.views.pop(self.id)
        self.errors = {}
        if view["notify_on_close"]:
            await self._slack.send_envelope("interactive", payload)

    async def command(self, text: str, command: str = "/rr", channel_id: str = "C0GENERAL") -> dict | None:
        """Run a slash command; returns the ack payload (its text/blocks also land in ephemerals)."""
        hook_id = self._ws.issue_hook(self.id, channel_id)
        payload = slash_command(
            self._ws,
            self.id,
            command=command,
            text=text,
            channel_id=channel_id,
            response_url=f"{self._slack.url}/hooks/respond/{hook_id}",
            trigger_id=self._ws.issue_trigger(self.id),
        )

        def show_reply(ack: dict | None) -> None:
            try:
                deliver_reply(self._ws, self.id, channel_id, ack or {}, source="command ack")
            except SlackError as error:
                raise AssertionError(f"Slack would reject the reply to {command}: {error.body()}") from None

        return await self._slack.send_envelope(
            "slash_commands", payload, accepts_response_payload=True, on_ack=show_reply
        )

    async def say(self, channel_id: str, text: str, thread_ts: str | None = None) -> dict:
        """Write a message in a channel this person is in, in their DM with the app, or in a thread.

        If it mentions the app's bot user (``<@U0BOT>``) in a channel the bot is in, and the app has
        app_mentions:read, Slack sends an app_mention event: this waits for the app's ack. Returns the
        stored message (with ``user``, ``ts`` and ``thread_ts``).
        """
        return await say(self._slack, self.id, channel_id, text, thread_ts)

    async def click_in_message(
        self,
        message: dict,
        action_id: str,
        *,
        value: str | None = None,
        option: Any = None,
        block_id: str | None = None,
        confirm: bool = False,
    ) -> Any:
        """Click a button (or pick ``option`` in a menu) in a message the bot posted, or an ephemeral one.

        ``message`` is a stored message (``slack.messages``, ``dms``, ``ephemerals``) or anything
        with its ``channel`` and ``ts``. Sends block_actions with a message container and a
        response_url; returns the ack payload, or a url button's url.
        """
        return await click_in_message(
            self._slack,
            self.id,
            message,
            action_id,
            value=value,
            option=option,
            block_id=block_id,
            confirm=confirm,
        )

    def join(self, channel_id: str) -> dict:
        """Press "Join channel" on a public channel this person is not in; returns the join message."""
        return join(self._ws, self.id, channel_id)

    def set_topic(self, channel_id: str, text: str) -> dict:
        """Edit a channel's topic by hand (not a Web API call); returns the topic as Slack shows it."""
        return set_topic(self._ws, self.id, channel_id, text)

    async def suggest(self, action_id: str, query: str, *, block_id: str | None = None) -> list[dict]:
        """Type ``query`` into an external_select; returns the options the app serves."""
        view, block, element = self._locate(action_id, block_id=block_id)
        if element["type"] not in EXTERNAL_SELECTS:
            raise TypeError(f"{action_id!r} is a {element['type']}, not an external select")
        if len(query) < element.get("min_query_length", 3):
            return []  # Slack's client waits for more typing before it asks the app
        payload = interaction(
            self._ws,
            self.id,
            "block_suggestion",
            container={"type": "view", "view_id": view["id"]},
            action_id=action_id,
            block_id=block["block_id"],
            value=query,
            view=self._with_state(view),
        )
        ack = await self._slack.send_envelope("interactive", payload, accepts_response_payload=True)
        options = _served_options(action_id, ack or {})
        self._suggestions[action_id] = options
        return options

    # --- block_actions ---

    async def _change(self, view: dict, block: dict, element: dict, value: Any, confirm: bool) -> dict | None:
        picked = client_value(element, value, self._suggestions.get(element["action_id"], ()))
        self._check_pick(element, picked)
        if _dispatches(block):
            check_confirm(element, confirm)
        if element["type"] not in STATELESS:
            entry = state_entry(element, picked)
            self._ws.views.set_entry(view, block["block_id"], element["action_id"], entry)
        if _dispatches(block):
            return await self._send_action(view, block, element, picked)
        return None

    async def _send_action(self, view: dict, block: dict, element: dict, value: Any) -> dict | None:
        payload = interaction(
            self._ws,
            self.id,
            "block_actions",
            container={"type": "view", "view_id": view["id"]},
            trigger_id=self._ws.issue_trigger(self.id),
            view=self._with_state(view),
            actions=[block_action(block, element, value, self._ws.new_ts())],
        )
        ack = await self._slack.send_envelope("interactive", payload)
        if ack and "response_action" in ack:
            raise AssertionError(f"response_action only answers view_submission, not block_actions: {ack!r}")
        return ack

    def _check_pick(self, element: dict, picked: Any) -> None:
        # Slack's pickers only offer what exists: active members, known conversations.
        field = value_field(element)
        chosen = picked if isinstance(picked, list) else [picked]
        if field in USER_FIELDS:
            for user_id in chosen:
                user = self._ws.users.get(user_id)
                if user is None or user.deleted:
                    raise AssertionError(f"the user picker offers no {user_id!r}: not an active member")
        if field in CONVERSATION_FIELDS:
            for channel_id in chosen:
                if channel_id not in self._ws.channels and self._ws.dm_user(channel_id) is None:
                    raise AssertionError(f"the conversation picker offers no {channel_id!r}")

    # --- view_submission ---

    def _client_side_errors(self, view: dict) -> dict[str, str]:
        state = self._ws.views.state(view)
        errors = {}
        for block, element in iter_elements(view["blocks"]):
            if block["type"] == "input":
                entry = state.get(block["block_id"], {}).get(element["action_id"])
                problem = input_problem(block, element, entry)
                if problem:
                    errors[block["block_id"]] = problem
        return errors

    def _apply_submission_ack(self, view: dict, ack: dict) -> dict:
        action = ack.get("response_action")
        if not ack:
            self._ws.views.pop(self.id)
        elif action == "errors":
            _check_error_keys(view, ack.get("errors") or {})
            self.errors = dict(ack["errors"])
            return {"errors": self.errors}
        elif action == "update":
            self._ws.views.update(view["id"], _checked_view(ack.get("view"), "update"))
        elif action == "push":
            self._push(_checked_view(ack.get("view"), "push"))
        elif action == "clear":
            self._ws.views.clear(self.id)
        else:
            raise AssertionError(
                f"Slack cannot use this view_submission ack (the person sees an error): {ack!r}"
            )
        self.errors = {}
        return {}

    def _push(self, view: dict) -> None:
        try:
            self._ws.views.push(self.id, view)
        except SlackError as error:
            raise AssertionError(f"response_action push failed in Slack: {error.code}") from None

    # --- helpers ---

    def _with_state(self, view: dict) -> dict:
        return view_with_state(view, self._ws.views.state(view))

    def _top_modal(self) -> dict:
        if self.modal is None:
            raise AssertionError(f"{self.id} has no modal open")
        return self.modal

    def _locate(
        self,
        action_id: str,
        *,
        view: dict | None = None,
        value: str | None = None,
        block_id: str | None = None,
        option: Any = None,
    ) -> tuple[dict, dict, dict]:
        views = [view] if view is not None else [v for v in (self.modal, self.home) if v is not None]
        for candidate in views:
            found = find_element(
                candidate["blocks"], action_id, value=value, block_id=block_id, option=option
            )
            if found is not None:
                return candidate, *found
        seen = sorted({e["action_id"] for v in views for _, e in iter_elements(v["blocks"])})
        wanted = f"{action_id!r}" + (f" with value {value!r}" if value is not None else "")
        wanted += f" in block {block_id!r}" if block_id is not None else ""
        raise LookupError(f"{self.id} sees no element {wanted}; visible action_ids: {seen}")


def _dispatches(block: dict) -> bool:
    """Whether changing an element in this block sends block_actions right away."""
    return block["type"] != "input" or bool(block.get("dispatch_action"))


def _check_error_keys(view: dict, errors: dict) -> None:
    problems = errors_problems(view, errors)
    if problems:
        raise AssertionError(
            f"response_action errors must name input blocks of the view: {problems}; in Slack the "
            "person would see 'We had some trouble connecting'"
        )


def _checked_view(view: Any, action: str) -> dict:
    problems = view_problems(view)
    if isinstance(view, dict) and view.get("type") != "modal":
        problems.append("/type: must be modal")
    if problems:
        raise AssertionError(f"response_action {action} carries an invalid view: {problems}")
    return view


def _served_options(action_id: str, ack: dict) -> list[dict]:
    """The options in a block_suggestion ack, flattened, after Slack's checks."""
    problems = suggestion_problems(ack)
    if problems:
        raise AssertionError(f"Slack would show no options for {action_id!r}: {problems}")
    if "option_groups" in ack:
        return [option for group in ack["option_groups"] for option in group["options"]]
    return list(ack.get("options", []))
