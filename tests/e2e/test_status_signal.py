"""Walkthroughs: a Slack status as a signal at hand-over (issue 18). A rotation skips someone whose
status says they are away, or asks them first (Take it / Skip me, skipped when nobody answers in
time); a PagerDuty-bound rotation never skips, but warns on the card and in a DM."""

import sqlite3
import time

import pytest

from roundrobin.slack.ids import MenuChoice, Rotations, StatusIds
from tests.e2e.conftest import ADMIN, BOB, CAROL, DAVE, OPS
from tests.e2e.first_week_steps import bind, connect_with_key, rotation_id_of, rotations_tab, sync_now
from tests.e2e.steps import group_of, modal_after, rows, told

pytestmark = pytest.mark.e2e


async def standup(slack, app, mode: str | None = None, daily: bool = False) -> int:
    """Create rotation: Bob, Carol and Dave take turns, #ops is told, @standup-host follows; the
    form's Slack status section as it comes (skip), or set to `mode`."""
    admin = slack.user(ADMIN)
    await admin.open_home()
    modal = await modal_after(slack, admin, admin.click(Rotations.CREATE))
    assert admin.find(StatusIds.MODE)["initial_option"]["value"] == "skip", "a new rotation skips"
    assert admin.values(modal)[StatusIds.EMOJI][StatusIds.EMOJI]["value"] == (
        ":palm_tree: :face_with_thermometer: :airplane:"
    )
    await admin.fill(Rotations.NAME, "Stand-up host")
    await admin.fill(Rotations.CODE, "STANDUP")
    await admin.fill(Rotations.MEMBERS, [BOB, CAROL, DAVE])
    await admin.fill(Rotations.CHANNELS, [OPS])
    await admin.fill(Rotations.NEW_GROUP, "standup-host")
    if daily:
        await modal_after(slack, admin, admin.fill(Rotations.KIND, "daily"))
        await admin.fill(Rotations.TIME, "09:30")
    if mode:
        await admin.fill(StatusIds.MODE, mode)
    assert await admin.submit() == {}
    await slack.wait_for(lambda: group_of(slack, "standup-host")["users"] == [BOB])
    return rotation_id_of(app, "STANDUP")


async def test_a_status_emoji_skips_someone_at_a_timed_hand_over_and_says_why(app, slack, pd):
    await standup(slack, app, daily=True)
    admin = slack.user(ADMIN)
    await slack.set_status(CAROL, ":palm_tree:", "On holiday until Monday")
    card = await rotations_tab(
        slack,
        admin,
        showing="<@U0CAROL>'s Slack status says :palm_tree:: the next hand-over passes them over",
    )
    assert "Next: <@U0CAROL>" in card, "the turn order still has her: the status is read at the hand-over"

    await app.stop()  # the 09:30 hand-over comes due while nobody watches
    with sqlite3.connect(app.db_path) as db:
        db.execute("UPDATE rotations SET next_hand_over_at = ?", (time.time() - 5,))
    await app.start()
    await slack.wait_connected()
    [message] = await slack.wait_for(lambda: told(slack, OPS, "<@U0DAVE>", "on duty now"))
    assert "<@U0CAROL>'s Slack status says :palm_tree:; <@U0DAVE> takes over." in str(message["blocks"])
    assert rows(app, "SELECT slack_user_id FROM rotation_members WHERE on_duty = 1") == [(DAVE,)]
    await slack.wait_for(lambda: group_of(slack, "standup-host")["users"] == [DAVE])
    [(next_at,)] = rows(app, "SELECT next_hand_over_at FROM rotations")
    assert time.time() < next_at <= time.time() + 86400, "tomorrow's hand-over is planned"


