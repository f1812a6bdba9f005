"""Opening modals, and redrawing only the ones that are on the acting person's own screen.

A click inside a modal names the view it came from, and Round Robin answers by updating that view.
A Socket Mode payload can be crafted to name any view id, so the id Slack gives back when a modal is
opened is remembered with the person it was opened for, and a redraw of any other view is refused.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.access import PermissionDenied
from roundrobin.db import Database
from roundrobin.store import views as store

# A modal is rarely open for more than a day; an older one's redraws are refused (reopen it).
KEEP_FOR = 24 * 3600.0
_VIEW_ID = re.compile(r"V[A-Z0-9]{2,30}", re.ASCII)

NOT_YOURS = "That form is not open on your screen, so Round Robin did not change it."


class Modals:
    def __init__(self, client: AsyncWebClient, db: Database, clock: Callable[[], float] = time.time):
        self._client = client
        self._db = db
        self._clock = clock

    async def open(self, trigger_id: str, user_id: str, view: dict) -> None:
        """views.open on the screen of the person whose click gave `trigger_id`."""
        answer = await self._client.views_open(trigger_id=trigger_id, view=view)
        await self._remember(answer, user_id)

    async def push(self, trigger_id: str, user_id: str, view: dict) -> None:
        """views.push: a modal on top of the one the person has open."""
        answer = await self._client.views_push(trigger_id=trigger_id, view=view)
        await self._remember(answer, user_id)

    async def update(self, body: dict, view: dict, *, use_hash: bool = True) -> None:
        """Redraw the modal a click came from, once it is known to be the clicker's own."""
        shown = body.get("view") or {}
        await self.require_own(body)
        await self._client.views_update(
            view_id=shown["id"], hash=shown.get("hash") if use_hash else None, view=view
        )

    async def replace(self, view_id: str, view: dict) -> None:
        """Redraw a modal Round Robin opened, on its own account (the PagerDuty login's outcome)."""
        await self._client.views_update(view_id=view_id, view=view)

    async def require_own(self, body: dict) -> None:
        """Refuse a payload that names a view Round Robin did not open for the person sending it."""
        if not await self.owns(body):
            raise PermissionDenied(NOT_YOURS)

    async def owns(self, body: dict) -> bool:
        """The view a payload names was opened by Round Robin for the person sending it."""
        view_id = (body.get("view") or {}).get("id")
        user_id = (body.get("user") or {}).get("id")
        if not isinstance(view_id, str) or not _VIEW_ID.fullmatch(view_id) or not user_id:
            return False
        return await store.owner(self._db, view_id) == user_id

    async def _remember(self, answer, user_id: str) -> None:
        view_id = (answer.get("view") or {}).get("id")
        if view_id:
            await store.remember(self._db, view_id, user_id, self._clock(), KEEP_FOR)
