"""The PagerDuty connection row and the one-time OAuth login states. Secrets stay encrypted here."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields

from roundrobin.db import Database


@dataclass(frozen=True)
class Connection:
    method: str  # api_key | oauth
    status: str  # connected | needs_reauth
    region: str
    connected_by: str
    connected_at: float
    api_key_enc: str | None = None
    api_key_last4: str | None = None
    client_id: str | None = None
    client_secret_enc: str | None = None
    access_token_enc: str | None = None
    refresh_token_enc: str | None = None
    token_expires_at: float | None = None
    granted_scopes: str | None = None
    pd_account: str | None = None
    pd_user_id: str | None = None
    pd_user_name: str | None = None
    last_sync_at: float | None = None
    last_sync_ok_at: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    # Whether the credential may write to PagerDuty (covers become overrides): "yes" | "no"; None:
    # not known yet (an API key says so only by refusing a write, or accepting one).
    write_access: str | None = None


@dataclass(frozen=True)
class LoginState:
    state_hash: str
    slack_user_id: str
    region: str
    client_id: str
    client_secret_enc: str
    code_verifier_enc: str
    view_id: str | None
    created_at: float
    expires_at: float
    used_at: float | None
    start_hash: str | None = None  # the one-time link that opens the login in a browser
    authorize_url_enc: str | None = None  # where that link sends the browser (PagerDuty's consent)
    started_at: float | None = None
    browser_hash: str | None = None  # the cookie the browser that opened it got


_CONNECTION_COLUMNS = [f.name for f in fields(Connection)]


def hash_state(state: str) -> str:
    """States are stored hashed: a leaked database row cannot be replayed at the callback."""
    return hashlib.sha256(state.encode()).hexdigest()


async def get_connection(db: Database) -> Connection | None:
    row = await db.fetchone(f"SELECT {', '.join(_CONNECTION_COLUMNS)} FROM pagerduty_connection WHERE id = 1")
    return Connection(**dict(row)) if row else None


async def save_connection(db: Database, connection: Connection) -> None:
    """Replace the connection (there is one per workspace)."""
    values = [getattr(connection, c) for c in _CONNECTION_COLUMNS]
    placeholders = ", ".join("?" for _ in values)
    await db.execute(
        f"INSERT OR REPLACE INTO pagerduty_connection (id, {', '.join(_CONNECTION_COLUMNS)}) VALUES (1, {placeholders})",
        values,
    )


async def update_tokens(
    db: Database, access_token_enc: str, refresh_token_enc: str, expires_at: float, scopes: str
) -> None:
    """Store a refreshed token pair in one statement: the old refresh token is already spent."""
    await db.execute(
        """UPDATE pagerduty_connection
           SET access_token_enc = ?, refresh_token_enc = ?, token_expires_at = ?, granted_scopes = ?,
               status = 'connected'
           WHERE id = 1""",
        (access_token_enc, refresh_token_enc, expires_at, scopes),
    )


async def set_write_access(db: Database, access: str) -> None:
    """What a write to PagerDuty taught about the credential ("yes" | "no")."""
    await db.execute("UPDATE pagerduty_connection SET write_access = ? WHERE id = 1", (access,))


async def mark_needs_reauth(db: Database, error: str, at: float) -> None:
    await db.execute(
        "UPDATE pagerduty_connection SET status = 'needs_reauth', last_error = ?, last_error_at = ? WHERE id = 1",
        (error, at),
    )


async def record_sync(db: Database, at: float, error: str | None) -> None:
    """A sync finished: keep the time of the last good one, and the last error until the next success."""
    if error is None:
        await db.execute(
            """UPDATE pagerduty_connection
               SET last_sync_at = ?, last_sync_ok_at = ?, last_error = NULL, last_error_at = NULL
               WHERE id = 1""",
            (at, at),
        )
    else:
        await db.execute(
            "UPDATE pagerduty_connection SET last_sync_at = ?, last_error = ?, last_error_at = ? WHERE id = 1",
            (at, error, at),
        )


async def delete_connection(db: Database) -> bool:
    deleted = await db.execute("DELETE FROM pagerduty_connection WHERE id = 1")
    await db.execute("DELETE FROM oauth_states")
    return deleted > 0


async def insert_login_state(db: Database, state: LoginState) -> None:
    await db.execute(
        """INSERT INTO oauth_states (state_hash, slack_user_id, region, client_id, client_secret_enc,
               code_verifier_enc, view_id, created_at, expires_at, used_at, start_hash, authorize_url_enc)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            state.state_hash,
            state.slack_user_id,
            state.region,
            state.client_id,
            state.client_secret_enc,
            state.code_verifier_enc,
            state.view_id,
            state.created_at,
            state.expires_at,
            state.used_at,
            state.start_hash,
            state.authorize_url_enc,
        ),
    )


async def login_by_start(db: Database, start_hash: str) -> LoginState | None:
    row = await db.fetchone("SELECT * FROM oauth_states WHERE start_hash = ?", (start_hash,))
    return LoginState(**dict(row)) if row else None


async def bind_browser(db: Database, start_hash: str, browser_hash: str, now: float) -> bool:
    """The start link was opened: the login now belongs to that browser. False when the link was
    opened before, or the login has ended or expired (single use, race-free)."""
    changed = await db.execute(
        """UPDATE oauth_states SET started_at = ?, browser_hash = ?
           WHERE start_hash = ? AND started_at IS NULL AND used_at IS NULL AND expires_at > ?""",
        (now, browser_hash, start_hash, now),
    )
    return changed == 1


async def get_login_state(db: Database, state_hash: str) -> LoginState | None:
    row = await db.fetchone("SELECT * FROM oauth_states WHERE state_hash = ?", (state_hash,))
    return LoginState(**dict(row)) if row else None


async def claim_login_state(db: Database, state_hash: str, now: float) -> bool:
    """Mark a state used; False when it was already used or has expired (single use, race-free)."""
    changed = await db.execute(
        "UPDATE oauth_states SET used_at = ? WHERE state_hash = ? AND used_at IS NULL AND expires_at > ?",
        (now, state_hash, now),
    )
    return changed == 1


async def pending_login(db: Database, now: float) -> LoginState | None:
    """The newest login that was started, has not finished and has not expired."""
    row = await db.fetchone(
        """SELECT * FROM oauth_states WHERE used_at IS NULL AND expires_at > ?
           ORDER BY created_at DESC LIMIT 1""",
        (now,),
    )
    return LoginState(**dict(row)) if row else None


async def cancel_pending_logins(db: Database, now: float) -> None:
    await db.execute("UPDATE oauth_states SET used_at = ? WHERE used_at IS NULL", (now,))


async def purge_login_states(db: Database, older_than: float) -> None:
    await db.execute("DELETE FROM oauth_states WHERE expires_at < ?", (older_than,))
