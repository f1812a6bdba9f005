"""Gathers the Load tab of a person's App Home: a page of the report, and a signed link to its CSV."""

from __future__ import annotations

import time
from collections.abc import Callable

from roundrobin.links import SignedLinks
from roundrobin.rotations.load import PERIODS
from roundrobin.rotations.load_report import LoadReports
from roundrobin.slack.views.blocks import Block
from roundrobin.slack.views.load import PAGE_SIZE, LoadView, load_blocks

CSV_PATH = "/load.csv"
LINK_LASTS = 86400.0  # a day: the Home makes a new one each time it is shown


class LoadHome:
    def __init__(
        self,
        reports: LoadReports,
        links: SignedLinks,
        public_url: str,
        clock: Callable[[], float] = time.time,
    ):
        self._reports = reports
        self._links = links
        self._public_url = public_url.rstrip("/")
        self._clock = clock
        self.days: dict[str, int] = {}  # the period each person last chose

    async def blocks(self, user_id: str, page: int) -> list[Block]:
        days = self.days.get(user_id, PERIODS[0])
        found = await self._reports.page(days, page, PAGE_SIZE)
        return load_blocks(LoadView(found, self.csv_link(user_id, days)))

    def csv_link(self, user_id: str, days: int) -> str:
        """A link to the report as CSV, for this person, that works for a day."""
        path = self._links.sign(CSV_PATH, {"days": str(days), "for": user_id}, self._clock() + LINK_LASTS)
        return self._public_url + path
