"""Walkthroughs: a rotation's Notifications — channel topics, DMs on and off duty, reminders, templates."""

import asyncio
import time

import pytest

from roundrobin.slack.ids import MenuChoice, NotificationIds, Preferences, Rotations
from tests.e2e.conftest import ADMIN, BOB, CAROL, DAVE, GENERAL, OPS
from tests.e2e.steps import (
    create_rotation,
    group_of,
    home_after,
    modal_after,
    open_rotations,
    open_settings,
    rows,
    told,
)

pytestmark = pytest.mark.e2e

N = NotificationIds


async def ops_rotation(slack, app, **extra) -> int:
    admin = slack.user(ADMIN)
    assert await create_rotation(slack, admin, channels=[OPS], new_group="ops-oncall", **extra) == {}
    await slack.wait_for(lambda: group_of(slack, "ops-oncall")["users"] == [BOB])
    return rows(app, "SELECT id FROM rotations")[0][0]


async def open_notifications(slack, user, rotation_id: int) -> dict:
    """Rotations › the rotation's menu › Details › Notifications…"""
    await open_rotations(slack, user)
    await modal_after(slack, user, user.click(Rotations.MENU, option=f"{MenuChoice.DETAILS}:{rotation_id}"))
    return await modal_after(slack, user, user.click(N.OPEN, value=str(rotation_id)))


async def rotate(slack, user, rotation_id: int) -> None:
    reply = await user.command("rotate ops")
    assert "is on duty now" in reply["text"], reply


def topic(slack, channel: str) -> str:
    return slack.channel(channel).topic["value"]


async def test_the_topic_follows_duty_is_left_alone_after_a_person_changes_it_and_is_cleared_when_off(
    app, slack, pd
):
    rotation_id = await ops_rotation(slack, app)
    admin = slack.user(ADMIN)
    await open_notifications(slack, admin, rotation_id)
    await admin.fill(N.TOPIC_CHANNELS, [GENERAL])  # a topic-only channel: no messages there
    assert await admin.submit() == {}
    await slack.wait_for(
        lambda: (
            topic(slack, GENERAL)
            == "Round Robin: Bob Builder is on duty for Primary on-call · ask @ops-oncall"
        )
    )
    await rotate(slack, admin, rotation_id)
    await slack.wait_for(lambda: topic(slack, GENERAL).startswith("Round Robin: Carol Chen is on duty"))
    assert not told(slack, GENERAL), "a topic-only channel gets no messages"

    slack.set_topic(GENERAL, "Deploy freeze until Monday", by=DAVE)
    await rotate(slack, admin, rotation_id)
    await slack.wait_for(lambda: rows(app, "SELECT left_alone FROM channel_topics")[0][0] is not None)
    assert topic(slack, GENERAL) == "Deploy freeze until Monday", "never clobber a person's topic"
    await admin.open_home()
    await slack.wait_for(lambda: "Someone changed the topic of <#C0GENERAL>" in admin.text())

    # Turning it off restores nothing, and clears only Round Robin's own topic.
    await open_notifications(slack, admin, rotation_id)
    await admin.fill(N.TOPIC_CHANNELS, [OPS])
    assert await admin.submit() == {}
    await slack.wait_for(lambda: topic(slack, OPS).startswith("Round Robin: Bob Builder is on duty"))
    await asyncio.sleep(1)
    assert topic(slack, GENERAL) == "Deploy freeze until Monday"
    await open_notifications(slack, admin, rotation_id)
    await admin.fill(N.TOPIC_CHANNELS, [])
    assert await admin.submit() == {}
    await slack.wait_for(lambda: topic(slack, OPS) == "")


async def test_deleting_a_rotation_clears_its_topic(app, slack, pd):
    rotation_id = await ops_rotation(slack, app)
    admin = slack.user(ADMIN)
    await open_notifications(slack, admin, rotation_id)
    await admin.fill(N.TOPIC_CHANNELS, [OPS])
    assert await admin.submit() == {}
    await slack.wait_for(lambda: topic(slack, OPS).startswith("Round Robin:"))
    await open_rotations(slack, admin)
    await modal_after(slack, admin, admin.click(Rotations.MENU, option=f"{MenuChoice.DELETE}:{rotation_id}"))
    await home_after(slack, admin, admin.submit())
    await slack.wait_for(lambda: topic(slack, OPS) == "")
    await slack.wait_for(lambda: rows(app, "SELECT COUNT(*) FROM channel_topics") == [(0,)])


