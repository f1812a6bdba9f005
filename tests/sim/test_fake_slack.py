"""The fake Slack, driven by Slack's own clients: slack_sdk for the Web API, Bolt over Socket Mode."""

import asyncio

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.sim.pagerduty import ManualClock
from roundrobin.sim.slack import AckTimeout, ConfirmRequired, FakeSlack


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_700_000_000.0)


@pytest.fixture
async def slack(clock):
    async with FakeSlack(clock=clock) as fake:
        fake.add_user("U1", "alice", real_name="Alice Adams", email="alice@example.com", is_admin=True)
        fake.add_user("U2", "bob", real_name="Bob Brown", email="bob@example.com")
        fake.add_user("U3", "carol", deleted=True)
        fake.add_channel("C0GENERAL", "general", members=["U1", "U2"], bot_is_member=True)
        fake.add_channel("C0RANDOM", "random", members=["U1"])
        fake.add_channel("G0SECRET", "secret", is_private=True, members=["U1"])
        fake.add_usergroup("S0ONCALL", "oncall", "On call", users=["U1"])
        yield fake
    await _no_tasks_left()


async def _no_tasks_left() -> None:
    """Fail if the fake or the clients leave tasks running after the test."""
    current = asyncio.current_task()
    for _ in range(100):
        if all(task.done() or task is current for task in asyncio.all_tasks()):
            return
        await asyncio.sleep(0.01)
    pending = [task for task in asyncio.all_tasks() if not task.done() and task is not current]
    raise AssertionError(f"tasks still pending: {pending}")


@pytest.fixture
def client(slack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)


async def _error(call) -> dict:
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value.response.data


# --- Web API ---------------------------------------------------------------------------------


async def test_auth_test_names_the_bot_and_its_scopes(slack, client):
    response = await client.auth_test()
    assert response["user_id"] == "U0BOT"
    assert response["team_id"] == "T0001"
    assert response["bot_id"] == "B0001"
    assert set(response.headers["x-oauth-scopes"].split(",")) == slack.scopes
    assert slack.calls == [("auth.test", {})]


async def test_bad_or_missing_token_is_refused(slack):
    assert (await _error(AsyncWebClient(token="xoxb-wrong", base_url=slack.api_url).auth_test()))[
        "error"
    ] == "invalid_auth"
    assert (await _error(AsyncWebClient(base_url=slack.api_url).auth_test()))["error"] == "not_authed"
    app_client = AsyncWebClient(token=slack.app_token, base_url=slack.api_url)
    assert (await _error(app_client.users_info(user="U1")))["error"] == "not_allowed_token_type"


async def test_unknown_method(client):
    assert (await _error(client.api_call("rotations.spin")))["error"] == "unknown_method"


async def test_apps_connections_open_needs_the_app_token(slack, client):
    assert (await _error(client.apps_connections_open(app_token=slack.bot_token)))["error"] == "invalid_auth"
    first = await client.apps_connections_open(app_token=slack.app_token)
    second = await client.apps_connections_open(app_token=slack.app_token)
    assert first["url"].startswith(slack.url.replace("http", "ws") + "/link/?ticket=")
    assert first["url"] != second["url"]


async def test_users_info_shows_email_only_with_users_read_email(slack, client):
    assert (await client.users_info(user="U1"))["user"]["profile"]["email"] == "alice@example.com"
    slack.scopes.discard("users:read.email")
    user = (await client.users_info(user="U1"))["user"]
    assert "email" not in user["profile"]
    assert user["is_admin"] is True
    error = await _error(client.users_lookupByEmail(email="alice@example.com"))
    assert error["error"] == "missing_scope"
    assert error["needed"] == "users:read.email"
    assert "users:read" in error["provided"].split(",")


async def test_users_lookup_and_not_found(client):
    assert (await client.users_lookupByEmail(email="BOB@example.com"))["user"]["id"] == "U2"
    assert (await _error(client.users_lookupByEmail(email="zed@example.com")))["error"] == "users_not_found"
    assert (await _error(client.users_info(user="U404")))["error"] == "user_not_found"


