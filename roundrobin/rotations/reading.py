"""Reading rotations for the surfaces: pages, search, one by code, history, and the user groups."""

from __future__ import annotations

from roundrobin.access import Access
from roundrobin.db import Database
from roundrobin.rotations import references
from roundrobin.rotations.draft import RotationDraft
from roundrobin.rotations.model import Rotation
from roundrobin.rotations.references import Workspace
from roundrobin.store import events, member_groups
from roundrobin.store import rotations as store


class RotationQueries:
    def __init__(self, db: Database, access: Access, workspace: Workspace):
        self._db = db
        self._access = access
        self._workspace = workspace

    async def get(self, rotation_id: int) -> Rotation | None:
        return await store.get(self._db, rotation_id)

    async def by_code(self, code: str) -> Rotation | None:
        return await store.get_by_code(self._db, code)

    async def page(self, offset: int, limit: int, member: str | None = None) -> tuple[list[Rotation], int]:
        """Rotations by name (only those `member` is in, when given) and how many there are."""
        return await store.page(self._db, offset, limit, member)

    async def search(self, query: str, limit: int = 50) -> list[tuple[int, str, str]]:
        """(id, name, code) of rotations whose name or code contains `query`."""
        return await store.search(self._db, query, limit)

    async def announcing_in(self, channel_id: str, limit: int) -> list[Rotation]:
        """Rotations that tell this channel when duty changes."""
        return await store.announcing_in(self._db, channel_id, limit)

    async def history(self, rotation_id: int, limit: int = 10) -> list[events.Event]:
        return await events.recent(self._db, rotation_id, limit=limit)

    async def group_holders(self) -> dict[str, str]:
        """User group id → the code of the rotation it follows."""
        return await store.group_holders(self._db)

    async def group(self, group_id: str) -> references.Group | None:
        return await self._workspace.group(group_id)

    async def removed_from_group(self, draft: RotationDraft, rotation_id: int | None) -> tuple[str, ...]:
        """The people in the existing group a form chose who will not be on duty: saving takes them
        out of it (the form names them and asks to confirm)."""
        existing = await store.get(self._db, rotation_id) if rotation_id else None
        if not draft.usergroup_id or (existing and existing.usergroup_id == draft.usergroup_id):
            return ()
        group = await self._workspace.group(draft.usergroup_id)
        if not group:
            return ()
        if draft.source == "pagerduty":
            staying = existing.on_duty if existing and existing.bound else ()
        else:
            members = draft.members if draft.members is not None else (existing.members if existing else ())
            if draft.members_group_id and not members:  # the members follow a group: its people
                followed = await self._workspace.group(draft.members_group_id)
                members = followed.users if followed else ()
            staying = tuple(u for u in (existing.on_duty if existing else ()) if u in members) or members[:1]
        return tuple(u for u in group.users if u not in staying)

    async def bindable_groups(
        self, actor: str, query: str, editing: int | None = None
    ) -> list[references.Group]:
        """The user groups `actor` may choose for a rotation now: any for managers, the ones they
        are in for members; never one another rotation follows (the one edited may keep its own)."""
        who = await self._access.actor(actor)
        held = await store.group_holders(self._db)
        followed = set(await member_groups.followed(self._db))  # teams: never rewritten to who is on duty
        current = await store.get(self._db, editing) if editing else None
        own = current.usergroup_id if current and who.may_edit(current) else None
        return [
            g
            for g in await self._workspace.groups(query)
            if (g.id not in held or g.id == own)
            and g.id not in followed
            and (who.manager or actor in g.users or g.id == own)
        ][:99]

    async def followable_groups(self, query: str) -> list[references.Group]:
        """The user groups a rotation's members may follow: any but the on-duty groups rotations
        keep (Round Robin sets those to whoever is on duty: they are not teams)."""
        held = await store.group_holders(self._db)
        return [g for g in await self._workspace.groups(query) if g.id not in held][:99]
