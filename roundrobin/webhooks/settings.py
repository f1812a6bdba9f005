"""What managers set in a rotation's Details › Webhooks: the webhook's name (history says "by
webhook (name)"), its signing secret (made here, shown once, rotated with a grace period for the
old one, or removed), and the URL its duty changes are posted to."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from roundrobin.access import Access
from roundrobin.background import Doorbell
from roundrobin.db import Database
from roundrobin.rotations.errors import DraftError, NotAllowed
from roundrobin.rotations.model import Rotation
from roundrobin.rotations.webhook_actor import DEFAULT_NAME, NAME_PATTERN
from roundrobin.store import events, webhook_outbox, webhooks
from roundrobin.store import rotations as rotation_store
from roundrobin.store.webhook_outbox import Delivery
from roundrobin.store.webhooks import Webhook
from roundrobin.vault import Vault
from roundrobin.webhooks.addresses import RefusedURL, check_url
from roundrobin.webhooks.signing import new_secret

PATH = "/api/webhooks/rotations/{code}"
KEEP, NEW, REMOVE = "keep", "new", "remove"
GRACES = (0, 3600, 86400, 7 * 86400)  # how long a rotated secret keeps working


@dataclass(frozen=True)
class HookState:
    """A rotation's webhooks as Details and the form show them (never the secret itself)."""

    endpoint: str
    name: str = DEFAULT_NAME
    has_secret: bool = False
    secret_at: float | None = None
    secret_by: str | None = None
    old_until: float | None = None  # the previous secret works until then
    url: str | None = None
    deliveries: tuple[Delivery, ...] = ()
    pending: int = 0
    now: float = 0.0


@dataclass(frozen=True)
class HookChange:
    name: str
    url: str  # "": posts nowhere
    secret: str  # keep | new | remove
    grace: int = 0  # seconds the secret being replaced keeps working


class WebhookSettings:
    def __init__(
        self,
        db: Database,
        vault: Vault,
        access: Access,
        public_url: str,
        allow_private: bool,
        posted: Doorbell,
        clock: Callable[[], float] = time.time,
    ):
        self._db = db
        self._vault = vault
        self._access = access
        self._public_url = public_url
        self._allow_private = allow_private
        self._posted = posted
        self._clock = clock

    def endpoint(self, rotation: Rotation) -> str:
        return self._public_url + PATH.format(code=rotation.code)

    async def state(self, rotation: Rotation) -> HookState:
        hook = await webhooks.get(self._db, rotation.id)
        endpoint = self.endpoint(rotation)
        if hook is None:
            return HookState(endpoint, now=self._clock())
        return HookState(
            endpoint=endpoint,
            name=hook.name,
            has_secret=hook.secret_enc is not None,
            secret_at=hook.secret_at,
            secret_by=hook.secret_by,
            old_until=hook.old_until if hook.old_secret_enc else None,
            url=hook.url,
            deliveries=tuple(await webhook_outbox.deliveries(self._db, rotation.id)),
            pending=await webhook_outbox.pending_count(self._db, rotation.id),
            now=self._clock(),
        )

    async def save(self, rotation_id: int, actor: str, change: HookChange) -> str | None:
        """Apply the form; the new secret when one was made (to show once), else None."""
        await self._access.require_manage(actor)
        name = change.name.strip() or DEFAULT_NAME
        if not NAME_PATTERN.fullmatch(name):
            raise DraftError({"name": "Use up to 40 letters, digits, spaces, dots, hyphens and underscores."})
        url = change.url.strip()
        if url:
            try:
                await check_url(url, self._allow_private)  # before the transaction: it asks DNS
            except RefusedURL as refused:
                raise DraftError({"url": f"{refused} Round Robin does not post there."}) from None
        now = self._clock()
        made = None
        async with self._db.transaction():
            rotation = await rotation_store.get(self._db, rotation_id)
            if rotation is None:
                raise NotAllowed("That rotation no longer exists.")
            hook = await webhooks.get(self._db, rotation_id) or Webhook(
                rotation_id, name, None, None, None, None, None, None, actor, now
            )
            secret = change.secret
            if secret == KEEP and hook.secret_enc is None and url:
                secret = NEW  # events out are signed: the first URL brings the first secret
            if secret == REMOVE and url:
                raise DraftError({"url": "Events are signed with the secret: keep one, or clear the URL."})
            if secret == NEW:
                made = new_secret()
                grace = change.grace if change.grace in GRACES else 0
                keep_old = hook.secret_enc is not None and grace > 0
                hook = Webhook(
                    rotation_id,
                    name,
                    self._vault.encrypt(made),
                    hook.secret_enc if keep_old else None,
                    now + grace if keep_old else None,
                    now,
                    actor,
                    url or None,
                    actor,
                    now,
                )
            elif secret == REMOVE:
                hook = Webhook(rotation_id, name, None, None, None, None, None, None, actor, now)
            else:
                hook = Webhook(
                    rotation_id,
                    name,
                    hook.secret_enc,
                    hook.old_secret_enc,
                    hook.old_until,
                    hook.secret_at,
                    hook.secret_by,
                    url or None,
                    actor,
                    now,
                )
            await webhooks.save(self._db, hook)
            if not url:
                await webhook_outbox.drop(self._db, rotation_id)
            await events.record(
                self._db,
                "webhook.changed",
                now,
                actor,
                rotation_id,
                secret=secret,
                grace=change.grace if secret == NEW else None,
                posts=bool(url),
            )
        self._posted.ring()
        return made