async def test_users_list_paginates_with_cursors(slack, client):
    for n in range(4, 9):
        slack.add_user(f"U{n}", f"user{n}")
    # slack_sdk follows next_cursor itself; each page reuses one response object, so read it as it comes.
    pages = [[m["id"] for m in page["members"]] async for page in await client.users_list(limit=3)]
    assert pages == [["U0BOT", "U1", "U2"], ["U3", "U4", "U5"], ["U6", "U7", "U8"]]
    last = await client.users_list(
        limit=3, cursor=(await client.users_list(limit=6))["response_metadata"]["next_cursor"]
    )
    assert last["response_metadata"]["next_cursor"] == ""
    assert (await _error(client.users_list(cursor="bogus")))["error"] == "invalid_cursor"


async def test_views_open_needs_a_fresh_unused_trigger(slack, client, clock):
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Hi"}, "blocks": []}
    stale = slack.issue_trigger_id("U1")
    clock.now += 3.5
    assert (await _error(client.views_open(trigger_id=stale, view=view)))["error"] == "expired_trigger_id"

    fresh = slack.issue_trigger_id("U1")
    opened = (await client.views_open(trigger_id=fresh, view=view))["view"]
    assert opened["id"].startswith("V") and opened["root_view_id"] == opened["id"]
    assert slack.user("U1").modal["id"] == opened["id"]
    assert (await _error(client.views_open(trigger_id=fresh, view=view)))["error"] == "exchanged_trigger_id"
    assert (await _error(client.views_open(trigger_id="1.2.abc", view=view)))["error"] == "invalid_trigger_id"


async def test_a_view_breaking_block_kit_rules_is_refused(slack, client):
    view = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    error = await _error(client.views_publish(user_id="U1", view=view))
    assert error["error"] == "invalid_arguments"
    assert error["response_metadata"]["messages"] == [
        "[ERROR] /: views must contain between 1 and 100 blocks (slack_sdk)"
    ]
    assert slack.published == {}


async def test_views_publish_and_update_with_hash(slack, client):
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "v1"}}]}
    first = (await client.views_publish(user_id="U1", view=home))["view"]
    assert first["blocks"][0]["block_id"]  # Slack fills in missing ids
    assert (await _error(client.views_publish(user_id="U404", view=home)))["error"] == "user_not_found"
    home["blocks"][0]["text"]["text"] = "v2"
    second = (await client.views_update(view_id=first["id"], hash=first["hash"], view=home))["view"]
    assert second["id"] == first["id"] and second["hash"] != first["hash"]
    assert "v2" in slack.user("U1").text()
    assert (await _error(client.views_update(view_id=first["id"], hash=first["hash"], view=home)))[
        "error"
    ] == "hash_conflict"
    assert (await _error(client.views_update(view_id="V404", view=home)))["error"] == "not_found"


async def test_views_push_stops_at_three(slack, client):
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Step"}, "blocks": []}
    await client.views_open(trigger_id=slack.issue_trigger_id("U1"), view=view)
    for _ in range(2):
        await client.views_push(trigger_id=slack.issue_trigger_id("U1"), view=view)
    error = await _error(client.views_push(trigger_id=slack.issue_trigger_id("U1"), view=view))
    assert error["error"] == "push_limit_reached"
    assert len(slack.user("U1").modals) == 3


async def test_usergroup_edits(slack, client):
    created = (await client.usergroups_create(name="Platform on call", handle="platform-oncall"))["usergroup"]
    group_id = created["id"]
    assert (await _error(client.usergroups_create(name="Other", handle="oncall")))[
        "error"
    ] == "handle_already_exists"
    assert (await _error(client.usergroups_create(name="On call")))["error"] == "name_already_exists"

    await client.usergroups_users_update(usergroup=group_id, users=["U1", "U2"])
    assert slack.usergroups[group_id]["users"] == ["U1", "U2"]
    # Slack's errors for people it refuses (docs.slack.dev, usergroups.users.update); the whole
    # update is refused, and the answer names nobody.
    slack.add_user("U5", "gail", is_restricted=True)
    slack.add_user("U6", "sam", is_ultra_restricted=True)
    for users, error in (
        (["U1", "U0BOT"], "invalid_user"),
        (["U1", "U5"], "invalid_user"),
        (["U1", "U6"], "single_channel_guests_cannot_be_added"),
        (["U1", "U3"], "invalid_users"),
        (["U404"], "failed_for_some_users"),
    ):
        answer = await _error(client.usergroups_users_update(usergroup=group_id, users=users))
        assert answer["error"] == error and set(answer) == {"ok", "error"}
        assert slack.usergroups[group_id]["users"] == ["U1", "U2"]
    assert (await _error(client.usergroups_users_update(usergroup=group_id, users=[])))[
        "error"
    ] == "no_users_provided"

    await client.usergroups_disable(usergroup=group_id)
    listed = (await client.usergroups_list(include_users=True))["usergroups"]
    assert [g["id"] for g in listed] == ["S0ONCALL"]
    assert listed[0]["users"] == ["U1"]
    assert len((await client.usergroups_list(include_disabled=True))["usergroups"]) == 2

    slack.usergroup_edits_restricted = True
    error = await _error(client.usergroups_users_update(usergroup="S0ONCALL", users=["U2"]))
    assert error["error"] == "permission_denied"
    assert slack.usergroups["S0ONCALL"]["users"] == ["U1"]


