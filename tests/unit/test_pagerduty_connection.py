"""Connecting PagerDuty: the API-key check, the OAuth client check, and who authorised a login.

Each check runs while a person waits on a Slack modal (3 s to answer), so what it asks of PagerDuty,
and that it never retries or waits, is part of the behaviour. PagerDuty's HTTP is scripted with
aioresponses (tests/unit/mock_http.py); tests/e2e/test_connect_*.py walk the same paths through Slack
against the loopback simulator.
"""

import base64
import json
import re
import time
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest

from roundrobin.access import Access
from roundrobin.config import load_settings
from roundrobin.pagerduty.connection import (
    KEY_CHECK_TIMEOUT,
    ClientRejected,
    KeyRejected,
    PagerDutyConnection,
)
from roundrobin.store import events
from tests.unit.mock_http import RESETS, TIMEOUTS, MockHttp, any_query
from tests.unit.test_rotation_service import ADMIN, Roles

US, EU = "https://api.pagerduty.com", "https://api.eu.pagerduty.com"
TOKEN_URL = "https://identity.pagerduty.com/oauth/token"
KEY = "u+Good-Key-1234"


@pytest.fixture
def pd():
    with MockHttp() as mock:
        yield mock


@pytest.fixture
async def connection(db, vault):
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1-2-abcd", "SLACK_APP_TOKEN": "xapp-1-A1-2-abc"})

    async def revert(*args):
        return []

    async with aiohttp.ClientSession() as http:
        yield PagerDutyConnection(db, vault, settings, http, revert, Access(db, Roles(), ()))


def users_page(host: str = "acme.pagerduty.com") -> dict:
    return {"users": [{"id": "P1", "html_url": f"https://{host}/users/P1"}], "limit": 1, "more": True}


# --- the API-key check ----------------------------------------------------------------------------


async def test_a_key_is_checked_with_one_small_read_in_its_region_then_stored(connection, pd, vault):
    pd.get(any_query(EU + "/users"), payload=users_page("acme.eu.pagerduty.com"))
    saved = await connection.connect_api_key(ADMIN, f"  {KEY}\n", "eu")
    [sent] = pd.sent
    assert (sent.method, str(sent.url)) == ("GET", EU + "/users?limit=1")
    assert sent.headers["Authorization"] == f"Token token={KEY}", "the key is sent trimmed"
    assert sent.kwargs["timeout"] == aiohttp.ClientTimeout(total=KEY_CHECK_TIMEOUT) and KEY_CHECK_TIMEOUT < 3
    stored = await connection.current()
    assert stored == saved
    assert (stored.method, stored.region, stored.api_key_last4, stored.pd_account) == (
        "api_key",
        "eu",
        "1234",
        "acme.eu.pagerduty.com",
    )
    assert vault.decrypt(stored.api_key_enc) == KEY and KEY not in stored.api_key_enc


@pytest.mark.parametrize("key", ["short", "u+has a space", "u+tab\there1"])
async def test_what_cannot_be_a_key_is_refused_without_asking_pagerduty(connection, pd, key):
    with pytest.raises(KeyRejected, match="does not look like a PagerDuty API key"):
        await connection.connect_api_key(ADMIN, key, "us")
    assert pd.sent == [] and await connection.current() is None


REFUSED = [
    pytest.param({"status": 401, "body": "<html>no</html>"}, "PagerDuty rejected this key", id="401"),
    pytest.param(
        {"status": 403, "payload": {"error": {"message": "Access Denied", "code": 2010}}},
        "may not read users",
        id="403",
    ),
    pytest.param(
        {"status": 400, "payload": {"error": {"message": "Invalid Input Provided", "code": 2001}}},
        "PagerDuty did not accept this key: PagerDuty refused the request to /users (HTTP 400): Invalid Input",
        id="400",
    ),
    pytest.param({"status": 503, "body": "<html>down</html>"}, "could not be reached", id="503"),
    pytest.param({"status": 200, "body": "<html>portal</html>"}, "could not be reached", id="200 not JSON"),
    pytest.param(
        {"status": 429, "payload": {"error": {"code": 2020}}, "headers": {"ratelimit-reset": "20"}},
        "could not be reached",
        id="429",
    ),
    *(pytest.param({"exception": make()}, "could not be reached", id=name) for name, make in RESETS.items()),
    *(
        pytest.param({"exception": make()}, "could not be reached", id=name)
        for name, make in TIMEOUTS.items()
    ),
]


@pytest.mark.parametrize(("answer", "words"), REFUSED)
async def test_a_key_check_that_fails_asks_once_waits_for_nothing_and_stores_nothing(
    connection, pd, db, answer, words
):
    pd.get(any_query(US + "/users"), repeat=True, **answer)
    started = time.monotonic()
    with pytest.raises(KeyRejected, match=re.escape(words)) as refused:
        await connection.connect_api_key(ADMIN, KEY, "us")
    assert time.monotonic() - started < 1, "no backoff or rate-limit wait inside a modal submission"
    assert len(pd.sent) == 1, "one request: a retry would not fit in Slack's 3 seconds"
    assert KEY not in str(refused.value) and "<html>" not in str(refused.value)
    assert await connection.current() is None
    assert await events.recent(db, kinds=("pagerduty.connected",)) == []


