"""Who is in the Slack workspace: a cached users.list, kept current by users.info and user_change.

Email → Slack user for matching PagerDuty people (never one users.lookupByEmail per person per
sync), names for plain-text words, and whether Slack takes a person in a user group (deactivated
accounts, bots and guests it does not). When what it knows about someone's account changes in a way
that matters to a rotation, it rings `changed` (the rotations follow: see slack/accounts.py).

Reloading users.list is the expensive part (Tier 2, 200 people a call): reloads have a floor (one
at a time, at most one every RELOAD_FLOOR seconds), and ids someone sent are never a reason for
one. Ids that are not well-formed are never looked up; at most MAX_LOOKUP ids are read from the
cache per call and at most LOOKUPS_PER_CHECK newcomers asked with users.info, and ids Slack did not
know are remembered for a while, so made-up ids cost next to nothing.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.background import Doorbell
from roundrobin.db import Database
from roundrobin.rotations.status import base_emoji
from roundrobin.slack.views.blocks import is_id
from roundrobin.slack.views.sending import Name
from roundrobin.store import directory as store
from roundrobin.store.directory import SlackUser
from roundrobin.store.pagerduty import get_meta, set_meta

log = logging.getLogger(__name__)

REFRESHED_AT = "slack_directory_refreshed_at"
LOOKUPS_PER_CHECK = 20  # newcomers asked for one by one (users.info, Tier 4) per call
MAX_LOOKUP = 100  # ids read per call: no form holds more people than Slack's pickers (100)
RELOAD_FLOOR = 300.0  # seconds between two users.list reloads, whatever asks for them
UNKNOWN_FOR = 600.0  # an id Slack did not know is not asked about again for this long
UNKNOWN_KEPT = 10_000  # …and at most this many such ids are remembered
RECHECK_AT_ONCE = 50  # ids checked afresh after a refused group update


class SlackDirectory:
    """Reloaded every few hours (and when an email that was not missing before misses), never more
    often than the floor allows."""

    def __init__(
        self,
        client: AsyncWebClient,
        db: Database,
        clock: Callable[[], float] = time.time,
        refresh_every: float = 6 * 3600,
        miss_cooldown: float = 600,
        reload_floor: float = RELOAD_FLOOR,
        changed: Doorbell | None = None,
    ):
        self._client = client
        self._db = db
        self._clock = clock
        self._refresh_every = refresh_every
        self._miss_cooldown = miss_cooldown
        self._reload_floor = reload_floor
        self._changed = changed or Doorbell()  # someone's account changed in a way rotations follow
        self._known_misses: set[str] = set()
        self._unknown: OrderedDict[str, float] = OrderedDict()  # id → when Slack said it did not know it
        self._reloading = asyncio.Lock()
        self._reload_tried_at = 0.0  # the floor counts from attempts: a failing users.list is not hammered
        self.reads = 0  # Slack read calls made, for the benchmark

    # --- reading ------------------------------------------------------------------------------

    async def match(self, emails: Iterable[str]) -> dict[str, str]:
        """Lower-cased email → Slack user id for every email found (active people only)."""
        wanted = {e.lower() for e in emails if e}
        age = await self.age()
        if age > self._refresh_every and await self.refresh():
            age = 0
        found = await store.by_emails(self._db, wanted)
        missing = wanted - found.keys()
        if missing - self._known_misses and age > self._miss_cooldown and await self.refresh():
            found = await store.by_emails(self._db, wanted)
            missing = wanted - found.keys()
        self._known_misses = missing
        return found

    async def people(self, user_ids: Iterable[str]) -> dict[str, SlackUser]:
        """Slack user id → the person, for the ids Slack knows: the cache first (reloaded when it was
        never loaded or is stale), then a few newcomers one by one (users.info, side by side).

        Only the first MAX_LOOKUP well-formed ids are looked up; callers apply their own limits first.
        """
        wanted = list(dict.fromkeys(u for u in user_ids if is_id("user", u)))[:MAX_LOOKUP]
        found = await store.by_ids(self._db, wanted)
        missing = [u for u in wanted if u not in found]
        if missing and await self.age() > self._refresh_every and await self.refresh():
            found = await store.by_ids(self._db, wanted)
            missing = [u for u in wanted if u not in found]
        ask = [u for u in missing if not self._known_unknown(u)][:LOOKUPS_PER_CHECK]
        learned = [u for u in await asyncio.gather(*(self._lookup(u) for u in ask)) if u]
        if learned:
            await self._learn(learned)
            found.update({u.id: u for u in learned})
        return found

    async def names(self, user_ids: Iterable[str]) -> dict[str, Name]:
        """Slack user id → name and handle: the words for people in plain text (topics, _TEXTONLY)."""
        people = await self.people(user_ids)
        return {u: Name(p.real_name or p.name, p.name) for u, p in people.items()}

    async def loaded(self) -> bool:
        """Whether users.list was ever read in full."""
        return await get_meta(self._db, REFRESHED_AT) is not None

    async def age(self) -> float:
        """Seconds since users.list was last read in full."""
        return self._clock() - float(await get_meta(self._db, REFRESHED_AT) or 0)

    # --- learning -----------------------------------------------------------------------------

    async def learn(self, member: object) -> SlackUser | None:
        """A user object Slack sent (the user_change event). It is stored as it is when nothing that
        matters to a rotation changed (a name, a status); when someone's account changed (deactivated,
        reactivated, now a guest), users.info is asked first: events may arrive out of order."""
        person = _user(member) if isinstance(member, dict) else None
        if person is None:
            return None
        known = (await store.by_ids(self._db, [person.id])).get(person.id)
        if known is not None and known.why_unavailable != person.why_unavailable:
            try:
                confirmed = await self._lookup(person.id)
            except SlackApiError:
                confirmed = person  # Slack cannot answer now: the event is the best word there is
            person = confirmed or replace(known, missing=True)
        await self._learn([person])
        return person

    async def recheck(self, user_ids: Iterable[str]) -> dict[str, str]:
        """Ask Slack afresh about these people (users.info each, side by side; a refused group update
        names no one, so this is how Round Robin learns who it was). Returns id → why Slack keeps them
        out of user groups, for those it does."""
        ids = list(dict.fromkeys(u for u in user_ids if is_id("user", u)))[:RECHECK_AT_ONCE]
        answers = await asyncio.gather(*(self._lookup(u) for u in ids))
        seen = [a or SlackUser(u, "", missing=True) for u, a in zip(ids, answers, strict=True)]
        await self._learn(seen, keep_missing=True)
        kept_out = {p.id: why for p in seen if (why := p.why_unavailable)}
        if kept_out:
            self._changed.ring()  # a group still wants them: the rotations follow what Slack said
        return kept_out

    async def refresh(self) -> bool:
        """Reload the whole directory with users.list (200 people a call), unless one ran (or was
        tried) less than the floor ago; one at a time. True when the directory was reloaded."""
        started = self._clock()
        async with self._reloading:
            if self._reload_tried_at and self._reload_tried_at + self._reload_floor > started:
                return False  # another caller just did (or tried): its answer is what there is
            self._reload_tried_at = self._clock()
            users = await self._list_everyone()
            if users is None:
                return False
            before = await self._availability()
            now = self._clock()
            await store.replace_all(self._db, users, now)
            await set_meta(self._db, REFRESHED_AT, str(now))
            self._unknown.clear()
            if before != await self._availability():
                self._changed.ring()
            log.info("slack directory refreshed", extra={"people": len(users), "calls": self.reads})
            return True

    async def _list_everyone(self) -> list[SlackUser] | None:
        users: list[SlackUser] = []
        cursor = None
        try:
            while True:
                self.reads += 1
                page = await self._client.users_list(limit=200, cursor=cursor)
                members: list[object] = page.get("members", [])
                users += [u for m in members if (u := _user(m))]
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return users
        except SlackApiError as e:
            log.warning(
                "users.list failed; keeping the cached directory", extra={"error": e.response.get("error")}
            )
            return None

    async def _learn(self, people: list[SlackUser], keep_missing: bool = False) -> None:
        """Store what Slack said about these people; ring when someone's account changed. An id Slack
        does not know is stored only when it was known, or a rotation has it (`keep_missing`)."""
        before = await store.unavailable(self._db, [p.id for p in people])
        known = await store.by_ids(self._db, [p.id for p in people])
        keep = [p for p in people if not p.missing or keep_missing or p.id in known]
        await store.upsert(self._db, keep, self._clock())
        if any(before.get(p.id) != p.why_unavailable for p in keep if p.id in known or p.why_unavailable):
            self._changed.ring()

    async def _availability(self) -> dict[str, str]:
        rows = await self._db.fetchall("SELECT id FROM slack_directory")
        return await store.unavailable(self._db, [r[0] for r in rows])

    async def _lookup(self, user_id: str) -> SlackUser | None:
        """users.info for one person; None when Slack does not know the id (remembered a while)."""
        try:
            self.reads += 1
            user = _user((await self._client.users_info(user=user_id))["user"])
        except SlackApiError as e:
            if e.response.get("error") in ("user_not_found", "invalid_user", "user_not_visible"):
                self._remember_unknown(user_id)
                return None
            raise
        return user

    def _known_unknown(self, user_id: str) -> bool:
        at = self._unknown.get(user_id)
        if at is None:
            return False
        if self._clock() - at > UNKNOWN_FOR:
            del self._unknown[user_id]
            return False
        return True

    def _remember_unknown(self, user_id: str) -> None:
        self._unknown[user_id] = self._clock()
        self._unknown.move_to_end(user_id)
        while len(self._unknown) > UNKNOWN_KEPT:
            self._unknown.popitem(last=False)


def _user(member: object) -> SlackUser | None:
    """A Slack user object as the directory keeps it; None when it is not one (no well-formed id)."""
    if not isinstance(member, dict) or not is_id("user", member.get("id")):
        return None
    found = member.get("profile")
    profile: dict[str, Any] = found if isinstance(found, dict) else {}

    def text(value: object) -> str | None:
        return value[:200] if isinstance(value, str) and value else None

    return SlackUser(
        id=member["id"],
        name=text(member.get("name")) or "",
        real_name=text(member.get("real_name")) or text(profile.get("real_name")),
        email=text(profile.get("email")),
        is_bot=member.get("is_bot") is True or member.get("id") == "USLACKBOT",
        deleted=member.get("deleted") is True,
        is_restricted=member.get("is_restricted") is True,
        is_ultra_restricted=member.get("is_ultra_restricted") is True,
        **_status(profile),
        tz=_tz(member.get("tz")),
    )


def _tz(value: object) -> str | None:
    """The person's time zone name (users.list `tz`, "Europe/London"), when it looks like one: it
    is only ever looked up in the zone database (rotations/load.py falls back when it is unknown)."""
    if isinstance(value, str) and 0 < len(value) <= 64 and re.fullmatch(r"[A-Za-z0-9_+\-/]+", value):
        return value
    return None


def _status(profile: dict) -> dict:
    """The person's Slack status as the directory keeps it: its emoji (skin tone left out; nothing
    unless well-formed) and when it expires (profile.status_expiration: Unix seconds, 0 never)."""
    emoji = base_emoji(profile.get("status_emoji"))
    expiration = profile.get("status_expiration")
    if isinstance(expiration, bool) or not isinstance(expiration, int | float) or not 0 <= expiration < 2**40:
        expiration = 0
    return {"status_emoji": emoji, "status_expiration": float(expiration) if emoji else None}
