"""What a plain member can do with Round Robin's powers: no borrowed groups, channels or pings.

Dave is a plain member. A Socket Mode client can send any id or value, so the forged submissions
below are what a determined member could send, not what Slack's client would.
"""

import json

import pytest

from roundrobin.slack.ids import Rotations
from tests.e2e.conftest import ADMIN, BOB, CAROL, DAVE, GENERAL, OPS
from tests.e2e.steps import create_rotation, forged_click, home_after, modal_after, rows, told

pytestmark = pytest.mark.e2e


async def open_create_form(slack, user, name="Mine", code="MINE", members=(DAVE,)) -> None:
    await user.open_home()
    await modal_after(slack, user, user.click(Rotations.CREATE))
    await user.fill(Rotations.NAME, name)
    await user.fill(Rotations.CODE, code)
    await user.fill(Rotations.MEMBERS, list(members))


async def submit_with(slack, user, **values) -> dict:
    """Submit the open form as `user`, with some fields' values replaced (a forged submission)."""
    state = user.values()
    for block, value in values.items():
        state[block] = {block: value}
    return await slack.forge(
        user.id, "view_submission", view={**user.modal, "state": {"values": state}}, response_urls=[]
    )


def everything_posted(slack) -> str:
    """Every text a person could see from the bot: messages (text and blocks) and ephemeral answers."""
    texts = [m["text"] + json.dumps(m.get("blocks") or []) for m in slack.messages]
    return "\n".join(texts)


async def test_a_group_the_member_is_not_in_is_not_offered_and_cannot_be_forged(app, slack, pd):
    slack.add_usergroup("S0SEC", "security-oncall", "Security on call", users=[CAROL])
    dave = slack.user(DAVE)
    await open_create_form(slack, dave)
    assert await dave.suggest(Rotations.GROUP, "sec") == [], "not offered"
    ack = await submit_with(
        slack,
        dave,
        **{
            Rotations.GROUP: {
                "type": "external_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "@security-oncall"},
                    "value": "S0SEC",
                },
            }
        },
    )
    assert ack["response_action"] == "errors"
    assert "only if you are in it" in ack["errors"][Rotations.GROUP]
    assert rows(app, "SELECT COUNT(*) FROM rotations") == [(0,)]
    assert slack.usergroups["S0SEC"]["users"] == [CAROL] and slack.usergroups["S0SEC"]["enabled"]
    assert not slack.calls_to("usergroups.users.update") and not slack.calls_to("usergroups.disable")


async def test_forged_member_channel_and_group_ids_are_field_errors_and_nothing_is_posted(app, slack, pd):
    dave = slack.user(DAVE)
    await open_create_form(slack, dave)
    ack = await submit_with(
        slack,
        dave,
        **{
            Rotations.MEMBERS: {
                "type": "multi_users_select",
                "selected_users": ["UCAROL> <!here", "not-a-user"],
            },
            Rotations.CHANNELS: {"type": "multi_conversations_select", "selected_conversations": ["C0NOPE"]},
            Rotations.GROUP: {
                "type": "external_select",
                "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": "S0NOPE"},
            },
        },
    )
    assert ack["response_action"] == "errors"
    assert set(ack["errors"]) == {Rotations.MEMBERS, Rotations.CHANNELS, Rotations.GROUP}
    assert "2 of the people chosen are not" in ack["errors"][Rotations.MEMBERS]
    assert rows(app, "SELECT COUNT(*) FROM rotations") == [(0,)]
    assert not slack.calls_to("chat.postMessage")


async def test_a_member_may_choose_only_channels_they_are_in(app, slack, pd):
    dave = slack.user(DAVE)  # in #general, not in #ops
    await open_create_form(slack, dave)
    await dave.fill(Rotations.CHANNELS, [OPS])
    ack = await dave.submit()
    assert "only channels you are in, and you are not in #ops." in ack["errors"][Rotations.CHANNELS]
    await dave.fill(Rotations.CHANNELS, [GENERAL])
    assert await dave.submit() == {}
    await slack.wait_for(lambda: told(slack, GENERAL, "<@U0DAVE>", "on duty now"))


