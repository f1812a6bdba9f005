"""Credentials of the fake PagerDuty: API keys, Scoped OAuth apps, authorization codes and tokens.

The authorization server's rules live here without HTTP, so each one reads next to the RFC it comes
from: RFC 6749 (codes, grants, errors), RFC 7636 (PKCE S256) and PagerDuty's Scoped OAuth docs
(30-second codes, rotating refresh tokens, scopes silently narrowed to `openid`).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import re
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from yarl import URL

from roundrobin.sim.pagerduty.model import REGION_API_URLS, REGIONS, Account, Directory

OPENID = "openid"
DEFAULT_APP_SCOPES = frozenset(
    {"schedules.read", "users.read", "oncalls.read", "teams.read", "abilities.read"}
)
DENIED_DESCRIPTION = "The resource owner or authorization server denied the request."
ID_TOKEN_TTL = 3600
JWT_KEY_ID = "roundrobin-fake-pagerduty"
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # BASE64URL(SHA256(verifier)) without padding
_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 §4.1
_TOKEN_HEADER = re.compile(r"Token token=(\S+)")  # "must be followed precisely" (PagerDuty docs)
_BEARER_HEADER = re.compile(r"Bearer (\S+)")


class Unauthorized(Exception):
    """The REST request's credential is missing, malformed, unknown, expired or revoked."""

    def __init__(self, kind: str | None, *, revoked: bool = False) -> None:
        super().__init__(kind)
        self.kind = kind
        self.revoked = revoked


class ConsentError(Exception):
    """The authorize endpoint cannot trust the redirect_uri, so it shows an error page instead."""


class OAuthError(Exception):
    """An RFC 6749 §5.2 error answered by the token endpoint."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass(frozen=True)
class Caller:
    """Who made an authenticated REST request."""

    kind: str  # "api_key" or "oauth"
    user_id: str | None  # None: account-level key or app token, so /users/me cannot answer
    scopes: frozenset[str] | None  # None: API keys are not limited by scopes
    rate_bucket: tuple[str, ...]  # whose 960-per-minute allowance the request spends
    read_only: bool = False  # a read-only API key: every write is refused (403)


@dataclass
class ApiKey:
    key: str
    read_only: bool = True
    user_id: str | None = None  # set: a user-level key


@dataclass
class OAuthApp:
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    scopes: frozenset[str] = DEFAULT_APP_SCOPES
    authorizing_user_id: str | None = None  # the user "signed in" on the consent page
    name: str = "Round Robin"


@dataclass
class PendingConsent:
    """An authorize request waiting for the user to press Approve or Deny."""

    id: str
    app: OAuthApp
    redirect_uri: str
    scopes: frozenset[str]
    code_challenge: str
    state: str | None
    user_id: str


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    code_challenge: str
    user_id: str
    issued_at: float
    redeemed: bool = False


@dataclass
class OAuthToken:
    """An access token, with the refresh token issued beside it (user tokens only)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    client_id: str
    user_id: str | None
    scopes: frozenset[str]
    delegation_id: str
    issued_at: float
    expires_at: float
    code: str | None = None  # the authorization code this grant started from
    revoked: bool = False
    refreshed: bool = False  # its refresh token was used, so it is rotated out

    @property
    def scope(self) -> str:
        """The `scope` string of the token response: openid first, then the rest sorted."""
        return " ".join(sorted(self.scopes, key=lambda s: (s != OPENID, s)))