async def test_ask_take_it_puts_them_on_duty_and_only_they_may_answer(app, slack, pd):
    await standup(slack, app, mode="ask")
    admin, bob, carol, dave = (slack.user(u) for u in (ADMIN, BOB, CAROL, DAVE))
    assert rows(app, "SELECT status_signal FROM rotations")[0][0].startswith('{"ask_minutes": 10')
    await slack.set_status(CAROL, ":face_with_thermometer:", "Sick")
    await rotations_tab(slack, bob, showing="they will be asked first")

    done = bob.find(Rotations.HAND_OVER)
    await bob.click(Rotations.HAND_OVER, value=done["value"], confirm=True)
    notice = await slack.wait_for(lambda: "asked them first" in bob.text() and bob.text())
    assert ":hourglass_flowing_sand:" in notice and ":no_entry:" not in notice, "waiting, not refused"
    assert (
        "Carol Chen's Slack status says :face_with_thermometer:, so Round Robin asked them first whether "
        "they take over STANDUP. You stay on duty until they answer, for up to 10 minutes" in notice
    )
    question = await slack.wait_for(lambda: next(iter(questions(slack, CAROL)), None))
    text = str(question["blocks"])
    assert "You are next on duty for *Stand-up host* (`STANDUP`)" in text
    assert "your Slack status says :face_with_thermometer:. Will you take it?" in text
    assert "<@U0BOB> pressed I'm done." in text
    assert rows(app, "SELECT slack_user_id FROM rotation_members WHERE on_duty = 1") == [(BOB,)]
    await rotations_tab(slack, admin, showing="Waiting for <@U0CAROL> to say whether they take over")

    # Dave's client never shows him Carol's DM; a crafted click on its button gets words, not power.
    take = next(e for b in question["blocks"] if b["type"] == "actions" for e in b["elements"])
    for action_id in (StatusIds.TAKE, StatusIds.SKIP):
        await slack.forge(
            DAVE,
            "block_actions",
            container={"type": "message", "channel_id": question["channel"], "message_ts": question["ts"]},
            actions=[
                {
                    "type": "button",
                    "action_id": action_id,
                    "value": take["value"],
                    "block_id": "x",
                    "action_ts": "1.2",
                }
            ],
        )
    await slack.wait_for(
        lambda: sum("That question was not for you" in str(m["blocks"]) for m in dave.dms) == 2
    )
    assert rows(app, "SELECT state FROM status_questions") == [("open",)]

    await carol.click_in_message(question, StatusIds.TAKE)
    answered = await slack.wait_for(lambda: "You took it" in str(carol.dms[-1]["blocks"]) and carol.dms[-1])
    assert answered["ts"] == question["ts"] and StatusIds.TAKE not in str(answered["blocks"])
    assert "you are on duty for *Stand-up host* (`STANDUP`) now" in str(answered["blocks"])
    [message] = await slack.wait_for(lambda: told(slack, OPS, "<@U0CAROL>", "on duty now"))
    assert "Handed over by <@U0BOB>" in str(message["blocks"]) and "Slack status" not in str(
        message["blocks"]
    )
    await slack.wait_for(lambda: group_of(slack, "standup-host")["users"] == [CAROL])
    assert rows(app, "SELECT state FROM status_questions") == [("taken",)]


async def test_ask_with_no_answer_skips_them_after_the_timeout(app, slack, pd):
    rotation_id = await standup(slack, app, mode="ask")
    admin, carol = slack.user(ADMIN), slack.user(CAROL)
    await slack.set_status(CAROL, ":palm_tree:")
    await rotations_tab(slack, admin, showing="they will be asked first")
    await admin.click(Rotations.MENU, option=f"{MenuChoice.ROTATE}:{rotation_id}:1")
    await slack.wait_for(lambda: "Bob Builder stays on duty until they answer" in admin.text())
    question = await slack.wait_for(lambda: next(iter(questions(slack, CAROL)), None))
    refused = await admin.command("rotate STANDUP")
    assert "Round Robin is waiting for Carol Chen to say whether they take over STANDUP" in refused["text"]

    await app.stop()  # ten minutes go by, and Carol does not answer
    with sqlite3.connect(app.db_path) as db:
        db.execute(
            "UPDATE status_questions SET asked_at = ?, expires_at = ?", (time.time() - 601, time.time() - 1)
        )
    await app.start()
    await slack.wait_connected()
    [message] = await slack.wait_for(lambda: told(slack, OPS, "<@U0DAVE>", "on duty now"))
    assert (
        "<@U0CAROL>'s Slack status says :palm_tree: and they did not answer within 10 minutes; "
        "<@U0DAVE> takes over." in str(message["blocks"])
    )
    assert "Rotated by <@U0ADMIN>" in str(message["blocks"])
    await slack.wait_for(lambda: group_of(slack, "standup-host")["users"] == [DAVE])

    await carol.click_in_message(question, StatusIds.TAKE)  # too late: told what already happened
    late = await slack.wait_for(lambda: "did not answer" in str(carol.dms[-1]["blocks"]) and carol.dms[-1])
    assert (
        "You did not answer within 10 minutes, so *Stand-up host* (`STANDUP`) passed you by. <@U0DAVE> is "
        "on duty now." in str(late["blocks"])
    )
    assert rows(app, "SELECT slack_user_id FROM rotation_members WHERE on_duty = 1") == [(DAVE,)]


