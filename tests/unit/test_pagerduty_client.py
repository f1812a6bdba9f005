import asyncio
from collections import deque

import aiohttp
import pytest
from aiohttp import web

from roundrobin.pagerduty.client import (
    PagerDutyAuthError,
    PagerDutyClient,
    PagerDutyListTooLong,
    PagerDutyNotFound,
    PagerDutyScopeError,
    PagerDutyUnavailable,
    StaticApiKey,
)


class Scripted:
    """A loopback server that answers from a script and records what it was asked."""

    def __init__(self):
        self.script: deque = deque()
        self.requests: list[web.Request] = []

    def add(self, status=200, payload=None, body=None, headers=None, delay=0.0):
        self.script.append((status, payload, body, headers or {}, delay))

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(request)
        status, payload, body, headers, delay = self.script.popleft()
        await asyncio.sleep(delay)
        if payload is not None:
            return web.json_response(payload, status=status, headers=headers)
        return web.Response(status=status, text=body or "", headers=headers, content_type="text/html")


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
async def pd():
    server = Scripted()
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield server
    await runner.cleanup()


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def client(session, pd):
    def make(credentials=None, **kw):
        sleeps = Sleeps()
        c = PagerDutyClient(session, pd.url, credentials or StaticApiKey("k" * 20), sleep=sleeps, **kw)
        return c, sleeps

    return make


async def test_sends_the_documented_headers(client, pd):
    c, _ = client()
    pd.add(payload={"users": []})
    await c.get("/users", [("limit", 1)])
    headers = pd.requests[0].headers
    assert headers["Authorization"] == "Token token=" + "k" * 20
    assert headers["Accept"] == "application/vnd.pagerduty+json;version=2"
    assert pd.requests[0].query["limit"] == "1"


async def test_429_waits_for_ratelimit_reset_then_succeeds(client, pd):
    c, sleeps = client()
    pd.add(429, {"error": {"message": "Rate Limit Exceeded", "code": 2020}}, headers={"ratelimit-reset": "7"})
    pd.add(payload={"users": [{"id": "P1"}]})
    assert (await c.get("/users"))["users"] == [{"id": "P1"}]
    assert sleeps == [7.0] and c.rate_limited == 1


async def test_rate_limit_beyond_patience_is_unavailable(client, pd):
    c, sleeps = client(max_rate_limit_wait=10)
    for _ in range(3):
        pd.add(429, {"error": {"code": 2020}}, headers={"ratelimit-reset": "6"})
    with pytest.raises(PagerDutyUnavailable, match="rate limit"):
        await c.get("/users")
    assert sleeps == [6.0]


async def test_5xx_retries_with_backoff_then_gives_up_in_plain_words(client, pd):
    c, sleeps = client(max_retries=2)
    for _ in range(3):
        pd.add(503, body="<html>down</html>")
    with pytest.raises(PagerDutyUnavailable, match="HTTP 503"):
        await c.get("/users")
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0]


async def test_timeouts_count_as_unavailable(client, pd):
    c, _ = client(max_retries=0, timeout=0.2)
    pd.add(payload={}, delay=1.0)
    with pytest.raises(PagerDutyUnavailable, match="did not answer in time"):
        await c.get("/users")


async def test_401_with_an_html_body_is_an_auth_error(client, pd):
    c, _ = client()
    pd.add(401, body="<html>nope</html>")
    with pytest.raises(PagerDutyAuthError):
        await c.get("/users")


async def test_oauth_401_refreshes_once_then_retries(client, pd):
    token = RefreshingToken()
    c, _ = client(token)
    pd.add(401)
    pd.add(payload={"users": []})
    await c.get("/users")
    assert token.refreshes == 1
    assert [r.headers["Authorization"] for r in pd.requests] == ["Bearer token-0", "Bearer token-1"]


async def test_oauth_401_twice_gives_up(client, pd):
    token = RefreshingToken()
    c, _ = client(token)
    pd.add(401)
    pd.add(401)
    with pytest.raises(PagerDutyAuthError):
        await c.get("/users")
    assert token.refreshes == 1


async def test_403_and_404_are_distinct(client, pd):
    c, _ = client()
    pd.add(403, {"error": {"message": "Token missing required scopes", "code": 2010}})
    pd.add(404, {"error": {"message": "Not Found", "code": 2100}})
    with pytest.raises(PagerDutyScopeError, match="missing required scopes"):
        await c.get("/users")
    with pytest.raises(PagerDutyNotFound):
        await c.get("/schedules/X")


async def test_paginate_follows_more(client, pd):
    c, _ = client()
    pd.add(payload={"users": [{"id": "A"}, {"id": "B"}], "more": True})
    pd.add(payload={"users": [{"id": "C"}], "more": False})
    ids = [u["id"] async for u in c.paginate("/users", "users", limit=2)]
    assert ids == ["A", "B", "C"] and c.requests_made == 2
    assert [r.query["offset"] for r in pd.requests] == ["0", "2"]


async def test_paginate_refuses_to_end_short_at_the_offset_cap(client, pd):
    """PagerDuty answers no page past offset + limit = 10,000: a longer list is an error, not a short one."""
    c, _ = client()
    for n in range(100):
        pd.add(payload={"oncalls": [{"n": n}] * 100, "more": True, "total": None})
    seen = []
    with pytest.raises(PagerDutyListTooLong, match="10,000"):
        async for row in c.paginate("/oncalls", "oncalls"):
            seen.append(row)
    assert len(seen) == 10_000 and c.requests_made == 100
    assert pd.requests[-1].query["offset"] == "9900", "no request past the cap"


async def test_paginate_with_count_refuses_a_list_too_long_before_yielding_anything(client, pd):
    c, _ = client()
    pd.add(payload={"oncalls": [{"n": 1}] * 100, "more": True, "total": 17_040})
    with pytest.raises(PagerDutyListTooLong) as refused:
        async for _ in c.paginate("/oncalls", "oncalls", [("since", "x")], count=True):
            raise AssertionError("nothing may be yielded")
    assert refused.value.total == 17_040 and c.requests_made == 1
    assert pd.requests[0].query["total"] == "true" and pd.requests[0].query["offset"] == "0"


async def test_paginate_with_count_asks_for_the_total_on_the_first_page_only(client, pd):
    c, _ = client()
    pd.add(payload={"oncalls": [{"n": 1}, {"n": 2}], "more": True, "total": 3})
    pd.add(payload={"oncalls": [{"n": 3}], "more": False, "total": None})
    rows = [r async for r in c.paginate("/oncalls", "oncalls", count=True, limit=2)]
    assert [r["n"] for r in rows] == [1, 2, 3]
    assert ["total" in r.query for r in pd.requests] == [True, False]
