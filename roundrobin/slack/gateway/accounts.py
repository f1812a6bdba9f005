"""Knowing who is active: rotations follow Slack accounts as they come and go.

What Round Robin learns about an account (Slack's user_change event, the directory reloaded every
few hours, a refused group update asked about person by person) lands in the directory, which rings
when someone was deactivated, reactivated, or became a guest or a bot. Then the rotations follow,
without anyone editing anything: a Manual rotation hands over from whoever can no longer be on
duty, every on-duty group is set to the people Slack takes, and PagerDuty-bound rotations mirror
their plan again (someone deactivated is named as such; someone reactivated is back on duty).
"""

from __future__ import annotations

import asyncio
import logging

from roundrobin.background import Doorbell, cancel
from roundrobin.pagerduty.sync import PagerDutySync
from roundrobin.rotations.duty import DutyService
from roundrobin.slack.gateway.directory import SlackDirectory
from roundrobin.store.directory import SlackUser

log = logging.getLogger(__name__)

CHECK_EVERY = 600.0  # how often to look whether the directory is due a reload


class AccountWatch:
    def __init__(
        self,
        directory: SlackDirectory,
        rotations: DutyService,
        sync: PagerDutySync | None,
        changed: Doorbell,
        refresh_every: float = 6 * 3600,
        check_every: float = CHECK_EVERY,
    ):
        self._directory = directory
        self._rotations = rotations
        self._sync = sync
        self._changed = changed
        self._refresh_every = refresh_every
        self._check_every = check_every
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="slack-accounts")

    async def close(self) -> None:
        await cancel(self._task)

    async def user_changed(self, member: object) -> SlackUser | None:
        """Slack's user_change event: the directory learns the account (and rings if it matters),
        and the rotations that watch Slack statuses look at this person's."""
        person = await self._directory.learn(member)
        if person is not None:
            await self._rotations.status_changed(person.id)
        return person

    async def follow(self) -> None:
        """Make every rotation follow the accounts as the directory knows them now."""
        await self._rotations.follow_accounts()
        if self._sync is not None:
            await self._sync.follow_accounts()

    async def _run(self) -> None:
        rung = True  # at start-up: whatever changed while Round Robin was down
        while True:
            try:
                if await self._directory.loaded() and await self._directory.age() > self._refresh_every:
                    # Kept fresh once in use (the first load waits for the first need of it).
                    await self._directory.refresh()  # rings when an account changed meanwhile
                if rung:
                    await self.follow()
            except Exception:  # noqa: BLE001 - keep watching; the next ring or check tries again
                log.exception("could not follow slack accounts")
            rung = await self._changed.wait(self._check_every)