async def test_a_bound_rotation_warns_on_the_card_and_in_a_dm_but_never_skips(app, slack, pd):
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, app)
    await rotations_tab(slack, admin)
    await modal_after(slack, admin, admin.click(Rotations.CREATE))
    modal = await modal_after(slack, admin, admin.fill(Rotations.SOURCE, "pagerduty"))
    choices = [o["value"] for o in admin.find(StatusIds.MODE, modal)["options"]]
    assert choices == ["warn", "ignore"], "PagerDuty decides who is on call: no skip, no ask"
    assert admin.find(StatusIds.MODE, modal)["initial_option"]["value"] == "warn"
    await admin.close()
    rotation_id = await bind(slack, admin, app, new_group="ops-primary")

    await slack.set_status(BOB, ":palm_tree:", "Beach")
    warning = await slack.wait_for(lambda: next(iter(warnings(slack, BOB)), None))
    assert (
        ":palm_tree: PagerDuty has you on call for *Ops primary* (`OPS`) now, but your Slack status says "
        ":palm_tree:." in str(warning["blocks"])
    )
    card = await rotations_tab(slack, admin, showing="PagerDuty has <@U0BOB> on call now")
    assert "but their Slack status says :palm_tree:" in card and "On duty: <@U0BOB>" in card
    await slack.wait_for(lambda: group_of(slack, "ops-primary")["users"] == [BOB])

    # Carol is on call from the next hour, and her status says she is flying until after it starts.
    start = (int(time.time()) // 3600 + 1) * 3600
    pd.set_shifts("PSPRIM", [("PBOB", start - 86400, start), ("PCAROL", start, start + 8 * 3600)])
    await slack.set_status(CAROL, ":airplane:", "Flying", start + 3600)
    await sync_now(slack, admin)
    warned = await slack.wait_for(lambda: next(iter(warnings(slack, CAROL)), None), timeout=10)
    assert f"PagerDuty has you on call for *Ops primary* (`OPS`) from <!date^{start}^" in str(
        warned["blocks"]
    )
    await rotations_tab(slack, admin, showing="PagerDuty has <@U0CAROL> on call from")

    await sync_now(slack, admin)
    await slack.set_status(BOB, ":face_with_thermometer:")  # a new status, the same shift: told once
    await rotations_tab(slack, admin, showing="their Slack status says :face_with_thermometer:")
    assert len(warnings(slack, BOB)) == 1 and len(warnings(slack, CAROL)) == 1
    assert rows(
        app, "SELECT slack_user_id FROM rotation_members WHERE on_duty = 1 AND rotation_id = ?", rotation_id
    ) == [(BOB,)], "PagerDuty has Bob on call: he stays on duty"


def questions(slack, user_id: str) -> list[dict]:
    return [m for m in slack.dms_to(user_id) if StatusIds.TAKE in str(m["blocks"])]


def warnings(slack, user_id: str) -> list[dict]:
    return [m for m in slack.dms_to(user_id) if "PagerDuty has you on call" in str(m["blocks"])]
