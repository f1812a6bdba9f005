"""The Slack directory against the Slack simulator: reloads have a floor, made-up ids cost next to
nothing, and what Slack says about an account (an event, users.info) is learned with care."""

import asyncio

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.background import Doorbell
from roundrobin.rotations.model import DEACTIVATED, GUEST, MISSING
from roundrobin.sim.slack import FakeSlack
from roundrobin.slack.gateway.directory import LOOKUPS_PER_CHECK, SlackDirectory
from roundrobin.store import directory as store

MADE_UP = [f"U{n:09d}" for n in range(1000)]


@pytest.fixture
async def slack():
    async with FakeSlack() as fake:
        fake.add_user("U0ADA", "ada", "Ada Lovelace", "ada@corp.example")
        fake.add_user("U0ALAN", "alan", "Alan Turing", "alan@corp.example")
        yield fake


@pytest.fixture
async def client(slack):
    async with aiohttp.ClientSession() as http:
        yield AsyncWebClient(token=slack.bot_token, base_url=slack.api_url, session=http)


@pytest.fixture
def changed():
    return Doorbell()


@pytest.fixture
def directory(client, db, changed):
    return SlackDirectory(client, db, changed=changed)


async def test_a_thousand_made_up_ids_cost_no_users_list_page(slack, directory, db):
    await directory.refresh()
    assert len(slack.calls_to("users.list")) == 1
    for _ in range(3):
        assert await directory.people(MADE_UP) == {}
    assert len(slack.calls_to("users.list")) == 1, "a fresh directory is never reloaded for unknown ids"
    asked = [c["user"] for c in slack.calls_to("users.info")]
    assert len(asked) <= 3 * LOOKUPS_PER_CHECK and len(set(asked)) == len(asked), "each asked once at most"
    assert set(asked) <= set(MADE_UP[:100]), "only the first 100 ids are ever looked at"
    assert await store.size(db) == 3, "the bot, Ada and Alan: nothing made up is stored"


async def test_ids_that_are_not_well_formed_are_never_looked_up(slack, directory):
    await directory.refresh()
    found = await directory.people(["", "U1", "u0ada", "<!here>", "U0ADA> <!channel", 7, None, "U" * 40])
    assert found == {} and slack.calls_to("users.info") == []


async def test_reloads_are_one_at_a_time_and_have_a_floor(slack, directory):
    results = await asyncio.gather(*(directory.people(MADE_UP[:50]) for _ in range(10)))
    assert all(r == {} for r in results)
    assert len(slack.calls_to("users.list")) == 1, "a directory never loaded is loaded once"
    assert await directory.refresh() is False, "within the floor"
    assert len(slack.calls_to("users.list")) == 1


async def test_a_failed_reload_is_not_retried_before_the_floor(slack, directory):
    slack.fail_next("users.list", "internal_error")
    assert await directory.refresh() is False
    assert await directory.refresh() is False
    assert len(slack.calls_to("users.list")) == 1


async def test_an_event_about_a_deactivation_is_confirmed_with_users_info(slack, directory, db, changed):
    await directory.refresh()
    changed._event.clear()
    shown = await slack.deactivate("U0ALAN", tell_app=False)
    learned = await directory.learn(shown)
    assert learned.why_unavailable == DEACTIVATED and {"user": "U0ALAN"} in slack.calls_to("users.info")
    assert await store.unavailable(db, ["U0ALAN"]) == {"U0ALAN": DEACTIVATED}
    assert changed._event.is_set(), "the rotations follow"


async def test_an_event_out_of_order_loses_to_what_slack_says_now(slack, directory, db, changed):
    await directory.refresh()
    changed._event.clear()  # the first load rang: the rotations follow what it says
    stale = await slack.deactivate("U0ALAN", tell_app=False)
    await slack.reactivate("U0ALAN", tell_app=False)
    await directory.learn(stale)  # the deactivation arrives after the reactivation
    assert await store.unavailable(db, ["U0ALAN"]) == {}
    assert not changed._event.is_set()


async def test_a_new_name_needs_no_lookup_and_rings_nobody(slack, directory, db, changed):
    await directory.refresh()
    changed._event.clear()
    shown = await slack.change_account("U0ADA", real_name="Ada King", tell_app=False)
    await directory.learn(shown)
    assert slack.calls_to("users.info") == [] and not changed._event.is_set()
    assert (await store.by_ids(db, ["U0ADA"]))["U0ADA"].real_name == "Ada King"


@pytest.mark.parametrize("event_user", [None, "U0ADA", {"id": "<!here>"}, {"id": 7}, {"name": "x"}])
async def test_a_malformed_user_object_is_ignored(directory, db, event_user):
    assert await directory.learn(event_user) is None
    assert await store.size(db) == 0


async def test_recheck_learns_who_slack_will_not_take(slack, client, directory, db):
    await directory.refresh()
    await slack.change_account("U0ADA", is_restricted=True, tell_app=False)
    del slack.workspace.users["U0ALAN"]
    assert await directory.recheck(["U0ADA", "U0ALAN"]) == {"U0ADA": GUEST, "U0ALAN": MISSING}
    assert await store.unavailable(db, ["U0ADA", "U0ALAN"]) == {"U0ADA": GUEST, "U0ALAN": MISSING}
    assert await SlackDirectory(client, db, reload_floor=0).refresh() is True
    assert await store.unavailable(db, ["U0ALAN"]) == {"U0ALAN": MISSING}, "users.list cannot say otherwise"


async def test_each_persons_time_zone_is_kept_from_users_list_and_events(slack, directory, db):
    slack.workspace.users["U0ALAN"].tz = "America/New_York"
    assert await directory.refresh()
    assert await store.time_zones(db, ["U0ADA", "U0ALAN", "U0NOBODY"]) == {
        "U0ADA": "Europe/London",
        "U0ALAN": "America/New_York",
    }
    # A zone that is not a zone name is not kept; an event without one keeps the one known.
    await directory.learn({"id": "U0ADA", "name": "ada", "tz": "../../etc/passwd"})
    await directory.learn({"id": "U0ALAN", "name": "alan", "tz": "Asia/Tokyo"})
    assert await store.time_zones(db, ["U0ADA", "U0ALAN"]) == {
        "U0ADA": "Europe/London",
        "U0ALAN": "Asia/Tokyo",
    }
