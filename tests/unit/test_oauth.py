import asyncio
import base64
import hashlib
import json
import time
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest

from roundrobin.access import Access
from roundrobin.config import load_settings
from roundrobin.pagerduty import oauth
from roundrobin.pagerduty.client import PagerDutyAuthError, PagerDutyUnavailable
from roundrobin.pagerduty.connection import PagerDutyConnection
from roundrobin.store import integrations as store
from roundrobin.store.integrations import Connection
from tests.unit.mock_http import RESETS, TIMEOUTS, CutShort, MockHttp, not_http
from tests.unit.test_rotation_service import Roles


def test_authorize_url_carries_pkce_s256_state_and_scopes():
    login = oauth.new_login()
    url = oauth.authorize_url("https://identity.example", "client-1", "https://rr.example/cb", login)
    parsed = urlparse(url)
    q = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    assert parsed.path == "/oauth/authorize"
    assert q["response_type"] == "code" and q["client_id"] == "client-1"
    assert q["redirect_uri"] == "https://rr.example/cb" and q["state"] == login.state
    assert q["code_challenge_method"] == "S256"
    digest = hashlib.sha256(login.code_verifier.encode()).digest()
    assert q["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert set(q["scope"].split()) == {*oauth.REQUESTED_SCOPES, oauth.WRITE_SCOPE}
    assert 43 <= len(login.code_verifier) <= 128


def test_each_login_is_unique():
    assert oauth.new_login().state != oauth.new_login().state


def test_missing_scopes():
    assert oauth.missing_scopes({"openid"}) == list(oauth.REQUIRED_SCOPES)
    assert oauth.missing_scopes({"openid", *oauth.REQUIRED_SCOPES}) == []


def _jwt(claims: dict) -> str:
    def part(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.sig"


def test_region_comes_from_the_id_token_audience():
    eu = oauth.id_token_claims(_jwt({"aud": ["https://api.eu.pagerduty.com", "c"], "subdomain": "acme"}))
    us = oauth.id_token_claims(_jwt({"aud": ["https://api.pagerduty.com", "c"]}))
    assert oauth.region_from_claims(eu) == "eu" and eu["subdomain"] == "acme"
    assert oauth.region_from_claims(us) == "us"


# --- the token endpoint: what is sent, and every kind of answer (scripted with aioresponses) --------

IDENTITY = "https://identity.pagerduty.com"
TOKEN_URL = IDENTITY + "/oauth/token"
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}


@pytest.fixture
def identity():
    with MockHttp() as mock:
        yield mock


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


def answer(identity: MockHttp, status: int, body, **kw) -> None:
    """The token endpoint's next answer: a dict or list goes as JSON, text as an HTML page."""
    if isinstance(body, dict | list):
        identity.post(TOKEN_URL, status=status, body=json.dumps(body), **kw)
    else:
        identity.post(TOKEN_URL, status=status, body=body, content_type="text/html", **kw)


GOOD = {
    "access_token": "pdus+access-1",
    "refresh_token": "pdus+refresh-1",
    "token_type": "bearer",
    "expires_in": 86400,
    "scope": "openid schedules.read users.read oncalls.read",
}


async def test_a_code_exchange_posts_the_form_pagerduty_documents(identity, http):
    answer(identity, 200, {**GOOD, "id_token": _jwt({"subdomain": "acme"})})
    tokens = await oauth.exchange_code(
        http, IDENTITY + "/", "client-1", "secret-1", "code-1", "https://rr.example/cb", "v" * 43
    )
    [sent] = identity.sent
    assert (sent.method, str(sent.url), sent.allow_redirects) == ("POST", TOKEN_URL, False)
    assert sent.headers == FORM_HEADERS and sent.kwargs["timeout"] == oauth.TOKEN_TIMEOUT
    assert sent.form == {
        "grant_type": "authorization_code",
        "code": "code-1",
        "redirect_uri": "https://rr.example/cb",
        "client_id": "client-1",
        "client_secret": "secret-1",  # Scoped OAuth apps are confidential clients: always sent
        "code_verifier": "v" * 43,
    }
    assert (tokens.access_token, tokens.refresh_token, tokens.scopes) == (
        "pdus+access-1",
        "pdus+refresh-1",
        {"openid", "schedules.read", "users.read", "oncalls.read"},
    )
    assert oauth.id_token_claims(tokens.id_token) == {"subdomain": "acme"}


async def test_a_refresh_posts_the_refresh_token_with_the_client(identity, http):
    answer(identity, 200, GOOD)
    await oauth.refresh(http, IDENTITY, "client-1", "secret-1", "pdus+refresh-0")
    [sent] = identity.sent
    assert (sent.method, str(sent.url), sent.allow_redirects) == ("POST", TOKEN_URL, False)
    assert sent.headers == FORM_HEADERS and sent.kwargs["timeout"] == oauth.TOKEN_TIMEOUT
    assert sent.form == {
        "grant_type": "refresh_token",
        "refresh_token": "pdus+refresh-0",
        "client_id": "client-1",
        "client_secret": "secret-1",
    }


TEMPORARY = [
    pytest.param(429, {"error": "rate_limited"}, "rate limiting Round Robin (HTTP 429)", id="429"),
    pytest.param(500, "<html>oops</html>", "had a problem (HTTP 500)", id="500 page"),
    pytest.param(502, "", "had a problem (HTTP 502)", id="502 empty"),
    pytest.param(503, {"error": "temporarily_unavailable"}, "had a problem (HTTP 503)", id="503 json"),
    pytest.param(408, "", "had a problem (HTTP 408)", id="408"),
    pytest.param(
        400, "<html>Bad gateway config</html>", "cannot use (HTTP 400)", id="400 without OAuth body"
    ),
    pytest.param(401, "", "cannot use (HTTP 401)", id="401 without OAuth body"),
    pytest.param(403, "<html>blocked</html>", "cannot use (HTTP 403)", id="403 page"),
    pytest.param(400, {"error": ""}, "cannot use (HTTP 400)", id="400 with an empty error"),
    pytest.param(400, {"error": {"code": 1}}, "cannot use (HTTP 400)", id="400 with an error object"),
    pytest.param(302, "", "cannot use (HTTP 302)", id="302 redirect"),
    pytest.param(200, "<html>maintenance</html>", "it is not a JSON object", id="200 not JSON"),
    pytest.param(200, '{"access_token": "pdus+acc', "it is not a JSON object", id="200 cut-off JSON"),
    pytest.param(200, ["access_token"], "it is not a JSON object", id="200 JSON list"),
    pytest.param(200, {"token_type": "bearer"}, "it has no access_token", id="200 no access_token"),
    pytest.param(200, {**GOOD, "access_token": 42}, "it has no access_token", id="200 access_token not text"),
    pytest.param(200, {**GOOD, "expires_in": "soon"}, "expires_in is not a number", id="200 bad expires_in"),
    pytest.param(
        200, {**GOOD, "expires_in": True}, "expires_in is not a number", id="200 boolean expires_in"
    ),
    pytest.param(200, {**GOOD, "expires_in": -5}, "expires_in is not a number", id="200 negative expires_in"),
    pytest.param(200, {**GOOD, "scope": ["openid"]}, "scope or id_token is not text", id="200 scope list"),
    pytest.param(200, {**GOOD, "refresh_token": {"x": 1}}, "it has no refresh_token", id="200 refresh dict"),
]


@pytest.mark.parametrize(("status", "body", "words"), TEMPORARY)
async def test_a_refresh_answered_by_a_busy_broken_or_garbled_server_is_temporary(
    identity, http, status, body, words
):
    answer(identity, status, body)
    with pytest.raises(oauth.OAuthError) as e:
        await oauth.refresh(http, IDENTITY, "client-1", "secret-1", "pdus+refresh-0")
    assert e.value.permanent is False and e.value.error is None
    assert words in str(e.value)
    assert "secret-1" not in str(e.value) and "pdus+" not in str(e.value)
    assert len(identity.sent) == 1, "nothing is retried or followed here: the next sync tries again"


FAULTS = [
    *(pytest.param({"exception": make()}, "could not be reached", id=name) for name, make in RESETS.items()),
    *(
        pytest.param({"exception": make()}, "did not answer in time", id=name)
        for name, make in TIMEOUTS.items()
    ),
    pytest.param({"response_class": CutShort, "body": "{}"}, "could not be reached", id="body cut short"),
    pytest.param({"exception": not_http("POST", TOKEN_URL)}, "could not be reached", id="not HTTP"),
]


@pytest.mark.parametrize(("fault", "words"), FAULTS)
async def test_a_refresh_that_times_out_or_is_reset_is_temporary(identity, http, fault, words):
    identity.post(TOKEN_URL, **fault)
    with pytest.raises(oauth.OAuthError) as e:
        await oauth.refresh(http, IDENTITY, "client-1", "secret-1", "pdus+refresh-0")
    assert e.value.permanent is False and words in str(e.value)


@pytest.mark.parametrize(
    ("status", "error", "words"),
    [
        (400, "invalid_grant", "expired, used or revoked"),
        (401, "invalid_client", "did not accept the Client ID and Client Secret"),
        (400, "unauthorized_client", "may not use this kind of login"),
        (400, "invalid_request", "PagerDuty refused the login (HTTP 400, invalid_request)"),
    ],
)
async def test_only_pagerdutys_own_refusals_are_permanent(identity, http, status, error, words):
    answer(identity, status, {"error": error, "error_description": "no"})
    with pytest.raises(oauth.OAuthError) as e:
        await oauth.refresh(http, IDENTITY, "client-1", "secret-1", "pdus+refresh-0")
    assert e.value.permanent is True and e.value.error == error
    assert words in str(e.value)


async def test_a_good_answer_is_read(identity, http):
    answer(identity, 200, {**GOOD, "expires_in": "3600", "id_token": _jwt({"subdomain": "acme"})})
    tokens = await oauth.refresh(http, IDENTITY, "client-1", "secret-1", "pdus+refresh-0")
    assert (tokens.access_token, tokens.refresh_token) == ("pdus+access-1", "pdus+refresh-1")
    assert 3500 < tokens.expires_at - time.time() <= 3600
    assert oauth.id_token_claims(tokens.id_token) == {"subdomain": "acme"}


async def test_a_refresh_may_keep_its_refresh_token_but_a_first_login_must_bring_one(identity, http):
    answer(identity, 200, {k: v for k, v in GOOD.items() if k != "refresh_token"}, repeat=True)
    tokens = await oauth.refresh(http, IDENTITY, "client-1", "secret-1", "pdus+refresh-0")
    assert tokens.refresh_token == ""  # the caller keeps the one it has
    with pytest.raises(oauth.OAuthError, match="it has no refresh_token") as e:
        await oauth.exchange_code(http, IDENTITY, "client-1", "secret-1", "code", "https://rr/cb", "v" * 43)
    assert e.value.permanent is False


@pytest.mark.parametrize(
    "id_token",
    [
        "not a jwt",
        "a.b",
        "a.!!!.c",
        "a." + base64.urlsafe_b64encode(b"[1, 2]").decode() + ".c",
        "a.bm90IGpzb24.c",
    ],
)
def test_an_id_token_that_is_not_a_jwt_with_claims_is_an_error(id_token):
    with pytest.raises(oauth.OAuthError, match="ID token Round Robin cannot read"):
        oauth.id_token_claims(id_token)


def test_no_id_token_is_no_claims_and_odd_claims_are_ignored():
    assert oauth.id_token_claims(None) == {}
    claims = {"aud": 7, "region": ["eu"], "subdomain": {"a": 1}}
    assert oauth.region_from_claims(claims) == "us"
    assert oauth.claim_text(claims, "subdomain") is None


# --- what a refresh does to the stored connection ----------------------------------------------------


async def stored_oauth_connection(db, vault, http) -> PagerDutyConnection:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-1-2-abcd",
            "SLACK_APP_TOKEN": "xapp-1-A1-2-abc",
            "PAGERDUTY_IDENTITY_URL": IDENTITY,
        }
    )
    await store.save_connection(
        db,
        Connection(
            method="oauth",
            status="connected",
            region="us",
            connected_by="U0ADMIN",
            connected_at=1.0,
            client_id="client-1",
            client_secret_enc=vault.encrypt("secret-1"),
            access_token_enc=vault.encrypt("pdus+access-0"),
            refresh_token_enc=vault.encrypt("pdus+refresh-0"),
            token_expires_at=time.time() + 60,  # inside the refresh margin: the next use refreshes
            granted_scopes="openid schedules.read users.read oncalls.read",
        ),
    )

    async def revert(*args):
        return []

    return PagerDutyConnection(db, vault, settings, http, revert, Access(db, Roles(), ()))


