"""Covers, swaps, skips and time away, walked through in Slack (issue 18): the real app against the
fake Slack; the app's clock travels where a walkthrough spans hours."""

from __future__ import annotations

import pytest

from roundrobin.slack.ids import Hours, MenuChoice, Rotations, Shifts
from roundrobin.slack.ids import NotificationIds as N
from tests.e2e.conftest import ADMIN, BOB, CAROL, DAVE, OPS
from tests.e2e.steps import (
    create_rotation,
    forged_click,
    group_of,
    home_after,
    modal_after,
    open_rotations,
    open_settings,
    rows,
)

pytestmark = pytest.mark.e2e
HOUR = 3600


async def ops_rotation(slack, app, dms: bool = True, **extra) -> int:
    """#ops keeps @ops-oncall; Bob, Carol and Dave take turns; people are DMed on and off duty."""
    admin = slack.user(ADMIN)
    extra.setdefault("members", (BOB, CAROL, DAVE))
    assert await create_rotation(slack, admin, channels=[OPS], new_group="ops-oncall", **extra) == {}
    await slack.wait_for(lambda: group_of(slack, "ops-oncall")["users"] == [BOB])
    rotation_id = rows(app, "SELECT id FROM rotations WHERE code = 'OPS'")[0][0]
    if dms:
        await details(slack, admin, rotation_id)
        await modal_after(slack, admin, admin.click(N.OPEN, value=str(rotation_id)))
        await admin.fill(N.DMS, ["dm_on", "dm_off"])
        assert await admin.submit() == {}
    return rotation_id


async def daily_rotation(slack, admin) -> None:
    """Bob, Carol and Dave hand over every day at 09:00 (UTC); #ops is told."""
    await admin.open_home()
    await modal_after(slack, admin, admin.click(Rotations.CREATE))
    await admin.fill(Rotations.NAME, "Primary on-call")
    await admin.fill(Rotations.CODE, "ops")
    await admin.fill(Rotations.MEMBERS, [BOB, CAROL, DAVE])
    await admin.fill(Rotations.CHANNELS, [OPS])
    await modal_after(slack, admin, admin.fill(Rotations.KIND, "daily"))
    await admin.fill(Rotations.TIME, "09:00")
    assert await admin.submit() == {}


async def details(slack, user, rotation_id: int) -> dict:
    await open_rotations(slack, user)
    return await modal_after(
        slack, user, user.click(Rotations.MENU, option=f"{MenuChoice.DETAILS}:{rotation_id}")
    )


def said(slack, channel: str, *words: str) -> list[dict]:
    return [m for m in slack.messages if m["channel"] == channel and all(w in str(m) for w in words)]


def dm_with(slack, user: str, *words: str) -> list[dict]:
    return [m for m in slack.dms_to(user) if all(w in str(m) for w in words)]


def on_duty(app) -> list[str]:
    return [u for (u,) in rows(app, "SELECT slack_user_id FROM rotation_members WHERE on_duty = 1 ORDER BY position")]


