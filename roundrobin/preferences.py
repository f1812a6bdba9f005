"""What each person asks of Round Robin for themselves (for now: no duty DMs, please).

Only the person may change their own preferences, so the acting user is the one changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from roundrobin.db import Database
from roundrobin.store import events, preferences


class Preferences:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time):
        self._db = db
        self._clock = clock

    async def dms_muted(self, user_id: str) -> bool:
        return await preferences.dms_muted(self._db, user_id)

    async def mute_dms(self, actor: str, muted: bool) -> None:
        now = self._clock()
        async with self._db.transaction():
            await preferences.mute_dms(self._db, actor, muted, now)
            await events.record(
                self._db, "preferences.dms_muted" if muted else "preferences.dms_allowed", now, actor
            )
