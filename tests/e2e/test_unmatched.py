"""Someone PagerDuty has on call whom Slack does not know is named everywhere, never "nobody"; a shift
of theirs ahead is warned about; a link by hand shows as such and can be undone (issue 9 §2–3)."""

import pytest

from roundrobin.slack.ids import MenuChoice, Rotations
from tests.e2e.conftest import ADMIN, BOB, CAROL, DAVE, OPS
from tests.e2e.first_week_steps import bind, connect_with_key, menu, rotations_tab, sync_now
from tests.e2e.steps import forged_click, modal_after, rows, told

pytestmark = pytest.mark.e2e
JANE = "Jane Roe (jane@corp.example)"


async def test_an_unlinked_person_on_call_is_named_on_the_card_in_rr_who_and_in_the_channel(app, slack, pd):
    admin, dave = slack.user(ADMIN), slack.user(DAVE)
    await connect_with_key(slack, admin, app)
    await bind(slack, admin, app, channels=(OPS,), new_group="ops-primary")
    await slack.wait_for(lambda: told(slack, OPS, "<@U0BOB>", "on duty now"))

    pd.set_on_call("PSPRIM", "PJANE")
    assert "Sync finished: 1 hand-over (OPS)" in await sync_now(slack, admin)
    card = await rotations_tab(slack, admin, showing="Jane Roe")
    assert f"On call in PagerDuty: {JANE} until" in card and "not linked to Slack" in card
    assert "An admin can link them in the rotation's Details (its menu › Details)." in card
    assert "Nobody is on duty" not in card

    who = (await dave.command("who OPS"))["text"]
    assert f"On call in PagerDuty: {JANE}" in who and "Nobody is on duty" not in who
    message = await slack.wait_for(lambda: told(slack, OPS, "not linked to Slack"))
    assert f"On call in PagerDuty: {JANE}, not linked to Slack" in str(message[-1]["blocks"])
    assert not told(slack, OPS, "Nobody is on duty")


async def test_a_shift_ahead_for_someone_not_in_slack_is_warned_about_before_it_starts(app, slack, pd):
    admin = slack.user(ADMIN)
    now = pd.account.now()
    pd.set_shifts("PSPRIM", [("PBOB", now - 3600, now + 3600), ("PJANE", now + 3600, now + 7200)])
    await connect_with_key(slack, admin, app)
    rotation_id = await bind(slack, admin, app)
    card = await rotations_tab(slack, admin, showing="Coming up")
    assert (
        f":warning: Coming up in PagerDuty, not linked to Slack: {JANE} from <!date^{int(now + 3600)}^"
        in card
    )
    assert "On duty: <@U0BOB>" in card

    details = admin.text(await menu(slack, admin, MenuChoice.DETAILS, rotation_id))
    assert f"Jane Roe (jane@corp.example): on call from <!date^{int(now + 3600)}^" in details
    assert "not found in Slack" in details


async def test_a_link_by_hand_is_shown_as_such_and_can_be_undone(app, slack, pd):
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, app)
    rotation_id = await bind(slack, admin, app)
    pd.set_on_call("PSPRIM", "PJANE")
    await sync_now(slack, admin)

    await rotations_tab(slack, admin, showing="Jane Roe")
    await menu(slack, admin, MenuChoice.DETAILS, rotation_id)
    await modal_after(slack, admin, admin.click(Rotations.LINK, value="PJANE"))
    await admin.fill(Rotations.SLACK_USER, DAVE)
    await admin.submit()
    notice = f"Linked {JANE} in PagerDuty to <@U0DAVE> in Slack."
    await slack.wait_for(lambda: notice in admin.text(), description="the notice naming both")
    await slack.wait_for(
        lambda: rows(app, "SELECT slack_user_id FROM rotation_members WHERE on_duty = 1") == [(DAVE,)]
    )

    await rotations_tab(slack, admin, showing="On duty: <@U0DAVE>")
    details = admin.text(await menu(slack, admin, MenuChoice.DETAILS, rotation_id))
    assert f":link: {JANE} in PagerDuty is <@U0DAVE> in Slack: linked by hand" in details
    await admin.click(Rotations.UNLINK, value="PJANE", confirm=True)
    undone = await slack.wait_for(
        lambda: "no longer linked" in admin.text(admin.modal) and admin.text(admin.modal)
    )
    assert f"{JANE} is no longer linked to <@U0DAVE> by hand" in undone
    assert rows(app, "SELECT COUNT(*) FROM pd_user_links") == [(0,)]
    assert rows(app, "SELECT kind FROM events WHERE kind LIKE 'pagerduty.user_%' ORDER BY id") == [
        ("pagerduty.user_linked",),
        ("pagerduty.user_unlinked",),
    ]
    await slack.wait_for(
        lambda: rows(app, "SELECT COUNT(*) FROM rotation_members WHERE on_duty = 1") == [(0,)],
        description="Jane unlinked: nobody in Slack on duty",
    )


async def test_only_managers_link_and_a_member_is_told_who_can(app, slack, pd):
    admin, bob = slack.user(ADMIN), slack.user(BOB)
    await connect_with_key(slack, admin, app)
    rotation_id = await bind(slack, admin, app)
    await rotations_tab(slack, bob, showing="Ops primary")
    details = bob.text(await modal_after(slack, bob, bob.click(Rotations.DETAILS, value=str(rotation_id))))
    assert "Workspace admins and Round Robin owners can link them to a Slack user here" in details
    with pytest.raises(LookupError):
        bob.find(Rotations.LINK)
    await bob.close()
    forged = forged_click(slack, bob, {"type": "button", "action_id": Rotations.UNLINK, "value": "PJANE"})
    await forged
    await slack.wait_for(
        lambda: "Only Slack workspace admins and owners, and Round Robin owners" in bob.text()
    )
    assert rows(app, "SELECT COUNT(*) FROM events WHERE kind LIKE 'pagerduty.user_%'") == [(0,)]


async def test_a_link_made_by_hand_refreshes_every_open_home_and_details_says_where_to_link(app, slack, pd):
    admin, carol = slack.user(ADMIN), slack.user(CAROL)
    await connect_with_key(slack, admin, app)
    rotation_id = await bind(slack, admin, app)
    pd.set_on_call("PSPRIM", "PJANE")
    await sync_now(slack, admin)
    card = await rotations_tab(slack, carol, showing="Jane Roe")
    assert ":link: 2 of 3 linked to Slack" in card
    await rotations_tab(slack, admin, showing="Jane Roe")
    details = admin.text(await menu(slack, admin, MenuChoice.DETAILS, rotation_id))
    assert "not linked to Slack. Link them below: Link… next to their name." in details
    await modal_after(slack, admin, admin.click(Rotations.LINK, value="PJANE"))
    await admin.fill(Rotations.SLACK_USER, DAVE)
    await admin.submit()
    text = await slack.wait_for(
        lambda: ":link: 3 of 3 linked to Slack" in carol.text() and carol.text(),
        timeout=10,
        description="Carol's open Home to follow the link",
    )
    assert "On duty: <@U0DAVE>" in text