class AuthServer:
    """API keys and the Scoped OAuth authorization server of one fake account."""

    def __init__(self, account: Account, directory: Directory) -> None:
        self.account = account
        self.directory = directory
        self.access_token_ttl = 86400.0  # Scoped OAuth: 1 day
        self.refresh_token_ttl = 30 * 86400.0  # Scoped OAuth: 30 days
        self.code_ttl = 30.0
        self.auto_approve = False  # skip the consent page (Approve pressed at once)
        self.api_keys: dict[str, ApiKey] = {}
        self.apps: dict[str, OAuthApp] = {}
        self._consents: dict[str, PendingConsent] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        self._by_access: dict[str, OAuthToken] = {}
        self._by_refresh: dict[str, OAuthToken] = {}

    # -- REST authentication -------------------------------------------------------------------

    def authenticate(self, header: str | None) -> Caller:
        """The caller behind an Authorization header, or Unauthorized."""
        kind, credential = parse_authorization(header)
        if kind == "api_key":
            return self._key_caller(credential)
        if kind == "oauth":
            return self._token_caller(credential)
        raise Unauthorized(None)

    def _key_caller(self, credential: str) -> Caller:
        key = self.api_keys.get(credential)
        if key is None:
            raise Unauthorized("api_key")
        # A user key spends its user's allowance, shared by all of that user's keys.
        bucket = ("user", key.user_id) if key.user_id else ("api_key", key.key)
        return Caller("api_key", key.user_id, None, bucket, read_only=key.read_only)

    def _token_caller(self, credential: str) -> Caller:
        token = self._by_access.get(credential)
        if token is not None and token.revoked:
            raise Unauthorized("oauth", revoked=True)
        if token is None or self.account.now() >= token.expires_at:
            raise Unauthorized("oauth")
        bucket = ("oauth", token.client_id, token.user_id or "app")
        return Caller("oauth", token.user_id, token.scopes, bucket)

    # -- authorize endpoint --------------------------------------------------------------------

    def begin_consent(self, params: Mapping[str, str]) -> PendingConsent:
        """Validate GET /oauth/authorize and park it until the user decides."""
        app = self.apps.get(params.get("client_id", ""))
        if app is None:
            raise ConsentError("Invalid or missing value for client_id parameter.")
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri not in app.redirect_uris:
            raise ConsentError("Invalid or missing value for redirect_uri parameter.")
        if params.get("response_type") != "code":
            raise ConsentError("Invalid or missing value for response_type parameter.")
        challenge = params.get("code_challenge", "")
        if params.get("code_challenge_method") != "S256" or not _CHALLENGE.fullmatch(challenge):
            raise ConsentError("Scoped OAuth apps must use PKCE with code_challenge_method=S256.")
        if not params.get("scope", "").split():
            raise ConsentError("Invalid or missing value for scope parameter.")
        consent = PendingConsent(
            id=secrets.token_urlsafe(16),
            app=app,
            redirect_uri=redirect_uri,
            scopes=granted_scopes(params["scope"], app.scopes),
            code_challenge=challenge,
            state=params.get("state"),
            user_id=self._signed_in_user(app),
        )
        self._consents[consent.id] = consent
        return consent

    def decide(self, consent_id: str, approve: bool) -> str:
        """Answer a pending consent; returns where to redirect the browser."""
        consent = self._consents.pop(consent_id, None)
        if consent is None:
            raise ConsentError("This authorization request has expired or was already answered.")
        if not approve:
            return _redirect(
                consent.redirect_uri,
                error="access_denied",
                error_description=DENIED_DESCRIPTION,
                state=consent.state,
            )
        code = AuthorizationCode(
            code=secrets.token_urlsafe(24),
            client_id=consent.app.client_id,
            redirect_uri=consent.redirect_uri,
            scopes=consent.scopes,
            code_challenge=consent.code_challenge,
            user_id=consent.user_id,
            issued_at=self.account.now(),
        )
        self._codes[code.code] = code
        return _redirect(consent.redirect_uri, code=code.code, state=consent.state)

    def _signed_in_user(self, app: OAuthApp) -> str:
        user_id = app.authorizing_user_id or next(iter(self.directory.users), None)
        if user_id is None or user_id not in self.directory.users:
            raise ConsentError("Nobody is signed in to PagerDuty: add the authorizing user first.")
        return user_id

    # -- token endpoint ------------------------------------------------------------------------

    def token(self, form: Mapping[str, str], authorization: str | None, issuer: str) -> dict:
        """POST /oauth/token: the JSON body of a successful answer, or OAuthError."""
        app = self._client(form, authorization)
        grants: dict[str, Callable[[OAuthApp, Mapping[str, str], str], dict]] = {
            "authorization_code": self._redeem_code,
            "refresh_token": self._refresh,
            "client_credentials": self._client_credentials,
        }
        grant = grants.get(form.get("grant_type", ""))
        if grant is None:
            raise OAuthError("unsupported_grant_type", "The authorization grant type is not supported.")
        return grant(app, form, issuer)

    def _client(self, form: Mapping[str, str], authorization: str | None) -> OAuthApp:
        """RFC 6749 §2.3.1: client_secret_basic or client_secret_post; Scoped apps are confidential."""
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = parse_basic(authorization)
        if basic is not None:
            if client_id not in (None, basic[0]):
                raise OAuthError("invalid_request", "client_id does not match the Authorization header.")
            client_id, secret = basic
        app = self.apps.get(client_id or "")
        if app is None or secret is None or not hmac.compare_digest(secret, app.client_secret):
            raise OAuthError("invalid_client", "Client authentication failed.", status=401)
        return app

    def _redeem_code(self, app: OAuthApp, form: Mapping[str, str], issuer: str) -> dict:
        code = self._codes.get(form.get("code", ""))
        if code is None or code.client_id != app.client_id:
            raise OAuthError("invalid_grant", "The authorization code is invalid.")
        if code.redeemed:
            # RFC 6749 §4.1.2: a replayed code may be stolen, so revoke what it already bought.
            self._revoke(lambda token: token.code == code.code)
            raise OAuthError("invalid_grant", "The authorization code has already been used.")
        if self.account.now() >= code.issued_at + self.code_ttl:
            raise OAuthError("invalid_grant", "The authorization code has expired.")
        if form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request.")
        verifier = form.get("code_verifier", "")
        if not _VERIFIER.fullmatch(verifier):
            raise OAuthError("invalid_request", "A valid code_verifier is required.")
        if not hmac.compare_digest(s256(verifier), code.code_challenge):
            raise OAuthError("invalid_grant", "PKCE verification failed.")
        code.redeemed = True
        token = self._issue(app, code.user_id, code.scopes, str(uuid.uuid4()), code=code.code)
        return self._answer(token, id_token=self._id_token(token, issuer))

    def _refresh(self, app: OAuthApp, form: Mapping[str, str], issuer: str) -> dict:
        old = self._by_refresh.get(form.get("refresh_token", ""))
        if old is None or old.client_id != app.client_id or old.revoked or old.refreshed:
            raise OAuthError("invalid_grant", "The refresh token is invalid.")
        if self.account.now() >= old.issued_at + self.refresh_token_ttl:
            raise OAuthError("invalid_grant", "The refresh token has expired.")
        old.refreshed = True  # rotation: the old refresh token stops working now
        return self._answer(self._issue(app, old.user_id, old.scopes, old.delegation_id, code=old.code))

    def _client_credentials(self, app: OAuthApp, form: Mapping[str, str], issuer: str) -> dict:
        """App token: the scope must name the account, and unlike authorize it must not overreach."""
        requested = frozenset(form.get("scope", "").split())
        account_scope = f"as_account-{self.account.region}.{self.account.subdomain}"
        if account_scope not in requested or not requested - {account_scope} <= app.scopes:
            raise OAuthError("invalid_request", "Invalid scope")
        token = self._issue(app, None, requested, str(uuid.uuid4()), refreshable=False)
        return self._answer(token)

    def _issue(
        self,
        app: OAuthApp,
        user_id: str | None,
        scopes: frozenset[str],
        delegation_id: str,
        *,
        code: str | None = None,
        refreshable: bool = True,
    ) -> OAuthToken:
        now = self.account.now()
        token = OAuthToken(
            access_token=f"pdus+_0XBPWQQ_{uuid.uuid4()}",
            refresh_token=f"pdus+_1XBPWQQ_{uuid.uuid4()}" if refreshable else None,
            client_id=app.client_id,
            user_id=user_id,
            scopes=scopes,
            delegation_id=delegation_id,
            issued_at=now,
            expires_at=now + self.access_token_ttl,
            code=code,
        )
        self._by_access[token.access_token] = token
        if token.refresh_token:
            self._by_refresh[token.refresh_token] = token
        return token

    def _answer(self, token: OAuthToken, id_token: str | None = None) -> dict:
        body: dict = {
            "access_token": token.access_token,
            "token_type": "bearer",
            "expires_in": int(token.expires_at - token.issued_at),
            "scope": token.scope,
        }
        if token.refresh_token:
            body["refresh_token"] = token.refresh_token
        if id_token:
            body["id_token"] = id_token
        return body

    def _id_token(self, token: OAuthToken, issuer: str) -> str:
        """The OpenID token PagerDuty returns with a user token (claims as in its docs)."""
        now = int(self.account.now())
        region = REGIONS[self.account.region]
        claims = {
            "iss": issuer,
            "aud": [REGION_API_URLS[self.account.region], token.client_id],
            "sub": token.user_id,
            "exp": now + ID_TOKEN_TTL,
            "nbf": now,
            "iat": now,
            "auth_time": now,
            "jti": str(uuid.uuid4()),
            "purpose": "id",
            "at_hash": at_hash(token.access_token),
            "acr": f"acr:html-form:{region.lower()}",
            "amr": f"acr:html-form:{region.lower()}",
            "delegation_id": token.delegation_id,
            "product_abilities": [],
            "account_id": self.account.account_id,
            "user_id": token.user_id,
            "azp": token.client_id,
            "subdomain": self.account.subdomain,
            "region": region,
            "sid": secrets.token_urlsafe(12),
        }
        return sign_jwt(claims)

    # -- test controls -------------------------------------------------------------------------

    @property
    def issued_tokens(self) -> list[OAuthToken]:
        return list(self._by_access.values())

    def token_info(self, access_token: str) -> OAuthToken | None:
        return self._by_access.get(access_token)

    def revoke_all(self) -> None:
        """App Registration → "Revoke All Tokens": every access and refresh token dies."""
        self._revoke(lambda token: True)

    def expire_access_tokens(self) -> None:
        now = self.account.now()
        for token in self._by_access.values():
            token.expires_at = min(token.expires_at, now)

    def _revoke(self, which: Callable[[OAuthToken], bool]) -> None:
        for token in self._by_access.values():
            if which(token):
                token.revoked = True


