"""People's messages, @mentions of the app, threads, DMs and clicks in the bot's messages, with a real Bolt app."""

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.sim.slack import ConfirmRequired, FakeSlack


def _button(action_id: str, label: str, value: str, **extra) -> dict:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label},
        "value": value,
        **extra,
    }


HAND_OVER = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "<@U1> is on call. Take over?"}},
    {
        "type": "actions",
        "block_id": "hand_over",
        "elements": [
            _button("take_over", "Take over", "rotation-7"),
            _button(
                "skip",
                "Skip",
                "rotation-7",
                confirm={
                    "title": {"type": "plain_text", "text": "Skip?"},
                    "text": {"type": "plain_text", "text": "Really skip?"},
                    "confirm": {"type": "plain_text", "text": "Skip"},
                    "deny": {"type": "plain_text", "text": "Keep"},
                },
            ),
            {
                "type": "static_select",
                "action_id": "snooze",
                "options": [
                    {"text": {"type": "plain_text", "text": f"{h} h"}, "value": str(h)} for h in (1, 4)
                ],
            },
        ],
    },
]


@pytest.fixture
async def slack():
    async with FakeSlack() as fake:
        fake.add_user("U1", "alice")
        fake.add_user("U2", "bob")
        fake.add_channel("C1", "ops", members=["U1", "U2"], bot_is_member=True)
        fake.add_channel("C2", "random", members=["U1", "U2"])
        fake.add_channel("G1", "secret", is_private=True, members=["U1"], bot_is_member=True)
        yield fake


@pytest.fixture
def client(slack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)


@pytest.fixture
async def bolt(slack):
    """A Bolt app that answers mentions in the thread and handles clicks in its messages."""
    seen: dict[str, list] = {"mentions": [], "clicks": []}
    app = AsyncApp(client=AsyncWebClient(token=slack.bot_token, base_url=slack.api_url))

    @app.event("app_mention")
    async def mentioned(body, event, say):
        seen["mentions"].append(body)
        await say(text=f"<@{event['user']}> is on call", thread_ts=event.get("thread_ts") or event["ts"])

    @app.action("take_over")
    async def take_over(ack, body, respond):
        await ack()
        seen["clicks"].append(body)
        await respond(text=f"<@{body['user']['id']}> took over", replace_original=True)

    @app.action("skip")
    async def skip(ack, body, respond):
        await ack()
        seen["clicks"].append(body)
        await respond(delete_original=True)

    @app.action("snooze")
    async def snooze(ack, body, respond):
        await ack()
        seen["clicks"].append(body)
        await respond(text=f"Snoozed {body['actions'][0]['selected_option']['value']} h")

    handler = AsyncSocketModeHandler(app, slack.app_token)
    await handler.connect_async()
    await slack.wait_connected(timeout=5)
    yield seen
    await handler.close_async()


# --- people's messages --------------------------------------------------------------------------


async def test_a_person_says_something_in_a_channel(slack):
    message = await slack.user("U1").say("C2", "hello <@U2>")
    assert message["user"] == "U1" and message["channel"] == "C2" and message["thread_ts"] is None
    [block] = message["blocks"]
    assert block["type"] == "rich_text" and block["block_id"]
    assert block["elements"][0]["elements"] == [
        {"type": "text", "text": "hello "},
        {"type": "user", "user_id": "U2"},
    ]
    assert slack.messages == []  # only the bot's messages
    assert slack.history("C2") == [message]
    assert slack.calls == []


async def test_the_client_only_lets_a_person_write_where_they_can(slack):
    slack.add_channel("C9", "closed", members=["U1"], is_archived=True)
    with pytest.raises(AssertionError, match="not in #secret"):
        await slack.user("U2").say("G1", "let me in")
    with pytest.raises(AssertionError, match="archived"):
        await slack.user("U1").say("C9", "anyone?")
    with pytest.raises(AssertionError, match="own DM"):
        await slack.user("U2").say("D1", "reading alice's DM")
    with pytest.raises(AssertionError, match="empty"):
        await slack.user("U1").say("C2", "  ")
    with pytest.raises(LookupError):
        await slack.user("U1").say("C2", "reply", thread_ts="123.456")


async def test_a_person_joins_a_public_channel_then_writes_in_it(slack):
    slack.add_user("U3", "carol")
    with pytest.raises(AssertionError, match="asks them to join first"):
        await slack.user("U3").say("C2", "hi")
    joined = slack.user("U3").join("C2")
    assert joined["subtype"] == "channel_join" and joined["text"] == "<@U3> has joined the channel"
    assert "U3" in slack.workspace.channels["C2"].members
    assert slack.history("C2") == [joined]
    await slack.user("U3").say("C2", "hi")  # the composer is there now
    with pytest.raises(AssertionError, match="already in #random"):
        slack.user("U3").join("C2")
    with pytest.raises(AssertionError, match="private"):
        slack.user("U2").join("G1")
    slack.add_channel("C9", "closed", members=["U1"], is_archived=True)
    with pytest.raises(AssertionError, match="archived"):
        slack.user("U3").join("C9")
    with pytest.raises(LookupError):
        slack.user("U3").join("C404")
    assert slack.calls == []  # a person's gesture, not a Web API call


