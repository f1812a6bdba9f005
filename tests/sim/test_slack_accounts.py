"""Accounts coming and going in the fake Slack: deactivation, reactivation, guests, with a real Bolt app
hearing Slack's user_change event over Socket Mode, and user groups refusing such accounts."""

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.sim.slack import FakeSlack


@pytest.fixture
async def slack():
    async with FakeSlack() as fake:
        fake.add_user("U1", "alice", "Alice Adams", "alice@example.com")
        fake.add_user("U2", "bob", "Bob Brown", "bob@example.com")
        fake.add_user("U9", "owner", is_primary_owner=True)
        fake.add_usergroup("S1", "oncall", "On call", users=["U1"])
        yield fake


@pytest.fixture
def client(slack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)


@pytest.fixture
async def heard(slack):
    """The user_change events a Bolt app connected over Socket Mode receives."""
    events: list[dict] = []
    app = AsyncApp(client=AsyncWebClient(token=slack.bot_token, base_url=slack.api_url))

    @app.event("user_change")
    async def changed(body, event):
        events.append(body)

    handler = AsyncSocketModeHandler(app, slack.app_token)
    await handler.connect_async()
    await slack.wait_connected(timeout=5)
    yield events
    await handler.close_async()


async def _error(call) -> str:
    with pytest.raises(SlackApiError) as refused:
        await call
    return refused.value.response["error"]


async def test_deactivating_tells_the_app_with_user_change_and_users_info_agrees(slack, client, heard):
    shown = await slack.deactivate("U2")
    await slack.wait_for(lambda: heard)
    [body] = heard
    event = body["event"]
    assert body["type"] == "event_callback" and event["type"] == "user_change"
    assert event["user"] == shown and event["user"]["id"] == "U2" and event["user"]["deleted"] is True
    assert isinstance(event["cache_ts"], int) and event["event_ts"]
    assert (await client.users_info(user="U2"))["user"]["deleted"] is True

    await slack.reactivate("U2")
    await slack.wait_for(lambda: len(heard) == 2)
    assert heard[1]["event"]["user"]["deleted"] is False
    assert (await client.users_info(user="U2"))["user"]["deleted"] is False


async def test_a_change_the_app_never_hears_of_still_shows_in_the_web_api(slack, client, heard):
    await slack.deactivate("U2", tell_app=False)
    assert heard == []
    assert (await client.users_info(user="U2"))["user"]["deleted"] is True
    listed = {m["id"]: m for m in (await client.users_list())["members"]}
    assert listed["U2"]["deleted"] is True


async def test_guests_are_shown_as_slack_shows_them(slack, client):
    await slack.change_account("U1", is_ultra_restricted=True)
    user = (await client.users_info(user="U1"))["user"]
    assert user["is_restricted"] is True and user["is_ultra_restricted"] is True
    await slack.change_account("U1", is_restricted=False, is_ultra_restricted=False)
    user = (await client.users_info(user="U1"))["user"]
    assert user["is_restricted"] is False and user["is_ultra_restricted"] is False


async def test_user_groups_refuse_deactivated_accounts_until_they_are_back(slack, client):
    await slack.deactivate("U2")
    assert await _error(client.usergroups_users_update(usergroup="S1", users=["U1", "U2"])) == "invalid_users"
    assert slack.usergroups["S1"]["users"] == ["U1"], "the whole update is refused"
    await slack.reactivate("U2")
    await client.usergroups_users_update(usergroup="S1", users=["U1", "U2"])
    assert slack.usergroups["S1"]["users"] == ["U1", "U2"]


async def test_what_the_admin_pages_do_not_allow(slack):
    with pytest.raises(AssertionError, match="Primary Owner"):
        await slack.deactivate("U9")
    with pytest.raises(AssertionError, match="bots"):
        await slack.deactivate("U0BOT")
    with pytest.raises(LookupError):
        await slack.deactivate("U404")


async def test_setting_a_status_tells_the_app_and_every_profile_carries_it(slack, client, heard):
    """api.slack.com/apis/presence-and-status: status_text, status_emoji and status_expiration are
    profile attributes of users.info and users.list; user_change tells apps of a change."""
    back = int(slack.workspace.clock()) + 3600
    shown = await slack.set_status("U1", ":palm_tree:", "On holiday", back)
    await slack.wait_for(lambda: heard)
    assert heard[0]["event"]["user"] == shown
    profile = (await client.users_info(user="U1"))["user"]["profile"]
    assert (profile["status_emoji"], profile["status_text"], profile["status_expiration"]) == (
        ":palm_tree:",
        "On holiday",
        back,
    )
    listed = {m["id"]: m["profile"] for m in (await client.users_list())["members"]}
    assert listed["U1"]["status_emoji"] == ":palm_tree:"
    assert (listed["U2"]["status_emoji"], listed["U2"]["status_text"], listed["U2"]["status_expiration"]) == (
        "",
        "",
        0,
    ), "no status: empty, never expiring"

    await slack.set_status("U1", "", "Thinking")  # text alone: Slack picks its default emoji
    assert (await client.users_info(user="U1"))["user"]["profile"]["status_emoji"] == ":speech_balloon:"
    await slack.set_status("U1")  # cleared
    await slack.wait_for(lambda: len(heard) == 3)
    assert heard[2]["event"]["user"]["profile"]["status_emoji"] == ""


async def test_a_status_is_reset_when_it_expires(slack, client):
    now = slack.workspace.clock()
    await slack.set_status("U1", ":airplane:", "", int(now) + 1, tell_app=False)
    slack.workspace.clock = lambda: now + 2
    profile = (await client.users_info(user="U1"))["user"]["profile"]
    assert (profile["status_emoji"], profile["status_expiration"]) == ("", 0)


async def test_what_the_status_field_does_not_take(slack):
    with pytest.raises(AssertionError, match="100 characters"):
        await slack.set_status("U1", ":palm_tree:", "x" * 101)
    with pytest.raises(AssertionError, match="not an emoji"):
        await slack.set_status("U1", "palm_tree")
    with pytest.raises(AssertionError, match="bots"):
        await slack.set_status("U0BOT", ":robot_face:")
