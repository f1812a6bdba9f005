"""Members from a Slack user group (issue 18): a rotation's members follow @oncall-team.

Walkthroughs against the real app: the rotation made from the group (its order, then stable); a
newcomer told by subteam_members_changed joins the end of the turn order; the person on duty leaves
the group and stays on duty until the hand-over, then is gone and the next person is on duty; and
a change whose event never reached the app, caught by the periodic check.
"""

import pytest

from roundrobin.slack.ids import Home, MenuChoice, Rotations
from tests.e2e.conftest import ADMIN, BOB, CAROL, DAVE, OPS
from tests.e2e.steps import group_of, home_after, modal_after, open_rotations, rows, told

pytestmark = pytest.mark.e2e
TEAM = "S0TEAM"
NO_CHECKS = {"MEMBERS_CHECK_INTERVAL_SECONDS": "0"}  # only events keep the members current
CHECK_EVERY = 2


@pytest.fixture
def app_settings():
    return NO_CHECKS


@pytest.fixture
def team(slack):
    """The team's own group, in Slack before Round Robin: Carol, then Bob."""
    return slack.add_usergroup(TEAM, "oncall-team", "On-call team", users=[CAROL, BOB])


async def follow_the_team(slack, user, order: str | None = None) -> None:
    """Create rotation › Members from a user group › @oncall-team; #ops told; @ops-oncall follows."""
    await user.open_home()
    await home_after(slack, user, user.click(Home.TAB_ROTATIONS))
    await modal_after(slack, user, user.click(Rotations.CREATE))
    await user.fill(Rotations.NAME, "Primary on-call")
    await user.fill(Rotations.CODE, "ops")
    [option] = [o for o in await user.suggest(Rotations.MEMBERS_GROUP, "oncall") if o["value"] == TEAM]
    form = await modal_after(slack, user, user.fill(Rotations.MEMBERS_GROUP, option))
    text = user.text(form)
    assert f"Members follow <!subteam^{TEAM}>: 2 people in it now: <@U0CAROL>, <@U0BOB>." in text
    assert Rotations.MEMBERS not in {b.get("block_id") for b in form["blocks"]}, "no members to type"
    if order:
        await user.fill(Rotations.MEMBERS_ORDER, order)
    await user.fill(Rotations.CHANNELS, [OPS])
    await user.fill(Rotations.NEW_GROUP, "ops-oncall")
    assert await user.submit() == {}


def members(app) -> list[str]:
    return [u for (u,) in rows(app, "SELECT slack_user_id FROM rotation_members ORDER BY position")]


def on_duty(app) -> list[str]:
    return [u for (u,) in rows(app, "SELECT slack_user_id FROM rotation_members WHERE on_duty = 1")]


async def details(slack, user) -> str:
    await open_rotations(slack, user)
    modal = await modal_after(slack, user, user.click(Rotations.MENU, option=f"{MenuChoice.DETAILS}:1"))
    return user.text(modal)


async def test_members_follow_a_group_through_a_join_and_a_leave(app, slack, team):
    admin = slack.user(ADMIN)
    await follow_the_team(slack, admin)
    await slack.wait_for(lambda: group_of(slack, "ops-oncall")["users"] == [CAROL])
    assert members(app) == [CAROL, BOB], "the group's order"
    await slack.wait_for(lambda: told(slack, OPS, "<@U0CAROL>", "on duty now"))
    assert not [m for m in slack.dms_to(BOB) if "added you" in m["text"]], "joining the group was their doing"
    text = await open_rotations(slack, admin)
    assert f"Members follow <!subteam^{TEAM}>" in text and "On duty: <@U0CAROL>" in text
    reads = len(slack.calls_to("usergroups.users.list"))

    # Dave joins the group in Slack: Slack tells the app, and he joins the end of the turn order.
    await slack.change_usergroup(TEAM, [CAROL, BOB, DAVE], by=ADMIN)
    await slack.wait_for(lambda: members(app) == [CAROL, BOB, DAVE], description="Dave at the end")
    text = await details(slack, admin)
    assert f"*Members* follow <!subteam^{TEAM}> (in the group's order;" in text
    assert "3. <@U0DAVE>" in text
    assert f"<@U0DAVE> added, last in the turn order, by Slack user group <!subteam^{TEAM}>" in text

    # Carol, on duty, leaves the group: she stays on duty until the hand-over.
    await slack.change_usergroup(TEAM, [BOB, DAVE], by=ADMIN)
    await slack.wait_for(
        lambda: rows(app, "SELECT leaving FROM member_groups") == [(f'["{CAROL}"]',)],
        description="Carol to leave after her shift",
    )
    assert members(app) == [CAROL, BOB, DAVE] and on_duty(app) == [CAROL]
    assert group_of(slack, "ops-oncall")["users"] == [CAROL]
    assert len(slack.calls_to("usergroups.users.list")) == reads, "each event followed the last: no read"
    text = await open_rotations(slack, admin)
    assert "On duty: <@U0CAROL>" in text and "Next: <@U0BOB>" in text
    assert f"<@U0CAROL> left <!subteam^{TEAM}>: off the rotation after this shift" in text
    text = await details(slack, admin)
    assert "<@U0CAROL> · :bust_in_silhouette: on duty · :hourglass_flowing_sand: left the group" in text
    assert "they leave the rotation at the next hand-over" in text

    # The hand-over: Bob is on duty, and Carol is no longer in the rotation.
    carol = slack.user(CAROL)
    await open_rotations(slack, carol)
    await home_after(slack, carol, carol.click(Rotations.HAND_OVER, value="1", confirm=True))
    await slack.wait_for(lambda: group_of(slack, "ops-oncall")["users"] == [BOB], description="Bob on duty")
    assert members(app) == [BOB, DAVE] and on_duty(app) == [BOB]
    assert rows(app, "SELECT leaving FROM member_groups") == [("[]",)]
    await slack.wait_for(lambda: told(slack, OPS, "<@U0BOB>", "on duty now"))
    text = await details(slack, admin)
    assert (
        f"<@U0CAROL> removed from the rotation after their shift, by Slack user group <!subteam^{TEAM}>"
        in text
    )
    text = await open_rotations(slack, admin)
    assert "On duty: <@U0BOB>" in text and "Next: <@U0DAVE>" in text and "left <!subteam" not in text


