"""Schema migrations, applied in order; the database's PRAGMA user_version counts how many ran.

Never edit a migration that has shipped: add a new one. Times are Unix seconds (REAL), secrets are
Fernet tokens (columns ending in _enc).
"""

MIGRATIONS: list[str] = [
    # 1: the PagerDuty connection, OAuth login states, Round Robin owners, minimal rotations, history.
    """
    CREATE TABLE pagerduty_connection (
        id                 INTEGER PRIMARY KEY CHECK (id = 1),
        method             TEXT NOT NULL CHECK (method IN ('api_key', 'oauth')),
        status             TEXT NOT NULL CHECK (status IN ('connected', 'needs_reauth')),
        region             TEXT NOT NULL CHECK (region IN ('us', 'eu')),
        api_key_enc        TEXT,
        api_key_last4      TEXT,
        client_id          TEXT,
        client_secret_enc  TEXT,
        access_token_enc   TEXT,
        refresh_token_enc  TEXT,
        token_expires_at   REAL,
        granted_scopes     TEXT,
        pd_account         TEXT,
        pd_user_id         TEXT,
        pd_user_name       TEXT,
        connected_by       TEXT NOT NULL,
        connected_at       REAL NOT NULL,
        last_sync_at       REAL,
        last_sync_ok_at    REAL,
        last_error         TEXT,
        last_error_at      REAL
    );

    CREATE TABLE oauth_states (
        state_hash         TEXT PRIMARY KEY,
        slack_user_id      TEXT NOT NULL,
        region             TEXT NOT NULL,
        client_id          TEXT NOT NULL,
        client_secret_enc  TEXT NOT NULL,
        code_verifier_enc  TEXT NOT NULL,
        view_id            TEXT,
        created_at         REAL NOT NULL,
        expires_at         REAL NOT NULL,
        used_at            REAL
    );

    CREATE TABLE owners (
        slack_user_id      TEXT PRIMARY KEY,
        added_by           TEXT NOT NULL,
        added_at           REAL NOT NULL
    );

    CREATE TABLE rotations (
        id                 INTEGER PRIMARY KEY,
        name               TEXT NOT NULL,
        code               TEXT NOT NULL UNIQUE,
        source             TEXT NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'pagerduty')),
        pd_schedule_id     TEXT,
        created_by         TEXT NOT NULL,
        created_at         REAL NOT NULL,
        updated_at         REAL NOT NULL
    );

    CREATE TABLE rotation_members (
        rotation_id        INTEGER NOT NULL REFERENCES rotations(id) ON DELETE CASCADE,
        position           INTEGER NOT NULL,
        slack_user_id      TEXT NOT NULL,
        on_duty            INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (rotation_id, position)
    );

    CREATE TABLE events (
        id                 INTEGER PRIMARY KEY,
        at                 REAL NOT NULL,
        kind               TEXT NOT NULL,
        rotation_id        INTEGER REFERENCES rotations(id) ON DELETE SET NULL,
        actor              TEXT,
        detail             TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX events_by_rotation ON events (rotation_id, at);
    """,
]