async def test_the_bot_cannot_edit_a_persons_message(slack, client):
    message = await slack.user("U1").say("C1", "mine")
    with pytest.raises(SlackApiError) as caught:
        await client.chat_update(channel="C1", ts=message["ts"], text="edited")
    assert caught.value.response["error"] == "cant_update_message"


# --- app_mention --------------------------------------------------------------------------------


async def test_a_mention_in_a_channel_the_bot_is_in_reaches_the_app(slack, bolt):
    message = await slack.user("U1").say("C1", "<@U0BOT> who is on call?")
    [body] = await slack.wait_for(lambda: bolt["mentions"])  # Bolt acks events before the listener runs
    assert body["type"] == "event_callback"
    assert body["team_id"] == "T0001" and body["api_app_id"] == "A0001"
    assert body["event_id"].startswith("Ev") and isinstance(body["event_time"], int)
    assert body["authorizations"] == [
        {
            "enterprise_id": None,
            "team_id": "T0001",
            "user_id": "U0BOT",
            "is_bot": True,
            "is_enterprise_install": False,
        }
    ]
    event = body["event"]
    assert set(event) == {
        "client_msg_id",
        "type",
        "text",
        "user",
        "ts",
        "blocks",
        "team",
        "channel",
        "event_ts",
    }
    assert event["type"] == "app_mention" and event["user"] == "U1" and event["channel"] == "C1"
    assert event["text"] == "<@U0BOT> who is on call?" and event["team"] == "T0001"
    assert event["ts"] == event["event_ts"] == message["ts"]
    assert event["blocks"][0]["elements"][0]["elements"][0] == {"type": "user", "user_id": "U0BOT"}
    assert slack.socket.envelopes[-1]["type"] == "events_api"

    # The app answered in the thread.
    reply = await slack.wait_for(lambda: slack.messages)
    assert reply[0]["thread_ts"] == message["ts"] and reply[0]["text"] == "<@U1> is on call"
    assert [m["user"] for m in slack.thread("C1", message["ts"])] == ["U1", "U0BOT"]


async def test_a_mention_in_a_thread_carries_the_thread(slack, bolt):
    parent = await slack.user("U2").say("C1", "pager is loud")
    first = await slack.user("U1").say("C1", "<@U0BOT> help", thread_ts=parent["ts"])
    [body] = await slack.wait_for(lambda: bolt["mentions"])
    event = body["event"]
    assert event["thread_ts"] == parent["ts"] and event["parent_user_id"] == "U2"
    await slack.wait_for(lambda: slack.messages)
    # A reply to a reply lands in the same thread.
    later = await slack.user("U2").say("C1", "thanks", thread_ts=first["ts"])
    assert later["thread_ts"] == parent["ts"]
    thread = slack.thread("C1", first["ts"])
    assert [m["text"] for m in thread] == ["pager is loud", "<@U0BOT> help", "<@U1> is on call", "thanks"]
    assert parent["reply_count"] == 3 and parent["reply_users"] == ["U1", "U0BOT", "U2"]
    assert slack.history("C1") == [parent]


async def test_no_mention_event_where_slack_sends_none(slack, bolt):
    await slack.user("U1").say("C2", "<@U0BOT> are you here?")  # the bot is not in #random
    await slack.user("U1").say("D1", "<@U0BOT> in a DM")  # DMs never produce app_mention
    await slack.user("U1").say("C1", "no mention, just <@U2>")
    slack.scopes.discard("app_mentions:read")
    await slack.user("U1").say("C1", "<@U0BOT> without the scope")
    assert slack.socket.envelopes == [] and bolt["mentions"] == []
    assert [m["channel"] for m in slack.user("U1").dms] == ["D1"]


async def test_a_mention_with_a_display_name_counts(slack, bolt):
    await slack.user("U2").say("C1", "<@U0BOT|roundrobin> status")
    assert [envelope["payload"]["event"]["type"] for envelope in slack.socket.envelopes] == ["app_mention"]
    await slack.wait_for(lambda: bolt["mentions"] and slack.messages)


# --- DMs ------------------------------------------------------------------------------------------


async def test_dms_from_the_bot_are_easy_to_read(slack, client):
    await client.chat_postMessage(channel="U1", text="You are on call from Monday")
    await slack.user("U1").say("D1", "ok!")
    dms = slack.dms_to("U1")
    assert [(m["user"], m["text"]) for m in dms] == [("U0BOT", "You are on call from Monday"), ("U1", "ok!")]
    assert slack.user("U1").dms == dms
    assert slack.dms_to("U2") == []
    assert slack.history("U1") == dms