async def test_a_token_near_expiry_is_refreshed_once_however_many_ask_at_the_same_time(
    db, vault, identity, http
):
    """PagerDuty rotates refresh tokens: a second refresh with the spent one would be refused."""
    connection = await stored_oauth_connection(db, vault, http)
    answer(identity, 200, GOOD)
    tokens = await asyncio.gather(*(connection.access_token() for _ in range(3)))
    assert tokens == ["pdus+access-1"] * 3
    [sent] = identity.sent
    assert sent.form["refresh_token"] == "pdus+refresh-0" and sent.form["client_secret"] == "secret-1"
    stored = await connection.current()
    assert vault.decrypt(stored.refresh_token_enc) == "pdus+refresh-1"
    assert 86000 < stored.token_expires_at - time.time() <= 86400


SOME_TEMPORARY = ("429", "502 empty", "503 json", "200 not JSON", "200 JSON list", "200 no access_token")


@pytest.mark.parametrize(("status", "body", "words"), [p for p in TEMPORARY if p.id in SOME_TEMPORARY])
async def test_a_temporary_refresh_failure_is_retried_later_and_never_asks_for_reauthorisation(
    db, vault, identity, http, status, body, words
):
    connection = await stored_oauth_connection(db, vault, http)
    answer(identity, status, body)
    with pytest.raises(PagerDutyUnavailable, match="Round Robin will try again"):
        await connection.access_token()
    stored = await connection.current()
    assert stored.status == "connected" and stored.last_error is None
    assert vault.decrypt(stored.refresh_token_enc) == "pdus+refresh-0"
    answer(identity, 200, GOOD)  # PagerDuty is back: the same refresh token works
    assert await connection.access_token() == "pdus+access-1"
    assert [s.form["refresh_token"] for s in identity.sent] == ["pdus+refresh-0", "pdus+refresh-0"]
    assert vault.decrypt((await connection.current()).refresh_token_enc) == "pdus+refresh-1"


