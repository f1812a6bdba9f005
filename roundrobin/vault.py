"""Encrypt and decrypt stored secrets (Fernet: AES-128-CBC + HMAC-SHA256)."""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from roundrobin import logs


class VaultError(Exception):
    """The secret key is missing, unusable, or not the one the data was encrypted with."""


def is_valid_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (binascii.Error, ValueError):
        return False


def load_or_create_key(path: Path) -> str:
    """Read the generated key file, creating it (mode 0600) the first time."""
    if path.exists():
        key = path.read_text().strip()
        if not is_valid_key(key):
            raise VaultError(f"{path} does not hold a valid key; restore it from your backup")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    # O_EXCL: two processes starting at once must not both write a key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key


class Vault:
    def __init__(self, key: str):
        if not is_valid_key(key):
            raise VaultError("the secret key is not a valid Fernet key")
        self._fernet = Fernet(key.encode())

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
