"""Each rotation's webhook: its name, its signing secret (encrypted by the caller with the Vault; the
previous one until its grace ends), its outgoing URL; and the signatures already accepted."""

from __future__ import annotations

from dataclasses import dataclass

from roundrobin.db import Database, Row


@dataclass(frozen=True)
class Webhook:
    rotation_id: int
    name: str
    secret_enc: str | None
    old_secret_enc: str | None
    old_until: float | None
    secret_at: float | None
    secret_by: str | None
    url: str | None
    updated_by: str
    updated_at: float


def _hook(row: Row) -> Webhook:
    return Webhook(**{k: row[k] for k in row.keys()})  # noqa: SIM118 - sqlite3.Row has no items()


async def get(db: Database, rotation_id: int) -> Webhook | None:
    row = await db.fetchone("SELECT * FROM webhooks WHERE rotation_id = ?", (rotation_id,))
    return _hook(row) if row else None


async def save(db: Database, hook: Webhook) -> None:
    await db.execute(
        """INSERT OR REPLACE INTO webhooks (rotation_id, name, secret_enc, old_secret_enc, old_until,
               secret_at, secret_by, url, updated_by, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            hook.rotation_id,
            hook.name,
            hook.secret_enc,
            hook.old_secret_enc,
            hook.old_until,
            hook.secret_at,
            hook.secret_by,
            hook.url,
            hook.updated_by,
            hook.updated_at,
        ),
    )


async def url_of(db: Database, rotation_id: int) -> str | None:
    row = await db.fetchone("SELECT url FROM webhooks WHERE rotation_id = ?", (rotation_id,))
    return row["url"] if row else None


async def first_seen(db: Database, rotation_id: int, signature: str, expires_at: float, now: float) -> bool:
    """Remember an accepted signature until its timestamp window closes; False when it was seen
    already (a replay). Stored, so a restart does not open the window again. In a transaction."""
    await db.execute("DELETE FROM webhook_seen WHERE expires_at < ?", (now,))
    if await db.fetchone("SELECT 1 FROM webhook_seen WHERE signature = ?", (signature,)):
        return False
    await db.execute(
        "INSERT INTO webhook_seen (signature, rotation_id, expires_at) VALUES (?, ?, ?)",
        (signature, rotation_id, expires_at),
    )
    return True
