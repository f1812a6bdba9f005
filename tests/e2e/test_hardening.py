"""What a crafted payload or a slow Slack must not bend: replies go only to Slack, numbers are parsed
strictly, one person's failure stops nobody else's Home, and `/rr` is acked in time whatever Slack does.

A Socket Mode client can send any id or value: the payloads below are forged on purpose.
"""

import asyncio

import pytest
from aiohttp import web

from roundrobin.slack.ids import Requests, Rotations
from tests.e2e.conftest import ADMIN, BOB, DAVE
from tests.e2e.steps import create_rotation, forged_click, home_after, open_rotations, rows
from tests.e2e.test_requests import ask, offer_to, ops_rotation, reply_saying

pytestmark = pytest.mark.e2e


class Listener:
    """A loopback web server standing for what a crafted response_url might point at."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> "Listener":
        app = web.Application()

        async def anything(request: web.Request) -> web.StreamResponse:
            self.hits.append(f"{request.method} {request.path}")
            if request.path == "/redirect":
                raise web.HTTPFound("/landed")
            return web.Response(text="ok")

        app.router.add_route("*", "/{tail:.*}", anything)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc) -> None:
        await self.runner.cleanup()


async def test_a_crafted_response_url_receives_nothing_and_the_answer_comes_by_dm(app, slack, pd):
    await ops_rotation(slack, app)
    mention = await ask(slack, DAVE, "OPS the deploy is stuck")
    await reply_saying(slack, mention, "I've asked <@U0BOB>")
    offer = await offer_to(slack, BOB)
    [(request_id,)] = rows(app, "SELECT id FROM requests")
    phishing = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "<!here> <https://evil.example|log in>"}}
    ]
    async with Listener() as target:
        await slack.forge(
            BOB,
            "block_actions",
            container={"type": "message", "channel_id": offer["channel"], "message_ts": offer["ts"]},
            channel={"id": offer["channel"]},
            message={**offer, "blocks": phishing},
            response_url=f"{target.url}/redirect",
            actions=[
                {"action_id": Requests.ACK, "block_id": "forged", "value": str(request_id), "type": "button"}
            ],
        )
        answer = await slack.wait_for(
            lambda: next((m for m in slack.dms_to(BOB) if "You took it" in str(m["blocks"])), None)
        )
        await asyncio.sleep(0.3)
        assert target.hits == [], "the app never posts to an address that is not Slack's"
    assert "evil.example" not in str(answer) and "<!here>" not in str(answer)
    assert "*Primary on-call* (`OPS`)" in str(answer["blocks"]), "the request as stored, not as sent"
    assert rows(app, "SELECT state, acked_by FROM requests") == [("acked", BOB)]


@pytest.mark.parametrize("value", ["9" * 19, "9" * 30, "²", "-1", "1e3"])
async def test_crafted_numbers_are_answered_and_every_other_home_keeps_following(app, slack, pd, value):
    admin, bob, dave = slack.user(ADMIN), slack.user(BOB), slack.user(DAVE)
    assert await create_rotation(slack, admin, code="ops") == {}
    assert "On duty: <@U0BOB>" in await open_rotations(slack, bob)
    await open_rotations(slack, dave)
    page = {
        "type": "button",
        "action_id": Rotations.PAGE_NEXT,
        "value": value,
        "text": {"type": "plain_text", "text": "Next"},
    }
    assert "Primary on-call" in await home_after(slack, dave, forged_click(slack, dave, page)), (
        "a page that exists"
    )
    details = {
        "type": "button",
        "action_id": Rotations.DETAILS,
        "value": value,
        "text": {"type": "plain_text", "text": "Details"},
    }
    assert "no longer exists" in await home_after(slack, dave, forged_click(slack, dave, details))
    menu = {
        "type": "overflow",
        "action_id": Rotations.MENU,
        "selected_option": {"text": {"type": "plain_text", "text": "Details"}, "value": f"details:{value}"},
    }
    assert "no longer exists" in await home_after(slack, dave, forged_click(slack, dave, menu))
    assert "Traceback" not in app.log_text() and "listener failed" not in app.log_text()
    await admin.command("rotate ops")
    await slack.wait_for(lambda: "On duty: <@U0CAROL>" in bob.text(), description="Bob's Home to follow")
    await slack.wait_for(lambda: "On duty: <@U0CAROL>" in dave.text(), description="Dave's Home to follow")


async def test_a_huge_rr_argument_is_answered_in_words_at_once(app, slack, pd):
    dave = slack.user(DAVE)
    for text in ("who " + "X" * 60_000, "rotate " + "ops " * 20_000, "W" * 5_000):
        reply = await dave.command(text)
        assert reply is not None and reply["text"], "acked, with an answer"
        assert "Traceback" not in reply["text"]
    assert "longer than any rotation code" in (await dave.command("who " + "X" * 60_000))["text"]


async def test_rr_is_acked_in_time_while_slack_hangs_and_answers_through_the_response_url(app, slack, pd):
    admin, dave = slack.user(ADMIN), slack.user(DAVE)
    assert await create_rotation(slack, admin, code="ops") == {}
    # Dave may not rotate OPS: the refusal names its creator, which needs users.info, which hangs.
    slack.hang_next("users.info", seconds=8, count=5)
    reply = await dave.command("rotate ops")  # the simulated client fails the test if the ack is late
    assert reply is not None
    said = await slack.wait_for(
        lambda: next(
            (e["text"] for e in dave.ephemerals if "change who is on duty for OPS" in e["text"]), None
        ),
        timeout=15,
        description="the refusal, through the response_url",
    )
    assert said.startswith(":no_entry: Only")
    assert rows(app, "SELECT COUNT(*) FROM events WHERE kind = 'duty.changed'") == [(1,)]


async def test_a_hanging_users_info_never_holds_the_database(app, slack, pd):
    admin, bob, dave = slack.user(ADMIN), slack.user(BOB), slack.user(DAVE)
    assert await create_rotation(slack, admin, code="ops", members=(BOB, "U0CAROL", DAVE)) == {}
    assert await create_rotation(slack, admin, name="Desk", code="desk", members=(BOB, DAVE)) == {}
    assert "is on duty now" in (await bob.command("rotate ops"))["text"]
    # Dave rotates a moment after Bob: he is told who did, which names people: users.info hangs.
    slack.hang_next("users.info", seconds=6, count=3)
    assert (await dave.command("rotate ops"))["text"] == "Working on it…"
    reply = await admin.command("rotate desk")
    assert "is on duty now" in reply["text"], "another change commits while Slack hangs"
    said = await slack.wait_for(
        lambda: next((e["text"] for e in dave.ephemerals if "a moment ago" in e["text"]), None), timeout=15
    )
    assert "Bob Builder changed who is on duty for OPS a moment ago" in said
    assert rows(app, "SELECT COUNT(*) FROM events WHERE kind = 'duty.changed'") == [(4,)]


async def test_a_save_that_fails_leaves_no_group_in_slack(app, slack, pd):
    from tests.e2e.conftest import CAROL
    from tests.e2e.steps import modal_after

    admin, carol = slack.user(ADMIN), slack.user(CAROL)
    assert await create_rotation(slack, carol, name="Desk", code="desk", members=(BOB, CAROL)) == {}
    [(rotation_id,)] = rows(app, "SELECT id FROM rotations")
    await admin.open_home()
    await modal_after(slack, admin, admin.click(Rotations.MENU, option=f"edit:{rotation_id}"))
    await carol.open_home()  # Carol renames it while the admin's form is open
    await modal_after(slack, carol, carol.click(Rotations.MENU, option=f"edit:{rotation_id}"))
    await carol.fill(Rotations.NAME, "Help desk")
    assert await carol.submit() == {}
    await admin.fill(Rotations.NEW_GROUP, "desk-oncall")
    refused = await admin.submit()
    assert "changed DESK while you were editing it" in str(refused["errors"])
    await asyncio.sleep(0.5)
    assert not [g for g in slack.usergroups.values() if g["handle"] == "desk-oncall"], "nothing left behind"
    assert not slack.calls_to("usergroups.create")


async def test_a_new_group_is_made_after_the_save_and_a_create_lost_on_the_way_back_is_adopted(
    app, slack, pd
):
    admin = slack.user(ADMIN)
    slack.reset_next("usergroups.create", took_effect=True)  # Slack made it; the answer never came
    assert (
        await create_rotation(slack, admin, code="ops", members=(BOB, "U0CAROL"), new_group="ops-oncall")
        == {}
    )
    group = await slack.wait_for(
        lambda: next(
            (g for g in slack.usergroups.values() if g["handle"] == "ops-oncall" and g["users"]), None
        ),
        timeout=15,
    )
    assert group["users"] == [BOB]
    assert [g["handle"] for g in slack.usergroups.values()].count("ops-oncall") == 1, "one group, adopted"
    assert rows(app, "SELECT usergroup_id, usergroup_create FROM rotations") == [(group["id"], 0)]
