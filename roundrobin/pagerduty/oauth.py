"""PagerDuty Scoped OAuth: authorize URL with PKCE S256, code exchange, refresh.

authlib does the protocol work (PKCE, grant URI, token request bodies); aiohttp carries the requests.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge

# Read access to what Round Robin mirrors; openid comes with every user token.
REQUESTED_SCOPES = ("schedules.read", "users.read", "oncalls.read", "teams.read")
REQUIRED_SCOPES = ("schedules.read", "users.read", "oncalls.read")
# Asked for too, never required: with it, Cover me on a bound rotation writes the override to
# PagerDuty. PagerDuty grants only what the app registration ticks, dropping the rest silently.
WRITE_SCOPE = "schedules.write"
STATE_TTL_SECONDS = 600
TOKEN_TIMEOUT = aiohttp.ClientTimeout(total=10)


class OAuthError(Exception):
    """The login or a refresh failed; str() is safe to show."""

    def __init__(self, message: str, permanent: bool = True, error: str | None = None):
        super().__init__(message)
        # False: PagerDuty was unreachable, busy or garbled, so trying again later may work. True only
        # when PagerDuty refused in OAuth's own words (RFC 6749 §5.2): then only a new login helps.
        self.permanent = permanent
        self.error = error  # the OAuth error code of a refusal (invalid_grant, …)


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_at: float
    scope: str
    id_token: str | None = None

    @property
    def scopes(self) -> set[str]:
        return set(self.scope.split())


@dataclass(frozen=True)
class Login:
    state: str
    code_verifier: str


def new_login() -> Login:
    # 48 characters of [A-Za-z0-9]: well inside PKCE's 43-128 verifier length, ~285 bits each.
    return Login(state=generate_token(48), code_verifier=generate_token(64))


def authorize_url(identity_url: str, client_id: str, redirect_uri: str, login: Login) -> str:
    return str(
        prepare_grant_uri(
            identity_url.rstrip("/") + "/oauth/authorize",
            client_id=client_id,
            response_type="code",
            redirect_uri=redirect_uri,
            scope=" ".join((*REQUESTED_SCOPES, WRITE_SCOPE)),
            state=login.state,
            code_challenge=create_s256_code_challenge(login.code_verifier),
            code_challenge_method="S256",
        )
    )


def missing_scopes(granted: set[str]) -> list[str]:
    return [s for s in REQUIRED_SCOPES if s not in granted]


async def exchange_code(
    session: aiohttp.ClientSession,
    identity_url: str,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    code_verifier: str,
) -> TokenSet:
    body = prepare_token_request(
        "authorization_code",
        code=code,
        redirect_uri=redirect_uri,
        client_id=client_id,
        client_secret=client_secret,
        code_verifier=code_verifier,
    )
    # A first login must bring a refresh token: without one the connection would die within a day.
    return await _token_request(session, identity_url, body, require_refresh_token=True)


async def refresh(
    session: aiohttp.ClientSession, identity_url: str, client_id: str, client_secret: str, refresh_token: str
) -> TokenSet:
    body = prepare_token_request(
        "refresh_token", refresh_token=refresh_token, client_id=client_id, client_secret=client_secret
    )
    return await _token_request(session, identity_url, body, require_refresh_token=False)


async def _token_request(
    session: aiohttp.ClientSession, identity_url: str, body: str, require_refresh_token: bool
) -> TokenSet:
    url = identity_url.rstrip("/") + "/oauth/token"
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    try:
        async with session.post(
            url, data=body, headers=headers, timeout=TOKEN_TIMEOUT, allow_redirects=False
        ) as response:
            status, raw = response.status, await response.read()
    except TimeoutError:
        raise OAuthError("PagerDuty's login service did not answer in time", permanent=False) from None
    except aiohttp.ClientError:
        raise OAuthError("PagerDuty's login service could not be reached", permanent=False) from None
    payload = _json(raw)
    if status == 200:
        return _token_set(payload, require_refresh_token)
    error = payload.get("error") if payload else None
    if 400 <= status < 500 and status not in (408, 429) and isinstance(error, str) and error:
        raise OAuthError(_describe_refusal(error, status), permanent=True, error=error)
    raise OAuthError(_describe_unavailable(status), permanent=False)


def _json(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _token_set(payload: dict[str, Any] | None, require_refresh_token: bool) -> TokenSet:
    """A successful token answer (RFC 6749 §5.1), checked field by field: a garbled one is temporary."""
    if payload is None:
        raise _unreadable("it is not a JSON object")
    access_token = payload.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise _unreadable("it has no access_token")
    refresh_token = payload.get("refresh_token") or ""
    if not isinstance(refresh_token, str) or (require_refresh_token and not refresh_token):
        raise _unreadable("it has no refresh_token")
    expires_in = _seconds(payload.get("expires_in", 3600))
    if expires_in is None:
        raise _unreadable("its expires_in is not a number of seconds")
    scope = payload.get("scope") or ""
    id_token = payload.get("id_token")
    if not isinstance(scope, str) or not isinstance(id_token, str | None):
        raise _unreadable("its scope or id_token is not text")
    return TokenSet(access_token, refresh_token, time.time() + expires_in, scope, id_token)


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if 0 < seconds < 10 * 365 * 86400 else None


def _unreadable(why: str) -> OAuthError:
    return OAuthError(f"PagerDuty's login service sent a token answer Round Robin cannot use: {why}", False)


_ERROR_WORDS = {
    "invalid_grant": "PagerDuty did not accept the login (the code or refresh token is expired, used or revoked)",
    "invalid_client": "PagerDuty did not accept the Client ID and Client Secret",
    "unauthorized_client": "this PagerDuty app may not use this kind of login",
    "invalid_scope": "PagerDuty refused the requested scopes",
}


def _describe_refusal(error: str, status: int) -> str:
    return _ERROR_WORDS.get(error, f"PagerDuty refused the login (HTTP {status}, {error[:60]})")


def _describe_unavailable(status: int) -> str:
    if status == 429:
        return "PagerDuty's login service is rate limiting Round Robin (HTTP 429)"
    if status >= 500 or status == 408:
        return f"PagerDuty's login service had a problem (HTTP {status})"
    return f"PagerDuty's login service gave an answer Round Robin cannot use (HTTP {status})"


def id_token_claims(id_token: str | None) -> dict[str, Any]:
    """The claims of an ID token received straight from the token endpoint over TLS.

    OpenID Connect Core §3.1.3.7 lets a client rely on the TLS-validated token endpoint instead of
    the signature for such tokens; we only read who connected and where, never grant access on it.
    No token gives no claims; one that is not a JWT with a JSON object inside is an OAuthError.
    """
    if id_token is None:
        return {}
    parts = id_token.split(".")
    if len(parts) != 3:
        raise _bad_id_token()
    payload = parts[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:  # bad base64, bad UTF-8 or bad JSON
        raise _bad_id_token() from None
    if not isinstance(claims, dict):
        raise _bad_id_token()
    return claims


def _bad_id_token() -> OAuthError:
    return OAuthError("PagerDuty's login service sent an ID token Round Robin cannot read", False)


def claim_text(claims: dict[str, Any], name: str) -> str | None:
    """A claim that should be a short string, or None when it is missing or of another type."""
    value = claims.get(name)
    return value if isinstance(value, str) and value and len(value) <= 200 else None


def region_from_claims(claims: dict[str, Any]) -> str:
    audience = claims.get("aud") or []
    audience = [audience] if isinstance(audience, str) else audience
    if isinstance(audience, list) and any("api.eu.pagerduty.com" in str(a) for a in audience):
        return "eu"
    return "eu" if (claim_text(claims, "region") or "").lower().startswith("eu") else "us"
