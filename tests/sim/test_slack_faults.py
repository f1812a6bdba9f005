"""Faults like real outages, as aiohttp and slack_sdk's AsyncWebClient see them."""

import asyncio

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.sim.pagerduty import ManualClock
from roundrobin.sim.slack import WRITE_METHODS, FakeSlack
from roundrobin.sim.slack.api import METHODS


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_700_000_000.0)


@pytest.fixture
async def slack(clock):
    async with FakeSlack(clock=clock) as fake:
        fake.add_user("U1", "alice")
        fake.add_channel("C1", "ops", members=["U1"], bot_is_member=True)
        fake.add_usergroup("S1", "oncall", "On call", users=["U1"])
        yield fake


@pytest.fixture
async def http(slack):
    """A plain aiohttp session posting to the fake with the bot token."""
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {slack.bot_token}"}) as session:
        yield session


def client(slack, timeout: int = 30, retries: bool = True) -> AsyncWebClient:
    web = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url, timeout=timeout)
    if not retries:
        web.retry_handlers.clear()
    return web


async def test_html_5xx_is_a_load_balancer_page_not_json(slack, http):
    slack.fail_next_html("chat.postMessage", 502)
    async with http.post(f"{slack.api_url}chat.postMessage", json={"channel": "C1", "text": "hi"}) as answer:
        assert answer.status == 502
        assert answer.content_type == "text/html"
        assert "<h1>502 Bad Gateway</h1>" in await answer.text()
        with pytest.raises(aiohttp.ContentTypeError):
            await answer.json()
    assert slack.messages == []
    assert slack.faults_served == [("chat.postMessage", "html")]