# --- clicks in messages ----------------------------------------------------------------------------


async def test_a_click_in_a_channel_message_is_block_actions_with_a_message_container(slack, client, bolt):
    posted = await client.chat_postMessage(channel="C1", text="Take over?", blocks=HAND_OVER)
    [message] = slack.messages
    await slack.user("U2").click_in_message(message, "take_over")
    # Bolt acks first and runs the listener on: wait for what it does next.
    await slack.wait_for(lambda: message["text"] == "<@U2> took over")
    [body] = bolt["clicks"]
    assert body["type"] == "block_actions"
    assert body["container"] == {
        "type": "message",
        "message_ts": posted["ts"],
        "channel_id": "C1",
        "is_ephemeral": False,
    }
    assert body["channel"] == {"id": "C1", "name": "ops"}
    assert body["user"]["id"] == "U2" and body["trigger_id"]
    assert body["message"]["ts"] == posted["ts"] and body["message"]["bot_id"] == "B0001"
    assert body["message"]["blocks"][1]["block_id"] == "hand_over"
    assert body["response_url"].startswith(f"{slack.url}/hooks/respond/")
    assert body["state"] == {"values": {}}
    [action] = body["actions"]
    assert action["action_id"] == "take_over" and action["block_id"] == "hand_over"
    assert action["value"] == "rotation-7" and action["type"] == "button"
    # respond(replace_original=True) replaced the message in place.
    assert message["blocks"] == []
    assert slack.messages == [message]


async def test_a_menu_in_a_message_sends_the_pick_and_its_state(slack, client, bolt):
    await client.chat_postMessage(channel="C1", text="Take over?", blocks=HAND_OVER)
    await slack.user("U1").click_in_message(slack.messages[0], "snooze", option="4")
    [body] = await slack.wait_for(lambda: bolt["clicks"])
    assert body["actions"][0]["selected_option"]["value"] == "4"
    assert body["state"]["values"]["hand_over"]["snooze"]["selected_option"]["value"] == "4"
    # A plain respond() is a new ephemeral message for the person who clicked.
    await slack.wait_for(lambda: slack.user("U1").ephemerals)
    assert slack.user("U1").ephemerals[-1]["text"] == "Snoozed 4 h"


async def test_confirm_dialogs_and_delete_original(slack, client, bolt):
    await client.chat_postMessage(channel="C1", text="Take over?", blocks=HAND_OVER)
    with pytest.raises(ConfirmRequired):
        await slack.user("U1").click_in_message(slack.messages[0], "skip")
    await slack.user("U1").click_in_message(slack.messages[0], "skip", confirm=True)
    await slack.wait_for(lambda: not slack.messages)
    with pytest.raises(LookupError, match="deleted"):
        await slack.user("U1").click_in_message(
            {"channel": "C1", "ts": bolt["clicks"][0]["container"]["message_ts"]}, "take_over"
        )


async def test_a_click_in_a_dm(slack, client, bolt):
    posted = await client.chat_postMessage(channel="U1", text="Take over?", blocks=HAND_OVER)
    await slack.user("U1").click_in_message(slack.dms_to("U1")[0], "take_over")
    [body] = await slack.wait_for(lambda: bolt["clicks"])
    assert body["container"]["channel_id"] == posted["channel"] == "D1"
    assert body["channel"] == {"id": "D1", "name": "directmessage"}
    with pytest.raises(AssertionError, match="cannot see a DM"):
        await slack.user("U2").click_in_message(slack.dms_to("U1")[0], "take_over")


async def test_a_click_in_an_ephemeral_message_has_no_message_copy(slack, client, bolt):
    await client.chat_postEphemeral(channel="C1", user="U2", text="Only you", blocks=HAND_OVER)
    [ephemeral] = slack.user("U2").ephemerals
    await slack.user("U2").click_in_message(ephemeral, "take_over")
    # replace_original works on ephemerals too
    await slack.wait_for(lambda: ephemeral["text"] == "<@U2> took over")
    [body] = bolt["clicks"]
    assert body["container"]["is_ephemeral"] is True and "message" not in body
    with pytest.raises(LookupError):
        await slack.user("U1").click_in_message(ephemeral, "take_over")


async def test_clicks_only_where_the_person_can_see(slack, client):
    await client.chat_postMessage(channel="G1", text="leads", blocks=HAND_OVER)
    with pytest.raises(AssertionError, match="private channel"):
        await slack.user("U2").click_in_message(slack.messages[0], "take_over")
    with pytest.raises(LookupError, match="no element"):
        await slack.user("U1").click_in_message(slack.messages[0], "nope")
    with pytest.raises(TypeError, match="option"):
        await slack.user("U1").click_in_message(slack.messages[0], "snooze")
