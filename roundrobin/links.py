"""Links the app signs for one person and one purpose, so that a page it serves (a rotation's
timeline, a CSV of on-call load) needs no login of its own: whoever holds the link may see what it
names, until it expires.

A link is a path and its parameters, plus `exp` (Unix seconds) and `sig`: the HMAC-SHA256, with a key
derived from the app's secret key (`Vault.derived_key`), of the path, every parameter (sorted) and
the expiry. Changing any of them, or the path, breaks the signature; comparing is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import urlencode

EXPIRES = "exp"
SIGNATURE = "sig"
MAX_PARAM = 200  # a parameter longer than this is refused before anything is computed


class LinkRefused(Exception):
    """The link is not one the app made (`reason` "invalid") or has expired ("expired")."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class SignedLinks:
    def __init__(self, key: bytes):
        if len(key) < 32:
            raise ValueError("a signing key has at least 32 bytes")
        self._key = key

    def sign(self, path: str, params: Mapping[str, str], expires_at: float) -> str:
        """The path with its query: `params`, then `exp` and `sig`."""
        if EXPIRES in params or SIGNATURE in params:
            raise ValueError(f"{EXPIRES!r} and {SIGNATURE!r} are the link's own parameters")
        expires = str(int(expires_at))
        signature = self._mac(path, params, expires)
        return f"{path}?{urlencode({**params, EXPIRES: expires, SIGNATURE: signature})}"

    def check(self, path: str, query: Mapping[str, str], now: float) -> dict[str, str]:
        """The link's own parameters when it is one this app signed and it has not expired; else
        LinkRefused. `query` is the request's, as parsed (one value per name)."""
        if any(len(k) > MAX_PARAM or len(v) > MAX_PARAM for k, v in query.items()) or len(query) > 20:
            raise LinkRefused("invalid")
        expires, signature = query.get(EXPIRES, ""), query.get(SIGNATURE, "")
        if not expires.isascii() or not expires.isdigit() or not signature:
            raise LinkRefused("invalid")
        params = {k: v for k, v in query.items() if k not in (EXPIRES, SIGNATURE)}
        if not hmac.compare_digest(signature.encode(), self._mac(path, params, expires).encode()):
            raise LinkRefused("invalid")
        if int(expires) <= now:
            raise LinkRefused("expired")
        return params

    def _mac(self, path: str, params: Mapping[str, str], expires: str) -> str:
        canonical = "\n".join([path, urlencode(sorted(params.items())), expires])
        digest = hmac.new(self._key, canonical.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
