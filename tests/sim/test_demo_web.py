"""The demo page's JSON API, driven over HTTP against the real app in-process (no browser)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from roundrobin.demo import Demo, demo_environment
from roundrobin.sim.demo.seed import ADMIN, API_KEY, MEMBER
from roundrobin.slack.ids import Home, PagerDuty, Requests, Rotations


@pytest.fixture
async def demo() -> AsyncIterator[Demo]:
    async with demo_environment(port=0, log_level="WARNING") as running:
        yield running


@pytest.fixture
async def http(demo: Demo) -> AsyncIterator[Client]:
    async with aiohttp.ClientSession(demo.page) as session:
        yield Client(session)


class Client:
    """The page's side of the API: gestures as one person, and waiting for what they see next."""

    def __init__(self, session: aiohttp.ClientSession, user: str = ADMIN) -> None:
        self.session = session
        self.user = user

    async def post(self, gesture: str, expect: int = 200, **body) -> dict:
        async with self.session.post(f"/api/{gesture}", json={"user": self.user, **body}) as response:
            answer = await response.json()
            assert response.status == expect, answer
            return answer

    async def state(self, version: str | None = None) -> dict:
        query = {"user": self.user} | ({"version": version} if version else {})
        async with self.session.get("/api/state", params=query) as response:
            assert response.status == 200
            return await response.json()

    async def until(self, predicate: Callable[[dict], object], timeout: float = 5.0) -> dict:
        """Long-poll the state until `predicate(state)` holds."""
        state = await self.state()
        async with asyncio.timeout(timeout):
            while not predicate(state):
                state = await self.state(state["version"])
        return state


def home_text(state: dict) -> str:
    return str(state["home"]["blocks"]) if state["home"] else ""


async def open_settings(http: Client) -> dict:
    await http.post("open_home")
    await http.post("click", action_id=Home.TAB_SETTINGS)
    return await http.until(lambda s: "Integrations" in home_text(s))


async def test_the_page_and_its_files_are_served(http: Client) -> None:
    async with http.session.get("/") as page:
        assert page.status == 200 and "text/html" in page.content_type
        assert "/static/app.js" in await page.text()
    for name, kind in [("app.js", "javascript"), ("blocks.js", "javascript"), ("style.css", "css")]:
        async with http.session.get(f"/static/{name}") as file:
            assert file.status == 200 and kind in file.content_type


async def test_the_state_holds_everything_the_page_draws(http: Client, demo: Demo) -> None:
    state = await http.state()
    assert state["me"] == ADMIN and state["version"]
    people = {p["id"]: p for p in state["people"]}
    assert people[ADMIN] == {"id": ADMIN, "name": "ada", "real_name": "Ada Lovelace", "is_admin": True}
    assert people[MEMBER]["is_admin"] is False and "U0BOT" not in people  # the app's bot user is not a person
    assert {c["name"] for c in state["channels"]} == {"general", "ops", "support"}
    assert state["usergroups"] == [
        {
            "id": "S01SUPPORT",
            "handle": "support-team",
            "name": "Support team",
            "users": ["U08BARB", "U09KEN"],
            "enabled": True,
        }
    ]
    schedules = {s["id"]: s for s in state["pagerduty"]["schedules"]}
    assert schedules["PSOPS1"]["on_call"] == ["PGRACE"] and schedules["PSSUN"]["version"] == 3
    assert sorted(schedules["PSSUN"]["on_call"]) == ["PADA", "PDENNIS"]
    priya = next(u for u in state["pagerduty"]["users"] if u["id"] == "PPRIYA")
    assert priya["in_slack"] is False
    assert state["pagerduty"]["sync_every_seconds"] == 30
    assert state["credentials"] == {
        "api_key": API_KEY,
        "client_id": demo.credentials.client_id,
        "client_secret": demo.credentials.client_secret,
    }
    assert (state["home"], state["modals"], state["errors"], state["ephemerals"]) == (None, [], {}, [])


async def test_open_home_then_a_click_opens_a_modal(http: Client) -> None:
    await http.post("open_home")
    state = await http.state()
    assert state["home"]["type"] == "home" and "home_tabs" in home_text(state)
    await open_settings(http)
    await http.post("click", action_id=PagerDuty.CONNECT)
    state = await http.until(lambda s: s["modals"])
    assert state["modals"][0]["title"]["text"] == "Connect PagerDuty"
    assert state["modals"][0]["state"]["values"]["pd_region"]["region"]["selected_option"]["value"] == "us"
    await http.post("close")
    assert (await http.state())["modals"] == []