async def test_cover_me_taken_by_the_second_person_moves_group_channel_and_dms_at_start_and_end(
    app, slack, pd
):
    await ops_rotation(slack, app)
    bob, carol, dave = slack.user(BOB), slack.user(CAROL), slack.user(DAVE)

    # Bob, on duty, asks for cover for the next hour from his card.
    await open_rotations(slack, bob)
    assert "You are on duty" in bob.text()
    modal = await modal_after(slack, bob, bob.click(Shifts.COVER_OPEN))
    assert "Ask the other members of *Primary on-call* to cover you" in str(modal)
    start = app.clock()
    await bob.fill(Shifts.UNTIL, int(start + HOUR))
    await bob.fill(Shifts.NOTE, "dentist")
    assert await bob.submit() == {}
    await slack.wait_for(lambda: "Asked <@U0CAROL>, <@U0DAVE> to cover you" in bob.text())

    # Carol and Dave are asked in a DM, and #ops sees the request; each has I'll cover.
    [offer] = await slack.wait_for(lambda: dm_with(slack, CAROL, "asks for cover", "dentist"))
    await slack.wait_for(lambda: dm_with(slack, DAVE, "asks for cover"))
    await slack.wait_for(lambda: said(slack, OPS, "asks for cover", "I'll cover"))

    # Carol takes it: she is on duty now, in the group, told in #ops and DMed; Bob is off duty.
    await carol.click_in_message(offer, Shifts.TAKE)
    await slack.wait_for(lambda: dm_with(slack, CAROL, "you cover it"))
    await slack.wait_for(lambda: group_of(slack, "ops-oncall")["users"] == [CAROL])
    assert on_duty(app) == [CAROL]
    [announced] = await slack.wait_for(lambda: said(slack, OPS, "<@U0CAROL> is on duty now, covering <@U0BOB>"))
    assert "until <!date^" in str(announced["blocks"])
    await slack.wait_for(lambda: dm_with(slack, BOB, "<@U0CAROL> covers you"))
    await slack.wait_for(lambda: dm_with(slack, BOB, "You are off duty"))
    await slack.wait_for(lambda: dm_with(slack, CAROL, "You are on duty for *Primary on-call*"))
    await slack.wait_for(lambda: dm_with(slack, DAVE, "<@U0CAROL> took <@U0BOB>'s cover request"))

    # Dave presses his I'll cover too late: his offer says who has it; nothing changes.
    [late] = dm_with(slack, DAVE, "asks for cover")
    await dave.click_in_message(late, Shifts.TAKE)
    await slack.wait_for(lambda: dm_with(slack, DAVE, "Someone already took that request"))
    assert on_duty(app) == [CAROL]

    # Bob's card says who covers him; an hour later the cover ends by itself and Bob is back.
    text = await open_rotations(slack, bob)
    assert "On duty: <@U0CAROL> (covering <@U0BOB>)" in text
    await app.travel(HOUR + 5)
    await slack.wait_for(lambda: group_of(slack, "ops-oncall")["users"] == [BOB])
    await slack.wait_for(lambda: said(slack, OPS, "<@U0BOB> is on duty now"))
    await slack.wait_for(lambda: dm_with(slack, CAROL, "You are off duty"))
    history = rows(app, "SELECT actor, detail FROM events WHERE kind = 'duty.changed' ORDER BY id")
    assert [actor for actor, _ in history] == [ADMIN, CAROL, None]
    assert '"reason": "cover"' in history[1][1] and '"reason": "turn"' in history[2][1]


def shift_menu(user) -> list[tuple[str, str]]:
    """Every choice of every shift menu in the open Details: (label, value)."""
    from roundrobin.sim.slack.views import iter_elements

    modal = user.modal
    return [
        (o["text"]["text"], o["value"])
        for _, element in iter_elements(modal["blocks"])
        if element["action_id"] == Shifts.MENU
        for o in element["options"]
    ]


async def choose(slack, user, label_start: str) -> dict:
    """Pick the first shift-menu choice whose label starts with `label_start`; returns the new modal."""
    value = next(v for label, v in shift_menu(user) if label.startswith(label_start))
    return await modal_after(slack, user, user.click(Shifts.MENU, option=value))


async def test_a_manager_assigns_cover_directly_from_details(app, slack, pd):
    rotation_id = await ops_rotation(slack, app, dms=False)
    admin = slack.user(ADMIN)
    await details(slack, admin, rotation_id)
    assert "*Upcoming shifts*" in admin.text(admin.modal)
    modal = await choose(slack, admin, "Cover Bob")
    assert "Choose who needs cover" in str(modal)
    assert admin.find(Shifts.WHO)["initial_option"]["value"] == BOB
    start = app.clock()
    await admin.fill(Shifts.FROM, int(start))
    await admin.fill(Shifts.UNTIL, int(start + 24 * HOUR))
    await admin.fill(Shifts.BY, DAVE)
    assert await admin.submit() == {}
    await slack.wait_for(lambda: group_of(slack, "ops-oncall")["users"] == [DAVE])
    await slack.wait_for(lambda: said(slack, OPS, "<@U0DAVE> is on duty now, covering <@U0BOB>"))
    await slack.wait_for(lambda: dm_with(slack, DAVE, "<@U0ADMIN> put you on *Primary on-call*", "to cover <@U0BOB>"))
    await slack.wait_for(lambda: dm_with(slack, BOB, "<@U0ADMIN> arranged cover for you"))
    history = rows(app, "SELECT actor FROM events WHERE kind = 'duty.changed' ORDER BY id")
    assert history == [(ADMIN,), (ADMIN,)], "who made the change is recorded"

    # A plain member cannot assign cover, even with a forged menu choice.
    bob = slack.user(BOB)
    await details(slack, bob, rotation_id)
    assert not any(label.startswith("Cover ") for label, _ in shift_menu(bob))
    forged = {
        "type": "overflow",
        "action_id": Shifts.MENU,
        "selected_option": {
            "text": {"type": "plain_text", "text": "Cover Carol…"},
            "value": f"assign:{rotation_id}:{int(app.clock())}:{CAROL}",
        },
    }
    await forged_click(slack, bob, forged)
    await slack.wait_for(lambda: "not in OPS" in bob.text() or "can change OPS" in bob.text() or "on duty then" in bob.text())


