"""Who may do what with Round Robin's powers. The rules live here; the facts come from Slack.

Every service method that changes something takes the acting Slack user and asks these rules
itself, so a forged payload gets the same answer as a click on a button that is not shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

from roundrobin.db import Database
from roundrobin.rotations import webhook_actor
from roundrobin.rotations.model import Rotation
from roundrobin.slack_ids import is_id
from roundrobin.store import events, owners


class PermissionDenied(Exception):
    """The acting person may not do this; str() says who can, in plain words."""


class Roles(Protocol):
    """Facts about people from Slack (users.info), cached by the implementation."""

    async def is_workspace_admin(self, user_id: str) -> bool: ...

    async def name(self, user_id: str) -> str: ...

    async def is_person(self, user_id: str) -> bool:
        """An active, human member of the workspace (not a bot, not deactivated)."""
        ...


MANAGERS = "Slack workspace admins and owners, and Round Robin owners"
MAX_OWNERS = 50


@dataclass(frozen=True)
class Actor:
    """Who is acting, with the one fact the rules need from Slack (fetched before any transaction),
    so the rules can be applied inside one, to the rotation as it is stored then."""

    user_id: str
    manager: bool  # a Slack workspace admin or owner, or a Round Robin owner
    webhook_for: int | None = None  # a signed webhook call acting on this rotation (and no other)

    def may_edit(self, rotation: Rotation) -> bool:
        """A rotation's creator may change it, as may everyone who can manage Round Robin (and the
        rotation's own webhook, for the duty changes it may make: rotations/webhook_actor.py)."""
        return self.manager or rotation.created_by == self.user_id or self.webhook_for == rotation.id

    def may_rotate(self, rotation: Rotation) -> bool:
        """Rotate, hand over and set on duty: editors, and the rotation's members unless its creator
        kept that to managers."""
        return self.may_edit(rotation) or (rotation.members_may_rotate and self.user_id in rotation.members)


class Access:
    def __init__(self, db: Database, roles: Roles, config_owners: tuple[str, ...]):
        self._db = db
        self._roles = roles
        self._config_owners = frozenset(config_owners)

    async def is_owner(self, user_id: str) -> bool:
        """A Round Robin owner: from ROUNDROBIN_OWNERS, or added in Settings."""
        return user_id in self._config_owners or await owners.is_owner(self._db, user_id)

    async def can_manage(self, user_id: str) -> bool:
        """Connect and disconnect integrations, change owners, change any rotation, bind any group."""
        if webhook_actor.parse(user_id) is not None:
            return False
        return await self.is_owner(user_id) or await self._roles.is_workspace_admin(user_id)

    async def actor(self, user_id: str) -> Actor:
        if (hook := webhook_actor.parse(user_id)) is not None:
            # Powers only while the webhook service itself acts (a payload may carry the same id).
            return Actor(user_id, False, hook[0] if _ACTING_WEBHOOK.get() == user_id else None)
        return Actor(user_id, await self.can_manage(user_id))

    async def can_edit(self, user_id: str, rotation: Rotation) -> bool:
        return (await self.actor(user_id)).may_edit(rotation)

    async def can_rotate(self, user_id: str, rotation: Rotation) -> bool:
        return (await self.actor(user_id)).may_rotate(rotation)

    async def require_rotate(self, user_id: str, rotation: Rotation) -> None:
        if not await self.can_rotate(user_id, rotation):
            raise await self.rotate_refusal(rotation)

    async def rotate_refusal(self, rotation: Rotation) -> PermissionDenied:
        creator = await self._roles.name(rotation.created_by)
        members = "" if not rotation.members_may_rotate else ", its members"
        return PermissionDenied(
            f"Only {creator} (the creator){members}, workspace admins and Round Robin owners can change "
            f"who is on duty for {rotation.code}."
        )

    async def require_manage(self, user_id: str) -> None:
        if not await self.can_manage(user_id):
            raise PermissionDenied(f"Only {MANAGERS}, can do that. {await self.who_to_ask()}")

    async def who_to_ask(self, at_most: int = 3) -> str:
        """'Ask Ada Lovelace or Alan Turing.': Round Robin owners by name, or a Slack admin."""
        people = list(dict.fromkeys([*sorted(self._config_owners), *await owners.list_owners(self._db)]))
        if not people:
            return "Ask a Slack workspace admin."
        names = [await self._roles.name(u) for u in people[:at_most]]
        more = " (or another Round Robin owner)" if len(people) > at_most else ""
        return f"Ask {' or '.join([', '.join(names[:-1]), names[-1]] if len(names) > 1 else names)}{more}."

    async def require_edit(self, user_id: str, rotation: Rotation) -> None:
        if not await self.can_edit(user_id, rotation):
            raise await self.edit_refusal(rotation)

    async def edit_refusal(self, rotation: Rotation) -> PermissionDenied:
        creator = await self._roles.name(rotation.created_by)
        return PermissionDenied(
            f"Only {creator} (the creator), workspace admins and Round Robin owners can change {rotation.code}."
        )

    async def name(self, user_id: str) -> str:
        return webhook_actor.label(user_id) or await self._roles.name(user_id)

    async def config_owners(self) -> tuple[str, ...]:
        return tuple(sorted(self._config_owners))

    async def set_owners(
        self, actor: str, wanted: list[str], now: float
    ) -> tuple[set[str], set[str], list[str]]:
        """Make the owners added in Settings `wanted`, less what is not a person in this workspace
        (checked with Slack; anything else a payload carries is refused). Returns (added, removed,
        refused)."""
        await self.require_manage(actor)
        current = set(await owners.list_owners(self._db))
        wanted = list(dict.fromkeys(wanted))
        refused = [u for u in wanted if not is_id("user", u)]
        candidates = [u for u in wanted if is_id("user", u)]
        refused += candidates[MAX_OWNERS:]
        candidates = candidates[:MAX_OWNERS]
        for user_id in candidates:
            if user_id not in current and not await self._roles.is_person(user_id):
                refused.append(user_id)
        wanted = [u for u in candidates if u not in refused]
        async with self._db.transaction():
            added, removed = await owners.replace_owners(self._db, wanted, actor, now)
            if added or removed:
                await events.record(
                    self._db, "owners.changed", now, actor, added=sorted(added), removed=sorted(removed)
                )
        return added, removed, refused


# The webhook actor whose signed call the running task is serving (see Access.actor).
_ACTING_WEBHOOK: ContextVar[str | None] = ContextVar("acting_webhook", default=None)


@contextmanager
def acting_as_webhook(actor: str) -> Iterator[None]:
    """While inside, `actor` (a webhook actor id) has its rotation's webhook powers in this task."""
    token = _ACTING_WEBHOOK.set(actor)
    try:
        yield
    finally:
        _ACTING_WEBHOOK.reset(token)
