"""The PagerDuty REST client: the requests it sends, and what it does with every kind of answer.

PagerDuty's HTTP is scripted with aioresponses (tests/unit/mock_http.py); the end-to-end tests run
the same client against the loopback simulator in contract mode.
"""

import aiohttp
import pytest

from roundrobin.pagerduty.client import (
    PagerDutyAuthError,
    PagerDutyClient,
    PagerDutyListTooLong,
    PagerDutyNotFound,
    PagerDutyRequestError,
    PagerDutyScopeError,
    PagerDutyUnavailable,
    StaticApiKey,
)
from tests.unit.mock_http import RESETS, TIMEOUTS, CutShort, MockHttp, any_query, not_http

BASE = "https://api.pagerduty.com"
KEY = "u+" + "k" * 18


class Sleeps(list):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


class RefreshingToken:
    kind = "oauth"

    def __init__(self):
        self.refreshes = 0

    async def authorization(self, force_refresh: bool = False) -> str:
        if force_refresh:
            self.refreshes += 1
        return f"Bearer token-{self.refreshes}"


@pytest.fixture
def pd():
    with MockHttp() as mock:
        yield mock


@pytest.fixture
async def client():
    async with aiohttp.ClientSession() as session:

        def make(credentials=None, **kw):
            sleeps = Sleeps()
            c = PagerDutyClient(session, BASE, credentials or StaticApiKey(KEY), sleep=sleeps, **kw)
            return c, sleeps

        yield make


def users(**kw):
    return {"url": any_query(BASE + "/users"), **kw}


# --- what is sent ----------------------------------------------------------------------------------


async def test_an_api_key_is_sent_as_pagerdutys_token_header_with_the_v2_accept(client, pd):
    c, _ = client(timeout=4)
    pd.get(**users(payload={"users": []}))
    await c.get("/users", [("limit", 1), ("include[]", "teams")])
    [sent] = pd.sent
    assert (sent.method, str(sent.url.with_query(None))) == ("GET", BASE + "/users")
    assert sent.query == {"limit": "1", "include[]": "teams"}
    assert sent.headers == {
        "Authorization": f"Token token={KEY}",
        "Accept": "application/vnd.pagerduty+json;version=2",
    }
    assert sent.kwargs["timeout"] == aiohttp.ClientTimeout(total=4)
    assert sent.allow_redirects is False, "a redirect would carry the key to another host"


async def test_an_oauth_token_is_sent_as_a_bearer_header(client, pd):
    c, _ = client(RefreshingToken())
    pd.get(**users(payload={"users": []}))
    await c.get("/users")
    assert pd.sent[0].headers["Authorization"] == "Bearer token-0"


async def test_a_redirect_is_not_followed_but_refused(client, pd):
    c, _ = client()
    pd.get(**users(status=302, headers={"Location": "https://elsewhere.example/users"}))
    with pytest.raises(PagerDutyRequestError, match="HTTP 302"):
        await c.get("/users")
    assert [s.url.host for s in pd.sent] == ["api.pagerduty.com"]


# --- 401, 403, 404, 400 ----------------------------------------------------------------------------


async def test_an_api_key_401_is_an_auth_error_at_once_whatever_the_body(client, pd):
    c, sleeps = client()
    pd.get(
        **users(status=401, body="<html><b>Unauthorized</b> secret-ish page</html>", content_type="text/html")
    )
    with pytest.raises(PagerDutyAuthError) as refused:
        await c.get("/users")
    assert str(refused.value) == "PagerDuty rejected the credentials (HTTP 401)", "the body is never shown"
    assert len(pd.sent) == 1 and sleeps == []


async def test_an_oauth_401_refreshes_once_then_retries_with_the_new_token(client, pd):
    token = RefreshingToken()
    c, _ = client(token)
    pd.get(**users(status=401, body="not json", content_type="text/plain"))
    pd.get(**users(payload={"users": [{"id": "P1"}]}))
    assert (await c.get("/users"))["users"] == [{"id": "P1"}]
    assert [s.headers["Authorization"] for s in pd.sent] == ["Bearer token-0", "Bearer token-1"]


async def test_an_oauth_401_after_the_refresh_gives_up(client, pd):
    token = RefreshingToken()
    c, _ = client(token)
    pd.get(**users(status=401, repeat=True))
    with pytest.raises(PagerDutyAuthError):
        await c.get("/users")
    assert token.refreshes == 1 and len(pd.sent) == 2


