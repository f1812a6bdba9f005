"""Calendar feeds: each person's subscription link (every duty of theirs, in every rotation, covers and
swaps included) and each rotation's (everyone's shifts), 30 days back and 90 ahead.

A link's secret is an HMAC, with a key derived from the app's secret key, of the feed and a random
salt kept with it: Settings can show the link again, and whoever reads the database alone cannot
make it. Only the secret's SHA-256 is looked up. Reset gives the feed a new salt: the old link is
unknown at once.

Calendar apps poll every few minutes. A feed is rendered once and kept until anything in the
database changes (SQLite's count of changes on the app's one connection says so), the day turns, or
a few minutes pass; its ETag is the hash of its bytes, so an unchanged feed is a 304. A request for a
kept feed asks the database nothing: the links are known in memory once looked up (all of them
forgotten at a reset, so the old link is a 404 at once).
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from roundrobin.access import Access
from roundrobin.db import Database
from roundrobin.feeds import ics
from roundrobin.feeds.duties import Duty, of_person
from roundrobin.feeds.gather import gather, names
from roundrobin.pagerduty.people import PeopleLinks
from roundrobin.rotations.errors import NotAllowed
from roundrobin.rotations.model import Rotation
from roundrobin.store import feeds as store
from roundrobin.store import rotations as rotation_store

DAY = 86400.0
BACK = 30 * DAY
AHEAD = 90 * DAY
KEEP = 300.0  # a rendered feed is rebuilt at least this often, whatever the database says
PATH = "/calendar/"
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
MAX_ROTATIONS = 500  # a person's feed covers at most this many rotations
MAX_KEPT = 256  # rendered feeds kept in memory (the least recently made go first)


@dataclass(frozen=True)
class Rendered:
    body: bytes
    etag: str  # quoted, as the header carries it
    gzipped: bytes  # the same, for the calendar apps that take gzip (about a tenth of the bytes)

    @property
    def gzip_etag(self) -> str:
        """Another representation, another tag (RFC 9110 §8.8.3)."""
        return self.etag[:-1] + '-gz"'


@dataclass
class _Kept:
    version: tuple[int, int]
    made_at: float
    rendered: Rendered


class CalendarFeeds:
    def __init__(
        self,
        db: Database,
        key: bytes,
        public_url: str,
        slack_link: str,
        access: Access,
        people: PeopleLinks,
        clock: Callable[[], float],
    ):
        self._db = db
        self._key = key
        self._base = public_url.rstrip("/")
        self._host = urlsplit(self._base).hostname or "roundrobin"
        self._slack_link = slack_link
        self._access = access
        self._people = people
        self._clock = clock
        self._kept: dict[int, _Kept] = {}
        self._known: dict[str, store.Feed] = {}  # token hash → its feed (forgotten at every reset)
        self._resets = 0  # a lookup that began before a reset must not remember what it found
        # Each rotation's duties, for the version they were read at: the people of a rotation share them.
        self._projected: tuple[tuple[int, int], float, dict[int, list[Duty]]] = ((-1, -1), 0.0, {})
        self._locks: dict[int, asyncio.Lock] = {}

    # --- links -------------------------------------------------------------------------------------

    async def person_link(self, person: str) -> str:
        """The person's feed link (made the first time it is asked for)."""
        feed = await store.of_person(self._db, person)
        return self._url(feed) if feed else await self._put(person, None, person)

    async def rotation_link(self, rotation_id: int) -> str:
        feed = await store.of_rotation(self._db, rotation_id)
        return self._url(feed) if feed else await self._put(None, rotation_id, None)

    async def reset_person(self, person: str) -> str:
        """A new link for the person's feed; the old one stops working at once."""
        return await self._put(person, None, person)

    async def reset_rotation(self, rotation_id: int, actor: str) -> str:
        """A new link for the rotation's feed, by whoever may edit the rotation."""
        rotation = await rotation_store.get(self._db, rotation_id)
        if rotation is None:
            raise NotAllowed("That rotation no longer exists.")
        await self._access.require_edit(actor, rotation)
        return await self._put(None, rotation_id, actor)

    async def _put(self, person: str | None, rotation_id: int | None, by: str | None) -> str:
        salt = secrets.token_hex(16)
        token = self._token(person, rotation_id, salt)
        async with self._db.transaction():
            await store.put(self._db, person, rotation_id, salt, _hash(token), by, self._clock())
        self._resets += 1
        self._known.clear()  # the old link is unknown from now on
        return f"{self._base}{PATH}{token}.ics"

    def _url(self, feed: store.Feed) -> str:
        return f"{self._base}{PATH}{self._token(feed.person, feed.rotation_id, feed.salt)}.ics"

    def _token(self, person: str | None, rotation_id: int | None, salt: str) -> str:
        message = f"person:{person}" if person is not None else f"rotation:{rotation_id}"
        digest = hmac.new(self._key, f"{message}:{salt}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    # --- serving -----------------------------------------------------------------------------------

    async def render(self, token: str) -> Rendered | None:
        """The feed this token opens, or None (no such feed: a made-up or reset link)."""
        if not TOKEN.fullmatch(token):
            return None
        # Read first: a write after this makes the next request render again, never the reverse.
        now = self._clock()
        version = (self._db.changes(), int(now // DAY))
        token_hash, resets = _hash(token), self._resets
        feed = self._known.get(token_hash) or await store.by_token_hash(self._db, token_hash)
        if feed is None:
            return None
        if resets != self._resets:
            return None  # reset while it was looked up: the link it found is no longer the feed's
        self._known[token_hash] = feed
        kept = self._kept.get(feed.id)
        if kept and kept.version == version and now - kept.made_at < KEEP:
            return kept.rendered
        async with self._locks.setdefault(feed.id, asyncio.Lock()):  # one render at a time per feed
            kept = self._kept.get(feed.id)
            if kept and kept.version == version and now - kept.made_at < KEEP:
                return kept.rendered
            body = await self._body(feed, now, version)
            if body is None:  # its rotation was deleted (and the feed with it)
                self._known.pop(token_hash, None)
                return None
            etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
            rendered = Rendered(body, etag, gzip.compress(body, compresslevel=6, mtime=0))
            self._kept[feed.id] = _Kept(version, now, rendered)
            if len(self._kept) > MAX_KEPT:
                del self._kept[min(self._kept, key=lambda k: self._kept[k].made_at)]
            return rendered

    async def _body(self, feed: store.Feed, now: float, version: tuple[int, int]) -> bytes | None:
        start = (now - BACK) // DAY * DAY
        end = (now + AHEAD) // DAY * DAY + DAY
        if feed.rotation_id is not None:
            rotation = await rotation_store.get(self._db, feed.rotation_id)
            if rotation is None:
                return None
            rotations = [rotation]
        else:
            assert feed.person is not None
            rotations, _ = await rotation_store.page(self._db, 0, MAX_ROTATIONS, member=feed.person)
        found = await self._duties(rotations, now, start, end, version)
        duties: list[Duty] = [d for r in rotations for d in found[r.id]]
        if feed.person is not None:
            duties = of_person(duties, feed.person)
        named = await names(
            self._db, {p for d in duties for p in (*d.people, *d.before, *d.after)} | _noted(duties)
        )
        titled = {r.id: _titled(r) for r in rotations}
        if feed.person is not None:
            title = (await names(self._db, {feed.person}))[feed.person]
        else:
            title = titled[rotations[0].id].title
        return ics.feed(
            title,
            duties,
            titled,
            lambda p: named.get(p, p),
            self._slack_link,
            self._host,
            person=feed.person,
        )

    async def _duties(
        self, rotations: list[Rotation], now: float, start: float, end: float, version: tuple[int, int]
    ) -> dict[int, list[Duty]]:
        """The rotations' duties in the window, each rotation projected once a version."""
        kept_version, made_at, kept = self._projected
        if kept_version != version or now - made_at >= KEEP:
            kept = {}
            self._projected = (version, now, kept)
        missing = [r for r in rotations if r.id not in kept]
        if missing:
            kept.update(await gather(self._db, self._people, missing, now, start, end))
        return {r.id: kept[r.id] for r in rotations}


def _titled(rotation: Rotation) -> ics.Titled:
    return ics.Titled(rotation.name, rotation.code, rotation.updated_at or rotation.created_at)


def _noted(duties: list[Duty]) -> set[str]:
    """The words of the duties' notes that may be people ("U1 covers U2")."""
    return {word for d in duties for note in d.notes for word in note.split(" ") if word[:1].isupper()}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