async def test_a_submit_answers_with_the_field_errors(http: Client) -> None:
    await open_settings(http)
    await http.post("click", action_id=PagerDuty.CONNECT)
    await http.until(lambda s: s["modals"])
    assert (await http.post("submit")) == {"ok": True, "errors": {"pd_api_key": "This field is required"}}
    await http.post("fill", action_id=PagerDuty.API_KEY_INPUT, value="not-the-key")
    answer = await http.post("submit")
    assert "PagerDuty rejected this key" in answer["errors"][PagerDuty.API_KEY_BLOCK]
    state = await http.state()
    assert state["errors"] == answer["errors"] and len(state["modals"]) == 1
    assert state["modals"][0]["state"]["values"]["pd_api_key"]["api_key"]["value"] == "not-the-key"

    await http.post("fill", action_id=PagerDuty.API_KEY_INPUT, value=API_KEY)
    assert (await http.post("submit"))["errors"] == {}
    state = await http.until(lambda s: "Connected with API key" in home_text(s))
    assert state["modals"] == [] and state["errors"] == {}


async def test_what_the_simulators_refuse_comes_back_as_an_error(http: Client, demo: Demo) -> None:
    await http.post("open_home")
    missing = await http.post("click", expect=404, action_id="no.such.button")
    assert "sees no element 'no.such.button'" in missing["error"] and missing["kind"] == "not_found"
    stranger = await Client(http.session, "U99NOBODY").post("open_home", expect=404)
    assert "no user 'U99NOBODY'" in stranger["error"]
    async with http.session.post("/api/click", data="{not json") as response:
        assert response.status == 400 and "JSON" in (await response.json())["error"]
    assert "'action_id' is required" in (await http.post("click", expect=400))["error"]
    assert "no modal open" in (await http.post("submit", expect=502))["error"]

    demo.slack.ack_timeout = 0.0  # an app that cannot answer in time: Slack's 3-second rule
    late = await http.post("click", expect=504, action_id=Home.TAB_SETTINGS)
    assert late["kind"] == "ack_timeout" and "did not ack" in late["error"]


async def test_a_confirm_dialog_must_be_confirmed(http: Client) -> None:
    await open_settings(http)
    await http.post("click", action_id=PagerDuty.CONNECT)
    await http.until(lambda s: s["modals"])
    await http.post("fill", action_id=PagerDuty.API_KEY_INPUT, value=API_KEY)
    await http.post("submit")
    await http.until(lambda s: "Disconnect" in home_text(s))
    refused = await http.post("click", expect=409, action_id=PagerDuty.DISCONNECT)
    assert refused["kind"] == "confirm_required" and "Disconnect PagerDuty?" in refused["error"]
    await http.post("click", action_id=PagerDuty.DISCONNECT, confirm=True)
    await http.until(lambda s: "Not connected" in home_text(s))


async def test_menus_sharing_an_action_id_are_told_apart(http: Client) -> None:
    await http.post("open_home")
    for name, code in [("Support desk", "DESK"), ("Code review", "REVIEW")]:
        await http.post("click", action_id=Rotations.CREATE)
        await http.until(lambda s: s["modals"])
        await http.post("fill", action_id=Rotations.NAME, value=name)
        await http.post("fill", action_id=Rotations.CODE, value=code)
        await http.post("fill", action_id=Rotations.MEMBERS, value=["U02GRACE", MEMBER])
        assert (await http.post("submit"))["errors"] == {}
    state = await http.until(lambda s: "REVIEW" in home_text(s) and "DESK" in home_text(s))
    menus = [b for b in state["home"]["blocks"] if b.get("accessory", {}).get("action_id") == Rotations.MENU]
    assert len(menus) == 2

    ambiguous = await http.post("click", expect=404, action_id=Rotations.MENU)
    assert "2 elements share action_id 'rot.menu'" in ambiguous["error"]
    names = [next(n for n in ("Support desk", "Code review") if n in b["text"]["text"]) for b in menus]
    second = menus[1]["accessory"]["options"][0]["value"]  # "details:<id>": only the second menu offers it
    await http.post("click", action_id=Rotations.MENU, option=second)
    state = await http.until(lambda s: s["modals"])
    assert state["modals"][0]["blocks"][0]["text"]["text"].startswith(names[1])
    await http.post("close")
    first = menus[0]["accessory"]["options"][0]["value"]
    await http.post("click", action_id=Rotations.MENU, block_id=menus[0]["block_id"], option=first)
    state = await http.until(lambda s: s["modals"])
    assert state["modals"][0]["blocks"][0]["text"]["text"].startswith(names[0])


