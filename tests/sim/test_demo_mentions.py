"""The demo page's API for the mention flow: writing in a channel, clicking in a DM (no browser)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from roundrobin.demo import Demo, demo_environment
from roundrobin.sim.demo.seed import ADMIN
from roundrobin.slack.ids import Requests, Rotations
from tests.sim.test_demo_web import Client

GRACE, GENERAL, SUPPORT = "U02GRACE", "C01GENERAL", "C03SUPPORT"


@pytest.fixture
async def demo() -> AsyncIterator[Demo]:
    async with demo_environment(port=0, log_level="WARNING") as running:
        yield running


@pytest.fixture
async def http(demo: Demo) -> AsyncIterator[Client]:
    async with aiohttp.ClientSession(demo.page) as session:
        yield Client(session)


async def create_desk(http: Client) -> None:
    await http.post("open_home")
    await http.post("click", action_id=Rotations.CREATE)
    await http.until(lambda s: s["modals"])  # the app opens the form after it acks the click
    await http.post("fill", action_id=Rotations.NAME, value="Support desk")
    await http.post("fill", action_id=Rotations.CODE, value="desk")
    await http.post("fill", action_id=Rotations.MEMBERS, value=[GRACE, "U04KATH"])
    assert (await http.post("submit"))["errors"] == {}


def general(state: dict) -> list[dict]:
    return next(c for c in state["channels"] if c["id"] == GENERAL)["messages"]


async def test_a_mention_typed_on_the_page_is_offered_and_acked_in_a_dm(http: Client, demo: Demo) -> None:
    await create_desk(http)
    state = await http.state()
    assert state["bot"] == {"id": demo.slack.workspace.bot_user_id, "name": "Round Robin"}
    assert {c["id"]: c["bot_is_member"] for c in state["channels"]}[SUPPORT] is False
    asked = await http.post("say", channel=GENERAL, text=f"<@{state['bot']['id']}> DESK printer &lt;3")
    state = await http.until(lambda s: any(m["thread_ts"] == asked["ts"] for m in general(s)[1:]))
    [mention] = [m for m in general(state) if m["ts"] == asked["ts"]]
    assert mention["user"] == ADMIN

    grace = Client(http.session, GRACE)
    state = await grace.until(lambda s: any(Requests.ACK in str(m["blocks"]) for m in s["dms"]))
    offer = next(m for m in state["dms"] if Requests.ACK in str(m["blocks"]))
    value = offer["blocks"][-1]["elements"][0]["value"]
    await grace.post(
        "click_message", channel=offer["channel"], ts=offer["ts"], action_id=Requests.ACK, value=value
    )
    await http.until(lambda s: any("has it" in m["text"] for m in general(s)))


async def test_what_the_simulated_slack_refuses_comes_back_as_an_error(http: Client) -> None:
    assert (await http.post("say", expect=400, channel=GENERAL, text="/rr help"))["kind"] == "bad_request"
    refused = await http.post("say", expect=502, channel=SUPPORT, text="hello")  # Ada is not in #support
    assert "not in #support" in refused["error"]
    missing = await http.post("click_message", expect=404, channel=GENERAL, ts="1.2", action_id=Requests.ACK)
    assert missing["kind"] == "not_found"
