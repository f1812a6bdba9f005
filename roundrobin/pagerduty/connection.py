"""The PagerDuty connection: connect with a key or OAuth, keep tokens fresh, hand out clients, disconnect."""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode, urlparse

import aiohttp
from authlib.oauth2.rfc6749.parameters import prepare_token_request

from roundrobin.access import Access
from roundrobin.config import LOGIN_START_PATH, Settings
from roundrobin.db import Database
from roundrobin.pagerduty import oauth
from roundrobin.pagerduty.client import (
    Credentials,
    PagerDutyAuthError,
    PagerDutyClient,
    PagerDutyError,
    PagerDutyScopeError,
    PagerDutyUnavailable,
    StaticApiKey,
)
from roundrobin.store import events, pd_failures
from roundrobin.store import integrations as store
from roundrobin.store import pagerduty as pd_store
from roundrobin.store.integrations import Connection, LoginState
from roundrobin.vault import Vault, VaultError

log = logging.getLogger(__name__)

KEY_CHECK_TIMEOUT = 2.0  # the check runs inside a modal submission, which Slack wants acked within 3 s
REFRESH_MARGIN = 300.0  # refresh this long before expiry, so a sync never starts with a dying token


class KeyRejected(Exception):
    """The API key cannot be used; str() goes under the modal field."""


class ClientRejected(Exception):
    """PagerDuty refused the OAuth Client ID and Secret; str() goes under the Client Secret field."""


@dataclass(frozen=True)
class OAuthDone:
    slack_user_id: str
    pd_user_name: str
    view_id: str | None


@dataclass(frozen=True)
class BrowserLogin:
    """Where the browser that opened a login goes next, and the cookie that binds the login to it."""

    authorize_url: str
    cookie: str
    lasts: float  # seconds until the login expires


@dataclass(frozen=True)
class OAuthFailure(Exception):
    message: str
    slack_user_id: str | None = None
    view_id: str | None = None

    def __str__(self) -> str:
        return self.message


