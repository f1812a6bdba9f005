"""Encrypt and decrypt stored secrets (Fernet: AES-128-CBC + HMAC-SHA256)."""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import os
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from roundrobin import logs


class VaultError(Exception):
    """The secret key is missing, unusable, or not the one the data was encrypted with."""


def is_valid_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (binascii.Error, ValueError):
        return False


def load_or_create_key(path: Path) -> str:
    """Read the generated key file, creating it (mode 0600) the first time.

    The file appears complete or not at all: the key is written to a temporary file in the same
    folder, flushed to disk, then linked into place. A full disk therefore leaves no key file (the
    next start makes one) rather than an empty one, and of two processes starting at once, the
    second to link finds the first one's key and uses it.
    """
    key = _read_key(path)
    if key is not None:
        return key
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return _create_key(path)
    except PermissionError:
        raise VaultError(
            f"cannot create {path}: the data directory {path.parent} is not writable by this user"
        ) from None
    except OSError as e:
        raise VaultError(f"cannot create {path}: {e.strerror or e}") from None


def _read_key(path: Path) -> str | None:
    """The key in an existing file; None when there is no file."""
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) else "it is not a key"
        raise VaultError(f"{path} cannot be read ({reason}): restore it from your backup") from None
    key = text.strip()
    if not key:
        raise VaultError(
            f"{path} is empty: restore it from your backup (on a new installation with nothing stored "
            "yet, delete it and start again)"
        )
    if not is_valid_key(key):
        raise VaultError(f"{path} does not hold a valid key; restore it from your backup")
    return key


def _create_key(path: Path) -> str:
    key = Fernet.generate_key().decode()
    fd, temp = tempfile.mkstemp(prefix=".secret.key.", dir=path.parent)  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(key + "\n")
            f.flush()
            os.fsync(f.fileno())
        _place(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    _fsync_dir(path.parent)
    # Another process may have linked its key first: whatever is in the file is the key.
    return _read_key(path) or key


def _place(temp: str, path: Path) -> None:
    """Put the finished file at `path` without replacing one that is already there."""
    try:
        os.link(temp, path)
    except FileExistsError:
        pass  # another process got there first; its key is complete, and it wins
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        # No hard links on this filesystem: rename is still atomic, but only nearly no-replace.
        if not path.exists():
            os.replace(temp, path)


def _fsync_dir(folder: Path) -> None:
    """Make the new directory entry durable, so a crash cannot lose a key already in use."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Vault:
    def __init__(self, key: str):
        if not is_valid_key(key):
            raise VaultError("the secret key is not a valid Fernet key")
        self._fernet = Fernet(key.encode())
        self._key = base64.urlsafe_b64decode(key.encode())

    def derived_key(self, purpose: str) -> bytes:
        """A key of its own for one purpose (signing links, …), derived from the secret key with
        HKDF: whatever leaks of it says nothing of the key that encrypts the stored secrets."""
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"roundrobin:" + purpose.encode())
        return hkdf.derive(self._key)

    def encrypt(self, plaintext: str) -> str:
        logs.add_secret(plaintext)
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            plaintext = self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise VaultError(
                "a stored secret cannot be decrypted: the secret key is not the one it was saved with"
            ) from None
        logs.add_secret(plaintext)
        return plaintext