async def test_slack_sdk_raises_on_an_html_5xx_with_empty_data(slack):
    slack.fail_next_html("usergroups.users.update", 503, count=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as caught:
            await client(slack).usergroups_users_update(usergroup="S1", users=["U1"])
        assert caught.value.response.status_code == 503
        assert caught.value.response.data == {}
    assert (await client(slack).usergroups_users_update(usergroup="S1", users=["U1"]))["ok"]


async def test_a_hang_without_end_times_out_and_never_takes_effect(slack):
    slack.hang_next("chat.postMessage")
    with pytest.raises(TimeoutError):
        await client(slack, timeout=1).chat_postMessage(channel="C1", text="lost")
    assert [name for name, _ in slack.calls] == ["chat.postMessage"]
    assert slack.messages == []
    # The next call is answered as usual.
    assert (await client(slack).chat_postMessage(channel="C1", text="next"))["ok"]
    assert [m["text"] for m in slack.messages] == ["next"]


async def test_a_hang_that_took_effect_posted_although_the_client_timed_out(slack):
    slack.hang_next("chat.postMessage", took_effect=True)
    with pytest.raises(TimeoutError):
        await client(slack, timeout=1).chat_postMessage(channel="C1", text="posted, answer lost")
    assert [m["text"] for m in slack.messages] == ["posted, answer lost"]


async def test_a_slow_answer_reaches_a_patient_client(slack, http):
    slack.hang_next("chat.postMessage", seconds=0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with http.post(
        f"{slack.api_url}chat.postMessage", json={"channel": "C1", "text": "late"}
    ) as answer:
        assert (await answer.json())["ok"]
    assert loop.time() - started >= 0.3
    assert [m["text"] for m in slack.messages] == ["late"]


async def test_a_slow_answer_after_the_client_gave_up_is_not_carried_out(slack, http):
    slack.hang_next("chat.postMessage", seconds=0.4)
    with pytest.raises(TimeoutError):
        await http.post(
            f"{slack.api_url}chat.postMessage",
            json={"channel": "C1", "text": "abandoned"},
            timeout=aiohttp.ClientTimeout(total=0.1),
        )
    await asyncio.sleep(0.5)
    assert slack.messages == []


async def test_a_reset_is_a_client_connection_error(slack, http):
    slack.reset_next("auth.test")
    with pytest.raises(aiohttp.ClientConnectionError):
        await http.post(f"{slack.api_url}auth.test")
    assert slack.faults_served == [("auth.test", "reset")]
    async with http.post(f"{slack.api_url}auth.test") as answer:
        assert (await answer.json())["ok"]


async def test_slack_sdk_retries_one_reset_by_itself(slack):
    # AsyncWebClient comes with a connection-error retry handler (one retry): one reset goes unseen,
    # two in a row surface as aiohttp's error.
    slack.reset_next("chat.postMessage")
    assert (await client(slack).chat_postMessage(channel="C1", text="retried"))["ok"]
    assert slack.calls_to("chat.postMessage") == [{"channel": "C1", "text": "retried"}] * 2
    slack.reset_next("chat.postMessage", count=2)
    with pytest.raises(aiohttp.ClientConnectionError):
        await client(slack).chat_postMessage(channel="C1", text="gone")
    assert [m["text"] for m in slack.messages] == ["retried"]


async def test_a_reset_after_the_write_makes_a_blind_retry_post_twice(slack):
    slack.reset_next("chat.postMessage", took_effect=True)
    await client(slack).chat_postMessage(channel="C1", text="once?")
    assert [m["text"] for m in slack.messages] == ["once?", "once?"]
    slack.reset_next("chat.postMessage", took_effect=True)
    with pytest.raises(aiohttp.ClientConnectionError):
        await client(slack, retries=False).chat_postMessage(channel="C1", text="lost answer")
    assert slack.messages[-1]["text"] == "lost answer"


async def test_an_outage_of_writes_lasts_its_seconds_by_the_fake_clock(slack, clock):
    slack.outage(seconds=12, methods=WRITE_METHODS, status=503)
    web = client(slack)
    for method, call in [
        ("chat.postMessage", web.chat_postMessage(channel="C1", text="x")),
        ("usergroups.users.update", web.usergroups_users_update(usergroup="S1", users=["U1"])),
    ]:
        with pytest.raises(SlackApiError) as caught:
            await call
        assert caught.value.response.status_code == 503, method
        assert caught.value.response.data == {}
    assert (await web.usergroups_list())["ok"]  # reads still work
    clock.now += 11.9
    with pytest.raises(SlackApiError):
        await web.chat_postMessage(channel="C1", text="still down")
    clock.now += 0.1
    assert (await web.chat_postMessage(channel="C1", text="back"))["ok"]
    assert [m["text"] for m in slack.messages] == ["back"]
    assert [kind for _, kind in slack.faults_served] == ["html"] * 3


async def test_a_429_outage_says_when_to_retry(slack, clock):
    slack.outage(seconds=12, methods={"chat.postMessage"}, status=429)
    web = client(slack)
    clock.now += 2.5
    with pytest.raises(SlackApiError) as caught:
        await web.chat_postMessage(channel="C1", text="x")
    answer = caught.value.response
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "10"  # 9.5 s left, rounded up
    assert answer.data == {"ok": False, "error": "ratelimited"}
    assert slack.rate_limited == {"chat.postMessage": 1}

    slack.outage(seconds=60, status=429, retry_after=5)  # every method
    with pytest.raises(SlackApiError) as caught:
        await web.users_list()
    assert caught.value.response.headers["Retry-After"] == "5"
    slack.end_outage()
    assert (await web.chat_postMessage(channel="C1", text="y"))["ok"]


async def test_queued_faults_come_before_an_outage(slack):
    slack.outage(seconds=60, methods={"chat.postMessage"}, status=500)
    slack.fail_next("chat.postMessage", "fatal_error")
    with pytest.raises(SlackApiError) as caught:
        await client(slack).chat_postMessage(channel="C1", text="x")
    assert caught.value.response.data["error"] == "fatal_error"
    with pytest.raises(SlackApiError) as caught:
        await client(slack).chat_postMessage(channel="C1", text="x")
    assert caught.value.response.status_code == 500


def test_fault_arguments_are_checked(slack):
    with pytest.raises(ValueError, match="5xx"):
        slack.fail_next_html("chat.postMessage", 404)
    with pytest.raises(ValueError, match="429 or a 5xx"):
        slack.outage(10, status=400)
    with pytest.raises(ValueError, match="at least 1"):
        slack.reset_next("chat.postMessage", count=0)


def test_write_methods_are_served_and_leave_views_out():
    assert WRITE_METHODS.issubset(METHODS)
    assert not any(method.startswith("views.") for method in WRITE_METHODS)
    assert {
        "chat.postMessage",
        "chat.update",
        "usergroups.users.update",
        "conversations.setTopic",
    } <= WRITE_METHODS


async def test_stop_drops_requests_left_hanging():
    slack = await FakeSlack().start()
    slack.hang_next("auth.test")
    call = asyncio.ensure_future(client(slack, retries=False).auth_test())
    await slack.wait_for(lambda: slack.calls)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await slack.stop()
    with pytest.raises(aiohttp.ClientConnectionError):
        await call
    assert loop.time() - started < 1.5