class PagerDutyConnection:
    def __init__(
        self,
        db: Database,
        vault: Vault,
        settings: Settings,
        session: aiohttp.ClientSession,
        revert_bound_rotations: Callable[[str, float], Awaitable[list[int]]],
        access: Access,
        clock: Callable[[], float] = time.time,
    ):
        self._access = access
        self._db = db
        self._vault = vault
        self._settings = settings
        self._session = session
        self._revert = revert_bound_rotations
        self._clock = clock
        self._refresh_lock = asyncio.Lock()

    async def require_manage(self, slack_user_id: str) -> None:
        """Only those who may manage Round Robin may change or sync its PagerDuty connection."""
        await self._access.require_manage(slack_user_id)

    async def current(self) -> Connection | None:
        return await store.get_connection(self._db)

    async def connected(self) -> bool:
        """Connected and working: rotations may follow PagerDuty schedules."""
        connection = await self.current()
        return connection is not None and connection.status == "connected"

    async def pending_login(self) -> LoginState | None:
        return await store.pending_login(self._db, self._clock())

    # --- API key ---------------------------------------------------------------------------

    async def connect_api_key(self, slack_user_id: str, key: str, region: str) -> Connection:
        """Check the key against PagerDuty, then store it; nothing is stored when the check fails."""
        await self._access.require_manage(slack_user_id)
        key = key.strip()
        if len(key) < 8 or any(c.isspace() for c in key):
            raise KeyRejected(
                "This does not look like a PagerDuty API key: paste the whole key, without spaces."
            )
        account = await self._check_key(key, region)
        connection = Connection(
            method="api_key",
            status="connected",
            region=region,
            connected_by=slack_user_id,
            connected_at=self._clock(),
            api_key_enc=self._vault.encrypt(key),
            api_key_last4=key[-4:],
            pd_account=account,
        )
        async with self._db.transaction():
            await store.save_connection(self._db, connection)
            await self._forget_reads()
            await store.cancel_pending_logins(self._db, self._clock())
            await events.record(
                self._db, "pagerduty.connected", self._clock(), slack_user_id, method="api_key", region=region
            )
        log.info("pagerduty connected", extra={"method": "api_key", "region": region, "by": slack_user_id})
        return connection

    async def change_region(self, slack_user_id: str, region: str) -> Connection:
        """Keep the stored API key, use it in another service region: checked there before it is saved."""
        await self._access.require_manage(slack_user_id)
        connection = await self.current()
        if connection is None or connection.method != "api_key" or not connection.api_key_enc:
            raise KeyRejected("Paste the API key: there is no stored key to keep.")
        if region == connection.region:
            return connection
        account = await self._check_key(self._vault.decrypt(connection.api_key_enc), region)
        changed = replace(connection, region=region, pd_account=account or connection.pd_account)
        async with self._db.transaction():
            await store.save_connection(self._db, changed)
            await self._forget_reads()
            await events.record(
                self._db, "pagerduty.region_changed", self._clock(), slack_user_id, region=region
            )
        log.info("pagerduty region changed", extra={"region": region, "by": slack_user_id})
        return changed

    async def _check_key(self, key: str, region: str) -> str | None:
        client = PagerDutyClient(
            self._session,
            self._settings.pagerduty_api_base(region),
            StaticApiKey(key),
            timeout=KEY_CHECK_TIMEOUT,
            max_retries=0,
            max_rate_limit_wait=0,
        )
        try:
            page = await client.get("/users", [("limit", 1)])
        except PagerDutyAuthError:
            raise KeyRejected(
                "PagerDuty rejected this key. Check that you copied the whole key and chose the right "
                "service region (US or EU)."
            ) from None
        except PagerDutyScopeError:
            raise KeyRejected(
                "PagerDuty accepted this key but it may not read users. Use a key with read access."
            ) from None
        except PagerDutyUnavailable:
            raise KeyRejected(
                "PagerDuty could not be reached, so nothing was saved. Try again in a moment."
            ) from None
        except PagerDutyError as e:
            raise KeyRejected(f"PagerDuty did not accept this key: {e}") from None
        return _account_from(page.get("users", []))

    # --- OAuth -----------------------------------------------------------------------------

    async def start_oauth(
        self, slack_user_id: str, client_id: str, client_secret: str, view_id: str | None = None
    ) -> str:
        """Store the OAuth client and a one-time login state; returns PagerDuty's authorize URL.

        A Client ID and Secret PagerDuty refuses are caught here (ClientRejected), before the person
        is sent to the consent page: nothing is stored then."""
        await self._access.require_manage(slack_user_id)
        await self._check_client(client_id, client_secret)
        login = oauth.new_login()
        start = secrets.token_urlsafe(32)
        now = self._clock()
        authorize = oauth.authorize_url(
            self._settings.pagerduty_identity_url, client_id, self._settings.redirect_url, login
        )
        state = LoginState(
            state_hash=store.hash_state(login.state),
            slack_user_id=slack_user_id,
            region="us",  # the real region comes back in the ID token
            client_id=client_id,
            client_secret_enc=self._vault.encrypt(client_secret),
            code_verifier_enc=self._vault.encrypt(login.code_verifier),
            view_id=view_id,
            created_at=now,
            expires_at=now + oauth.STATE_TTL_SECONDS,
            used_at=None,
            start_hash=store.hash_state(start),
            authorize_url_enc=self._vault.encrypt(authorize),
        )
        async with self._db.transaction():
            await store.purge_login_states(self._db, now - 86400)
            await store.insert_login_state(self._db, state)
            await events.record(self._db, "pagerduty.oauth_started", now, slack_user_id, client_id=client_id)
        return f"{self._settings.public_url}{LOGIN_START_PATH}?{urlencode({'login': start})}"

    async def open_in_browser(self, start: str) -> BrowserLogin:
        """The start link of a login was opened in a browser: bind the login to that browser (the
        cookie it gets) and send it on to PagerDuty. Only the first browser to open the link gets
        it, so whoever else holds the link, or PagerDuty's consent link, cannot finish the login."""
        now = self._clock()
        login = await store.login_by_start(self._db, store.hash_state(start)) if start else None
        if login is None or login.authorize_url_enc is None:
            raise OAuthFailure("This login link is not one Round Robin made. Start again from Slack.")
        cookie = secrets.token_urlsafe(32)
        if not await store.bind_browser(self._db, login.start_hash or "", store.hash_state(cookie), now):
            raise OAuthFailure(
                "This login link was already opened, or it has expired (links last 10 minutes). For "
                "your safety it works once, in one browser: start again from Slack.",
                login.slack_user_id,
            )
        return BrowserLogin(self._vault.decrypt(login.authorize_url_enc), cookie, login.expires_at - now)

    async def _check_client(self, client_id: str, client_secret: str) -> None:
        """Ask PagerDuty's token endpoint to authenticate the client, with a grant that cannot succeed
        (client credentials without an account scope): a wrong Client ID or Secret is refused with
        invalid_client before anything else. Any other answer, or no answer in time, lets the login go
        on: the code exchange after the consent page checks the client again."""
        body = prepare_token_request("client_credentials", client_id=client_id, client_secret=client_secret)
        url = self._settings.pagerduty_identity_url.rstrip("/") + "/oauth/token"
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        try:
            async with self._session.post(
                url,
                data=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=KEY_CHECK_TIMEOUT),
                allow_redirects=False,
            ) as response:
                status = response.status
                payload = await response.json(content_type=None) if status in (400, 401) else None
        except (TimeoutError, aiohttp.ClientError, ValueError):
            log.info("pagerduty oauth client check skipped: no usable answer")
            return
        if isinstance(payload, dict) and payload.get("error") == "invalid_client":
            raise ClientRejected(
                "PagerDuty did not accept this Client ID and Client Secret. Copy both again from your app "
                "in PagerDuty (Integrations › App Registration › your app › OAuth 2.0), paste them here "
                "and press Save."
            )

    async def stored_client_id(self) -> str | None:
        """The Client ID to prefill when reconnecting, or when trying again after a login that failed."""
        connection = await self.current()
        if connection and connection.method == "oauth" and connection.client_id:
            return connection.client_id
        started = await events.recent(self._db, kinds=("pagerduty.oauth_started",), limit=1)
        client_id = started[0].detail.get("client_id") if started else None
        return client_id if isinstance(client_id, str) else None

    async def finish_oauth(
        self, state: str, code: str | None, error: str | None = None, browser: str | None = None
    ) -> OAuthDone:
        """Complete the login PagerDuty redirected back with, in the browser that started it (its
        cookie, `browser`); raises OAuthFailure in plain words."""
        now = self._clock()
        login = await store.get_login_state(self._db, store.hash_state(state)) if state else None
        if login is None:
            raise OAuthFailure("This login link is not one Round Robin started. Start again from Slack.")
        if login.used_at is not None:
            raise OAuthFailure(
                "This login link was already used. Start again from Slack.", login.slack_user_id
            )
        if (
            login.browser_hash is None
            or not browser
            or not hmac.compare_digest(store.hash_state(browser), login.browser_hash)
        ):
            # Not claimed: the browser that did start the login can still finish it.
            raise OAuthFailure(
                "This login was started in another browser (or this browser did not keep Round Robin's "
                "cookie). Finish it in the browser where you pressed Open PagerDuty, or start again "
                "from Slack in this one."
            )
        if not await store.claim_login_state(self._db, login.state_hash, now):
            used = login.used_at is not None
            raise OAuthFailure(
                "This login link was already used. Start again from Slack."
                if used
                else "This login link has expired (links last 10 minutes). Start again from Slack.",
                login.slack_user_id,
            )
        if error:
            message = (
                "The PagerDuty login was cancelled."
                if error == "access_denied"
                else (f"PagerDuty ended the login with an error ({error[:80]}).")
            )
            raise OAuthFailure(message, login.slack_user_id, login.view_id)
        if not code:
            raise OAuthFailure("PagerDuty sent no authorisation code.", login.slack_user_id, login.view_id)
        tokens, claims = await self._exchange(login, code)
        region = oauth.region_from_claims(claims)
        user_id, user_name = await self._whoami(tokens.access_token, region, claims)
        connection = Connection(
            method="oauth",
            status="connected",
            region=region,
            connected_by=login.slack_user_id,
            connected_at=now,
            client_id=login.client_id,
            client_secret_enc=login.client_secret_enc,
            access_token_enc=self._vault.encrypt(tokens.access_token),
            refresh_token_enc=self._vault.encrypt(tokens.refresh_token),
            token_expires_at=tokens.expires_at,
            granted_scopes=tokens.scope,
            pd_account=oauth.claim_text(claims, "subdomain"),
            pd_user_id=user_id,
            pd_user_name=user_name,
        )
        async with self._db.transaction():
            await store.save_connection(self._db, connection)
            await self._forget_reads()
            await store.cancel_pending_logins(self._db, now)
            await events.record(
                self._db, "pagerduty.connected", now, login.slack_user_id, method="oauth", pd_user=user_name
            )
        log.info(
            "pagerduty connected", extra={"method": "oauth", "region": region, "by": login.slack_user_id}
        )
        return OAuthDone(login.slack_user_id, user_name, login.view_id)

    async def _exchange(self, login: LoginState, code: str) -> tuple[oauth.TokenSet, dict[str, Any]]:
        """Trade the code for tokens and read them; every way this fails is an OAuthFailure."""

        def failure(message: str) -> OAuthFailure:
            return OAuthFailure(message, login.slack_user_id, login.view_id)

        try:
            client_secret = self._vault.decrypt(login.client_secret_enc)
            verifier = self._vault.decrypt(login.code_verifier_enc)
        except VaultError:
            raise failure(
                "This login was started before Round Robin's secret key changed, so it cannot be finished. "
                "Start again from Slack."
            ) from None
        try:
            tokens = await oauth.exchange_code(
                self._session,
                self._settings.pagerduty_identity_url,
                login.client_id,
                client_secret,
                code,
                self._settings.redirect_url,
                verifier,
            )
            claims = oauth.id_token_claims(tokens.id_token)
        except oauth.OAuthError as e:
            raise failure(f"{e}. {_what_to_do(e)}") from None
        missing = oauth.missing_scopes(tokens.scopes)
        if missing:
            raise failure(_scope_problem(tokens.scopes, missing))
        return tokens, claims

    async def _whoami(self, access_token: str, region: str, claims: dict[str, Any]) -> tuple[str | None, str]:
        """Who authorised: /users/me gives the name; the ID token's user_id is the fallback."""
        client = PagerDutyClient(
            self._session,
            self._settings.pagerduty_api_base(region),
            _Bearer(access_token),
            timeout=5,
            max_retries=1,
        )
        try:
            user = (await client.get("/users/me")).get("user")
            user = user if isinstance(user, dict) else {}
            user_id, name = oauth.claim_text(user, "id"), oauth.claim_text(user, "name")
            if user_id or name:
                return user_id, name or oauth.claim_text(user, "email") or user_id or ""
            log.warning("pagerduty /users/me named nobody")
        except PagerDutyError as e:
            log.warning("pagerduty /users/me failed", extra={"error": str(e)})
        user_id = oauth.claim_text(claims, "user_id") or oauth.claim_text(claims, "sub")
        return user_id, f"PagerDuty user {user_id}" if user_id else "an unknown PagerDuty user"

    # --- clients and tokens ----------------------------------------------------------------

    async def client(self, timeout: float = 10.0, max_retries: int = 3) -> PagerDutyClient | None:
        """A REST client for the stored connection, or None when there is none usable."""
        connection = await self.current()
        if connection is None or connection.status != "connected":
            return None
        credentials: Credentials
        if connection.method == "api_key":
            credentials = StaticApiKey(self._vault.decrypt(_stored(connection.api_key_enc, "API key")))
        else:
            credentials = _StoredOAuth(self)
        return PagerDutyClient(
            self._session,
            self._settings.pagerduty_api_base(connection.region),
            credentials,
            timeout=timeout,
            max_retries=max_retries,
        )

    async def access_token(self, force_refresh: bool = False) -> str:
        """The current OAuth access token, refreshed first when it is close to expiry (or forced)."""
        async with self._refresh_lock:
            connection = await self.current()
            if connection is None or connection.method != "oauth":
                raise PagerDutyAuthError("PagerDuty is not connected")
            if connection.status != "connected":
                raise PagerDutyAuthError("the PagerDuty login needs to be renewed")
            expires_at = connection.token_expires_at or 0
            if force_refresh or expires_at - self._clock() < REFRESH_MARGIN:
                connection = await self._refresh(connection)
            return self._vault.decrypt(_stored(connection.access_token_enc, "access token"))

    async def _refresh(self, connection: Connection) -> Connection:
        try:
            tokens = await oauth.refresh(
                self._session,
                self._settings.pagerduty_identity_url,
                _stored(connection.client_id, "client ID"),
                self._vault.decrypt(_stored(connection.client_secret_enc, "client secret")),
                self._vault.decrypt(_stored(connection.refresh_token_enc, "refresh token")),
            )
        except oauth.OAuthError as e:
            if not e.permanent:  # busy, down, unreachable or garbled: the next sync tries again
                log.info("pagerduty token refresh postponed", extra={"error": str(e)})
                raise PagerDutyUnavailable(f"{e}; Round Robin will try again") from None
            message = f"PagerDuty refused to renew the login: {e}. Reconnect with OAuth."
            async with self._db.transaction():
                await store.mark_needs_reauth(self._db, message, self._clock())
                await events.record(self._db, "pagerduty.refresh_failed", self._clock(), error=str(e))
            log.warning("pagerduty token refresh failed", extra={"error": str(e)})
            raise PagerDutyAuthError(message) from None
        access_enc = self._vault.encrypt(tokens.access_token)
        # PagerDuty rotates refresh tokens: the old one is spent now, so the new pair is stored
        # together, in one transaction, before anything uses it.
        refresh_enc = self._vault.encrypt(
            tokens.refresh_token
            or self._vault.decrypt(_stored(connection.refresh_token_enc, "refresh token"))
        )
        async with self._db.transaction():
            scope = tokens.scope or connection.granted_scopes or ""  # an answer without scope keeps the old
            await store.update_tokens(self._db, access_enc, refresh_enc, tokens.expires_at, scope)
        log.info("pagerduty token refreshed", extra={"expires_in": int(tokens.expires_at - time.time())})
        return replace(
            connection,
            access_token_enc=access_enc,
            refresh_token_enc=refresh_enc,
            token_expires_at=tokens.expires_at,
        )

    async def mark_key_rejected(self) -> str | None:
        """A stored credential got a 401: the card must say so; nothing is deleted. Returns the words."""
        async with self._db.transaction():
            connection = await self.current()
            if connection is None or connection.status != "connected":
                return connection.last_error if connection else None
            message = (
                "PagerDuty rejected the stored API key (it may have been deleted). Connect again with a new key."
                if connection.method == "api_key"
                else "PagerDuty rejected the login. Reconnect with OAuth."
            )
            await store.mark_needs_reauth(self._db, message, self._clock())
            await events.record(
                self._db, "pagerduty.credentials_rejected", self._clock(), method=connection.method
            )
        return message

    async def _forget_reads(self) -> None:
        """New credentials (or none): what the old ones could not read, and how many schedules their
        account had, say nothing about the new."""
        await pd_failures.clear_all(self._db)
        await pd_store.forget_census(self._db)

    async def record_sync(self, error: str | None) -> None:
        await store.record_sync(self._db, self._clock(), error)

    # --- disconnect ------------------------------------------------------------------------

    async def disconnect(self, slack_user_id: str) -> list[int]:
        """Delete every stored credential; bound rotations revert to Manual. Returns their ids."""
        await self._access.require_manage(slack_user_id)
        now = self._clock()
        async with self._db.transaction():
            had = await store.delete_connection(self._db)
            await self._forget_reads()
            reverted = await self._revert(slack_user_id, now)
            if had:
                await events.record(
                    self._db, "pagerduty.disconnected", now, slack_user_id, reverted=len(reverted)
                )
        log.info("pagerduty disconnected", extra={"by": slack_user_id, "reverted_rotations": len(reverted)})
        return reverted


