import errno
import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor

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


def test_the_key_file_is_private_whatever_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = tmp_path / "data" / "secret.key"
        load_or_create_key(path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]


def test_a_full_disk_leaves_no_key_file_and_the_next_start_makes_one(tmp_path, monkeypatch):
    path = tmp_path / "secret.key"

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(os, "fsync", disk_full)
        with pytest.raises(VaultError) as e:
            load_or_create_key(path)
    assert str(e.value) == f"cannot create {path}: No space left on device"
    assert list(tmp_path.iterdir()) == [], "no key file, and no temporary file left behind"
    key = load_or_create_key(path)
    assert path.read_text() == key + "\n"


def first_start(start: threading.Barrier, path):
    start.wait()
    return load_or_create_key(path)


def test_processes_starting_at_once_all_get_the_one_key_on_disk(tmp_path):
    for attempt in range(20):
        path = tmp_path / str(attempt) / "secret.key"
        path.parent.mkdir()
        start = threading.Barrier(8)
        with ThreadPoolExecutor(8) as pool:
            keys = set(pool.map(first_start, [start] * 8, [path] * 8))
        assert keys == {path.read_text().strip()}
        assert [p.name for p in path.parent.iterdir()] == ["secret.key"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "is empty: restore it from your backup"),
        (b"\n  \n", "is empty: restore it from your backup"),
        (b"garbage\n", "does not hold a valid key; restore it from your backup"),
        (b"\xff\xfe", "cannot be read (it is not a key): restore it from your backup"),
    ],
)
def test_an_empty_or_damaged_key_file_is_one_clear_line_and_is_kept(tmp_path, content, words):
    path = tmp_path / "secret.key"
    path.write_bytes(content)
    with pytest.raises(VaultError) as e:
        load_or_create_key(path)
    assert str(e.value).startswith(f"{path} {words}") and "\n" not in str(e.value)
    assert path.read_bytes() == content, "a damaged key is evidence: never replaced"