@pytest.mark.parametrize(
    ("status", "answer", "error", "words"),
    [
        pytest.param(
            403,
            {"payload": {"error": {"message": "Token missing required scopes", "code": 2010}}},
            PagerDutyScopeError,
            "refused access to /users (HTTP 403): Token missing required scopes",
            id="403 with PagerDuty's error",
        ),
        pytest.param(
            403,
            {"body": "<html>Forbidden by proxy</html>", "content_type": "text/html"},
            PagerDutyScopeError,
            "refused access to /users (HTTP 403)",
            id="403 page",
        ),
        pytest.param(
            404,
            {"payload": {"error": {"message": "Not Found", "code": 2100}}},
            PagerDutyNotFound,
            "PagerDuty has no /users (HTTP 404)",
            id="404",
        ),
        pytest.param(
            400,
            {"payload": {"error": {"message": "Invalid Input Provided", "errors": ["Offset must be >= 0"]}}},
            PagerDutyRequestError,
            "(HTTP 400): Invalid Input Provided; Offset must be >= 0",
            id="400 with details",
        ),
    ],
)
async def test_refusals_are_raised_at_once_in_plain_words(client, pd, status, answer, error, words):
    c, sleeps = client()
    pd.get(**users(status=status, **answer))
    with pytest.raises(error) as refused:
        await c.get("/users")
    assert str(refused.value).endswith(words) and "<html>" not in str(refused.value)
    assert len(pd.sent) == 1 and sleeps == [], "a refusal is not retried"


# --- 429 -------------------------------------------------------------------------------------------


async def test_429_waits_for_ratelimit_reset_then_sends_the_same_request_again(client, pd):
    c, sleeps = client()
    pd.get(
        **users(
            status=429,
            payload={"error": {"message": "Rate Limit Exceeded", "code": 2020}},
            headers={"ratelimit-reset": "7"},
        )
    )
    pd.get(**users(payload={"users": [{"id": "P1"}]}))
    assert (await c.get("/users", [("limit", 1)]))["users"] == [{"id": "P1"}]
    assert sleeps == [7.0] and c.rate_limited == 1
    assert pd.sent[0].url == pd.sent[1].url and pd.sent[0].headers == pd.sent[1].headers


@pytest.mark.parametrize(
    ("reset", "wait"),
    [("0", 0.5), ("0.2", 0.5), ("600", 60.0), ("soon", 5.0), (None, 5.0)],
    ids=["zero", "tiny", "huge", "not a number", "missing"],
)
async def test_429_waits_are_bounded_and_a_missing_reset_waits_five_seconds(client, pd, reset, wait):
    c, sleeps = client()
    headers = {"ratelimit-reset": reset} if reset is not None else {}
    pd.get(**users(status=429, payload={"error": {"code": 2020}}, headers=headers))
    pd.get(**users(payload={}))
    await c.get("/users")
    assert sleeps == [wait]


async def test_rate_limit_beyond_patience_is_unavailable(client, pd):
    c, sleeps = client(max_rate_limit_wait=10)
    pd.get(
        **users(status=429, payload={"error": {"code": 2020}}, headers={"ratelimit-reset": "6"}, repeat=True)
    )
    with pytest.raises(PagerDutyUnavailable, match="rate limit"):
        await c.get("/users")
    assert sleeps == [6.0] and len(pd.sent) == 2


# --- 5xx, 408, timeouts, resets, garbled answers: retried with backoff -----------------------------

TEMPORARY = [
    pytest.param(
        {"status": 500, "body": "<html>oops</html>", "content_type": "text/html"}, "HTTP 500", id="500 page"
    ),
    pytest.param({"status": 502, "body": ""}, "HTTP 502", id="502 empty"),
    pytest.param({"status": 503, "payload": {"error": "unavailable"}}, "HTTP 503", id="503 json"),
    pytest.param({"status": 408, "body": ""}, "HTTP 408", id="408"),
    pytest.param({"body": '{"users": [', "status": 200}, "not a JSON object", id="200 cut-off JSON"),
    pytest.param(
        {"body": "<html>maintenance</html>", "content_type": "text/html"},
        "not a JSON object",
        id="200 HTML page",
    ),
    pytest.param({"body": "[]"}, "not a JSON object", id="200 JSON list"),
    pytest.param({"body": "null"}, "not a JSON object", id="200 JSON null"),
    pytest.param({"response_class": CutShort}, "could not be reached", id="body cut short"),
    *(pytest.param({"exception": make()}, "could not be reached", id=name) for name, make in RESETS.items()),
    *(
        pytest.param({"exception": make()}, "did not answer in time", id=name)
        for name, make in TIMEOUTS.items()
    ),
    pytest.param({"exception": not_http("GET", BASE + "/users")}, "could not be reached", id="not HTTP"),
]


