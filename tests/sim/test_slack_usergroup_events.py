"""User groups' people in the fake Slack: usergroups.users.list as strict as Slack, and the
subteam_members_changed event a real Bolt app hears over Socket Mode when a group's people change
(a person in Slack's client, or an app's usergroups.users.update)."""

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.sim.slack import FakeSlack


@pytest.fixture
async def slack():
    async with FakeSlack(team_id="T0ACME") as fake:
        fake.add_user("U1", "alice")
        fake.add_user("U2", "bob")
        fake.add_user("U3", "carol")
        fake.add_usergroup("S1", "oncall-team", "On-call team", users=["U1", "U2"])
        yield fake


@pytest.fixture
def client(slack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)


@pytest.fixture
async def heard(slack):
    """The subteam_members_changed events a Bolt app connected over Socket Mode receives."""
    events: list[dict] = []
    app = AsyncApp(client=AsyncWebClient(token=slack.bot_token, base_url=slack.api_url))

    @app.event("subteam_members_changed")
    async def changed(body):
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


async def test_users_list_is_as_strict_as_slack(slack, client):
    assert (await client.usergroups_users_list(usergroup="S1"))["users"] == ["U1", "U2"]
    assert await _error(client.usergroups_users_list(usergroup="S404")) == "no_such_subteam"
    assert await _error(client.api_call("usergroups.users.list", params={})) == "invalid_arguments"
    slack.edit_usergroup_by_hand("S1", enabled=False)
    assert await _error(client.usergroups_users_list(usergroup="S1")) == "no_such_subteam"
    listed = await client.usergroups_users_list(usergroup="S1", include_disabled=True)
    assert listed["users"] == ["U1", "U2"], "a disabled group keeps its people"
    slack.scopes.discard("usergroups:read")
    assert await _error(client.usergroups_users_list(usergroup="S1")) == "missing_scope"


async def test_a_person_changing_a_group_tells_the_app_the_delta(slack, heard):
    before = slack.usergroups["S1"]["date_update"]
    shown = await slack.change_usergroup("S1", ["U2", "U3"], by="U1")  # waits for the app's ack
    assert shown["users"] == ["U2", "U3"] and shown["updated_by"] == "U1"
    [body] = heard
    assert body["type"] == "event_callback" and body["team_id"] == "T0ACME" and body["event_id"]
    event = body["event"]
    assert set(event) == {
        "type",
        "subteam_id",
        "team_id",
        "date_previous_update",
        "date_update",
        "added_users",
        "added_users_count",
        "removed_users",
        "removed_users_count",
        "event_ts",
    }
    assert event["type"] == "subteam_members_changed" and event["subteam_id"] == "S1"
    assert event["team_id"] == "T0ACME"
    assert (event["added_users"], event["added_users_count"]) == (["U3"], 1)
    assert (event["removed_users"], event["removed_users_count"]) == (["U1"], 1)
    assert event["date_previous_update"] == before and event["date_update"] == shown["date_update"]

    await slack.change_usergroup("S1", ["U3", "U2"], by="U1")  # the same people: no event
    assert len(heard) == 1


async def test_an_apps_own_update_is_told_too_in_order(slack, client, heard):
    await client.usergroups_users_update(usergroup="S1", users=["U1"])
    await client.usergroups_users_update(usergroup="S1", users=["U1", "U3"])
    await slack.wait_for(lambda: len(heard) == 2)
    first, second = (body["event"] for body in heard)
    assert (first["removed_users"], second["added_users"]) == (["U2"], ["U3"])
    assert second["date_previous_update"] == first["date_update"], "a client can tell none is missing"


async def test_an_event_that_never_reaches_the_app(slack, client, heard):
    await slack.change_usergroup("S1", ["U3"], by="U1", tell_app=False)
    assert (await client.usergroups_users_list(usergroup="S1"))["users"] == ["U3"], "the Web API knows"
    slack.scopes.discard("usergroups:read")  # Slack sends the event only with its scope
    await slack.change_usergroup("S1", ["U1"], by="U1")
    slack.scopes.add("usergroups:read")
    await slack.change_usergroup("S1", ["U2"], by="U1")  # this one arrives: the ones before never will
    await slack.wait_for(lambda: len(heard) == 1)
    assert heard[0]["event"]["added_users"] == ["U2"], "only the last change was told"


async def test_no_app_connected_loses_the_event(slack):
    await slack.change_usergroup("S1", ["U3"], by="U1")
    assert slack.socket.envelopes == []
    assert slack.usergroups["S1"]["users"] == ["U3"]
