"""Walkthrough: connect PagerDuty with OAuth 2.0, refresh, and the ways a login can fail."""

import sqlite3
import time
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from yarl import URL

from roundrobin.config import CALLBACK_PATH
from roundrobin.sim.pagerduty.oauth import consent_links
from roundrobin.slack.ids import PagerDuty
from tests.e2e.conftest import ADMIN, CLIENT_ID, CLIENT_SECRET
from tests.e2e.steps import home_after, modal_after, open_settings

pytestmark = pytest.mark.e2e


def connection(app) -> dict | None:
    with sqlite3.connect(app.db_path) as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM pagerduty_connection").fetchone()
        return dict(row) if row else None


async def start_login(slack, admin) -> str:
    """Settings › Connect › Connect with OAuth › Client ID and Secret › Save; returns the link's URL."""
    await open_settings(slack, admin)
    await modal_after(slack, admin, admin.click(PagerDuty.CONNECT))
    modal = await modal_after(slack, admin, admin.click(PagerDuty.OAUTH_START))
    text = admin.text(modal)
    assert "Scoped OAuth" in text and "schedules.read" in text and "openid" in text
    await admin.fill(PagerDuty.CLIENT_ID_INPUT, CLIENT_ID)
    await admin.fill(PagerDuty.CLIENT_SECRET_INPUT, CLIENT_SECRET)
    assert modal["submit"]["text"] == "Save"
    assert await admin.submit() == {}
    button = admin.find(PagerDuty.OAUTH_OPEN)
    assert button["text"]["text"] == "Open PagerDuty"
    return button["url"]


def new_browser() -> aiohttp.ClientSession:
    """A browser: it keeps cookies, also for 127.0.0.1 (aiohttp's default jar refuses IP hosts)."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def open_link(http: aiohttp.ClientSession, start_url: str) -> str:
    """The person presses Open PagerDuty: Round Robin's start link, which sends them to PagerDuty."""
    async with http.get(start_url, allow_redirects=False) as start:
        assert start.status == 302, await start.text()
        assert "HttpOnly" in start.headers["Set-Cookie"] and "SameSite=Lax" in start.headers["Set-Cookie"]
        return start.headers["Location"]


async def consent(http: aiohttp.ClientSession, start_url: str, approve: bool = True) -> str:
    """The person opens the link, reads PagerDuty's consent page and presses Approve (or Deny):
    where it sends them."""
    return await decide(http, await open_link(http, start_url), approve)


async def decide(http: aiohttp.ClientSession, authorize_url: str, approve: bool = True) -> str:
    """On PagerDuty's consent page, Approve (or Deny): where PagerDuty sends the browser."""
    async with http.get(authorize_url) as page:
        assert page.status == 200
        html = await page.text()
    assert "acme" in html and "Alice Admin" in html
    link = consent_links(html)["approve" if approve else "deny"]
    async with http.get(URL(authorize_url).join(URL(link)), allow_redirects=False) as decision:
        assert decision.status == 302
        return decision.headers["Location"]


async def test_the_modal_shows_the_exact_redirect_url(app, slack, pd):
    admin = slack.user(ADMIN)
    await open_settings(slack, admin)
    await modal_after(slack, admin, admin.click(PagerDuty.CONNECT))
    modal = await modal_after(slack, admin, admin.click(PagerDuty.OAUTH_START))
    assert app.url + "/api/integrations/pagerduty/login/callback" in admin.text(modal)