class _Bearer:
    kind = "oauth_fixed"

    def __init__(self, token: str):
        self._token = token

    async def authorization(self, force_refresh: bool = False) -> str:
        return f"Bearer {self._token}"


class _StoredOAuth:
    kind = "oauth"

    def __init__(self, connection: PagerDutyConnection):
        self._connection = connection

    async def authorization(self, force_refresh: bool = False) -> str:
        return f"Bearer {await self._connection.access_token(force_refresh)}"


def _stored(value: str | None, what: str) -> str:
    """A part of the stored connection its method always has (an OAuth connection, its tokens)."""
    if value is None:
        raise PagerDutyAuthError(f"the stored PagerDuty connection has no {what}: connect again")
    return value


def _account_from(users: list[dict[str, Any]]) -> str | None:
    """An account's subdomain shows in its objects' html_url (https://acme.pagerduty.com/users/P1)."""
    for user in users:
        host = urlparse(str(user.get("html_url", ""))).hostname
        if host:
            return host
    return None


def _what_to_do(error: oauth.OAuthError) -> str:
    """The next step after a failed code exchange, in the words of the page the browser shows."""
    if not error.permanent:
        return "Nothing was saved. Try again from Slack in a few minutes (Settings › Integrations › Connect)."
    if error.error == "invalid_client":
        return (
            "Check the Client ID and Client Secret of your app in PagerDuty (Integrations › App "
            "Registration), then connect again from Slack."
        )
    if error.error == "invalid_grant":
        return "The login took too long or was used twice. Start again from Slack."
    return "Check your app's Scoped OAuth settings in PagerDuty, then start again from Slack."


def _scope_problem(granted: set[str], missing: list[str]) -> str:
    if granted <= {"openid"}:
        return (
            "PagerDuty granted only the openid scope, so Round Robin cannot read schedules. In PagerDuty, "
            "open your app's Scoped OAuth settings, tick Read for Schedules, Users, On-Calls and Teams, "
            "save, and connect again."
        )
    return (
        f"PagerDuty did not grant {', '.join(missing)}. Tick Read access for them in your app's Scoped "
        "OAuth settings in PagerDuty, save, and connect again."
    )
