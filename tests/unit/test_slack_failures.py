"""Every way a Slack Web API call fails, as a real slack_sdk AsyncWebClient raises it, sorted by `classify`.

The client is the delivery worker's (main.py: the shared session, no slack_sdk retry handlers); its
HTTP is scripted with aioresponses (tests/unit/mock_http.py), so each failure reaches `classify`
exactly as slack_sdk hands it over: Slack's {"ok": false} answers and HTTP errors as SlackApiError
(with a SlackResponse, or aiohttp's own response when the body does not parse), timeouts and resets
as they are.
"""

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.slack.gateway.failures import SlackFailure, classify, describe
from tests.unit.mock_http import RESETS, TIMEOUTS, CutShort, MockHttp, not_http

API = "https://slack.com/api/"
POST_MESSAGE = API + "chat.postMessage"


@pytest.fixture
def slack():
    with MockHttp() as mock:
        yield mock


@pytest.fixture
async def client():
    async with aiohttp.ClientSession() as http:
        web = AsyncWebClient(token="xoxb-1-2-abcd", base_url=API, session=http)
        web.retry_handlers.clear()  # as main.py builds the delivery worker's client
        yield web


async def failure_of(client, slack, **answer) -> SlackFailure:
    slack.post(POST_MESSAGE, **answer)
    with pytest.raises(Exception) as raised:  # classify takes whatever slack_sdk raises
        await client.chat_postMessage(channel="C0GENERAL", text="Ann is on duty")
    [sent] = slack.sent
    assert (sent.method, str(sent.url)) == ("POST", POST_MESSAGE)
    assert sent.headers["Authorization"] == "Bearer xoxb-1-2-abcd"
    return classify(raised.value)


HTML = {"content_type": "text/html"}

CASES = [
    # Slack's own refusals, in its words: permanent unless Slack says "not now".
    pytest.param(
        {"payload": {"ok": False, "error": "channel_not_found"}},
        SlackFailure("channel_not_found", False),
        id="ok false",
    ),
    pytest.param(
        {"payload": {"ok": False, "error": "not_in_channel"}},
        SlackFailure("not_in_channel", False),
        id="not in",
    ),
    *(
        pytest.param({"payload": {"ok": False, "error": code}}, SlackFailure(code, True), id=code)
        for code in ("internal_error", "fatal_error", "service_unavailable", "request_timeout")
    ),
    pytest.param(
        {"status": 500, "payload": {"ok": False, "error": "invalid_auth"}},
        SlackFailure("invalid_auth", True),
        id="error code on a 500",
    ),
    # Rate limits: wait what Slack says (at least a second), never a failure.
    pytest.param(
        {"status": 429, "payload": {"ok": False, "error": "ratelimited"}, "headers": {"Retry-After": "7"}},
        SlackFailure("ratelimited", True, 7.0),
        id="429",
    ),
    pytest.param(
        {"status": 429, "body": ""}, SlackFailure("ratelimited", True, 1.0), id="429 no Retry-After"
    ),
    pytest.param(
        {"status": 429, "body": "<html>slow down</html>", "headers": {"Retry-After": "soon"}, **HTML},
        SlackFailure("ratelimited", True, 1.0),
        id="429 page, bad Retry-After",
    ),
    pytest.param(
        {"status": 429, "payload": {"ok": False, "error": "ratelimited"}, "headers": {"Retry-After": "0"}},
        SlackFailure("ratelimited", True, 1.0),
        id="429 zero",
    ),
    # HTTP errors without Slack's words: a load balancer's page.
    pytest.param(
        {"status": 503, "body": "<html><h1>503 Service Unavailable</h1></html>", **HTML},
        SlackFailure("http_503", True),
        id="HTML 503",
    ),
    pytest.param({"status": 502, "body": ""}, SlackFailure("http_502", True), id="empty 502"),
    pytest.param(
        {"status": 504, "body": "<html>timeout</html>", **HTML}, SlackFailure("http_504", True), id="504"
    ),
    pytest.param({"status": 408, "body": ""}, SlackFailure("http_408", True), id="408"),
    pytest.param(
        {"status": 404, "body": "<html>Not Found</html>", **HTML},
        SlackFailure("http_404", False),
        id="404 page",
    ),
    # Bodies that are not what Slack sends: garbled on the way, worth another try.
    pytest.param(
        {"status": 502, "body": "<html>Bad Gateway</html>"},
        SlackFailure("http_502", True),
        id="HTML 502 labelled JSON",
    ),
    pytest.param({"body": '{"ok": true, "ts": "17'}, SlackFailure("connection", True), id="cut-off JSON"),
    pytest.param({"body": "[]"}, SlackFailure("connection", True), id="JSON list"),
    pytest.param(
        {"body": "<html>maintenance</html>", **HTML}, SlackFailure("connection", True), id="200 page"
    ),
    pytest.param({"payload": {"ok": False}}, SlackFailure("connection", True), id="ok false without error"),
    # Connections that fail.
    pytest.param({"response_class": CutShort}, SlackFailure("connection", True), id="body cut short"),
    *(
        pytest.param({"exception": make()}, SlackFailure("connection", True), id=name)
        for name, make in RESETS.items()
    ),
    *(
        pytest.param({"exception": make()}, SlackFailure("timeout", True), id=name)
        for name, make in TIMEOUTS.items()
    ),
    pytest.param(
        {"exception": not_http("POST", POST_MESSAGE)}, SlackFailure("connection", True), id="not HTTP"
    ),
]


@pytest.mark.parametrize(("answer", "expected"), CASES)
async def test_each_failure_is_sorted_into_what_the_caller_can_do(client, slack, answer, expected):
    assert await failure_of(client, slack, **answer) == expected


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ({"exception": TimeoutError()}, "Slack did not answer in time"),
        ({"exception": aiohttp.ServerDisconnectedError()}, "Slack could not be reached"),
        (
            {"status": 429, "body": "", "headers": {"Retry-After": "3"}},
            "Slack asked Round Robin to slow down",
        ),
        ({"status": 503, "body": "<html>down</html>", **HTML}, "Slack had a problem (http_503)"),
        ({"payload": {"ok": False, "error": "internal_error"}}, "Slack had a problem (internal_error)"),
    ],
)
async def test_a_temporary_failure_is_described_in_words_a_person_understands(client, slack, answer, words):
    failure = await failure_of(client, slack, **answer)
    assert failure.temporary and describe(failure) == words
