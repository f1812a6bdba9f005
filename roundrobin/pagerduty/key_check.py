"""At start: does the secret key decrypt the stored PagerDuty credentials?

A wrong or rotated key would otherwise surface later, as a failed sync or a refused refresh that
looks like PagerDuty's doing. Checking one stored secret at start names the real cause at once.
"""

from __future__ import annotations

from roundrobin.db import Database
from roundrobin.store import integrations as store
from roundrobin.vault import Vault, VaultError


async def check_secret_key(db: Database, vault: Vault, key_source: str, database_path: str) -> None:
    """Raise VaultError, in one line that says what to do, if the stored connection cannot be read."""
    connection = await store.get_connection(db)
    if connection is None:
        return
    stored = (
        connection.api_key_enc
        or connection.client_secret_enc
        or connection.refresh_token_enc
        or connection.access_token_enc
    )
    if stored is None:
        return
    try:
        vault.decrypt(stored)
    except VaultError:
        raise VaultError(
            f"the secret key ({key_source}) is not the one that encrypted the stored PagerDuty credentials: "
            "start with that key again (restore it from your backup), or, if it is lost, delete the stored "
            f"connection (sqlite3 {database_path} 'DELETE FROM pagerduty_connection') and connect "
            "PagerDuty again in Slack"
        ) from None
