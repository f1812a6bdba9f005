"""Walkthroughs: manual and timed rotations in App Home and /rr, with their Slack effects."""

import sqlite3
import time

import pytest

from roundrobin.slack.ids import MenuChoice, Rotations
from tests.e2e.conftest import ADMIN, BOB, CAROL, DAVE, OPS
from tests.e2e.steps import create_rotation, forged_click, home_after, modal_after, rows

pytestmark = pytest.mark.e2e


async def test_create_a_manual_rotation_then_rotate_it(app, slack, pd):
    admin = slack.user(ADMIN)
    assert await create_rotation(slack, admin, channels=[OPS], new_group="ops-oncall") == {}
    await slack.wait_for(lambda: "Primary on-call" in admin.text())
    text = admin.text()
    assert "OPS" in text and "On duty: <@U0BOB>" in text and "Next: <@U0CAROL>" in text

    # the new user group holds the person on duty, and the channel was told
    [group] = [g for g in slack.usergroups.values() if g["handle"] == "ops-oncall"]
    await slack.wait_for(lambda: group["users"] == [BOB])
    await slack.wait_for(lambda: any(m["channel"] == OPS and "<@U0BOB>" in m["text"] for m in slack.messages))

    # The menu carries the duty revision it was drawn with (1: set once, at creation).
    option = f"{MenuChoice.ROTATE}:{rows(app, 'SELECT id FROM rotations')[0][0]}:1"
    text = await home_after(slack, admin, admin.click(Rotations.MENU, option=option))
    assert "On duty: <@U0CAROL>" in text and "Next: <@U0BOB>" in text
    await slack.wait_for(lambda: group["users"] == [CAROL])
    message = await slack.wait_for(
        lambda: next((m for m in slack.messages if m["channel"] == OPS and "<@U0CAROL>" in m["text"]), None)
    )
    assert "on duty now" in message["text"]
    history = rows(app, "SELECT kind, detail FROM events WHERE kind = 'duty.changed' ORDER BY id")
    assert (
        len(history) == 2
        and '"after": ["U0CAROL"]' in history[1][1]
        and '"reason": "rotated"' in history[1][1]
    )


@pytest.mark.parametrize(
    ("field", "value", "block", "words"),
    [
        ("code", "ops team", Rotations.CODE, "letters, digits and single hyphens"),
        ("code", "-ops", Rotations.CODE, "single hyphens"),
        ("new_group", "Ops OnCall", Rotations.NEW_GROUP, "lower-case"),
    ],
)
async def test_invalid_values_are_field_errors_and_nothing_is_saved(
    app, slack, pd, field, value, block, words
):
    admin = slack.user(ADMIN)
    result = await create_rotation(slack, admin, **({"code": value} if field == "code" else {field: value}))
    assert words in result["errors"][block]
    assert rows(app, "SELECT COUNT(*) FROM rotations") == [(0,)]
    assert not slack.calls_to("usergroups.create")


async def test_names_people_typed_are_shown_as_text_not_markup(app, slack, pd):
    admin = slack.user(ADMIN)
    assert await create_rotation(slack, admin, name="Ops <!channel> & co", code="esc") == {}
    await slack.wait_for(lambda: "Created Ops" in admin.text())
    assert "Ops &lt;!channel&gt; &amp; co" in admin.text() and "<!channel>" not in admin.text()


async def test_codes_are_unique_and_shown_upper_case(app, slack, pd):
    admin = slack.user(ADMIN)
    assert await create_rotation(slack, admin, code="web-oncall") == {}
    result = await create_rotation(slack, admin, name="Another", code="WEB-ONCALL")
    assert "already uses the code WEB-ONCALL" in result["errors"][Rotations.CODE]
    assert rows(app, "SELECT code FROM rotations") == [("WEB-ONCALL",)]


async def test_rr_who_rotate_help_and_mistakes(app, slack, pd):
    admin, dave = slack.user(ADMIN), slack.user(DAVE)
    await create_rotation(slack, admin, code="ops")
    await slack.wait_for(lambda: "Primary on-call" in admin.text())

    reply = await dave.command("who ops")
    assert (
        "Primary on-call" in reply["text"]
        and "On duty: <@U0BOB>" in reply["text"]
        and "Next: <@U0CAROL>" in reply["text"]
    )
    assert "Primary on-call" in str(await dave.command(""))
    assert "/rr who CODE" in (await dave.command("help"))["text"]
    assert "no rotation with the code `NOPE`" in (await dave.command("who nope"))["text"]
    assert "Which rotation?" in (await dave.command("who"))["text"]
    assert "I don't know `dance`" in (await dave.command("dance"))["text"]
    # Dave neither created it nor manages Round Robin
    assert "Only Alice Admin (the creator)" in (await dave.command("rotate ops"))["text"]
    reply = await admin.command("rotate OPS")
    assert "<@U0CAROL> is on duty now" in reply["text"]
    assert "On duty: <@U0CAROL>" in (await dave.command("who OPS"))["text"]