async def test_dms_on_and_off_duty_and_a_person_who_muted_them(app, slack, pd):
    rotation_id = await ops_rotation(slack, app, members=(BOB, CAROL, DAVE))
    admin = slack.user(ADMIN)
    await open_notifications(slack, admin, rotation_id)
    await admin.fill(N.DMS, ["dm_on", "dm_off"])
    assert await admin.submit() == {}
    await rotate(slack, admin, rotation_id)
    await slack.wait_for(
        lambda: any("You are on duty for Primary on-call" in m["text"] for m in slack.dms_to(CAROL))
    )
    await slack.wait_for(
        lambda: any("off duty" in m["text"] and "took over" in m["text"] for m in slack.dms_to(BOB))
    )

    dave = slack.user(DAVE)  # Dave asks Round Robin not to DM him
    await dave.open_home()
    await open_settings(slack, dave)
    text = await home_after(slack, dave, dave.click(Preferences.MUTE_DMS, value="mute"))
    assert "Round Robin will not send you direct messages" in text and "Allow my DMs" in text
    assert rows(app, "SELECT slack_user_id FROM dm_mutes") == [(DAVE,)]
    [added] = slack.dms_to(DAVE)  # before he muted them: who added him, and how to leave
    assert "<@U0ADMIN> added you to" in added["text"]
    await rotate(slack, admin, rotation_id)
    await slack.wait_for(lambda: any("off duty" in m["text"] for m in slack.dms_to(CAROL)))
    await asyncio.sleep(1)
    assert slack.dms_to(DAVE) == [added], "muted: no DM, though Dave is on duty now"
    assert rows(app, "SELECT slack_user_id FROM rotation_members WHERE on_duty = 1") == [(DAVE,)]


async def test_a_reminder_before_a_planned_hand_over_and_none_after_a_restart_past_it(app, slack, pd):
    admin = slack.user(ADMIN)
    await admin.open_home()
    await modal_after(slack, admin, admin.click(Rotations.CREATE))
    await admin.fill(Rotations.NAME, "Stand-up host")
    await admin.fill(Rotations.CODE, "STANDUP")
    await admin.fill(Rotations.MEMBERS, [BOB, CAROL])
    await modal_after(slack, admin, admin.fill(Rotations.KIND, "daily"))
    await admin.fill(Rotations.TIME, "09:30")
    assert await admin.submit() == {}
    rotation_id = rows(app, "SELECT id FROM rotations")[0][0]
    # The hand-over is planned 15 minutes and 3 seconds from now; a 15-minute reminder is due in 3 s.
    hand_over = time.time() + 903
    with_hand_over = "UPDATE rotations SET next_hand_over_at = ?, on_duty_until = ?"
    await app.stop()
    import sqlite3

    with sqlite3.connect(app.db_path) as db:
        db.execute(with_hand_over, (hand_over, hand_over))
    await app.start()
    await slack.wait_connected()
    await open_notifications(slack, admin, rotation_id)
    await admin.fill(N.REMINDER, "900")
    assert await admin.submit() == {}
    await slack.wait_for(lambda: any("Heads-up" in m["text"] for m in slack.dms_to(CAROL)), timeout=10)

    # A reminder due while Round Robin was down goes out once at start-up if the hand-over is ahead…
    await app.stop()
    with sqlite3.connect(app.db_path) as db:
        db.execute("DELETE FROM slack_outbox")
        db.execute(
            """INSERT INTO slack_outbox (kind, rotation_id, target, body, first_at, due_at)
               VALUES ('reminder', ?, ?, ?, ?, ?)""",
            (rotation_id, CAROL, f'{{"handoff_at": {hand_over}}}', time.time() - 60, time.time() - 30),
        )
    await app.start()
    await slack.wait_connected()
    await slack.wait_for(lambda: sum("Heads-up" in m["text"] for m in slack.dms_to(CAROL)) == 2, timeout=10)
    # …and never after it.
    await app.stop()
    past = time.time() - 5
    with sqlite3.connect(app.db_path) as db:
        db.execute(
            """INSERT INTO slack_outbox (kind, rotation_id, target, body, first_at, due_at)
               VALUES ('reminder', ?, ?, ?, ?, ?)""",
            (rotation_id, CAROL, f'{{"handoff_at": {past}}}', past - 900, past - 900),
        )
    await app.start()
    await slack.wait_connected()
    await slack.wait_for(
        lambda: rows(app, "SELECT COUNT(*) FROM slack_outbox WHERE kind = 'reminder'") == [(0,)]
    )
    assert sum("Heads-up" in m["text"] for m in slack.dms_to(CAROL)) == 2


async def test_a_template_with_every_token_and_an_unknown_token_refused(app, slack, pd):
    rotation_id = await ops_rotation(slack, app)
    admin = slack.user(ADMIN)
    await open_notifications(slack, admin, rotation_id)
    every = "%NAME%|%DESCRIPTION%|%USER%|%USERHANDLE%|%NEXT_USER%|%UNTIL%|%UNTIL_UTC%|%DUTYHANDLE%|%USER_TEXTONLY%"
    modal = await modal_after(slack, admin, admin.fill(N.TEMPLATE_ANNOUNCEMENT, every + " <!here>"))
    assert "Preview: Primary on-call|<@U0BOB>|@bob|<@U0CAROL>|<!subteam^" in admin.text(modal), (
        "tokens with no value (description, until) leave no N/A behind"
    )
    await admin.fill(N.TEMPLATE_TOPIC, "On duty: %USER% %FOO%")
    ack = await admin.submit()
    assert "does not know %FOO%" in ack["errors"][N.TEMPLATE_TOPIC]
    await admin.fill(N.TEMPLATE_TOPIC, "")
    assert await admin.submit() == {}
    await rotate(slack, admin, rotation_id)
    message = await slack.wait_for(lambda: next(iter(told(slack, OPS, "Primary on-call|<@U0CAROL>")), None))
    blocks = str(message["blocks"])
    assert "|@carol|<@U0BOB>|" in blocks and "Carol Chen" in blocks and "&lt;!here&gt;" in blocks