async def test_chat_post_message_follows_channel_membership(slack, client):
    posted = await client.chat_postMessage(channel="C0RANDOM", text="hello")
    assert slack.messages[-1]["channel"] == "C0RANDOM" and slack.messages[-1]["ts"] == posted["ts"]
    slack.scopes.discard("chat:write.public")
    assert (await _error(client.chat_postMessage(channel="C0RANDOM", text="hi")))["error"] == "not_in_channel"
    assert (await _error(client.chat_postMessage(channel="G0SECRET", text="hi")))[
        "error"
    ] == "channel_not_found"
    # api_call: chat_postMessage would warn about the missing text before sending it.
    no_text = client.api_call("chat.postMessage", json={"channel": "C0GENERAL"})
    assert (await _error(no_text))["error"] == "no_text"
    dm = await client.chat_postMessage(channel="U2", text="you're on call")
    assert slack.messages[-1]["dm_user"] == "U2" and dm["channel"].startswith("D")
    error = await _error(
        client.chat_postMessage(channel="C0GENERAL", text="x", blocks=[{"type": "divider"}] * 51)
    )
    assert error["error"] == "invalid_blocks"


async def test_rate_limit_injection(slack, client):
    slack.fail_next("users.info", retry_after=7)
    with pytest.raises(SlackApiError) as caught:
        await client.users_info(user="U1")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "7"
    assert (await client.users_info(user="U1"))["ok"]
    slack.fail_next("chat.postMessage", "fatal_error", count=2)
    for _ in range(2):
        assert (await _error(client.chat_postMessage(channel="C0GENERAL", text="x")))[
            "error"
        ] == "fatal_error"
    assert (await client.chat_postMessage(channel="C0GENERAL", text="x"))["ok"]


# --- Socket Mode with a real Bolt app ---------------------------------------------------------

HOME = {
    "type": "home",
    "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "Your rotations"}},
        {
            "type": "actions",
            "block_id": "home_actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "open_form",
                    "text": {"type": "plain_text", "text": "New"},
                    "value": "new",
                },
                {
                    "type": "button",
                    "action_id": "nobody_listens",
                    "text": {"type": "plain_text", "text": "Broken"},
                },
                {"type": "button", "action_id": "wizard", "text": {"type": "plain_text", "text": "Wizard"}},
                {
                    "type": "button",
                    "action_id": "delete",
                    "text": {"type": "plain_text", "text": "Delete"},
                    "style": "danger",
                    "confirm": {
                        "title": {"type": "plain_text", "text": "Delete?"},
                        "text": {"type": "plain_text", "text": "Really?"},
                        "confirm": {"type": "plain_text", "text": "Delete"},
                        "deny": {"type": "plain_text", "text": "Keep"},
                    },
                },
            ],
        },
    ],
}


def _form() -> dict:
    def field(block_id: str, label: str, element: dict, **extra) -> dict:
        label = {"type": "plain_text", "text": label}
        return {"type": "input", "block_id": block_id, "label": label, "element": element, **extra}

    return {
        "type": "modal",
        "callback_id": "form",
        "title": {"type": "plain_text", "text": "New rotation"},
        "submit": {"type": "plain_text", "text": "Create"},
        "blocks": [
            field("name", "Name", {"type": "plain_text_input", "action_id": "name"}),
            field("owner", "Owner", {"type": "users_select", "action_id": "owner", "initial_user": "U1"}),
            field(
                "schedule",
                "Schedule",
                {"type": "external_select", "action_id": "schedule", "min_query_length": 1},
            ),
            field("notes", "Notes", {"type": "plain_text_input", "action_id": "notes"}, optional=True),
        ],
    }