@pytest.mark.parametrize(("answer", "words"), TEMPORARY)
async def test_a_temporary_failure_is_retried_with_growing_backoff_then_unavailable(
    client, pd, answer, words
):
    c, sleeps = client(max_retries=3)
    pd.get(**users(repeat=True, **answer))
    with pytest.raises(PagerDutyUnavailable, match=words):
        await c.get("/users")
    assert len(pd.sent) == 4 and len({s.url for s in pd.sent}) == 1
    assert len(sleeps) == 3
    for wait, base in zip(sleeps, (0.5, 1.0, 2.0), strict=True):
        assert base <= wait <= base * 1.25, "exponential backoff with up to 25% jitter"


@pytest.mark.parametrize(("answer", "words"), TEMPORARY[::3])
async def test_a_temporary_failure_then_a_good_answer_succeeds(client, pd, answer, words):
    c, sleeps = client()
    pd.get(**users(**answer))
    pd.get(**users(payload={"users": [{"id": "P1"}]}))
    assert (await c.get("/users"))["users"] == [{"id": "P1"}]
    assert len(pd.sent) == 2 and len(sleeps) == 1


async def test_backoff_stops_growing_at_eight_seconds(client, pd):
    c, sleeps = client(max_retries=6)
    pd.get(**users(status=503, repeat=True))
    with pytest.raises(PagerDutyUnavailable):
        await c.get("/users")
    for wait, base in zip(sleeps, (0.5, 1.0, 2.0, 4.0, 8.0, 8.0), strict=True):
        assert base <= wait <= base * 1.25


# --- pagination ------------------------------------------------------------------------------------


async def test_paginate_follows_more_with_the_next_offset(client, pd):
    c, _ = client()
    pd.get(**users(payload={"users": [{"id": "A"}, {"id": "B"}], "more": True}))
    pd.get(**users(payload={"users": [{"id": "C"}], "more": False}))
    ids = [u["id"] async for u in c.paginate("/users", "users", [("query", "ann")], limit=2)]
    assert ids == ["A", "B", "C"] and c.requests_made == 2
    assert [s.query for s in pd.sent] == [
        {"query": "ann", "limit": "2", "offset": "0"},
        {"query": "ann", "limit": "2", "offset": "2"},
    ]


async def test_paginate_refuses_to_end_short_at_the_offset_cap(client, pd):
    """PagerDuty answers no page past offset + limit = 10,000: a longer list is an error, not a short one."""
    c, _ = client()
    pd.get(any_query(BASE + "/oncalls"), payload={"oncalls": [{"n": 1}] * 100, "more": True}, repeat=True)
    seen = 0
    with pytest.raises(PagerDutyListTooLong, match="more than 10,000 items"):
        async for _ in c.paginate("/oncalls", "oncalls"):
            seen += 1
    assert seen == 10_000 and c.requests_made == 100
    assert pd.sent[-1].query["offset"] == "9900", "no request past the cap"


async def test_paginate_with_count_refuses_a_list_too_long_before_yielding_anything(client, pd):
    c, _ = client()
    pd.get(any_query(BASE + "/oncalls"), payload={"oncalls": [{"n": 1}] * 100, "more": True, "total": 17_040})
    with pytest.raises(PagerDutyListTooLong, match="17,040 items") as refused:
        async for _ in c.paginate("/oncalls", "oncalls", [("since", "x")], count=True):
            raise AssertionError("nothing may be yielded")
    assert refused.value.total == 17_040 and len(pd.sent) == 1
    assert pd.sent[0].query == {"since": "x", "total": "true", "limit": "100", "offset": "0"}


async def test_paginate_with_count_asks_for_the_total_on_the_first_page_only(client, pd):
    c, _ = client()
    pd.get(any_query(BASE + "/oncalls"), payload={"oncalls": [{"n": 1}, {"n": 2}], "more": True, "total": 3})
    pd.get(any_query(BASE + "/oncalls"), payload={"oncalls": [{"n": 3}], "more": False, "total": None})
    rows = [r async for r in c.paginate("/oncalls", "oncalls", count=True, limit=2)]
    assert [r["n"] for r in rows] == [1, 2, 3]
    assert ["total" in s.query for s in pd.sent] == [True, False]


async def test_a_page_that_fails_is_retried_without_losing_the_place(client, pd):
    c, _ = client()
    pd.get(**users(payload={"users": [{"id": "A"}], "more": True}))
    pd.get(**users(exception=aiohttp.ServerDisconnectedError()))
    pd.get(**users(payload={"users": [{"id": "B"}], "more": False}))
    ids = [u["id"] async for u in c.paginate("/users", "users", limit=1)]
    assert ids == ["A", "B"]
    assert [s.query["offset"] for s in pd.sent] == ["0", "1", "1"]