async def test_slack_refusing_the_group_is_shown_on_the_rotation_which_still_changes(app, slack, pd):
    slack.add_usergroup("S0OPS", "ops-team", "Ops team", users=[ADMIN])
    slack.usergroup_edits_restricted = True
    admin = slack.user(ADMIN)
    await admin.open_home()
    await modal_after(slack, admin, admin.click(Rotations.CREATE))
    await admin.fill(Rotations.NAME, "Support")
    await admin.fill(Rotations.CODE, "SUP")
    await admin.fill(Rotations.MEMBERS, [BOB, CAROL])
    options = await admin.suggest(Rotations.GROUP, "ops")
    modal = await modal_after(slack, admin, admin.fill(Rotations.GROUP, options[0]))
    # Alice is in the group and will not be on duty: she is named, and the form asks to confirm.
    assert "<@U0ADMIN> will be removed from it" in admin.text(modal)
    refused = await admin.submit()
    assert "Alice Admin would be removed" in refused["errors"][Rotations.GROUP_CONFIRM]
    assert rows(app, "SELECT COUNT(*) FROM rotations") == [(0,)]
    await admin.fill(Rotations.GROUP_CONFIRM, ["yes"])
    assert await admin.submit() == {}
    await slack.wait_for(lambda: rows(app, "SELECT error FROM usergroup_sync")[0][0])
    await admin.open_home()
    text = await slack.wait_for(lambda: "permission_denied" in admin.text() and admin.text())
    assert "User Groups" in text
    assert "On duty: <@U0BOB>" in text
    assert slack.usergroups["S0OPS"]["users"] == [ADMIN]
    [(rotation_id,)] = rows(app, "SELECT id FROM rotations")
    details = await modal_after(slack, admin, admin.click(Rotations.MENU, option=f"details:{rotation_id}"))
    assert "permission_denied" in admin.text(details) and "User Groups" in admin.text(details), (
        "Details shows what Slack refused, as the card does"
    )


async def test_set_on_duty_and_delete(app, slack, pd):
    admin = slack.user(ADMIN)
    await create_rotation(slack, admin, members=(BOB, CAROL, DAVE))
    await slack.wait_for(lambda: "Primary on-call" in admin.text())
    rotation_id = rows(app, "SELECT id FROM rotations")[0][0]

    await modal_after(
        slack, admin, admin.click(Rotations.MENU, option=f"{MenuChoice.SET_ON_DUTY}:{rotation_id}")
    )
    await admin.fill(Rotations.ON_DUTY, DAVE)
    text = await home_after(slack, admin, admin.submit())
    assert "On duty: <@U0DAVE>" in text and "Next: <@U0BOB>" in text

    modal = await modal_after(
        slack, admin, admin.click(Rotations.MENU, option=f"{MenuChoice.DELETE}:{rotation_id}")
    )
    assert "cannot be undone" in admin.text(modal)
    text = await home_after(slack, admin, admin.submit())
    assert "Deleted Primary on-call (OPS)" in text
    assert rows(app, "SELECT COUNT(*) FROM rotations") == [(0,)]


async def test_only_the_creator_or_an_admin_may_edit(app, slack, pd):
    bob, dave = slack.user(BOB), slack.user(DAVE)
    await create_rotation(slack, bob, members=(BOB, CAROL))
    await slack.wait_for(lambda: "Primary on-call" in bob.text())
    await dave.open_home()
    dave.find(Rotations.DETAILS)  # Dave can look, not change
    with pytest.raises(LookupError):
        dave.find(Rotations.MENU)
    rotation_id = rows(app, "SELECT id FROM rotations")[0][0]
    forged = forged_click(
        slack,
        dave,
        {
            "type": "overflow",
            "action_id": Rotations.MENU,
            "selected_option": {
                "text": {"type": "plain_text", "text": "Rotate now"},
                "value": f"{MenuChoice.ROTATE}:{rotation_id}",
            },
        },
    )
    text = await home_after(slack, dave, forged)
    assert (
        ":no_entry: Only Bob Builder (the creator), its members, workspace admins and Round Robin owners "
        "can change who is on duty for OPS." in text
    )
    assert "On duty: <@U0BOB>" in text


