"""Every view the app has published or opened: each person's home tab and modal stack.

Views are kept the way Slack returns them (ids, hash, root/previous view ids). What a person types
stays on their side, as in Slack's client, and is merged in when a payload is built.
"""

from __future__ import annotations

import itertools
import secrets
from collections import Counter
from collections.abc import Callable

from roundrobin.sim.slack.api_base import SlackError
from roundrobin.sim.slack.views import State, carry_over, current_state, with_ids

# Slack lets an app push two views on top of the one it opened.
MAX_MODAL_STACK = 3


class ViewStore:
    """Home tabs and modal stacks, per user, with Slack's rules for ids, hashes and stack depth."""

    def __init__(self, *, team_id: str, app_id: str, bot_id: str, clock: Callable[[], float]) -> None:
        self._team_id = team_id
        self._app_id = app_id
        self._bot_id = bot_id
        self._clock = clock
        self._ids = itertools.count(1)
        self.views: dict[str, dict] = {}
        self.homes: dict[str, str] = {}  # user_id -> view_id
        self.stacks: dict[str, list[str]] = {}  # user_id -> modal view ids, root first
        self.entered: dict[str, State] = {}  # view_id -> what the person typed or picked
        self.publish_counts: Counter[str] = Counter()

    # --- reading ---

    def home(self, user_id: str) -> dict | None:
        """The user's latest published home view."""
        view_id = self.homes.get(user_id)
        return self.views[view_id] if view_id else None

    def modals(self, user_id: str) -> list[dict]:
        """The user's modal stack, root first."""
        return [self.views[view_id] for view_id in self.stacks.get(user_id, [])]

    def find(self, view_id: str | None = None, external_id: str | None = None) -> dict:
        """A view by id or external_id; Slack answers ``not_found`` for anything else."""
        for view in self.views.values():
            if (view_id and view["id"] == view_id) or (external_id and view["external_id"] == external_id):
                return view
        raise SlackError("not_found")

    def state(self, view: dict) -> State:
        """The view's ``state.values`` as Slack's client would send them now."""
        return current_state(view["blocks"], self.entered.get(view["id"], {}))

    def set_entry(self, view: dict, block_id: str, action_id: str, entry: dict) -> None:
        """Record what the person entered in one element."""
        self.entered.setdefault(view["id"], {}).setdefault(block_id, {})[action_id] = entry

    # --- changing ---

    def publish(self, user_id: str, view: dict, expected_hash: str | None = None) -> dict:
        """views.publish: the home view keeps its id for the user, each publish gets a new hash."""
        current = self.home(user_id)
        if current is None:
            self._check_external_id(view)
            stored = self._store(view, previous_view_id=None)
            self.homes[user_id] = stored["id"]
        else:
            stored = self.update(current["id"], view, expected_hash)
        self.publish_counts[user_id] += 1
        return stored

    def open(self, user_id: str, view: dict) -> dict:
        """views.open: a fresh modal stack for the user (replacing any open one)."""
        self.clear(user_id)
        self._check_external_id(view)
        stored = self._store(view, previous_view_id=None)
        self.stacks[user_id] = [stored["id"]]
        return stored

    def push(self, user_id: str, view: dict) -> dict:
        """views.push: a view on top of the user's open modal."""
        stack = self.stacks.get(user_id) or []
        if not stack:
            raise SlackError("not_found")
        if len(stack) >= MAX_MODAL_STACK:
            raise SlackError("push_limit_reached")
        self._check_external_id(view)
        top = self.views[stack[-1]]
        stored = self._store(view, previous_view_id=top["id"], root_view_id=top["root_view_id"])
        stack.append(stored["id"])
        return stored

    def update(self, view_id: str, view: dict, expected_hash: str | None = None) -> dict:
        """views.update: new content for an existing view, same id; the person's input survives."""
        current = self.views.get(view_id)
        if current is None:
            raise SlackError("not_found")
        if expected_hash and expected_hash != current["hash"]:
            raise SlackError("hash_conflict")
        self._check_external_id(view, allowed_for=view_id)
        stored = self._store(
            view,
            view_id=view_id,
            previous_view_id=current["previous_view_id"],
            root_view_id=current["root_view_id"],
        )
        self.entered[view_id] = carry_over(self.entered.get(view_id, {}), stored["blocks"])
        return stored

    def pop(self, user_id: str) -> dict | None:
        """Close the top modal (submit with a plain ack, or the close button)."""
        stack = self.stacks.get(user_id) or []
        return self._forget(stack.pop()) if stack else None

    def clear(self, user_id: str) -> None:
        """Close the whole modal stack."""
        for view_id in self.stacks.pop(user_id, []):
            self._forget(view_id)

    def _forget(self, view_id: str) -> dict:
        # A closed modal is gone for good: views.update on it answers not_found, as in Slack.
        self.entered.pop(view_id, None)
        return self.views.pop(view_id)

    # --- internals ---

    def _store(
        self,
        view: dict,
        *,
        previous_view_id: str | None,
        view_id: str | None = None,
        root_view_id: str | None = None,
    ) -> dict:
        view_id = view_id or f"V{next(self._ids):08d}"
        stored = {
            "id": view_id,
            "team_id": self._team_id,
            "type": view["type"],
            "blocks": with_ids(view.get("blocks") or []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(self._clock())}.{secrets.token_hex(4)}",
            "title": view.get("title"),
            "clear_on_close": view.get("clear_on_close", False),
            "notify_on_close": view.get("notify_on_close", False),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "previous_view_id": previous_view_id,
            "root_view_id": root_view_id or view_id,
            "app_id": self._app_id,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": self._team_id,
            "bot_id": self._bot_id,
        }
        self.views[view_id] = stored
        return stored

    def _check_external_id(self, view: dict, allowed_for: str | None = None) -> None:
        external_id = view.get("external_id")
        if not external_id:
            return
        for other in self.views.values():
            if other["external_id"] == external_id and other["id"] != allowed_for:
                raise SlackError("duplicate_external_id")