async def test_commands_and_type_ahead(http: Client) -> None:
    answer = await http.post("command", text="/rr help", channel="C02OPS")
    assert "/rr who CODE" in answer["reply"]["text"]
    state = await http.state()
    assert [e["channel"] for e in state["ephemerals"]] == ["C02OPS"]
    assert "not a command here" in (await http.post("command", expect=400, text="/deploy now"))["error"]

    await http.post("open_home")
    await http.post("click", action_id=Home.TAB_ROTATIONS)
    await http.until(lambda s: Rotations.JUMP in home_text(s))
    assert (await http.post("suggest", action_id=Rotations.JUMP, query=""))["options"] == []  # too short
    assert (await http.post("suggest", action_id=Rotations.JUMP, query="zz"))["options"] == []


async def test_changing_who_is_on_call_in_pagerduty(http: Client, demo: Demo) -> None:
    before = await http.state()
    answer = await http.post("pagerduty/on_call", schedule_id="PSOPS1", user_ids=["PALAN"])
    assert next(s for s in answer["schedules"] if s["id"] == "PSOPS1")["on_call"] == ["PALAN"]
    state = await http.state(before["version"])  # the change wakes a waiting long-poll
    assert next(s for s in state["pagerduty"]["schedules"] if s["id"] == "PSOPS1")["on_call"] == ["PALAN"]
    shifts = demo.pd.directory.schedules["PSOPS1"].shifts
    assert [s.user_ids for s in shifts] == [("PGRACE",), ("PALAN",), ("PPRIYA",)]  # next week's shift stays

    await http.post("pagerduty/on_call", schedule_id="PSOPS2", user_ids=[])
    state = await http.state()
    assert next(s for s in state["pagerduty"]["schedules"] if s["id"] == "PSOPS2")["on_call"] == []
    await http.post("pagerduty/on_call", schedule_id="PSOPS2", user_ids=["PMARGA"])  # nobody, then Margaret
    assert [s.user_ids for s in demo.pd.directory.schedules["PSOPS2"].shifts] == [
        ("PLINUS",),
        ("PMARGA",),
        ("PMARGA",),  # until next week's shift, which stays
    ]
    both = await http.post("pagerduty/on_call", expect=400, schedule_id="PSOPS1", user_ids=["PALAN", "PKATH"])
    assert "one user per shift" in both["error"]
    await http.post(
        "pagerduty/on_call", schedule_id="PSSUN", user_ids=["PALAN", "PKATH"]
    )  # shift-based: fine
    assert (await http.post("pagerduty/on_call", expect=404, schedule_id="PNOPE", user_ids=[]))[
        "kind"
    ] == "not_found"


async def test_a_waiting_long_poll_returns_when_something_changes(http: Client) -> None:
    state = await http.state()
    waiting = asyncio.create_task(http.state(state["version"]))
    await asyncio.sleep(0.3)
    assert not waiting.done()
    await http.post("open_home")
    changed = await asyncio.wait_for(waiting, 2.0)
    assert changed["version"] != state["version"] and changed["home"] is not None


# --- a click on a control that is gone (issue 16: double-clicks) ---------------------------------


async def create_rotation(http: Client, name: str, code: str, members: list[str]) -> dict:
    await http.post("open_home")
    await http.post("click", action_id=Rotations.CREATE)
    await http.until(lambda s: s["modals"])
    await http.post("fill", action_id=Rotations.NAME, value=name)
    await http.post("fill", action_id=Rotations.CODE, value=code)
    await http.post("fill", action_id=Rotations.MEMBERS, value=members)
    assert (await http.post("submit"))["errors"] == {}
    return await http.until(lambda s: code in home_text(s))


def element_ids(message: dict) -> list[str]:
    return [e.get("action_id") for b in message["blocks"] for e in b.get("elements", [])]


