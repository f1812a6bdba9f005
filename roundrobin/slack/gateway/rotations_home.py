"""Gathers one page of rotations for a person's App Home."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable

from roundrobin.access import Access, Actor
from roundrobin.db import Database
from roundrobin.rotations.model import Rotation, Unmatched
from roundrobin.slack.gateway.delivery import SHOW_AFTER
from roundrobin.slack.views.blocks import Block
from roundrobin.slack.views.rotations import (
    PAGE_SIZE,
    RotationRow,
    RotationsPage,
    rotations_blocks,
    schedules_label,
)
from roundrobin.slack.views.status import card_notes
from roundrobin.store import outbox, topics
from roundrobin.store import pagerduty as pd_store
from roundrobin.store import rotations as store
from roundrobin.store import status as status_store

REPAIR_SHOWN_FOR = 86400.0

# Rotation id → people PagerDuty has on call later whom Slack does not know (PeopleLinks.unlinked_ahead).
UnlinkedAhead = Callable[[Iterable[Rotation]], Awaitable[dict[int, tuple[tuple[Unmatched, float], ...]]]]


class RotationsHome:
    def __init__(
        self,
        db: Database,
        access: Access,
        clock: Callable[[], float] = time.time,
        unlinked_ahead: UnlinkedAhead | None = None,
    ):
        self._db = db
        self._access = access
        self._clock = clock
        self._unlinked_ahead = unlinked_ahead
        self.mine_only: dict[str, bool] = {}

    async def blocks(self, user_id: str, page: int, can_manage: bool) -> list[Block]:
        mine = self.mine_only.get(user_id, False)
        rotations, total = await store.page(self._db, page * PAGE_SIZE, PAGE_SIZE, user_id if mine else None)
        if not rotations and page > 0 and total:
            last = (total - 1) // PAGE_SIZE
            rotations, total = await store.page(
                self._db, last * PAGE_SIZE, PAGE_SIZE, user_id if mine else None
            )
            page = last
        names = await pd_store.schedules(self._db, {s for r in rotations for s in r.pd_schedule_ids})
        problems, repaired = await self.delivery_notes([r.id for r in rotations])
        ahead = await self._unlinked_ahead(rotations) if self._unlinked_ahead else {}
        asked = await status_store.open_of_many(self._db, [r.id for r in rotations])
        now = self._clock()
        who = Actor(user_id, can_manage)  # the rules of access.py, from the fact the Home already has
        rows = [
            RotationRow(
                rotation=r,
                can_edit=who.may_edit(r),
                schedule_name=schedules_label([names[s].name if s in names else s for s in r.pd_schedule_ids])
                or None,
                problems=tuple(problems.get(r.id, ())),
                group_repaired=r.id in repaired,
                viewer=user_id,
                can_rotate=who.may_rotate(r),
                upcoming_unlinked=ahead.get(r.id, ()),
                status_notes=card_notes(r, now, asked.get(r.id)),
            )
            for r in rotations
        ]
        return rotations_blocks(RotationsPage(rows=rows, page=page, total=total, mine_only=mine))

    async def delivery_notes(self, ids: list[int]) -> tuple[dict[int, list[str]], set[int]]:
        """What Slack refused or keeps failing for each rotation (mrkdwn), and which rotations' user
        groups were changed by hand and set back lately: shown on the card and in Details alike."""
        now = self._clock()
        problems = await outbox.problems(self._db, ids, now, SHOW_AFTER)
        for rotation_id, words in (await topics.problems(self._db, ids, now, SHOW_AFTER)).items():
            problems[rotation_id] += words
        return problems, await outbox.repaired(self._db, ids, now - REPAIR_SHOWN_FOR)