async def test_a_refused_refresh_asks_for_reauthorisation_and_keeps_everything(db, vault, identity, http):
    connection = await stored_oauth_connection(db, vault, http)
    answer(identity, 400, {"error": "invalid_grant"})
    with pytest.raises(PagerDutyAuthError, match="PagerDuty refused to renew the login"):
        await connection.access_token()
    stored = await connection.current()
    assert stored.status == "needs_reauth" and "Reconnect with OAuth" in stored.last_error
    assert vault.decrypt(stored.refresh_token_enc) == "pdus+refresh-0"
    with pytest.raises(PagerDutyAuthError, match="needs to be renewed"):
        await connection.access_token()
    assert len(identity.sent) == 1, "a refused login is not tried again until someone reconnects"


async def test_the_connection_refuses_a_member_whatever_the_listener_did(db, vault, identity, http):
    from roundrobin.access import PermissionDenied

    connection = await stored_oauth_connection(db, vault, http)
    for attempt in (
        connection.connect_api_key("U0MEMBER", "u+someKey1234", "us"),
        connection.change_region("U0MEMBER", "eu"),
        connection.start_oauth("U0MEMBER", "client", "secret"),
        connection.disconnect("U0MEMBER"),
    ):
        with pytest.raises(PermissionDenied, match="Only Slack workspace admins"):
            await attempt
    assert (await connection.current()) is not None, "nothing was changed"
    assert identity.sent == [], "nothing was asked of PagerDuty either"
