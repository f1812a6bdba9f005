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
STATE_TTL_SECONDS = 600
TOKEN_TIMEOUT = aiohttp.ClientTimeout(total=10)


class OAuthError(Exception):
    """The login or a refresh failed; str() is safe to show."""

    def __init__(self, message: str, permanent: bool = True):
        super().__init__(message)
        self.permanent = permanent  # False: PagerDuty was unreachable, trying again may work


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
    return prepare_grant_uri(
        identity_url.rstrip("/") + "/oauth/authorize",
        client_id=client_id,
        response_type="code",
        redirect_uri=redirect_uri,
        scope=" ".join(REQUESTED_SCOPES),
        state=login.state,
        code_challenge=create_s256_code_challenge(login.code_verifier),
        code_challenge_method="S256",
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
    return await _token_request(session, identity_url, body)


async def refresh(
    session: aiohttp.ClientSession, identity_url: str, client_id: str, client_secret: str, refresh_token: str
) -> TokenSet:
    body = prepare_token_request(
        "refresh_token", refresh_token=refresh_token, client_id=client_id, client_secret=client_secret
    )
    return await _token_request(session, identity_url, body)


async def _token_request(session: aiohttp.ClientSession, identity_url: str, body: str) -> TokenSet:
    url = identity_url.rstrip("/") + "/oauth/token"
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    try:
        async with session.post(url, data=body, headers=headers, timeout=TOKEN_TIMEOUT) as response:
            status, raw = response.status, await response.read()
    except (TimeoutError, aiohttp.ClientError):
        raise OAuthError("PagerDuty's login service could not be reached", permanent=False) from None
    payload = _json(raw)
    if status >= 500:
        raise OAuthError(f"PagerDuty's login service had a problem (HTTP {status})", permanent=False)
    if status != 200 or "access_token" not in payload:
        raise OAuthError(_describe_error(payload, status))
    return TokenSet(
        access_token=payload["access_token"],
        refresh_token=payload.get("refresh_token", ""),
        expires_at=time.time() + float(payload.get("expires_in", 3600)),
        scope=str(payload.get("scope", "")),
        id_token=payload.get("id_token"),
    )


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


_ERROR_WORDS = {
    "invalid_grant": "PagerDuty did not accept the login (the code or refresh token is expired, used or revoked)",
    "invalid_client": "PagerDuty did not accept the Client ID and Client Secret",
    "unauthorized_client": "this PagerDuty app may not use this kind of login",
    "invalid_scope": "PagerDuty refused the requested scopes",
}


def _describe_error(payload: dict[str, Any], status: int) -> str:
    error = str(payload.get("error", ""))
    words = _ERROR_WORDS.get(
        error, f"PagerDuty refused the login (HTTP {status}{', ' + error if error else ''})"
    )
    return words


def id_token_claims(id_token: str | None) -> dict[str, Any]:
    """The claims of an ID token received straight from the token endpoint over TLS.

    OpenID Connect Core §3.1.3.7 lets a client rely on the TLS-validated token endpoint instead of
    the signature for such tokens; we only read who connected and where, never grant access on it.
    """
    if not id_token or id_token.count(".") != 2:
        return {}
    payload = id_token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return {}
    return claims if isinstance(claims, dict) else {}


def region_from_claims(claims: dict[str, Any]) -> str:
    audience = claims.get("aud") or []
    audience = [audience] if isinstance(audience, str) else audience
    if any("api.eu.pagerduty.com" in str(a) for a in audience):
        return "eu"
    return "eu" if str(claims.get("region", "")).lower().startswith("eu") else "us"