def _wizard(size: str = "none") -> dict:
    """A modal with an actions-block menu that redraws it, and a text input that decides what's next."""
    sizes = [{"text": {"type": "plain_text", "text": s.title()}, "value": s} for s in ("small", "large")]
    return {
        "type": "modal",
        "callback_id": "step1",
        "notify_on_close": True,
        "title": {"type": "plain_text", "text": "Wizard"},
        "submit": {"type": "plain_text", "text": "Next"},
        "blocks": [
            {"type": "section", "block_id": "intro", "text": {"type": "mrkdwn", "text": f"Size: {size}"}},
            {
                "type": "actions",
                "block_id": "menu",
                "elements": [{"type": "static_select", "action_id": "size", "options": sizes}],
            },
            {
                "type": "input",
                "block_id": "next",
                "label": {"type": "plain_text", "text": "Next step"},
                "element": {"type": "plain_text_input", "action_id": "next"},
            },
        ],
    }


STEP2 = {
    "type": "modal",
    "callback_id": "step2",
    "title": {"type": "plain_text", "text": "Step 2"},
    "submit": {"type": "plain_text", "text": "Finish"},
    "blocks": [{"type": "section", "text": {"type": "plain_text", "text": "Almost there"}}],
}


def _add_wizard(app: AsyncApp, seen: dict) -> None:
    @app.action("wizard")
    async def open_wizard(ack, body, client):
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=_wizard())

    @app.action("size")
    async def resize(ack, body, action, client):
        await ack()
        size = action["selected_option"]["value"]
        await client.views_update(view_id=body["view"]["id"], hash=body["view"]["hash"], view=_wizard(size))

    @app.view("step1")
    async def step1(ack, view):
        answer = view["state"]["values"]["next"]["next"]["value"]
        if answer == "push":
            await ack(response_action="push", view=STEP2)
        elif answer == "update":
            await ack(response_action="update", view=_wizard("updated"))
        else:  # a mistake real apps make: errors must name input blocks
            await ack(response_action="errors", errors={"intro": "Nope"})

    @app.view("step2")
    async def step2(ack):
        await ack(response_action="clear")

    @app.view_closed("step1")
    async def closed(ack, view):
        await ack()
        seen["closed"].append(view["id"])


@pytest.fixture
async def bolt(slack):
    """A real Bolt app connected to the fake over Socket Mode; yields what its listeners saw."""
    seen: dict[str, list] = {"submissions": [], "deletes": [], "closed": []}
    app = AsyncApp(client=AsyncWebClient(token=slack.bot_token, base_url=slack.api_url))
    _add_wizard(app, seen)

    @app.event("app_home_opened")
    async def home_opened(client, event):
        await client.views_publish(user_id=event["user"], view=HOME)

    @app.action("open_form")
    async def open_form(ack, body, client):
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=_form())

    @app.action("delete")
    async def delete(ack, body):
        await ack()
        seen["deletes"].append(body["user"]["id"])

    @app.options("schedule")
    async def schedules(ack, payload):
        names = ["Platform primary", "Platform secondary", "Payments"]
        matching = [name for name in names if payload["value"].lower() in name.lower()]
        await ack(options=[{"text": {"type": "plain_text", "text": n}, "value": n.lower()} for n in matching])

    @app.view("form")
    async def submitted(ack, view):
        values = view["state"]["values"]
        if values["name"]["name"]["value"] == "bad":
            await ack(response_action="errors", errors={"name": "Pick another name"})
            return
        await ack()
        seen["submissions"].append(values)

    @app.command("/rr")
    async def rr(ack, command, respond):
        await ack(f"Working on `{command['text']}`")
        await respond("Done.")

    handler = AsyncSocketModeHandler(app, slack.app_token)
    await handler.connect_async()
    await slack.wait_connected(timeout=5)
    yield seen
    await handler.close_async()


async def test_home_tab_walkthrough(slack, bolt):
    alice = slack.user("U1")
    home = await alice.open_home()
    assert home["type"] == "home"
    assert "Your rotations" in alice.text() and "New" in alice.text()
    assert slack.published["U1"] == home
    # Bolt acks events at once, before the listener runs.
    assert slack.acks[0].type == "events_api" and slack.acks[0].seconds < 3