async def test_a_name_full_of_control_sequences_pings_nobody_and_disguises_no_link(app, slack, pd):
    admin = slack.user(ADMIN)
    name = "<!channel> <!here> <@U0DAVE> <https://evil.example|click>"
    assert await create_rotation(slack, admin, name=name, code="EVIL", channels=[GENERAL]) == {}
    await slack.wait_for(lambda: told(slack, GENERAL, "<@U0BOB>"))
    await admin.command("who EVIL", channel_id=GENERAL)
    await admin.command("rotate EVIL", channel_id=GENERAL)
    await slack.wait_for(lambda: told(slack, GENERAL, "<@U0CAROL>"))
    seen = everything_posted(slack) + "\n".join(e["text"] for e in admin.ephemerals) + admin.text()
    for raw in ("<!channel>", "<!here>", "<@U0DAVE>", "<https://evil.example"):
        assert raw not in seen, f"{raw} reached Slack unescaped"
    assert "&lt;!channel&gt;" in everything_posted(slack)


async def test_ten_rotates_in_two_seconds_make_one_announcement(app, slack, pd):
    admin = slack.user(ADMIN)
    assert await create_rotation(slack, admin, channels=[OPS], members=(BOB, CAROL)) == {}
    await slack.wait_for(lambda: told(slack, OPS, "<@U0BOB>", "on duty now"))
    before = len(told(slack, OPS))
    for _ in range(10):
        await admin.command("rotate ops")
    await slack.wait_for(lambda: len(told(slack, OPS)) > before, timeout=15)
    await slack.wait_for(lambda: not rows(app, "SELECT 1 FROM slack_outbox"), timeout=15)
    [announcement] = told(slack, OPS)[before:]
    assert "<@U0BOB>" in announcement["text"], "the final state: ten rotates of two people end on Bob"
    assert rows(app, "SELECT COUNT(*) FROM events WHERE kind = 'duty.changed'") == [(11,)]


async def test_a_rotation_with_more_members_than_slacks_picker_holds_stays_editable(app, slack, pd):
    admin = slack.user(ADMIN)
    assert await create_rotation(slack, admin) == {}
    [(rotation_id,)] = rows(app, "SELECT id FROM rotations")
    # A rotation reverted from PagerDuty can have more members than Slack's user picker (100) holds.
    import sqlite3

    people = [f"U0P{i:04d}" for i in range(140)]
    with sqlite3.connect(app.db_path) as db:
        db.execute("DELETE FROM rotation_members")
        db.executemany(
            "INSERT INTO rotation_members (rotation_id, position, slack_user_id, on_duty) VALUES (?, ?, ?, ?)",
            [(rotation_id, i, u, int(i == 0)) for i, u in enumerate(people)],
        )
    await admin.open_home()
    modal = await modal_after(slack, admin, admin.click(Rotations.MENU, option=f"edit:{rotation_id}"))
    assert "140 people, more than Slack's picker can show" in admin.text(modal)
    await admin.fill(Rotations.NAME, "Renamed")
    assert await admin.submit() == {}
    assert rows(app, "SELECT name FROM rotations") == [("Renamed",)]
    assert [u for (u,) in rows(app, "SELECT slack_user_id FROM rotation_members ORDER BY position")] == people


async def test_set_on_duty_on_a_rotation_without_members_answers_in_words(app, slack, pd):
    admin = slack.user(ADMIN)
    assert await create_rotation(slack, admin, members=()) == {}
    [(rotation_id,)] = rows(app, "SELECT id FROM rotations")
    await admin.open_home()
    forged = forged_click(
        slack,
        admin,
        {
            "type": "overflow",
            "action_id": Rotations.MENU,
            "selected_option": {
                "text": {"type": "plain_text", "text": "Set on duty…"},
                "value": f"set:{rotation_id}",
            },
        },
    )
    text = await home_after(slack, admin, forged)
    assert "has nobody to set on duty yet: add members in Edit first" in text
    assert admin.modal is None, "no modal Slack would refuse (a select without options)"


