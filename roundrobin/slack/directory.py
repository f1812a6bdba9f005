"""Email → Slack user, from a cached users.list (never one users.lookupByEmail per person per sync)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.db import Database
from roundrobin.slack.views.blocks import is_id
from roundrobin.store import directory as store
from roundrobin.store.directory import SlackUser
from roundrobin.store.pagerduty import get_meta, set_meta

log = logging.getLogger(__name__)

REFRESHED_AT = "slack_directory_refreshed_at"
LOOKUPS_PER_CHECK = 20


class SlackDirectory:
    """Refreshed every few hours, and sooner when an email that was not missing before misses."""

    def __init__(
        self,
        client: AsyncWebClient,
        db: Database,
        clock: Callable[[], float] = time.time,
        refresh_every: float = 6 * 3600,
        miss_cooldown: float = 600,
    ):
        self._client = client
        self._db = db
        self._clock = clock
        self._refresh_every = refresh_every
        self._miss_cooldown = miss_cooldown
        self._known_misses: set[str] = set()
        self.reads = 0  # Slack read calls made, for the benchmark

    async def match(self, emails: Iterable[str]) -> dict[str, str]:
        """Lower-cased email → Slack user id for every email found."""
        wanted = {e.lower() for e in emails if e}
        refreshed_at = float(await get_meta(self._db, REFRESHED_AT) or 0)
        age = self._clock() - refreshed_at
        if age > self._refresh_every:
            await self.refresh()
            age = 0
        found = await store.by_emails(self._db, wanted)
        missing = wanted - found.keys()
        if missing - self._known_misses and age > self._miss_cooldown:
            await self.refresh()
            found = await store.by_emails(self._db, wanted)
            missing = wanted - found.keys()
        self._known_misses = missing
        return found

    async def people(self, user_ids: Iterable[str]) -> dict[str, SlackUser]:
        """Slack user id → the person, for the ids Slack knows: the cache first; a few newcomers are
        asked for one by one (users.info, side by side), many at once reload the directory."""
        wanted = set(user_ids)
        found = await store.by_ids(self._db, wanted)
        missing = sorted(wanted - found.keys())
        if len(missing) > LOOKUPS_PER_CHECK:
            await self.refresh()
            found = await store.by_ids(self._db, wanted)
            missing = sorted(wanted - found.keys())
        learned = [
            u for u in await asyncio.gather(*(self._lookup(u) for u in missing[:LOOKUPS_PER_CHECK])) if u
        ]
        if learned:
            await store.upsert(self._db, learned, self._clock())
            found.update({u.id: u for u in learned})
        return found

    async def names(self, user_ids: Iterable[str]) -> dict[str, dict]:
        """Slack user id → {"name", "handle"}: the words for people in plain text (topics, _TEXTONLY)."""
        people = await self.people(u for u in user_ids if is_id("user", u))
        return {u: {"name": p.real_name or p.name, "handle": p.name} for u, p in people.items()}

    async def _lookup(self, user_id: str) -> SlackUser | None:
        try:
            return _user((await self._client.users_info(user=user_id))["user"])
        except SlackApiError as e:
            if e.response.get("error") in ("user_not_found", "invalid_user"):
                return None
            raise

    async def refresh(self) -> int:
        """Reload the whole directory with users.list (200 people per call)."""
        users: list[SlackUser] = []
        cursor = None
        try:
            while True:
                self.reads += 1
                page = await self._client.users_list(limit=200, cursor=cursor)
                users += [_user(m) for m in page.get("members", [])]
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except SlackApiError as e:
            log.warning(
                "users.list failed; keeping the cached directory", extra={"error": e.response.get("error")}
            )
            return 0
        now = self._clock()
        await store.replace_all(self._db, users, now)
        await set_meta(self._db, REFRESHED_AT, str(now))
        log.info("slack directory refreshed", extra={"people": len(users), "calls": self.reads})
        return len(users)


def _user(member: dict) -> SlackUser:
    profile = member.get("profile") or {}
    return SlackUser(
        id=member["id"],
        name=member.get("name", ""),
        real_name=member.get("real_name") or profile.get("real_name"),
        email=profile.get("email"),
        is_bot=bool(member.get("is_bot") or member.get("id") == "USLACKBOT"),
        deleted=bool(member.get("deleted")),
    )