async def test_button_opens_a_modal_that_validates_and_submits(slack, bolt):
    alice = slack.user("U1")
    await alice.open_home()
    await alice.click("open_form", value="new")
    modal = await slack.wait_for(lambda: alice.modal)
    assert modal["callback_id"] == "form"
    assert "Name" in alice.text(modal) and "Create" in alice.text(modal)

    envelopes_before = len(slack.socket.envelopes)
    assert await alice.submit() == {
        "errors": {"name": "This field is required", "schedule": "This field is required"}
    }
    assert len(slack.socket.envelopes) == envelopes_before  # Slack's client never sent it

    options = await alice.suggest("schedule", "platform")
    assert [option["value"] for option in options] == ["platform primary", "platform secondary"]
    await alice.fill("schedule", "platform secondary")
    await alice.fill("name", "bad")
    assert await alice.submit() == {"errors": {"name": "Pick another name"}}
    assert alice.modal is not None and alice.errors == {"name": "Pick another name"}

    await alice.fill("name", "Platform")
    await alice.fill("owner", "U2")
    assert await alice.submit() == {}
    assert alice.modal is None
    (values,) = bolt["submissions"]
    assert values["name"]["name"] == {"type": "plain_text_input", "value": "Platform"}
    assert values["owner"]["owner"] == {"type": "users_select", "selected_user": "U2"}
    assert values["schedule"]["schedule"]["selected_option"]["value"] == "platform secondary"
    assert values["notes"]["notes"] == {"type": "plain_text_input", "value": None}


async def test_confirm_dialogs_must_be_confirmed(slack, bolt):
    alice = slack.user("U1")
    await alice.open_home()
    with pytest.raises(ConfirmRequired):
        await alice.click("delete")
    assert bolt["deletes"] == []
    await alice.click("delete", confirm=True)
    await slack.wait_for(lambda: bolt["deletes"] == ["U1"])
    with pytest.raises(AssertionError, match="no confirm dialog"):
        await alice.click("open_form", confirm=True)


async def test_slash_command_ack_and_response_url(slack, bolt):
    bob = slack.user("U2")
    ack = await bob.command("swap @alice")
    assert ack == {"text": "Working on `swap @alice`"}
    await slack.wait_for(lambda: len(bob.ephemerals) == 2)
    # No order: Bolt polls for the ack every 10 ms, so respond() may reach Slack first, as in real life.
    assert sorted((m["source"], m["text"]) for m in bob.ephemerals) == [
        ("command ack", "Working on `swap @alice`"),
        ("response_url", "Done."),
    ]


async def test_an_action_without_listener_misses_the_ack_deadline(slack, bolt):
    alice = slack.user("U1")
    await alice.open_home()
    slack.ack_timeout = 0.5  # Bolt never acks an unhandled action; no need to wait the full 3 s
    with pytest.raises(AckTimeout, match="nobody_listens"):
        await alice.click("nobody_listens")


async def test_the_app_reconnects_after_a_disconnect(slack, bolt):
    await slack.disconnect()
    await slack.wait_connected(timeout=5)
    assert [name for name, _ in slack.calls].count("apps.connections.open") == 2
    await slack.user("U1").open_home()


async def test_modal_menus_response_actions_and_closing(slack, bolt):
    alice = slack.user("U1")
    await alice.open_home()
    await alice.click("wizard")
    await slack.wait_for(lambda: alice.modal)
    await alice.fill("next", "push")
    await alice.click("size", option="large")  # an actions-block menu sends block_actions at once
    await slack.wait_for(lambda: "Size: large" in alice.text(alice.modal))
    assert alice.values()["next"]["next"]["value"] == "push"  # same block_id: Slack keeps the input
    assert alice.values()["menu"]["size"]["selected_option"]["value"] == "large"

    assert await alice.submit() == {}
    assert [m["callback_id"] for m in alice.modals] == ["step1", "step2"]
    assert alice.modal["previous_view_id"] == alice.modals[0]["id"]
    assert await alice.submit() == {}
    assert alice.modals == []

    await alice.click("wizard")
    await slack.wait_for(lambda: alice.modal)
    await alice.fill("next", "oops")
    with pytest.raises(AssertionError, match="must name input blocks"):
        await alice.submit()
    await alice.fill("next", "update")
    assert await alice.submit() == {}
    assert "Size: updated" in alice.text(alice.modal)
    modal_id = alice.modal["id"]
    await alice.close()
    await slack.wait_for(lambda: bolt["closed"] == [modal_id])
    assert alice.modal is None
