"""People come and go: deactivated accounts, guests and bots never block a rotation (issue 21).

Walkthroughs against the real app: a Manual rotation's next person deactivated, then Rotate; the
person on duty deactivated; a PagerDuty-bound rotation with two on call, one of them deactivated
without any event reaching the app; and everyone reactivated again.
"""

import asyncio
import time

import pytest

from roundrobin.slack.ids import MenuChoice, Rotations
from tests.e2e.conftest import ADMIN, BOB, CAROL, DAVE, OPS
from tests.e2e.steps import create_rotation, group_of, home_after, modal_after, open_rotations, rows, told
from tests.e2e.test_rotations_pagerduty import connect_with_key

pytestmark = pytest.mark.e2e
SYNC_INTERVAL = 4


@pytest.fixture
def app_settings():
    return {"SYNC_INTERVAL_SECONDS": str(SYNC_INTERVAL)}


async def manual_rotation(slack, app) -> int:
    """Bob, Carol and Dave take turns (Bob first); #ops is told; @ops-oncall follows."""
    admin = slack.user(ADMIN)
    ack = await create_rotation(
        slack, admin, members=(BOB, CAROL, DAVE), channels=[OPS], new_group="ops-oncall"
    )
    assert ack == {}
    await slack.wait_for(lambda: group_of(slack, "ops-oncall")["users"] == [BOB])
    await slack.wait_for(lambda: told(slack, OPS, "<@U0BOB>", "on duty now"))
    return rows(app, "SELECT id FROM rotations")[0][0]


def card(text: str) -> str:
    return text.split("*Primary on-call*")[1]


async def test_a_deactivated_next_person_is_passed_by_and_the_channel_told_why(app, slack, pd):
    rotation_id = await manual_rotation(slack, app)
    admin = slack.user(ADMIN)
    await slack.deactivate(CAROL)  # Slack tells the app (user_change)
    await slack.wait_for(
        lambda: rows(app, "SELECT deleted FROM slack_directory WHERE id = ?", CAROL) == [(1,)],
        description="the directory to hear of it",
    )
    text = await open_rotations(slack, admin)
    assert "Next: <@U0DAVE>" in card(text), "who is really next"
    assert "<@U0CAROL> left Slack — remove them from the rotation?" in card(text)

    text = await home_after(
        slack, admin, admin.click(Rotations.MENU, option=f"{MenuChoice.ROTATE}:{rotation_id}:1")
    )
    assert "On duty: <@U0DAVE>" in text
    await slack.wait_for(lambda: group_of(slack, "ops-oncall")["users"] == [DAVE])
    [message] = await slack.wait_for(lambda: told(slack, OPS, "<@U0DAVE>", "on duty now"))
    blocks = str(message["blocks"])
    assert "Skipped <@U0CAROL>: their Slack account is deactivated." in blocks
    assert "usergroups.users.update" not in [m for m, error in slack.refused], "Slack never refused anything"

    # Reactivated: back in turn, without anyone editing anything.
    await slack.reactivate(CAROL)
    await slack.wait_for(
        lambda: rows(app, "SELECT deleted FROM slack_directory WHERE id = ?", CAROL) == [(0,)],
        description="the directory to hear of it",
    )
    text = await open_rotations(slack, admin)
    assert "left Slack" not in text and "Next: <@U0BOB>" in card(text)
    await home_after(slack, admin, admin.click(Rotations.MENU, option=f"{MenuChoice.ROTATE}:{rotation_id}:2"))
    await home_after(slack, admin, admin.click(Rotations.MENU, option=f"{MenuChoice.ROTATE}:{rotation_id}:3"))
    await slack.wait_for(
        lambda: group_of(slack, "ops-oncall")["users"] == [CAROL], description="Carol's turn"
    )


