"""The timeline page behind a signed link: "Open calendar" in a rotation's Details makes one for the
person who asked, good for a day; the page's own previous/next links are signed to the same expiry.
No other login: whoever holds the link sees the rotation's names and shifts, nothing else."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from roundrobin.db import Database
from roundrobin.feeds import page
from roundrobin.feeds.gather import gather, names
from roundrobin.links import EXPIRES, LinkRefused, SignedLinks
from roundrobin.pagerduty.people import PeopleLinks
from roundrobin.rotations.schedule import zone
from roundrobin.store import rotations as rotation_store

PATH = "/timeline"
LASTS = 86400.0  # a link from Slack works for a day
DAYS = 14  # two weeks a screen
REACH = 366  # days before and after today one may page to
_ID = re.compile(r"[1-9][0-9]{0,11}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

NOT_MADE = (
    "This link is not one Round Robin made",
    "It may have been copied wrongly or changed. Open the rotation's Details in Round Robin in Slack and press "
    "Open calendar for a link of your own.",
)
EXPIRED = (
    "This link has expired",
    "Timeline links work for a day. Open the rotation's Details in Round Robin in Slack and press Open calendar "
    "for a new one.",
)
GONE = (
    "That rotation no longer exists",
    "It was deleted. Round Robin in Slack lists the rotations there are.",
)


@dataclass(frozen=True)
class Page:
    status: int
    html: str


class TimelinePages:
    def __init__(
        self,
        db: Database,
        links: SignedLinks,
        public_url: str,
        slack_link: str,
        people: PeopleLinks,
        clock: Callable[[], float],
    ):
        self._db = db
        self._links = links
        self._base = public_url.rstrip("/")
        self._slack_link = slack_link
        self._people = people
        self._clock = clock

    def link(self, rotation_id: int, viewer: str) -> str:
        """The page of this rotation, from this fortnight, for `viewer`, for a day."""
        params = {"rotation": str(rotation_id), "for": viewer}
        return self._base + self._links.sign(PATH, params, self._clock() + LASTS)

    async def page(self, query: Mapping[str, str]) -> Page:
        now = self._clock()
        try:
            params = self._links.check(PATH, query, now)
        except LinkRefused as refused:
            return (
                self._refused(403, *NOT_MADE) if refused.reason == "invalid" else self._refused(410, *EXPIRED)
            )
        rotation_id = params.get("rotation", "")
        if not _ID.fullmatch(rotation_id):
            return self._refused(403, *NOT_MADE)
        rotation = await rotation_store.get(self._db, int(rotation_id))
        if rotation is None:
            return self._refused(404, *GONE)
        tz = zone(rotation.schedule.tz)
        today = datetime.fromtimestamp(now, tz).date()
        first = _monday(_date(params.get("from")) or today)
        if abs((first - today).days) > REACH:
            first = _monday(today)
        start = datetime.combine(first, time(0), tz).timestamp()
        end = datetime.combine(first + timedelta(days=DAYS), time(0), tz).timestamp()
        duties = (await gather(self._db, self._people, [rotation], now, start, end))[rotation.id]
        people = list(dict.fromkeys([*rotation.members, *(p for d in duties for p in d.people)]))
        expires = float(query[EXPIRES])

        def near(days: int) -> str | None:
            day = first + timedelta(days=days)
            if abs((day - today).days) > REACH:
                return None
            return self._base + self._links.sign(PATH, {**params, "from": day.isoformat()}, expires)

        view = page.TimelineView(
            title=f"{rotation.name} ({rotation.code})",
            tz=tz,
            tz_name=rotation.schedule.tz,
            first=first,
            days=DAYS,
            now=now,
            people=people,
            names=await names(self._db, set(people)),
            duties=duties,
            previous=near(-DAYS),
            next=near(DAYS),
            today=near((_monday(today) - first).days) if first != _monday(today) else None,
            slack_link=self._slack_link,
            expires=expires,
        )
        return Page(200, page.render(view))

    def _refused(self, status: int, title: str, message: str) -> Page:
        return Page(status, page.refused(title, message, self._slack_link))


def _date(text: str | None) -> date | None:
    if not text or not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())