async def test_changing_the_region_checks_the_stored_key_there_first(connection, pd):
    pd.get(any_query(US + "/users"), payload=users_page())
    await connection.connect_api_key(ADMIN, KEY, "us")
    pd.get(any_query(EU + "/users"), status=401)
    with pytest.raises(KeyRejected, match="rejected this key"):
        await connection.change_region(ADMIN, "eu")
    assert (await connection.current()).region == "us", "a key EU refuses leaves the US connection"

    pd.get(any_query(EU + "/users"), payload=users_page("acme.eu.pagerduty.com"))
    await connection.change_region(ADMIN, "eu")
    assert [(s.url.host, s.headers["Authorization"]) for s in pd.sent] == [
        ("api.pagerduty.com", f"Token token={KEY}"),
        ("api.eu.pagerduty.com", f"Token token={KEY}"),
        ("api.eu.pagerduty.com", f"Token token={KEY}"),
    ]
    stored = await connection.current()
    assert (stored.region, stored.pd_account) == ("eu", "acme.eu.pagerduty.com")


# --- the OAuth client check at Save ---------------------------------------------------------------


async def test_a_client_pagerduty_refuses_is_caught_at_save_and_nothing_is_stored(connection, pd, db):
    pd.post(TOKEN_URL, status=401, payload={"error": "invalid_client", "error_description": "bad"})
    with pytest.raises(ClientRejected, match="did not accept this Client ID and Client Secret"):
        await connection.start_oauth(ADMIN, "client-1", "wrong-secret")
    [sent] = pd.sent
    assert sent.method == "POST" and sent.allow_redirects is False
    assert sent.form == {
        "grant_type": "client_credentials",
        "client_id": "client-1",
        "client_secret": "wrong-secret",
    }, "no account scope: the grant cannot succeed, so no token is ever minted by the check"
    assert sent.kwargs["timeout"] == aiohttp.ClientTimeout(total=KEY_CHECK_TIMEOUT)
    assert await connection.pending_login() is None


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param({"status": 400, "payload": {"error": "invalid_scope"}}, id="client accepted"),
        pytest.param({"status": 400, "body": "<html>not json</html>"}, id="400 not JSON"),
        pytest.param({"status": 503, "body": "<html>down</html>"}, id="503"),
        pytest.param({"status": 200, "payload": {"access_token": "x"}}, id="200"),
        *(pytest.param({"exception": make()}, id=name) for name, make in {**RESETS, **TIMEOUTS}.items()),
    ],
)
async def test_any_other_answer_lets_the_login_go_on(connection, pd, answer):
    """The code exchange checks the client again: a check that could not tell must not block the login."""
    pd.post(TOKEN_URL, **answer)
    link = await connection.start_oauth(ADMIN, "client-1", "secret-1")
    assert link.startswith("http://localhost:3000/api/integrations/pagerduty/login/start?login=")
    assert (await connection.pending_login()).client_id == "client-1"
    assert len(pd.sent) == 1


# --- who authorised: /users/me after the code exchange --------------------------------------------


def _jwt(claims: dict) -> str:
    def part(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.sig"


async def login_until_the_callback(connection, pd) -> tuple[str, str]:
    """Save the client, open the link in a browser: the state PagerDuty echoes and the browser's cookie."""
    pd.post(TOKEN_URL, status=400, payload={"error": "invalid_scope"})  # the client check passes
    link = await connection.start_oauth(ADMIN, "client-1", "secret-1", "V1")
    browser = await connection.open_in_browser(parse_qs(urlparse(link).query)["login"][0])
    state = parse_qs(urlparse(browser.authorize_url).query)["state"][0]
    return state, browser.cookie


TOKENS = {
    "access_token": "pdus+access-1",
    "refresh_token": "pdus+refresh-1",
    "expires_in": 86400,
    "scope": "openid schedules.read users.read oncalls.read",
    "id_token": _jwt({"aud": ["https://api.eu.pagerduty.com"], "subdomain": "acme", "user_id": "PID9"}),
}


async def test_the_person_who_authorised_is_asked_for_in_the_region_the_id_token_names(connection, pd):
    state, cookie = await login_until_the_callback(connection, pd)
    pd.post(TOKEN_URL, payload=TOKENS)
    pd.get(EU + "/users/me", payload={"user": {"id": "PANN", "name": "Ann Example"}})
    done = await connection.finish_oauth(state, "code-1", browser=cookie)
    me = pd.sent[-1]
    assert (me.method, str(me.url), me.headers["Authorization"]) == (
        "GET",
        EU + "/users/me",
        "Bearer pdus+access-1",
    )
    assert (done.slack_user_id, done.pd_user_name, done.view_id) == (ADMIN, "Ann Example", "V1")
    stored = await connection.current()
    assert (stored.region, stored.pd_account, stored.pd_user_id) == ("eu", "acme", "PANN")


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param({"payload": {"user": "PANN"}}, id="user not an object"),
        pytest.param({"body": "[]"}, id="JSON list"),
        pytest.param({"status": 403, "payload": {"error": {"message": "Access Denied"}}}, id="403"),
    ],
)
async def test_an_unusable_users_me_falls_back_to_the_id_token(connection, pd, answer):
    state, cookie = await login_until_the_callback(connection, pd)
    pd.post(TOKEN_URL, payload=TOKENS)
    pd.get(EU + "/users/me", repeat=True, **answer)
    done = await connection.finish_oauth(state, "code-1", browser=cookie)
    assert done.pd_user_name == "PagerDuty user PID9"
    stored = await connection.current()
    assert (stored.status, stored.pd_user_id) == ("connected", "PID9"), "the login is kept all the same"
    assert 1 <= len([s for s in pd.sent if s.path == "/users/me"]) <= 2, "at most one retry"