async def test_a_timed_rotation_due_while_the_app_was_down_moves_on_once(app, slack, pd):
    admin = slack.user(ADMIN)
    await admin.open_home()
    await modal_after(slack, admin, admin.click(Rotations.CREATE))
    await admin.fill(Rotations.NAME, "Stand-up host")
    await admin.fill(Rotations.CODE, "STANDUP")
    await admin.fill(Rotations.MEMBERS, [BOB, CAROL, DAVE])
    await modal_after(slack, admin, admin.fill(Rotations.KIND, "daily"))
    await admin.fill(Rotations.TIME, "09:30")
    assert await admin.submit() == {}
    [(next_at, schedule)] = rows(app, "SELECT next_hand_over_at, schedule FROM rotations")
    assert next_at > time.time() and '"kind": "daily"' in schedule and '"at": "09:30"' in schedule

    await app.stop()
    with sqlite3.connect(app.db_path) as db:  # three days of hand-overs were missed
        db.execute("UPDATE rotations SET next_hand_over_at = ?", (time.time() - 3 * 86400,))
    await app.start()
    await slack.wait_for(
        lambda: rows(app, "SELECT COUNT(*) FROM events WHERE kind = 'duty.changed'")[0][0] == 2
    )
    [(on_duty,)] = rows(app, "SELECT slack_user_id FROM rotation_members WHERE on_duty = 1")
    assert on_duty == CAROL, "one step on, not three"
    [(next_at,)] = rows(app, "SELECT next_hand_over_at FROM rotations")
    assert time.time() < next_at <= time.time() + 86400


async def test_hundreds_of_rotations_are_paged(app, slack, pd):
    with sqlite3.connect(app.db_path) as db:
        db.executemany(
            "INSERT INTO rotations (name, code, created_by, created_at, updated_at) VALUES (?, ?, ?, 0, 0)",
            [(f"Rotation {i:03d}", f"R{i:03d}", ADMIN) for i in range(250)],
        )
    admin = slack.user(ADMIN)
    home = await admin.open_home()
    assert len(home["blocks"]) < 50
    assert "250 rotations" in admin.text() and "Page 1 of 25" in admin.text()
    text = await home_after(slack, admin, admin.click(Rotations.PAGE_NEXT))
    assert "Rotation 010" in text and "Rotation 009" not in text and "Page 2 of 25" in text
    found = await admin.suggest(Rotations.JUMP, "R242")
    assert [o["text"]["text"] for o in found] == ["Rotation 242 (R242)"]


async def test_edit_a_rotation(app, slack, pd):
    admin = slack.user(ADMIN)
    await create_rotation(slack, admin, members=(BOB, CAROL))
    await slack.wait_for(lambda: "Primary on-call" in admin.text())
    rotation_id = rows(app, "SELECT id FROM rotations")[0][0]

    modal = await modal_after(
        slack, admin, admin.click(Rotations.MENU, option=f"{MenuChoice.EDIT}:{rotation_id}")
    )
    assert modal["title"]["text"] == "Edit rotation"
    assert admin.values()[Rotations.NAME][Rotations.NAME]["value"] == "Primary on-call"
    with pytest.raises(LookupError):
        admin.find(Rotations.SOURCE)  # PagerDuty is not connected: no source to choose
    await admin.fill(Rotations.MEMBERS, [CAROL, DAVE])
    await admin.fill(Rotations.DESCRIPTION, "Pages go to whoever is on duty")
    await modal_after(slack, admin, admin.fill(Rotations.KIND, "weekly"))
    await admin.fill(Rotations.WEEKDAY, "4")
    await admin.fill(Rotations.EVERY, "2")
    [london] = [o for o in await admin.suggest(Rotations.TZ, "london") if o["value"] == "Europe/London"]
    await admin.fill(Rotations.TZ, london)
    text = await home_after(slack, admin, admin.submit())
    assert "Saved Primary on-call (OPS)" in text
    assert "Every 2 weeks, next <!date^" in text and "|Friday 09:00 Europe/London>" in text
    assert "On duty: <@U0CAROL>" in text, "Bob left, so the first member took over"
    [(description, schedule)] = rows(app, "SELECT description, schedule FROM rotations")
    assert description == "Pages go to whoever is on duty" and '"every_weeks": 2' in schedule


async def test_details_show_members_and_history(app, slack, pd):
    admin = slack.user(ADMIN)
    await create_rotation(slack, admin, members=(BOB, CAROL))
    await slack.wait_for(lambda: "Primary on-call" in admin.text())
    await admin.command("rotate OPS")
    rotation_id = rows(app, "SELECT id FROM rotations")[0][0]
    modal = await modal_after(
        slack, admin, admin.click(Rotations.MENU, option=f"{MenuChoice.DETAILS}:{rotation_id}")
    )
    text = admin.text(modal)
    assert "1. <@U0BOB>" in text and "2. <@U0CAROL> · :bust_in_silhouette: on duty" in text
    assert "Recent changes" in text and "(rotated) by <@U0ADMIN>" in text
