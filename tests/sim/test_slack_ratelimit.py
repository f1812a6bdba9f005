"""Per-method rate tiers: off by default, and when on, the exact sliding-window rule of roundrobin/sim/slack/ratelimit.py."""

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.sim.pagerduty import ManualClock
from roundrobin.sim.slack import METHOD_TIERS, FakeSlack
from roundrobin.sim.slack.api import METHODS
from roundrobin.sim.slack.ratelimit import SPECIAL, TIER_CALLS_PER_MINUTE, RateLimiter, limits_for


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_700_000_000.0)


@pytest.fixture
async def slack(clock):
    async with FakeSlack(clock=clock, rate_limits=True) as fake:
        fake.add_user("U1", "alice")
        fake.add_usergroup("S1", "oncall", "On call", users=["U1"])
        for n in range(1, 4):
            fake.add_channel(f"C{n}", f"ops-{n}", members=["U1"], bot_is_member=True)
        yield fake


@pytest.fixture
def client(slack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)


async def _limited(call) -> tuple[int, str, dict]:
    with pytest.raises(SlackApiError) as caught:
        await call
    answer = caught.value.response
    return answer.status_code, answer.headers["Retry-After"], answer.data


def test_every_method_the_fake_serves_has_a_tier():
    assert set(METHOD_TIERS) == set(METHODS)
    assert all(tier in TIER_CALLS_PER_MINUTE or tier == SPECIAL for tier in METHOD_TIERS.values())
    # Spot checks against Slack's reference pages.
    assert METHOD_TIERS["usergroups.users.update"] == 2
    assert METHOD_TIERS["users.lookupByEmail"] == 3
    assert METHOD_TIERS["views.publish"] == 4
    assert METHOD_TIERS["chat.postMessage"] == SPECIAL


async def test_off_by_default(clock):
    async with FakeSlack(clock=clock) as slack:
        web = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        for _ in range(25):
            assert (await web.usergroups_list())["ok"]
        assert slack.rate_limited == {}


async def test_a_tier_2_method_allows_20_calls_in_any_minute(slack, client, clock):
    for second in range(20):
        clock.now += 1
        assert (await client.usergroups_list())["ok"], second
    # 20 calls between t+1 and t+20: the first leaves the window at t+61, 41 s from now.
    assert await _limited(client.usergroups_list()) == (429, "41", {"ok": False, "error": "ratelimited"})
    clock.now += 40.5
    assert (await _limited(client.usergroups_list()))[1] == "1"  # 0.5 s left, rounded up
    clock.now += 0.5
    assert (await client.usergroups_list())["ok"]
    assert (await _limited(client.usergroups_list()))[1] == "1"  # the second call leaves at t+62
    assert slack.rate_limited == {"usergroups.list": 3}
    # Limits are per method: another tier 2 method has its own 20.
    assert (await client.usergroups_users_list(usergroup="S1"))["ok"]


async def test_refused_calls_do_not_count(slack, client, clock):
    for _ in range(20):
        await client.users_list()
    for _ in range(5):
        await _limited(client.users_list())
    clock.now += 60
    for _ in range(20):
        assert (await client.users_list())["ok"]


async def test_chat_post_message_is_paced_per_channel(slack, client, clock):
    for _ in range(3):
        assert (await client.chat_postMessage(channel="C1", text="burst"))["ok"]
    assert await _limited(client.chat_postMessage(channel="C1", text="too fast")) == (
        429,
        "3",
        {"ok": False, "error": "ratelimited"},
    )
    assert (await client.chat_postMessage(channel="C2", text="another channel"))["ok"]
    clock.now += 3
    assert (await client.chat_postMessage(channel="C1", text="after the burst"))["ok"]
    assert [m["text"] for m in slack.messages] == ["burst"] * 3 + ["another channel", "after the burst"]
    assert slack.rate_limited == {"chat.postMessage": 1}


async def test_one_message_a_second_never_meets_the_channel_limit(slack, client, clock):
    for _ in range(30):
        assert (await client.chat_postMessage(channel="C1", text="steady"))["ok"]
        clock.now += 1


async def test_a_dm_counts_the_same_by_user_id_or_dm_channel_id(slack, client):
    dm = (await client.conversations_open(users="U1"))["channel"]["id"]
    await client.chat_postMessage(channel="U1", text="1")
    await client.chat_postMessage(channel=dm, text="2")
    await client.chat_postMessage(channel="U1", text="3")
    status, _, _ = await _limited(client.chat_postMessage(channel=dm, text="4"))
    assert status == 429


def test_chat_post_message_has_a_workspace_wide_cap(clock):
    limiter = RateLimiter(clock)
    start = clock.now
    for n in range(300):
        clock.now = start + n / 100
        assert limiter.admit("chat.postMessage", f"C{n}") is None
    assert limiter.admit("chat.postMessage", "C-new") == 58  # the first leaves in 57.01 s, rounded up
    assert limiter.admit("users.info") is None  # other methods are not affected


def test_a_shorter_window_keeps_the_counts_and_scales_the_waits(clock):
    limiter = RateLimiter(clock, window_seconds=6)
    for _ in range(20):
        assert limiter.admit("usergroups.users.update") is None
    assert limiter.admit("usergroups.users.update") == 6
    clock.now += 5.9
    assert limiter.admit("usergroups.users.update") == 1
    clock.now += 0.1
    assert limiter.admit("usergroups.users.update") is None
    for _ in range(3):
        assert limiter.admit("chat.postMessage", "C1") is None
    assert limiter.admit("chat.postMessage", "C1") == 1  # 0.3 s, rounded up to Slack's whole seconds


def test_limits_for_each_kind_of_method():
    assert [key for key, _ in limits_for("chat.postMessage", "C1")] == [
        "chat.postMessage",
        "chat.postMessage:C1",
    ]
    assert limits_for("views.publish", None)[0][1].calls == 100
    assert limits_for("auth.test", None)[0][1].calls == 100
    assert limits_for("rotations.spin", None) == []
    with pytest.raises(ValueError):
        RateLimiter(lambda: 0.0, window_seconds=0)


async def test_enforcement_can_be_switched_on_and_off(clock):
    async with FakeSlack(clock=clock) as slack:
        web = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        slack.enforce_rate_limits(window_seconds=6)
        for _ in range(20):
            await web.users_list()
        assert (await _limited(web.users_list()))[1] == "6"
        slack.lift_rate_limits()
        assert (await web.users_list())["ok"]
