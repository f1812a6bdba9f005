"""Requests signed the way Slack signs its own: `X-RoundRobin-Signature: v0=<hex HMAC-SHA256 of
"v0:{timestamp}:{raw body}">` with `X-RoundRobin-Request-Timestamp` in Unix seconds, the timestamp
within five minutes of Round Robin's clock. Both directions use it (calls in, events out)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping

TIMESTAMP_HEADER = "X-RoundRobin-Request-Timestamp"
SIGNATURE_HEADER = "X-RoundRobin-Signature"
WINDOW = 300.0  # seconds either side of now
VERSION = "v0"
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}", re.ASCII)
_TIMESTAMP = re.compile(r"[0-9]{1,12}", re.ASCII)


class Unsigned(Exception):
    """Refused before anything else is looked at; str() says why, for the caller (401)."""


def new_secret() -> str:
    return "rrwh_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    base = f"{VERSION}:{timestamp}:".encode() + body
    return f"{VERSION}=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, body)}


def signed_parts(headers: Mapping[str, str], now: float) -> tuple[int, str]:
    """The timestamp and signature of a request, refused when missing, malformed or stale."""
    timestamp, signature = headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER)
    if not timestamp or not signature:
        raise Unsigned(f"The request is not signed: send {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}.")
    if not _TIMESTAMP.fullmatch(timestamp.strip()):
        raise Unsigned(f"{TIMESTAMP_HEADER} must be Unix time in whole seconds.")
    if not _SIGNATURE.fullmatch(signature.strip()):
        raise Unsigned(f"{SIGNATURE_HEADER} must be v0= and 64 hex digits.")
    ts = int(timestamp.strip())
    if abs(now - ts) > WINDOW:
        raise Unsigned(
            f"{TIMESTAMP_HEADER} is more than 5 minutes from Round Robin's clock: sign each request "
            "when you send it (and check the sender's clock)."
        )
    return ts, signature.strip()


def matches(candidates: Iterable[str], timestamp: int, body: bytes, signature: str) -> bool:
    """Whether any of the secrets made this signature; every one is compared, in constant time."""
    found = False
    for secret in candidates:
        found |= hmac.compare_digest(sign(secret, timestamp, body), signature)
    return found