async def test_the_person_on_duty_deactivated_hands_over_at_once(app, slack, pd):
    await manual_rotation(slack, app)
    await slack.deactivate(BOB)
    await slack.wait_for(
        lambda: group_of(slack, "ops-oncall")["users"] == [CAROL], description="Carol takes over"
    )
    [message] = await slack.wait_for(lambda: told(slack, OPS, "<@U0CAROL>", "on duty now"))
    assert "<@U0BOB> left duty at once: their Slack account is deactivated." in str(message["blocks"])
    assert rows(app, "SELECT slack_user_id FROM rotation_members WHERE on_duty = 1") == [(CAROL,)]

    # A manager removes Bob in one click; a plain member is not offered the button.
    carol = slack.user(CAROL)
    await open_rotations(slack, carol)
    assert Rotations.REMOVE_MEMBER not in str(carol.home["blocks"]), "not for a plain member"
    admin = slack.user(ADMIN)
    text = await open_rotations(slack, admin)
    assert "<@U0BOB> left Slack — remove them from the rotation?" in text
    text = await home_after(slack, admin, admin.click(Rotations.REMOVE_MEMBER, value=f"1:{BOB}"))
    assert "Removed <@U0BOB> from Primary on-call." in text and "left Slack" not in text
    assert rows(app, "SELECT slack_user_id FROM rotation_members ORDER BY position") == [(CAROL,), (DAVE,)]


async def test_a_bound_rotation_with_one_of_two_deactivated_unannounced(app, slack, pd):
    pd.add_schedule("PSV3", "Follow the sun", version=3, escalation_policy_ids=["PEOPS"])
    pd.set_on_call("PSV3", ["PALICE"])
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)
    await open_rotations(slack, admin)
    await modal_after(slack, admin, admin.click(Rotations.CREATE))
    await admin.fill(Rotations.NAME, "Sun")
    await admin.fill(Rotations.CODE, "SUN")
    await modal_after(slack, admin, admin.fill(Rotations.SOURCE, "pagerduty"))
    [option] = await admin.suggest(Rotations.PD_SCHEDULE, "sun")
    await admin.fill(Rotations.PD_SCHEDULE, option)
    await admin.fill(Rotations.CHANNELS, [OPS])
    await admin.fill(Rotations.NEW_GROUP, "sun-oncall")
    assert await admin.submit() == {}
    await slack.wait_for(lambda: group_of(slack, "sun-oncall")["users"] == [ADMIN], timeout=10)

    await slack.deactivate(CAROL, tell_app=False)  # no event reaches the app
    pd.set_on_call("PSV3", ["PBOB", "PCAROL"])
    changed_at = time.monotonic()
    await slack.wait_for(
        lambda: group_of(slack, "sun-oncall")["users"] == [BOB],
        timeout=SYNC_INTERVAL + 6,
        description="the group to become the active one",
    )
    took = time.monotonic() - changed_at
    assert ("usergroups.users.update", "invalid_users") in slack.refused, "Slack refused the pair"
    assert took <= SYNC_INTERVAL + 3, f"{took:.1f} s: one sync interval plus Slack's answer"
    text = await open_rotations(slack, admin)
    for _ in range(20):  # the sync mirrors what the directory learned a moment after the group
        if "deactivated" in text:
            break
        await asyncio.sleep(0.25)
        text = await open_rotations(slack, admin)
    assert "On duty: <@U0BOB>" in text
    assert "Also on call in PagerDuty: Carol Chen — their Slack account is deactivated" in text
    assert "Reach them with" in str(
        (await slack.wait_for(lambda: told(slack, OPS, "<@U0BOB>", "on duty now")))[-1]["blocks"]
    )

    # Reactivated (Slack tells the app): back on duty and in the group.
    await slack.reactivate(CAROL)
    await slack.wait_for(
        lambda: sorted(group_of(slack, "sun-oncall")["users"]) == sorted([BOB, CAROL]),
        description="Carol back in the group",
    )
    text = await open_rotations(slack, admin)
    assert "On duty: <@U0BOB>, <@U0CAROL>" in text and "deactivated" not in text
