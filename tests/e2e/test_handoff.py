"""Hand-off notes (issue 19), walked through in Slack: asked shortly before a planned hand-over,
written in a short form, delivered to whoever takes over and into the hand-over's thread with the
shift's @Round Robin requests; nothing written, nothing sent."""

from __future__ import annotations

import pytest

from roundrobin.slack.ids import HandoffIds, Requests
from roundrobin.slack.ids import NotificationIds as N
from tests.e2e.conftest import ADMIN, BOB, CAROL, DAVE, GENERAL, OPS
from tests.e2e.steps import forged_click, home_after, modal_after, rows
from tests.e2e.test_covers import daily_rotation, details, dm_with, said
from tests.e2e.test_requests import ask, offer_to, reply_saying

pytestmark = pytest.mark.e2e


def hand_over_at(app) -> float:
    return rows(app, "SELECT next_hand_over_at FROM rotations WHERE code = 'OPS'")[0][0]


def notes_in(slack, channel: str) -> list[dict]:
    return [m for m in slack.messages if m["channel"] == channel and "Hand-off note from" in str(m)]


async def test_a_note_reaches_whoever_takes_over_and_the_hand_overs_thread(app, slack, pd):
    admin, bob = slack.user(ADMIN), slack.user(BOB)
    await daily_rotation(slack, admin)  # Bob on duty until 09:00; Carol next; #ops is told
    hand_over = hand_over_at(app)

    # During Bob's shift Dave asks @Round Robin for help, and Bob takes it.
    mention = await ask(slack, DAVE, "OPS the deploy queue is stuck")
    offer = await offer_to(slack, BOB)
    await bob.click_in_message(offer, Requests.ACK)
    await reply_saying(slack, mention, "<@U0BOB> has it.")

    # Half an hour before the hand-over Bob is asked; nobody else is.
    await app.travel(hand_over - 30 * 60 + 5 - app.clock())
    [asked] = await slack.wait_for(lambda: dm_with(slack, BOB, "Anything to hand over?"))
    assert "<@U0CAROL>" in str(asked) and "Nothing written, nothing sent" in str(asked)
    assert not dm_with(slack, CAROL, "Anything to hand over?")

    button = next(e for b in asked["blocks"] if b["type"] == "actions" for e in b["elements"])

    # Bob writes it; an empty note is refused in the form.
    form = await modal_after(slack, bob, bob.click_in_message(asked, HandoffIds.WRITE))
    assert "For <@U0CAROL>" in str(form) and "1 answered" in str(form)
    await bob.fill(HandoffIds.NOTE, "   ")
    assert HandoffIds.NOTE in (await bob.submit())["errors"]
    await bob.fill(HandoffIds.NOTE, "Half the deploy is out: finish it with `make roll` <3")
    assert await bob.submit() == {}
    assert "Your note goes to <@U0CAROL> at the hand-over" in str(bob.modal)
    assert not notes_in(slack, OPS), "nothing goes out before the hand-over"

    # At the hand-over: #ops is told who is on duty, the note replies in that message's thread,
    # and Carol gets it in a DM; both summarise the shift's request.
    await app.travel(hand_over - app.clock() + 20)
    [announced] = await slack.wait_for(lambda: said(slack, OPS, "<@U0CAROL> is on duty now"))
    [note] = await slack.wait_for(lambda: notes_in(slack, OPS))
    assert note.get("thread_ts") == announced["ts"]
    text = str(note["blocks"])
    assert "Hand-off note from <@U0BOB> to <@U0CAROL>" in text
    assert "finish it with `make roll` &lt;3" in text
    assert "1 answered" in text and "<@U0DAVE>: “the deploy queue is stuck” (answered by <@U0BOB>)" in text
    [dm] = await slack.wait_for(lambda: dm_with(slack, CAROL, "left you a hand-off note"))
    assert "make roll" in str(dm["blocks"]) and "1 answered" in str(dm["blocks"])

    # The note is kept in Details' history; a second one for the same hand-over is refused.
    modal = await details(slack, admin, rows(app, "SELECT id FROM rotations WHERE code = 'OPS'")[0][0])
    assert "hand-off note by <@U0BOB>: “Half the deploy is out" in str(modal)
    await bob.click_in_message(asked, HandoffIds.WRITE)
    await slack.wait_for(lambda: "already wrote the note" in str(bob.ephemerals))
    assert button["value"].startswith(f"{rows(app, 'SELECT id FROM rotations')[0][0]}:")


async def test_nothing_written_nothing_sent_and_a_forged_note_is_refused(app, slack, pd):
    admin, dave = slack.user(ADMIN), slack.user(DAVE)
    await daily_rotation(slack, admin)
    hand_over = hand_over_at(app)
    await app.travel(hand_over - 30 * 60 + 5 - app.clock())
    [asked] = await slack.wait_for(lambda: dm_with(slack, BOB, "Anything to hand over?"))

    # Dave forges the button with Bob's rotation and time: the service refuses him.
    element = {"type": "button", "action_id": HandoffIds.WRITE, "value": f"1:{int(hand_over)}"}
    await dave.open_home()
    assert "You no longer go off duty" in await home_after(slack, dave, forged_click(slack, dave, element))
    for crafted in ("1:99999999999999999999", "x:1", "1:2:3", "", "1:-5"):
        text = await home_after(slack, dave, forged_click(slack, dave, {**element, "value": crafted}))
        assert "not one Round Robin made" in text
    assert not dave.modal, "no form was opened for him"

    # Bob writes nothing: at the hand-over #ops hears who is on duty, and no note goes anywhere.
    await app.travel(hand_over - app.clock() + 20)
    await slack.wait_for(lambda: said(slack, OPS, "<@U0CAROL> is on duty now"))
    assert rows(app, "SELECT COUNT(*) FROM slack_outbox WHERE kind = 'handoff_note'") == [(0,)]
    assert not notes_in(slack, OPS) and not dm_with(slack, CAROL, "hand-off note")
    assert rows(app, "SELECT COUNT(*) FROM handoff_notes") == [(0,)]
    assert GENERAL not in {m["channel"] for m in slack.messages if "Hand-off note" in str(m)}


async def test_turned_off_in_notifications_nobody_is_asked(app, slack, pd):
    admin = slack.user(ADMIN)
    await daily_rotation(slack, admin)
    rotation_id = rows(app, "SELECT id FROM rotations WHERE code = 'OPS'")[0][0]
    assert rows(app, "SELECT target FROM slack_outbox WHERE kind = 'handoff_ask'") == [(BOB,)]

    await details(slack, admin, rotation_id)
    form = await modal_after(slack, admin, admin.click(N.OPEN, value=str(rotation_id)))
    assert "Ask whoever goes off duty for a hand-off note" in str(form)
    await admin.fill(HandoffIds.SETTING, [])
    assert await admin.submit() == {}
    assert rows(app, "SELECT handoff_notes FROM rotations") == [(0,)]
    assert rows(app, "SELECT COUNT(*) FROM slack_outbox WHERE kind = 'handoff_ask'") == [(0,)]

    await app.travel(hand_over_at(app) - 30 * 60 + 5 - app.clock())
    await app.travel(30 * 60)
    await slack.wait_for(lambda: said(slack, OPS, "<@U0CAROL> is on duty now"))
    assert not dm_with(slack, BOB, "Anything to hand over?")
    assert rows(app, "SELECT COUNT(*) FROM slack_outbox WHERE kind = 'handoff_ask'") == [(0,)], (
        "nor for the next hand-over"
    )