def parse_authorization(header: str | None) -> tuple[str | None, str]:
    """("api_key" | "oauth" | None, credential) from a REST Authorization header."""
    header = header or ""
    if match := _TOKEN_HEADER.fullmatch(header):
        return "api_key", match.group(1)
    if match := _BEARER_HEADER.fullmatch(header):
        return "oauth", match.group(1)
    return None, ""


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """(client_id, client_secret) from HTTP Basic client authentication (RFC 6749 §2.3.1)."""
    if not header or not header.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (unquote_plus(client_id), unquote_plus(secret)) if sep else None


def granted_scopes(requested: str, configured: frozenset[str]) -> frozenset[str]:
    """PagerDuty grants what was asked AND configured, plus openid; the rest is silently dropped."""
    return (frozenset(requested.split()) & configured) | {OPENID}


def s256(verifier: str) -> str:
    """RFC 7636 S256 code challenge: BASE64URL(SHA256(verifier)) without padding."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def at_hash(access_token: str) -> str:
    """OpenID Connect at_hash: the left half of SHA-256 of the access token, base64url."""
    return b64url(hashlib.sha256(access_token.encode()).digest()[:16])


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@functools.cache
def _signing_key() -> rsa.RSAPrivateKey:
    # One key per process: RSA generation is slow and tests start many fakes.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def sign_jwt(claims: Mapping) -> str:
    """An RS256 JWT signed with the fake's key (published by jwks())."""
    header = {"alg": "RS256", "typ": "JWT", "kid": JWT_KEY_ID}
    signing_input = ".".join(b64url(json.dumps(part).encode()) for part in (header, claims))
    signature = _signing_key().sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def jwks() -> dict:
    """The JSON Web Key Set that verifies id_tokens, as served at .../anonymous/jwks."""
    numbers = _signing_key().public_key().public_numbers()

    def encode(value: int) -> str:
        return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))

    key = {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": JWT_KEY_ID}
    return {"keys": [{**key, "n": encode(numbers.n), "e": encode(numbers.e)}]}


def _redirect(uri: str, **params: str | None) -> str:
    return str(URL(uri).extend_query({k: v for k, v in params.items() if v is not None}))