async def test_a_swap_accepted_changes_both_timelines_and_one_declined_changes_nothing(app, slack, pd):
    admin, carol, dave = slack.user(ADMIN), slack.user(CAROL), slack.user(DAVE)
    await daily_rotation(slack, admin)
    rotation_id = rows(app, "SELECT id FROM rotations")[0][0]
    await details(slack, carol, rotation_id)
    lines = carol.text(carol.modal)
    assert "<@U0CAROL>" in lines and "<@U0DAVE>" in lines
    modal = await choose(slack, carol, "Offer a swap")
    theirs = [o for o in carol.find(Shifts.FOR)["options"] if "Dave" in o["text"]["text"]]
    assert theirs, modal
    await carol.fill(Shifts.FOR, theirs[0]["value"])
    assert await carol.submit() == {}
    [offer] = await slack.wait_for(lambda: dm_with(slack, DAVE, "offers you a swap"))
    await dave.click_in_message(offer, Shifts.SWAP_ACCEPT)
    await slack.wait_for(lambda: dm_with(slack, CAROL, "<@U0DAVE> accepted your swap"))
    await slack.wait_for(lambda: dm_with(slack, DAVE, "you accepted: both shifts changed"))
    await details(slack, carol, rotation_id)
    text = carol.text(carol.modal)
    assert "<@U0DAVE> _(swapped with <@U0CAROL>)_" in text and "<@U0CAROL> _(swapped with <@U0DAVE>)_" in text
    assert rows(app, "SELECT kind, why, person_out, person_in FROM overrides ORDER BY id") == [
        ("cover", "swap", CAROL, DAVE),
        ("cover", "swap", DAVE, CAROL),
    ]

    # Bob offers his next shift to Carol, who declines: nothing changes, and Bob is told.
    bob = slack.user(BOB)
    await details(slack, bob, rotation_id)
    await choose(slack, bob, "Offer a swap")
    carols = [o for o in bob.find(Shifts.FOR)["options"] if "Carol" in o["text"]["text"]]
    await bob.fill(Shifts.FOR, carols[0]["value"])
    assert await bob.submit() == {}
    [second] = await slack.wait_for(lambda: dm_with(slack, CAROL, "offers you a swap"))
    await carol.click_in_message(second, Shifts.SWAP_DECLINE)
    await slack.wait_for(lambda: dm_with(slack, BOB, "<@U0CAROL> declined your swap"))
    assert len(rows(app, "SELECT id FROM overrides")) == 2
    assert "you declined; nothing changed" in str(carol.dms[-1]), "the offer was replaced: no buttons left"
    # An Accept forged afterwards changes nothing either.
    [(swap_id,)] = rows(app, "SELECT id FROM shift_requests WHERE state = 'declined'")
    await carol.open_home()
    forged = {"type": "button", "action_id": Shifts.SWAP_ACCEPT, "value": str(swap_id), "text": {"type": "plain_text", "text": "Accept"}}
    await forged_click(slack, carol, forged)
    await slack.wait_for(lambda: "That swap was declined" in carol.text())
    assert len(rows(app, "SELECT id FROM overrides")) == 2


async def test_a_skipped_turn_moves_the_order_on_and_the_announcement_says_so(app, slack, pd):
    admin = slack.user(ADMIN)
    await daily_rotation(slack, admin)
    rotation_id = rows(app, "SELECT id FROM rotations")[0][0]
    await details(slack, admin, rotation_id)
    value = next(v for label, v in shift_menu(admin) if label.startswith("Skip Carol"))
    text = await modal_after(slack, admin, admin.click(Shifts.MENU, option=value))
    assert "Skipped <@U0CAROL>'s turn" in str(text)
    [(next_at,)] = rows(app, "SELECT next_hand_over_at FROM rotations")
    await app.travel(next_at - app.clock() + 5)
    [told] = await slack.wait_for(lambda: said(slack, OPS, "<@U0DAVE> is on duty now"))
    assert "Skipped <@U0CAROL>, as asked." in str(told["blocks"])
    assert on_duty(app) == [DAVE]
