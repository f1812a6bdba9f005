import stat

import pytest
from cryptography.fernet import Fernet

from roundrobin.vault import Vault, VaultError, load_or_create_key


def test_key_is_generated_once_with_mode_0600(tmp_path):
    path = tmp_path / "data" / "secret.key"
    key = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == key


def test_round_trip_and_ciphertext_hides_the_secret():
    vault = Vault(Fernet.generate_key().decode())
    token = vault.encrypt("u+abcdefgh1234")
    assert "abcdefgh1234" not in token
    assert vault.decrypt(token) == "u+abcdefgh1234"


def test_a_different_key_cannot_decrypt_and_says_why():
    token = Vault(Fernet.generate_key().decode()).encrypt("secret-value")
    with pytest.raises(VaultError, match="not the one it was saved with"):
        Vault(Fernet.generate_key().decode()).decrypt(token)


def test_a_damaged_key_file_is_refused(tmp_path):
    path = tmp_path / "secret.key"
    path.write_text("garbage\n")
    with pytest.raises(VaultError, match="restore it from your backup"):
        load_or_create_key(path)