def forged_modal_click(slack, user, view: dict, element: dict):
    """A click inside a modal as `user`, naming any view (another person's, or one with crafted metadata)."""
    return slack.forge(
        user.id,
        "block_actions",
        container={"type": "view", "view_id": view["id"]},
        view=view,
        actions=[{"block_id": element["action_id"], "action_ts": "1.2", **element}],
    )


WEEKLY = {
    "type": "static_select",
    "action_id": Rotations.KIND,
    "selected_option": {"text": {"type": "plain_text", "text": "Weekly"}, "value": "weekly"},
}


async def test_a_member_cannot_redraw_someone_elses_open_form(app, slack, pd):
    admin, dave = slack.user(ADMIN), slack.user(DAVE)
    assert await create_rotation(slack, admin, name="Platform", code="PLAT", members=(BOB, CAROL)) == {}
    [(rotation_id,)] = rows(app, "SELECT id FROM rotations")
    await admin.open_home()
    await modal_after(slack, admin, admin.click(Rotations.MENU, option=f"edit:{rotation_id}"))
    await admin.fill(Rotations.DESCRIPTION, "What the admin typed")
    victim = admin.modal
    crafted = {**victim, "state": {"values": {Rotations.NAME: {Rotations.NAME: {"value": "Pwned"}}}}}
    await dave.open_home()
    text = await home_after(slack, dave, forged_modal_click(slack, dave, crafted, WEEKLY))
    assert "That form is not open on your screen" in text
    assert admin.modal["blocks"] == victim["blocks"], "the admin's form is as they left it"
    assert not [c for c in slack.calls_to("views.update") if c.get("view_id") == victim["id"]]
    assert await admin.submit() == {}
    assert rows(app, "SELECT name, description FROM rotations") == [("Platform", "What the admin typed")]


async def test_a_member_cannot_turn_their_own_form_into_an_edit_of_a_rotation_they_may_not_edit(
    app, slack, pd
):
    admin, dave = slack.user(ADMIN), slack.user(DAVE)
    assert await create_rotation(slack, admin, name="Platform", code="PLAT") == {}
    [(rotation_id,)] = rows(app, "SELECT id FROM rotations")
    await open_create_form(slack, dave)
    own = dave.modal
    meta = json.loads(own["private_metadata"] or "{}")
    crafted = {**own, "private_metadata": json.dumps({**meta, "rotation_id": rotation_id, "config_rev": 1})}
    text = await home_after(slack, dave, forged_modal_click(slack, dave, crafted, WEEKLY))
    assert "can change PLAT" in text
    assert dave.modal["blocks"] == own["blocks"], "nothing was redrawn"


async def test_two_rotates_by_mistake_are_told_as_one_that_says_who_was_skipped(app, slack, pd):
    admin = slack.user(ADMIN)
    assert await create_rotation(slack, admin, channels=[OPS], members=(BOB, CAROL, DAVE)) == {}
    await slack.wait_for(lambda: told(slack, OPS, "<@U0BOB>", "on duty now"))
    before = len(told(slack, OPS))
    await admin.command("rotate ops")
    await admin.command("rotate ops")
    await slack.wait_for(lambda: len(told(slack, OPS)) > before, timeout=15)
    await slack.wait_for(lambda: not rows(app, "SELECT 1 FROM slack_outbox WHERE kind = 'duty'"), timeout=15)
    [announcement] = told(slack, OPS)[before:]
    assert "<@U0DAVE>" in announcement["text"]
    assert "Rotated twice by <@U0ADMIN>: <@U0CAROL> was skipped" in str(announcement["blocks"])
