"""Gathers one page of rotations for a person's App Home."""

from __future__ import annotations

from roundrobin.db import Database
from roundrobin.slack.permissions import Permissions
from roundrobin.slack.views.blocks import Block
from roundrobin.slack.views.rotations import PAGE_SIZE, RotationRow, RotationsPage, rotations_blocks
from roundrobin.store import pagerduty as pd_store
from roundrobin.store import rotations as store


class RotationsHome:
    def __init__(self, db: Database, permissions: Permissions):
        self._db = db
        self._permissions = permissions
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
        names = await pd_store.schedules(self._db, {r.pd_schedule_id for r in rotations if r.pd_schedule_id})
        rows = [
            RotationRow(
                rotation=r,
                can_edit=can_manage or r.created_by == user_id,
                schedule_name=names[r.pd_schedule_id].name if r.pd_schedule_id in names else None,
            )
            for r in rotations
        ]
        return rotations_blocks(RotationsPage(rows=rows, page=page, total=total, mine_only=mine))
