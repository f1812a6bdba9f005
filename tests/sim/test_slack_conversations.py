"""conversations.*, users.conversations and channel topics, and the edits people make by hand."""

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.sim.pagerduty import ManualClock
from roundrobin.sim.slack import DEFAULT_SCOPES, FakeSlack
from roundrobin.slack.gateway.scopes import BOT_SCOPES

NOW = 1_700_000_000


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_700_000_000.0)


@pytest.fixture
async def slack(clock):
    async with FakeSlack(clock=clock) as fake:
        fake.add_user("U1", "alice")
        fake.add_user("U2", "bob")
        fake.add_channel("C1", "ops", members=["U1", "U2"], bot_is_member=True)
        fake.add_channel("C2", "random", members=["U1"])
        fake.add_channel("G1", "secret", is_private=True, members=["U1"])
        fake.add_channel("G2", "leads", is_private=True, members=["U1"], bot_is_member=True)
        fake.add_channel("C3", "old", members=["U1"], bot_is_member=True, is_archived=True)
        fake.add_usergroup("S1", "oncall", "On call", users=["U1"])
        yield fake


@pytest.fixture
def client(slack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)


async def _error(call) -> dict:
    with pytest.raises(SlackApiError) as caught:
        await call
    assert caught.value.response.status_code == 200
    return caught.value.response.data


def test_default_scopes_cover_what_the_app_asks_for():
    assert set(BOT_SCOPES) <= DEFAULT_SCOPES
    assert {"channels:write.topic", "groups:write.topic", "im:read", "app_mentions:read"} <= DEFAULT_SCOPES


# --- topics ------------------------------------------------------------------------------------


async def test_a_channel_starts_without_a_topic(client):
    channel = (await client.conversations_info(channel="C1"))["channel"]
    assert channel["topic"] == {"value": "", "creator": "", "last_set": 0}
    assert channel["is_member"] is True and channel["is_archived"] is False


async def test_the_bot_sets_a_topic_as_plain_text(slack, client, clock):
    clock.now += 5
    topic = "On call: <@U1> *until Friday* & <https://example.com|runbook>"
    answer = await client.conversations_setTopic(channel="C1", topic=topic)
    expected = {"value": topic, "creator": "U0BOT", "last_set": NOW + 5}
    assert answer["channel"]["topic"] == expected
    assert (await client.conversations_info(channel="C1"))["channel"]["topic"] == expected
    assert slack.channel("C1").topic == expected
    # Private channels the bot is in work too.
    await client.conversations_setTopic(channel="G2", topic="leads only")
    assert slack.channel("G2").topic["value"] == "leads only"


async def test_set_topic_errors_follow_slack(slack, client):
    assert (await _error(client.conversations_setTopic(channel="C404", topic="x")))[
        "error"
    ] == "channel_not_found"
    # A private channel the bot is not in does not exist for it; a public one says not_in_channel.
    assert (await _error(client.conversations_setTopic(channel="G1", topic="x")))[
        "error"
    ] == "channel_not_found"
    assert (await _error(client.conversations_setTopic(channel="C2", topic="x")))["error"] == "not_in_channel"
    assert (await _error(client.conversations_setTopic(channel="C3", topic="x")))["error"] == "is_archived"
    assert (await client.conversations_setTopic(channel="C1", topic="x" * 250))["ok"]
    assert (await _error(client.conversations_setTopic(channel="C1", topic="x" * 251)))["error"] == "too_long"
    missing = await _error(client.api_call("conversations.setTopic", json={"channel": "C1"}))
    assert missing["error"] == "invalid_arguments"
    assert missing["response_metadata"]["messages"] == ["[ERROR] missing required field: topic"]
    assert slack.channel("C1").topic["value"] == "x" * 250


async def test_an_empty_topic_clears_it(slack, client):
    await client.conversations_setTopic(channel="C1", topic="something")
    await client.conversations_setTopic(channel="C1", topic="")
    assert slack.channel("C1").topic["value"] == ""


async def test_set_topic_scopes(slack, client):
    slack.scopes -= {"channels:write.topic"}
    error = await _error(client.conversations_setTopic(channel="C1", topic="x"))
    assert error["error"] == "missing_scope" and error["needed"] == "channels:write.topic"
    slack.scopes |= {"channels:manage"}  # the broader scope does as well
    assert (await client.conversations_setTopic(channel="C1", topic="x"))["ok"]
    slack.scopes -= {"groups:write.topic"}
    error = await _error(client.conversations_setTopic(channel="G2", topic="x"))
    assert error["needed"] == "groups:write.topic"


async def test_a_person_edits_a_topic_by_hand_without_a_web_api_call(slack, client, clock):
    clock.now += 60
    assert slack.user("U2").set_topic("C1", "bob's topic") == {
        "value": "bob's topic",
        "creator": "U2",
        "last_set": NOW + 60,
    }
    slack.set_topic("C1", "alice's topic", by="U1")
    assert slack.calls == []
    assert (await client.conversations_info(channel="C1"))["channel"]["topic"]["creator"] == "U1"


def test_the_client_limits_what_a_person_can_do_to_a_topic(slack):
    with pytest.raises(AssertionError, match="not in #random"):
        slack.set_topic("C2", "x", by="U2")
    with pytest.raises(AssertionError, match="250"):
        slack.set_topic("C1", "x" * 251, by="U1")
    with pytest.raises(AssertionError, match="archived"):
        slack.set_topic("C3", "x", by="U1")
    with pytest.raises(LookupError):
        slack.set_topic("C404", "x", by="U1")


