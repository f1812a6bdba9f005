"""Walkthroughs: an App Home left open follows duty changes made by others, without being reopened."""

import asyncio

import pytest

from roundrobin.slack.ids import Rotations
from tests.e2e.conftest import ADMIN, BOB, CAROL, DAVE
from tests.e2e.steps import create_rotation, home_after, open_rotations, open_settings
from tests.e2e.test_rotations_pagerduty import bind_rotation, connect_with_key, sync_now

pytestmark = pytest.mark.e2e


def publishes(slack, user_id: str) -> int:
    return slack.workspace.views.publish_counts[user_id]


async def test_a_home_left_open_follows_rotates_by_someone_else_once_per_burst(app, slack, pd):
    admin, bob, dave = slack.user(ADMIN), slack.user(BOB), slack.user(DAVE)
    assert await create_rotation(slack, admin, code="ops") == {}
    assert "On duty: <@U0BOB>" in await open_rotations(slack, bob)
    await open_settings(slack, dave)  # Dave looks at Settings: duty changes do not show there
    await asyncio.sleep(1.5)  # the creation's own refresh has settled
    bob_before, dave_before = publishes(slack, BOB), publishes(slack, DAVE)

    for _ in range(3):  # a burst: Bob → Carol → Bob → Carol
        assert "is on duty now" in (await admin.command("rotate ops"))["text"]
    text = await slack.wait_for(
        lambda: "On duty: <@U0CAROL>" in bob.text() and bob.text(), description="Bob's Home to follow"
    )
    assert "Next: <@U0BOB>" in text
    await asyncio.sleep(2.5)
    assert publishes(slack, BOB) == bob_before + 1, "one publish for the whole burst"
    assert publishes(slack, DAVE) == dave_before, "nothing changed on the page Dave is on"
    assert publishes(slack, CAROL) == 0, "Carol never opened her Home"


async def test_only_homes_showing_the_rotation_are_republished(app, slack, pd):
    admin, dave = slack.user(ADMIN), slack.user(DAVE)
    assert await create_rotation(slack, admin, code="ops") == {}
    assert await create_rotation(slack, admin, name="Dave's desk", code="desk", members=(DAVE, CAROL)) == {}
    await open_rotations(slack, dave)
    text = await home_after(slack, dave, dave.click(Rotations.FILTER, option="mine"))
    assert "Dave's desk" in text and "Primary on-call" not in text
    await asyncio.sleep(1.5)
    before = publishes(slack, DAVE)
    await admin.command("rotate ops")  # not on Dave's page
    await asyncio.sleep(2.5)
    assert publishes(slack, DAVE) == before
    await admin.command("rotate desk")  # on it
    await slack.wait_for(lambda: "On duty: <@U0CAROL>" in dave.text())
    assert "Primary on-call" not in dave.text(), "the filter Dave chose is kept"


async def test_a_home_left_open_follows_a_pagerduty_hand_over_after_sync_now(app, slack, pd):
    admin, bob = slack.user(ADMIN), slack.user(BOB)
    await connect_with_key(slack, admin, pd, app)
    await bind_rotation(slack, admin, app)
    assert "On duty: <@U0BOB>" in await open_rotations(slack, bob)
    before = publishes(slack, BOB)

    pd.set_on_call("PSPRIM", "PCAROL")
    await sync_now(slack, admin)  # Alice presses Sync now in her own Home
    await slack.wait_for(lambda: "On duty: <@U0CAROL>" in bob.text(), description="Bob's Home to follow")
    assert publishes(slack, BOB) == before + 1