async def test_login_from_save_to_connected(app, slack, pd):
    admin = slack.user(ADMIN)
    url = await start_login(slack, admin)
    assert url.startswith(app.url + "/api/integrations/pagerduty/login/start?login="), (
        "Round Robin's own link"
    )
    await slack.wait_for(
        lambda: "Login pending" in admin.text(), description="the App Home to show the login"
    )

    async with new_browser() as browser:
        authorize = await open_link(browser, url)
        query = parse_qs(urlparse(authorize).query)
        assert authorize.startswith(pd.url + "/oauth/authorize?")
        assert query["response_type"] == ["code"] and query["client_id"] == [CLIENT_ID]
        assert query["redirect_uri"] == [app.url + CALLBACK_PATH]
        assert query["code_challenge_method"] == ["S256"] and query["state"][0]
        callback = await decide(browser, authorize)
        assert callback.startswith(app.url + CALLBACK_PATH + "?code=")
        async with browser.get(callback, allow_redirects=False) as page:
            body = await page.text()
            assert page.status == 200
    assert "PagerDuty connected" in body
    # back to Slack: app_redirect on Slack's host (here the simulator's, which real Slack replaces)
    assert f"{slack.url}/app_redirect?app=A0RR&amp;team=T0ACME" in body
    assert 'http-equiv="refresh"' in body

    await slack.wait_for(lambda: "Connected with OAuth as Alice Admin" in admin.text())
    # the account reads as it does for an API key, and the button is the same
    assert "Account: acme.pagerduty.com · Region: US" in admin.text()
    assert admin.find(PagerDuty.CONNECT, view=admin.home)["text"]["text"] == "Edit connection"
    stored = connection(app)
    assert stored["method"] == "oauth" and stored["status"] == "connected"
    assert stored["client_id"] == CLIENT_ID and stored["pd_user_name"] == "Alice Admin"
    assert set(stored["granted_scopes"].split()) >= {"openid", "schedules.read", "users.read", "oncalls.read"}
    raw = app.db_path.read_bytes() + app.db_path.with_name("roundrobin.db-wal").read_bytes()
    for token in pd.issued_tokens:
        assert token.access_token.encode() not in raw and token.refresh_token.encode() not in raw
    assert CLIENT_SECRET.encode() not in raw
    # the modal, still open in Slack, now tells the outcome
    await slack.wait_for(lambda: admin.modal and "PagerDuty is connected" in admin.text(admin.modal))


async def test_the_state_is_single_use(app, slack, pd):
    admin = slack.user(ADMIN)
    url = await start_login(slack, admin)
    async with new_browser() as browser:
        callback = await consent(browser, url)
        async with browser.get(callback) as first:
            assert first.status == 200
        # the first sync after connecting records its time: wait for it, the replay must change nothing
        await slack.wait_for(lambda: "pagerduty sync" in app.log_text(), description="the first sync")
        before = connection(app)
        async with browser.get(callback) as replay:
            assert replay.status == 400
            assert "already used" in await replay.text()
    assert connection(app) == before


async def test_an_unknown_state_changes_nothing(app, slack, pd):
    async with (
        new_browser() as browser,
        browser.get(app.url + CALLBACK_PATH + "?code=x&state=forged") as page,
    ):
        assert page.status == 400
        assert "not one Round Robin started" in await page.text()
    assert connection(app) is None


async def test_an_expired_state_is_refused(app, slack, pd):
    admin = slack.user(ADMIN)
    url = await start_login(slack, admin)
    async with new_browser() as browser:
        authorize = await open_link(browser, url)
        with sqlite3.connect(app.db_path) as db:  # eleven minutes pass on the consent page
            db.execute("UPDATE oauth_states SET expires_at = ?", (time.time() - 60,))
        callback = await decide(browser, authorize)
        async with browser.get(callback) as page:
            assert page.status == 400
            assert "expired" in await page.text()
    assert connection(app) is None


async def test_denying_access_says_the_login_was_cancelled(app, slack, pd):
    admin = slack.user(ADMIN)
    url = await start_login(slack, admin)
    async with new_browser() as browser:
        callback = await consent(browser, url, approve=False)
        assert "error=access_denied" in callback
        async with browser.get(callback) as page:
            body = await page.text()
    assert "Login cancelled" in body and "cancelled" in body
    assert connection(app) is None
    text = await slack.wait_for(lambda: "Login pending" not in admin.text() and admin.text())
    assert "Not connected" in text

    # Trying again: the Client ID is filled in; only the secret is typed again.
    await modal_after(slack, admin, admin.click(PagerDuty.CONNECT))
    await modal_after(slack, admin, admin.click(PagerDuty.OAUTH_START))
    assert admin.values()[PagerDuty.CLIENT_ID_BLOCK][PagerDuty.CLIENT_ID_INPUT]["value"] == CLIENT_ID