INVISIBLE = "\u202e\u2066\u200b\u200d"


async def test_custom_words_reach_slack_clean_and_name_who_wrote_them(app, slack, pd):
    rotation_id = await ops_rotation(slack, app)
    admin = slack.user(ADMIN)
    await open_notifications(slack, admin, rotation_id)
    await admin.fill(N.TOPIC_CHANNELS, [OPS])
    await admin.fill(N.DMS, ["dm_on"])
    await admin.fill(N.template("announcement"), f"<!here> {INVISIBLE}%USER% takes {INVISIBLE}over")
    await admin.fill(N.template("dm_on"), f"Log in at <https://evil.example|our portal>{INVISIBLE} %USER%")
    await admin.fill(N.template("topic"), f"<!here> <@U0DAVE> {INVISIBLE}%USER_TEXTONLY% is on")
    assert await admin.submit() == {}
    await rotate(slack, admin, rotation_id)
    [message] = await slack.wait_for(lambda: told(slack, OPS, "takes"))
    dm = await slack.wait_for(lambda: next((m for m in slack.dms_to(CAROL) if "portal" in str(m)), None))
    await slack.wait_for(lambda: "Carol Chen is on" in topic(slack, OPS))
    for seen in (message, dm):
        everything = seen["text"] + str(seen["blocks"])
        for ch in INVISIBLE:
            assert ch not in everything, f"U+{ord(ch):04X} reached Slack"
        assert "<!here>" not in everything and "<https://evil.example" not in everything
        assert "Message set by <@U0ADMIN> for *Primary on-call*" in str(seen["blocks"]), "whose words"
    assert "Next:" not in str(message["blocks"]), "a custom message gets no second, automatic footer"
    assert topic(slack, OPS) == "@here @someone Carol Chen is on"
    assert not any(ch in topic(slack, OPS) for ch in INVISIBLE + "<>")


async def test_a_dm_leaves_out_what_a_rotation_does_not_have(app, slack, pd):
    rotation_id = await ops_rotation(slack, app)  # no description, manual: no until
    admin = slack.user(ADMIN)
    await open_notifications(slack, admin, rotation_id)
    await admin.fill(N.DMS, ["dm_on"])
    modal = await modal_after(
        slack,
        admin,
        admin.fill(N.template("dm_on"), "You're on for %NAME% until %UNTIL%.\nDesc: %DESCRIPTION%"),
    )
    assert "Preview: You're on for Primary on-call." in admin.text(modal)
    assert await admin.submit() == {}
    await rotate(slack, admin, rotation_id)
    dm = await slack.wait_for(
        lambda: next((m for m in slack.dms_to(CAROL) if "You're on" in m["text"]), None)
    )
    assert "N/A" not in str(dm) and "Desc" not in str(dm) and "until" not in dm["text"]


async def test_a_person_added_by_someone_else_is_told_who_and_can_leave(app, slack, pd):
    admin = slack.user(ADMIN)
    assert await create_rotation(slack, admin, channels=[OPS], members=(BOB, CAROL, DAVE)) == {}
    added = await slack.wait_for(lambda: next(iter(slack.dms_to(DAVE)), None))
    assert "<@U0ADMIN> added you to *Primary on-call* (`OPS`)" in str(added["blocks"])
    assert "On duty now: <@U0BOB>" in str(added["blocks"])
    assert "Stop my DMs" in str(added["blocks"]), "and where to stop Round Robin's DMs"
    assert not [m for m in slack.dms_to(ADMIN) if "added you" in m["text"]], "not the person who added"
    await slack.user(DAVE).click_in_message(added, Rotations.LEAVE, confirm=True)
    await slack.wait_for(lambda: "You left *Primary on-call*" in str(slack.dms_to(DAVE)[-1]["blocks"]))
    assert rows(app, "SELECT slack_user_id FROM rotation_members ORDER BY position") == [(BOB,), (CAROL,)]
    assert rows(app, "SELECT kind, actor FROM events WHERE kind = 'rotation.left'") == [
        ("rotation.left", DAVE)
    ]


async def test_leaving_while_on_duty_hands_over_to_the_next_person(app, slack, pd):
    admin = slack.user(ADMIN)
    assert await create_rotation(slack, admin, channels=[OPS], members=(BOB, CAROL)) == {}
    added = await slack.wait_for(lambda: next(iter(slack.dms_to(BOB)), None))
    await slack.user(BOB).click_in_message(added, Rotations.LEAVE, confirm=True)
    [message] = await slack.wait_for(lambda: told(slack, OPS, "<@U0CAROL>", "on duty now"))
    assert "<@U0BOB> left the rotation" in str(message["blocks"])