async def test_a_second_submit_or_close_of_a_closed_modal_is_ignored(http: Client) -> None:
    await open_settings(http)
    await http.post("click", action_id=PagerDuty.CONNECT)
    drawn = await http.until(lambda s: s["modals"])
    modal = {"view_id": drawn["modals"][0]["id"], "seen": drawn["version"]}
    await http.post("fill", action_id=PagerDuty.API_KEY_INPUT, value=API_KEY, **modal)
    # Both presses of a double-click leave the page before the first one is answered.
    first, second = await asyncio.gather(http.post("submit", **modal), http.post("submit", **modal))
    assert first == {"ok": True, "errors": {}}
    assert second == {"ok": True, "ignored": "that modal is closed"}
    assert (await http.post("close", **modal))["ignored"] == "that modal is closed"
    await http.until(lambda s: "Connected with API key" in home_text(s))

    # Without what the page saw, or on the current state, the simulated client stays strict.
    assert "no modal open" in (await http.post("submit", expect=502))["error"]
    now = (await http.state())["version"]
    stale_free = await http.post("submit", expect=502, view_id=modal["view_id"], seen=now)
    assert "no modal open" in stale_free["error"]


async def test_a_second_click_on_a_button_its_first_click_removed_is_ignored(http: Client) -> None:
    await create_rotation(http, "Support desk", "DESK", ["U02GRACE", MEMBER])
    await http.post("say", channel="C01GENERAL", text="<@U0BOT> DESK the printer is on fire")
    grace = Client(http.session, "U02GRACE")
    drawn = await grace.until(lambda s: any(Requests.ACK in element_ids(m) for m in s["dms"]))
    offer = next(m for m in drawn["dms"] if Requests.ACK in element_ids(m))
    request_id = next(e["value"] for b in offer["blocks"] for e in b.get("elements", []) if e.get("value"))
    ack = {"channel": offer["channel"], "ts": offer["ts"], "action_id": Requests.ACK, "value": request_id}
    await grace.post("click_message", **ack, seen=drawn["version"])
    taken = await grace.until(lambda s: all(Requests.ACK not in element_ids(m) for m in s["dms"]))

    again = await grace.post("click_message", **ack, seen=drawn["version"])
    assert again == {"ok": True, "ignored": "that control is no longer there"}
    strict = await grace.post("click_message", expect=404, **ack)
    assert "the message has no element 'req.ack'" in strict["error"]
    current = await grace.post("click_message", expect=404, **ack, seen=taken["version"])
    assert "the message has no element 'req.ack'" in current["error"]


async def test_a_click_in_a_view_that_changed_under_it_is_ignored(http: Client) -> None:
    await http.post("open_home")
    drawn = await http.until(lambda s: s["home"])
    home = {"view_id": drawn["home"]["id"], "seen": drawn["version"]}
    await http.post("click", action_id=Home.TAB_SETTINGS, **home)
    await http.until(lambda s: "Integrations" in home_text(s))
    # The Rotations tab's Create button was on the page drawn before; Settings has none.
    gone = await http.post("click", action_id=Rotations.CREATE, **home)
    assert gone == {"ok": True, "ignored": "that control is no longer there"}
    await http.post("click", action_id=PagerDuty.CONNECT, **home)  # still there: it goes through
    state = await http.until(lambda s: s["modals"])
    covered = await http.post("click", action_id=PagerDuty.CONNECT, **home)  # the modal covers Home
    assert covered == {"ok": True, "ignored": "that view is no longer on screen"}
    assert len(state["modals"]) == 1 and len((await http.state())["modals"]) == 1
    await http.post("close")
    now = await http.until(lambda s: not s["modals"])
    missing = await http.post(
        "click", expect=404, action_id="no.such.button", view_id=home["view_id"], seen=now["version"]
    )
    assert "sees no element" in missing["error"]  # on the state the page drew: the page's mistake, shown


# --- joining a channel, and the rotations the composer may name -----------------------------------


async def test_joining_a_public_channel(http: Client) -> None:
    drawn = await http.state()
    support = next(c for c in drawn["channels"] if c["name"] == "support")
    assert ADMIN not in support["members"]
    await http.post("join", channel="C03SUPPORT", seen=drawn["version"])
    state = await http.state()
    support = next(c for c in state["channels"] if c["name"] == "support")
    assert ADMIN in support["members"]
    assert support["messages"][-1]["subtype"] == "channel_join"
    assert (await http.post("join", channel="C03SUPPORT", seen=drawn["version"]))["ignored"]
    assert "already in #support" in (await http.post("join", expect=502, channel="C03SUPPORT"))["error"]
    await http.post("say", channel="C03SUPPORT", text="hello")


async def test_the_state_names_the_rotations_that_exist(http: Client) -> None:
    assert (await http.state())["rotations"] == []
    await create_rotation(http, "Support desk", "DESK", ["U02GRACE"])
    state = await http.until(lambda s: s["rotations"])
    assert state["rotations"] == [{"code": "DESK", "name": "Support desk", "channels": []}]