@pytest.mark.parametrize("app_settings", [{"MEMBERS_CHECK_INTERVAL_SECONDS": str(CHECK_EVERY)}])
async def test_the_periodic_check_catches_a_change_whose_event_never_came(app, slack, team):
    admin = slack.user(ADMIN)
    await follow_the_team(slack, admin, order="alphabetical")
    await slack.wait_for(lambda: group_of(slack, "ops-oncall")["users"] == [BOB])
    assert members(app) == [BOB, CAROL], "alphabetical: Bob Builder, Carol Chen"

    # Bob (on duty) leaves and Dave and Alice join, but the event never reaches the app.
    await slack.change_usergroup(TEAM, [DAVE, CAROL, ADMIN], by=ADMIN, tell_app=False)
    await slack.wait_for(
        lambda: members(app) == [BOB, CAROL, ADMIN, DAVE],
        timeout=CHECK_EVERY * 3,
        description="the check to find the newcomers (alphabetically: Alice Admin, Dave Doe)",
    )
    assert rows(app, "SELECT leaving FROM member_groups") == [(f'["{BOB}"]',)] and on_duty(app) == [BOB]
    assert slack.calls_to("usergroups.users.list")[-1] == {"usergroup": TEAM, "include_disabled": "1"}

    # Rotate: Carol takes over, Bob is gone.
    await open_rotations(slack, admin)
    await home_after(slack, admin, admin.click(Rotations.MENU, option=f"{MenuChoice.ROTATE}:1:1"))
    await slack.wait_for(lambda: group_of(slack, "ops-oncall")["users"] == [CAROL])
    assert members(app) == [CAROL, ADMIN, DAVE]


async def test_a_group_that_holds_whoever_is_on_duty_is_no_team(app, slack, team):
    admin = slack.user(ADMIN)
    await follow_the_team(slack, admin)
    await slack.wait_for(lambda: group_of(slack, "ops-oncall")["users"] == [CAROL])
    ops_oncall = group_of(slack, "ops-oncall")["id"]

    # Another rotation cannot take its members from @ops-oncall, nor keep @oncall-team as its on-duty group.
    await open_rotations(slack, admin)
    await modal_after(slack, admin, admin.click(Rotations.CREATE))
    await admin.fill(Rotations.NAME, "Web")
    offered = {o["value"] for o in await admin.suggest(Rotations.MEMBERS_GROUP, "")}
    assert TEAM in offered and ops_oncall not in offered
    assert TEAM not in {o["value"] for o in await admin.suggest(Rotations.GROUP, "")}
    [option] = [o for o in await admin.suggest(Rotations.MEMBERS_GROUP, "oncall") if o["value"] == TEAM]
    await modal_after(slack, admin, admin.fill(Rotations.MEMBERS_GROUP, option))
    await admin.fill(Rotations.NEW_GROUP, "oncall-team")
    errors = (await admin.submit())["errors"]
    assert "Round Robin sets @oncall-team to whoever is on duty here" in errors[Rotations.MEMBERS_GROUP]
    assert rows(app, "SELECT COUNT(*) FROM rotations") == [(1,)]