async def test_a_wrong_client_secret_is_caught_at_save_and_the_client_id_stays(app, slack, pd):
    admin = slack.user(ADMIN)
    await open_settings(slack, admin)
    await modal_after(slack, admin, admin.click(PagerDuty.CONNECT))
    await modal_after(slack, admin, admin.click(PagerDuty.OAUTH_START))
    await admin.fill(PagerDuty.CLIENT_ID_INPUT, CLIENT_ID)
    await admin.fill(PagerDuty.CLIENT_SECRET_INPUT, "not-the-secret")
    result = await admin.submit()
    words = result["errors"][PagerDuty.CLIENT_SECRET_BLOCK]
    assert words.startswith("PagerDuty did not accept this Client ID and Client Secret.")
    assert words.endswith("paste them here and press Save."), "the message ends with the next step"
    assert admin.values()[PagerDuty.CLIENT_ID_BLOCK][PagerDuty.CLIENT_ID_INPUT]["value"] == CLIENT_ID
    with sqlite3.connect(app.db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM oauth_states").fetchone() == (0,), "no login was started"
    assert not pd.issued_tokens

    await admin.fill(PagerDuty.CLIENT_SECRET_INPUT, CLIENT_SECRET)
    assert await admin.submit() == {}
    assert admin.find(PagerDuty.OAUTH_OPEN)["url"].startswith(
        app.url + "/api/integrations/pagerduty/login/start"
    )


async def test_a_token_with_only_openid_is_refused_with_what_to_fix(app, slack, pd):
    pd.add_oauth_app(
        "bare-client",
        "bare-secret",
        redirect_uris=[app.url + CALLBACK_PATH],
        scopes=set(),
        authorizing_user_id="PALICE",
    )
    admin = slack.user(ADMIN)
    await open_settings(slack, admin)
    await modal_after(slack, admin, admin.click(PagerDuty.CONNECT))
    await modal_after(slack, admin, admin.click(PagerDuty.OAUTH_START))
    await admin.fill(PagerDuty.CLIENT_ID_INPUT, "bare-client")
    await admin.fill(PagerDuty.CLIENT_SECRET_INPUT, "bare-secret")
    await admin.submit()
    url = admin.find(PagerDuty.OAUTH_OPEN)["url"]
    async with new_browser() as browser:
        callback = await consent(browser, url)
        async with browser.get(callback) as page:
            body = await page.text()
    assert page.status == 400
    assert "only the openid scope" in body and "Schedules" in body
    assert connection(app) is None
    await slack.wait_for(lambda: "only the openid scope" in admin.text())


async def connect(app, slack, pd) -> None:
    admin = slack.user(ADMIN)
    url = await start_login(slack, admin)
    async with new_browser() as browser, browser.get(await consent(browser, url)) as page:
        assert page.status == 200
    await slack.wait_for(lambda: "Connected with OAuth" in admin.text())


async def test_a_token_near_expiry_is_refreshed_and_the_new_pair_stored(app, slack, pd):
    pd.access_token_ttl = 120  # inside the app's five-minute refresh margin
    await connect(app, slack, pd)
    first = connection(app)
    admin = slack.user(ADMIN)
    await home_after(slack, admin, admin.click(PagerDuty.SYNC_NOW))
    await slack.wait_for(lambda: "Sync finished" in admin.text())
    after = connection(app)
    assert after["refresh_token_enc"] != first["refresh_token_enc"]
    assert after["token_expires_at"] > first["token_expires_at"]
    refreshes = [r for r in pd.requests if r.path == "/oauth/token"]
    assert len(refreshes) >= 2, "one code exchange, then at least one refresh"
    # the refresh token was rotated: the first one no longer works
    assert pd.issued_tokens[0].refresh_token != pd.issued_tokens[-1].refresh_token


async def test_a_401_refreshes_once_then_works(app, slack, pd):
    await connect(app, slack, pd)
    pd.expire_access_tokens()
    admin = slack.user(ADMIN)
    await home_after(slack, admin, admin.click(PagerDuty.SYNC_NOW))
    await slack.wait_for(lambda: "Sync finished" in admin.text())
    assert connection(app)["status"] == "connected" and connection(app)["last_error"] is None


async def test_a_failed_refresh_asks_for_reauthorisation_and_keeps_everything(app, slack, pd):
    await connect(app, slack, pd)
    pd.revoke_tokens()
    admin = slack.user(ADMIN)
    await home_after(slack, admin, admin.click(PagerDuty.SYNC_NOW))
    await slack.wait_for(lambda: "Needs re-authorisation" in admin.text())
    assert "PagerDuty refused to renew the login" in admin.text()
    stored = connection(app)
    assert (
        stored["status"] == "needs_reauth"
        and stored["refresh_token_enc"]
        and stored["client_id"] == CLIENT_ID
    )
    admin.find(PagerDuty.CONNECT)  # Reconnect is offered


FULL_SCOPE = "openid schedules.read users.read oncalls.read teams.read"
TOKENS = {"access_token": "pdus+a", "refresh_token": "pdus+r", "expires_in": 86400, "scope": FULL_SCOPE}
TRY_AGAIN = "Nothing was saved. Try again from Slack in a few minutes"


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        pytest.param(200, "<html>maintenance</html>", ["not a JSON object", TRY_AGAIN], id="200 not JSON"),
        pytest.param(
            200, {"token_type": "bearer"}, ["it has no access_token", TRY_AGAIN], id="no access_token"
        ),
        pytest.param(
            200,
            {**TOKENS, "refresh_token": None},
            ["it has no refresh_token", TRY_AGAIN],
            id="no refresh_token",
        ),
        pytest.param(
            200, {**TOKENS, "access_token": ["x"]}, ["it has no access_token", TRY_AGAIN], id="wrong type"
        ),
        pytest.param(
            200,
            {**TOKENS, "expires_in": "tomorrow"},
            ["expires_in is not a number", TRY_AGAIN],
            id="expires_in",
        ),
        pytest.param(
            200,
            {**TOKENS, "id_token": "not-a-jwt"},
            ["ID token Round Robin cannot read", TRY_AGAIN],
            id="id_token",
        ),
        pytest.param(503, "<html>down</html>", ["had a problem (HTTP 503)", TRY_AGAIN], id="503"),
        pytest.param(
            429, {"error": "slow down"}, ["rate limiting Round Robin (HTTP 429)", TRY_AGAIN], id="429"
        ),
        pytest.param(
            401,
            {"error": "invalid_client"},
            ["did not accept the Client ID and Client Secret", "Integrations › App Registration"],
            id="invalid_client",
        ),
    ],
)
async def test_a_token_answer_that_cannot_be_used_is_a_clean_page_that_says_what_to_do(
    app, slack, pd, status, body, words
):
    admin = slack.user(ADMIN)
    url = await start_login(slack, admin)
    async with new_browser() as browser:
        callback = await consent(browser, url)
        pd.fail_next(status, path="/oauth/token", body=body)
        async with browser.get(callback) as page:
            html = await page.text()
    assert page.status == 400 and page.content_type == "text/html"
    assert "<h1>PagerDuty was not connected</h1>" in html and "Back to Round Robin in Slack" in html
    for phrase in words:
        assert phrase in html
    assert connection(app) is None
    await slack.wait_for(lambda: words[0] in admin.text())
    assert "Traceback" not in app.log_text()


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"status": 503}, id="503"),
        pytest.param({"status": 429, "body": {"error": "rate limit"}}, id="429"),
        pytest.param({"status": 200, "body": "<html>maintenance</html>"}, id="200 not JSON"),
        pytest.param({"status": 200, "body": {"token_type": "bearer"}}, id="200 without access_token"),
    ],
)
async def test_a_refresh_that_meets_a_busy_or_garbled_pagerduty_waits_for_the_next_sync(
    app, slack, pd, fault
):
    await connect(app, slack, pd)
    await slack.wait_for(lambda: "pagerduty sync" in app.log_text(), description="the first sync")
    before = connection(app)
    pd.expire_access_tokens()  # the next call gets a 401, so the app refreshes, and meets the fault
    pd.fail_next(path="/oauth/token", **fault)
    admin = slack.user(ADMIN)
    await home_after(slack, admin, admin.click(PagerDuty.SYNC_NOW))
    text = await slack.wait_for(lambda: "Sync failed" in admin.text() and admin.text())
    assert "Round Robin will try again" in text and "Needs re-authorisation" not in text
    failed = connection(app)
    assert failed["status"] == "connected", "a temporary failure never asks for a new login"
    assert failed["refresh_token_enc"] == before["refresh_token_enc"], "the refresh token was not spent"

    await home_after(slack, admin, admin.click(PagerDuty.SYNC_NOW))  # PagerDuty is fine again
    await slack.wait_for(lambda: "Sync finished" in admin.text())
    after = connection(app)
    assert after["status"] == "connected" and after["last_error"] is None
    assert after["refresh_token_enc"] != before["refresh_token_enc"], "the retry refreshed"


async def test_the_login_completes_only_in_the_browser_that_opened_it(app, slack, pd):
    admin = slack.user(ADMIN)
    url = await start_login(slack, admin)
    async with new_browser() as admins_browser, new_browser() as someone_elses:
        authorize = await open_link(admins_browser, url)
        # Whoever else holds the link cannot open it again, nor finish with PagerDuty's consent link.
        async with someone_elses.get(url, allow_redirects=False) as again:
            assert again.status == 400 and "works once, in one browser" in await again.text()
        callback = await decide(someone_elses, authorize)
        async with someone_elses.get(callback) as page:
            assert page.status == 400
            assert "started in another browser" in await page.text()
        assert connection(app) is None, "nothing connected as the admin"
        # The admin's own browser still finishes it.
        async with admins_browser.get(await decide(admins_browser, authorize)) as page:
            assert page.status == 200 and "PagerDuty connected" in await page.text()
    assert connection(app)["status"] == "connected"
