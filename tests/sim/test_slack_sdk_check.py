"""Block Kit through slack_sdk's models (blockkit.py), on every surface the fake accepts Block Kit."""

import copy

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError, SlackObjectFormationError
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.sim.slack import FakeSlack, blockkit_rules
from roundrobin.sim.slack.api_base import SlackError
from roundrobin.sim.slack.api_chat import deliver_reply
from roundrobin.sim.slack.blockkit import message_problems, view_problems
from tests.sim.blockkit_samples import MODAL, plain


def datepicker(initial_date: str) -> dict:
    """An actions block whose date Slack's own models check more closely than its length."""
    element = {"type": "datepicker", "action_id": "when", "initial_date": initial_date}
    return {"type": "actions", "block_id": "when", "elements": [element]}


def form(initial_date: str = "2026-05-01") -> dict:
    return {
        "type": "modal",
        "callback_id": "form",
        "title": plain("Hand-over"),
        "submit": plain("Save"),
        "blocks": [datepicker(initial_date)],
    }


BAD_DATE = "2026-13-45"


@pytest.fixture
async def slack():
    async with FakeSlack() as fake:
        fake.add_user("U1", "alice")
        fake.add_channel("C1", "ops", members=["U1"], bot_is_member=True)
        yield fake


@pytest.fixture
def client(slack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)


def test_slack_sdk_checks_what_the_rules_leave_to_it():
    blocks = [{"type": "divider"}, datepicker(BAD_DATE)]
    assert blockkit_rules.message_problems(blocks) == []
    assert message_problems(blocks) == [
        "/blocks/1: initial_date attribute must be in format 'YYYY-MM-DD' (slack_sdk)"
    ]
    time = {
        "type": "actions",
        "elements": [{"type": "timepicker", "action_id": "t", "initial_time": "25:99"}],
    }
    assert message_problems([time]) == [
        "/blocks/0: initial_time attribute must be in format 'HH:mm' (slack_sdk)"
    ]


def test_view_fields_are_checked_too():
    assert view_problems({**form(), "title": plain("A title far too long for Slack")}) == [
        "/: title must be between 1 and 24 characters (slack_sdk)"
    ]


def test_a_field_slack_sdk_does_not_read_back_is_unknown():
    picker = datepicker("2026-05-01")
    picker["elements"][0]["initial_value"] = "2026-05-01"  # a text input's field on a datepicker
    assert message_problems([picker]) == ["/blocks/0/elements/0/initial_value: unknown field (slack_sdk)"]
    # to_dict drops empty values: an empty field is unknown only when no Block Kit model has it.
    picker["elements"][0]["initial_value"] = ""
    assert message_problems([picker]) == []
    picker["elements"][0]["initial_valeu"] = ""
    assert message_problems([picker]) == ["/blocks/0/elements/0/initial_valeu: unknown field (slack_sdk)"]


def test_options_slack_sdk_keeps_as_given_are_read_with_its_option_model():
    menu = {
        "type": "static_select",
        "action_id": "pick",
        "options": [{"text": plain("x" * 76), "value": "x", "colour": "red"}],
    }
    assert message_problems([{"type": "actions", "elements": [menu]}]) == [
        "/blocks/0: text attribute cannot exceed 75 characters (slack_sdk)"
    ]
    menu["options"][0]["text"] = plain("Fine")
    assert message_problems([{"type": "actions", "elements": [menu]}]) == [
        "/blocks/0/elements/0/options/0/colour: unknown field (slack_sdk)"
    ]


def test_checking_a_view_leaves_it_as_it_was():
    # slack_sdk's parsers pop and convert what they are given; the fake stores the view it checked.
    view = copy.deepcopy(MODAL)
    view_problems(view)
    assert view == MODAL


def test_where_slack_sdk_is_stricter_than_slack_the_case_is_skipped():
    # Slack takes an empty view; slack_sdk's View alone would not.
    empty = {"type": "home", "blocks": []}
    with pytest.raises(SlackObjectFormationError, match="between 1 and 100 blocks"):
        View(**empty).validate_json()
    assert view_problems(empty) == []
    # A block type slack_sdk does not know is left to the rules, which refuse unknown types.
    assert message_problems([{"type": "not_yet_in_slack_sdk"}]) == [
        "/blocks/0/type: unknown block type 'not_yet_in_slack_sdk'"
    ]


async def test_views_refused_by_slack_sdk_are_invalid_arguments(slack, client):
    with pytest.raises(SlackApiError) as caught:
        await client.views_open(trigger_id=slack.issue_trigger_id("U1"), view=form(BAD_DATE))
    assert caught.value.response["error"] == "invalid_arguments"
    assert caught.value.response["response_metadata"]["messages"] == [
        "[ERROR] /blocks/0: initial_date attribute must be in format 'YYYY-MM-DD' (slack_sdk)"
    ]
    assert slack.user("U1").modal is None
    with pytest.raises(SlackApiError):
        await client.views_publish(user_id="U1", view={"type": "home", "blocks": [datepicker(BAD_DATE)]})
    assert slack.published == {}


async def test_message_blocks_refused_by_slack_sdk_are_invalid_blocks(slack, client):
    for call in (
        client.chat_postMessage(channel="C1", text="x", blocks=[datepicker(BAD_DATE)]),
        client.chat_postEphemeral(channel="C1", user="U1", text="x", blocks=[datepicker(BAD_DATE)]),
    ):
        with pytest.raises(SlackApiError) as caught:
            await call
        assert caught.value.response["error"] == "invalid_blocks"
    assert slack.messages == [] and slack.user("U1").ephemerals == []
    posted = await client.chat_postMessage(channel="C1", text="x", blocks=[datepicker("2026-05-01")])
    with pytest.raises(SlackApiError) as caught:
        await client.chat_update(channel="C1", ts=posted["ts"], text="x", blocks=[datepicker(BAD_DATE)])
    assert caught.value.response["error"] == "invalid_blocks"


def test_slash_command_replies_are_checked(slack):
    with pytest.raises(SlackError) as caught:
        deliver_reply(
            slack.workspace, "U1", "C1", {"text": "x", "blocks": [datepicker(BAD_DATE)]}, source="ack"
        )
    assert caught.value.code == "invalid_blocks"


async def test_a_response_action_update_refused_by_slack_sdk_breaks_the_modal(slack, client):
    app = AsyncApp(client=AsyncWebClient(token=slack.bot_token, base_url=slack.api_url))

    @app.view("form")
    async def submitted(ack):
        await ack(response_action="update", view=form(BAD_DATE))

    handler = AsyncSocketModeHandler(app, slack.app_token)
    await handler.connect_async()
    try:
        await slack.wait_connected(timeout=5)
        await client.views_open(trigger_id=slack.issue_trigger_id("U1"), view=form())
        with pytest.raises(AssertionError, match="slack_sdk"):
            await slack.user("U1").submit()
    finally:
        await handler.close_async()
