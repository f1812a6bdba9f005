import pytest
from cryptography.fernet import Fernet

from roundrobin.pagerduty.key_check import check_secret_key
from roundrobin.store import integrations as store
from roundrobin.store.integrations import Connection
from roundrobin.vault import Vault, VaultError


def oauth_connection(vault: Vault) -> Connection:
    return Connection(
        method="oauth",
        status="needs_reauth",
        region="eu",
        connected_by="U0ADMIN",
        connected_at=1.0,
        client_id="client-1",
        client_secret_enc=vault.encrypt("client-secret-value"),
        refresh_token_enc=vault.encrypt("refresh-token-value"),
    )


async def test_nothing_stored_needs_no_key(db, vault):
    await check_secret_key(db, vault, "ROUNDROBIN_SECRET_KEY", "data/roundrobin.db")


async def test_the_key_that_stored_the_connection_passes(db, vault):
    await store.save_connection(db, oauth_connection(vault))
    await check_secret_key(db, vault, "ROUNDROBIN_SECRET_KEY", "data/roundrobin.db")


async def test_another_key_is_refused_in_one_line_that_says_what_to_do(db, vault):
    await store.save_connection(db, oauth_connection(vault))
    other = Vault(Fernet.generate_key().decode())
    with pytest.raises(VaultError) as e:
        await check_secret_key(db, other, "data/secret.key", "data/roundrobin.db")
    message = str(e.value)
    assert message.startswith("the secret key (data/secret.key) is not the one that encrypted the stored")
    assert "restore it from your backup" in message and "connect PagerDuty again in Slack" in message
    assert "sqlite3 data/roundrobin.db 'DELETE FROM pagerduty_connection'" in message
    assert "\n" not in message and "client-secret-value" not in message