async def test_add_channel_can_start_with_a_topic(slack, client):
    slack.add_channel("C9", "incidents", members=["U2"], topic="Sev1 only")
    topic = (await client.conversations_info(channel="C9"))["channel"]["topic"]
    assert topic["value"] == "Sev1 only" and topic["creator"] == "U2"


# --- members and membership --------------------------------------------------------------------


async def test_conversations_members_are_paginated_and_include_the_bot(slack, client):
    for n in range(3, 8):
        slack.add_user(f"U{n}", f"user{n}")
    slack.add_channel("C5", "big", members=[f"U{n}" for n in range(1, 8)], bot_is_member=True)
    pages = [page["members"] async for page in await client.conversations_members(channel="C5", limit=3)]
    assert pages == [["U1", "U2", "U3"], ["U4", "U5", "U6"], ["U7", "U0BOT"]]
    assert (await client.conversations_members(channel="C2"))["members"] == ["U1"]
    assert (await _error(client.conversations_members(channel="G1")))["error"] == "channel_not_found"
    slack.scopes -= {"groups:read"}
    assert (await _error(client.conversations_members(channel="G2")))["needed"] == "groups:read"


async def test_users_conversations_lists_the_bots_channels_by_type(slack, client):
    public = (await client.users_conversations())["channels"]
    assert [c["id"] for c in public] == ["C1", "C3"]
    both = await client.users_conversations(types="public_channel,private_channel", exclude_archived=True)
    assert [c["id"] for c in both["channels"]] == ["C1", "G2"]
    assert both["channels"][0]["topic"] == {"value": "", "creator": "", "last_set": 0}


async def test_users_conversations_for_a_person_hides_private_channels_the_bot_is_not_in(client):
    answer = await client.users_conversations(user="U1", types="public_channel,private_channel")
    assert [c["id"] for c in answer["channels"]] == ["C1", "C2", "G2", "C3"]
    pages = [
        [c["id"] for c in page["channels"]]
        async for page in await client.users_conversations(user="U1", types="public_channel", limit=2)
    ]
    assert pages == [["C1", "C2"], ["C3"]]
    assert (await _error(client.users_conversations(user="U404")))["error"] == "user_not_found"
    assert (await _error(client.users_conversations(types="public_channel,bogus")))[
        "error"
    ] == "invalid_types"


async def test_users_conversations_lists_open_dms_with_im_read(slack, client):
    assert (await client.users_conversations(types="im"))["channels"] == []
    await client.conversations_open(users="U2")
    [im] = (await client.users_conversations(types="im"))["channels"]
    assert im["id"] == "D2" and im["user"] == "U2" and im["is_im"] is True
    assert (await client.users_conversations(types="im", user="U1"))["channels"] == []
    slack.scopes -= {"im:read"}
    assert (await _error(client.users_conversations(types="im")))["needed"] == "im:read"


async def test_conversations_open_and_info_for_a_dm(slack, client):
    first = await client.conversations_open(users="U1")
    assert first["channel"] == {"id": "D1"} and "already_open" not in first
    again = await client.conversations_open(users="U1", return_im=True)
    assert again["no_op"] is True and again["already_open"] is True
    assert again["channel"]["user"] == "U1"
    assert (await client.conversations_open(channel="D1"))["channel"]["id"] == "D1"
    assert (await _error(client.conversations_open(users="U0BOT")))["error"] == "cannot_dm_bot"
    info = (await client.conversations_info(channel="D1"))["channel"]
    assert info["is_im"] is True and info["user"] == "U1"
    assert (await client.conversations_members(channel="D1"))["members"] == ["U1", "U0BOT"]
    slack.scopes -= {"im:write"}
    assert (await _error(client.conversations_open(users="U2")))["needed"] == "im:write"


async def test_posting_to_an_archived_channel_fails(client):
    assert (await _error(client.chat_postMessage(channel="C3", text="hi")))["error"] == "is_archived"


# --- user groups edited by hand --------------------------------------------------------------


async def test_a_person_edits_a_user_group_by_hand(slack, client, clock):
    clock.now += 30
    slack.edit_usergroup_by_hand("S1", by="U2", users=["U2", "U1", "U2"])
    assert slack.calls == []
    [group] = (await client.usergroups_list(include_users=True))["usergroups"]
    assert group["users"] == ["U2", "U1"]
    assert group["updated_by"] == "U2" and group["date_update"] == NOW + 30
    # The client lets a person empty a group, which the Web API refuses.
    slack.edit_usergroup_by_hand("S1", users=[])
    assert (await client.usergroups_users_list(usergroup="S1"))["users"] == []
    await client.usergroups_users_update(usergroup="S1", users=["U1"])
    assert slack.usergroups["S1"]["updated_by"] == "U0BOT"


async def test_a_person_can_disable_and_rename_a_group_by_hand(slack, client):
    slack.edit_usergroup_by_hand("S1", by="U1", enabled=False, handle="oncall-old")
    assert (await client.usergroups_list())["usergroups"] == []
    [group] = (await client.usergroups_list(include_disabled=True))["usergroups"]
    assert group["handle"] == "oncall-old" and group["date_delete"] == NOW


def test_hand_edits_offer_only_what_exists(slack):
    with pytest.raises(AssertionError, match="U0BOT"):
        slack.edit_usergroup_by_hand("S1", users=["U0BOT"])
    with pytest.raises(LookupError):
        slack.edit_usergroup_by_hand("S404", users=["U1"])
