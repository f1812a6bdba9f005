"""Covers, swaps, skips and time away, walked through in Slack (issue 18): the real app against the
fake Slack; the app's clock travels where a walkthrough spans hours."""

from __future__ import annotations

import json
import time

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
    return [
        u
        for (u,) in rows(
            app, "SELECT slack_user_id FROM rotation_members WHERE on_duty = 1 ORDER BY position"
        )
    ]


async def test_cover_me_taken_by_the_second_person_moves_group_channel_and_dms_at_start_and_end(
    app, slack, pd
):
    await ops_rotation(slack, app)
    bob, carol = slack.user(BOB), slack.user(CAROL)

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
    await slack.wait_for(lambda: dm_with(slack, CAROL, "Thank you!"))
    await slack.wait_for(lambda: group_of(slack, "ops-oncall")["users"] == [CAROL])
    assert on_duty(app) == [CAROL]
    [announced] = await slack.wait_for(
        lambda: said(slack, OPS, "<@U0CAROL> is on duty now, covering <@U0BOB>")
    )
    assert "until <!date^" in str(announced["blocks"])
    await slack.wait_for(lambda: dm_with(slack, BOB, "<@U0CAROL> covers you"))
    await slack.wait_for(lambda: dm_with(slack, BOB, "You are off duty"))
    await slack.wait_for(lambda: dm_with(slack, CAROL, "You are on duty for *Primary on-call*"))
    # Dave's offer and the post in #ops now say who took it, with no button left to press; Dave
    # gets no other DM about it.
    [closed] = await slack.wait_for(lambda: dm_with(slack, DAVE, "<@U0CAROL> took <@U0BOB>'s cover request"))
    assert "I'll cover" not in str(closed) and not dm_with(slack, DAVE, "asks for cover")
    assert not dm_with(slack, DAVE, "covers"), "the offer was edited, not followed by news"
    await slack.wait_for(lambda: said(slack, OPS, "<@U0CAROL> took <@U0BOB>'s cover request"))
    assert not said(slack, OPS, "I'll cover")
    await slack.wait_for(lambda: not dm_with(slack, CAROL, "I'll cover"))
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
    await slack.wait_for(
        lambda: dm_with(slack, DAVE, "<@U0ADMIN> put you on *Primary on-call*", "to cover <@U0BOB>")
    )
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
    await slack.wait_for(
        lambda: "not in OPS" in bob.text() or "can change OPS" in bob.text() or "on duty then" in bob.text()
    )


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
    forged = {
        "type": "button",
        "action_id": Shifts.SWAP_ACCEPT,
        "value": str(swap_id),
        "text": {"type": "plain_text", "text": "Accept"},
    }
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


async def test_time_away_passes_someone_over_in_two_rotations_and_back(app, slack, pd):
    await ops_rotation(slack, app, dms=False)
    admin, bob = slack.user(ADMIN), slack.user(BOB)
    assert (
        await create_rotation(slack, admin, name="Reviews", code="rev", members=(BOB, DAVE), channels=[OPS])
        == {}
    )
    await slack.wait_for(lambda: len(rows(app, "SELECT id FROM rotations")) == 2)

    # Bob: App Home › Settings › My time away › Add time away… for three days from now.
    await bob.open_home()
    text = await open_settings(slack, bob)
    assert "*My time away*" in text and "None planned" in text
    await modal_after(slack, bob, bob.click(Shifts.AWAY_OPEN))
    now = app.clock()
    await bob.fill(Shifts.AWAY_FROM, int(now - 60))
    await bob.fill(Shifts.AWAY_UNTIL, int(now - 120))
    assert (await bob.submit())["errors"] == {Shifts.AWAY_UNTIL: "The end must come after the start."}
    await bob.fill(Shifts.AWAY_UNTIL, int(now + 3 * 86400))
    await bob.fill(Shifts.AWAY_NOTE, "Lisbon")
    assert await bob.submit() == {}
    await slack.wait_for(lambda: "You are away" in bob.text() and "Lisbon" in bob.text())

    # Both rotations pass him over and say why.
    await slack.wait_for(lambda: said(slack, OPS, "<@U0BOB> is away; <@U0CAROL> takes over"))
    await slack.wait_for(lambda: said(slack, OPS, "<@U0BOB> is away; <@U0DAVE> takes over"))
    assert sorted(rows(app, "SELECT slack_user_id FROM rotation_members WHERE on_duty = 1")) == [
        (CAROL,),
        (DAVE,),
    ]
    text = await open_rotations(slack, admin)
    assert "<@U0CAROL> (standing in: <@U0BOB> is away)" in text

    # Back early: he removes the period, and his turns are his again.
    await open_settings(slack, bob)
    await home_after(slack, bob, bob.click(Shifts.AWAY_REMOVE))
    await slack.wait_for(
        lambda: (
            sorted(rows(app, "SELECT slack_user_id FROM rotation_members WHERE on_duty = 1"))
            == [(BOB,), (BOB,)]
        )
    )
    assert "None planned" in bob.text()


async def test_duty_size_two_puts_two_on_duty_and_hands_over_the_pair(app, slack, pd):
    rotation_id = await ops_rotation(slack, app, dms=False, members=(BOB, CAROL, DAVE, ADMIN))
    admin = slack.user(ADMIN)
    await details(slack, admin, rotation_id)
    assert "*Duty & hours*: 1 on duty; all hours." in admin.text(admin.modal)
    await modal_after(slack, admin, admin.click(Hours.OPEN, value=str(rotation_id)))
    await admin.fill(Hours.SIZE, "2")
    assert await admin.submit() == {}
    await slack.wait_for(lambda: group_of(slack, "ops-oncall")["users"] == sorted([BOB, CAROL]))
    await slack.wait_for(lambda: said(slack, OPS, "<@U0BOB>, <@U0CAROL> are on duty now"))
    reply = await admin.command("rotate ops")
    assert "is on duty now" in reply["text"] or "are on duty now" in reply["text"]
    await slack.wait_for(lambda: group_of(slack, "ops-oncall")["users"] == sorted([DAVE, ADMIN]))
    await slack.wait_for(lambda: said(slack, OPS, "<@U0DAVE>, <@U0ADMIN> are on duty now"))


async def test_working_hours_empty_the_rotation_at_closing_and_fill_it_at_opening(app, slack, pd):
    rotation_id = await ops_rotation(slack, app, dms=False)
    admin = slack.user(ADMIN)
    # Working hours that open two hours from now and close four hours from now (UTC), every day.
    from datetime import UTC, datetime, timedelta

    opening = datetime.fromtimestamp(app.clock(), UTC).replace(second=0, microsecond=0) + timedelta(hours=2)
    closing = opening + timedelta(hours=2)
    await details(slack, admin, rotation_id)
    await modal_after(slack, admin, admin.click(Hours.OPEN, value=str(rotation_id)))
    await admin.fill(Hours.DAYS, [str(d) for d in range(7)])
    await admin.fill(Hours.START, f"{opening:%H:%M}")
    await admin.fill(Hours.END, f"{closing:%H:%M}")
    assert await admin.submit() == {}

    # Outside working hours now: nobody is on duty, the group is disabled, the card says until when.
    await slack.wait_for(lambda: group_of(slack, "ops-oncall")["enabled"] is False)
    await slack.wait_for(lambda: said(slack, OPS, "Outside working hours: nobody is on duty until"))
    text = await open_rotations(slack, admin)
    assert ":crescent_moon: Outside working hours until" in text
    assert on_duty(app) == []

    # Opening time: Bob is on duty again, the group enabled with him.
    await app.travel(opening.timestamp() - app.clock() + 5)
    await slack.wait_for(lambda: group_of(slack, "ops-oncall")["enabled"] is True)
    await slack.wait_for(lambda: group_of(slack, "ops-oncall")["users"] == [BOB])
    # Closing time: empty again.
    await app.travel(closing.timestamp() - app.clock() + 5)
    await slack.wait_for(lambda: group_of(slack, "ops-oncall")["enabled"] is False)
    assert on_duty(app) == []


async def test_a_public_holiday_keeps_the_person_on(app, slack, pd):
    from datetime import UTC, date, datetime, timedelta
    from datetime import time as clock_time

    import holidays as calendar

    admin = slack.user(ADMIN)
    await daily_rotation(slack, admin)
    rotation_id = rows(app, "SELECT id FROM rotations")[0][0]
    await details(slack, admin, rotation_id)
    await modal_after(slack, admin, admin.click(Hours.OPEN, value=str(rotation_id)))
    await admin.fill(Hours.COUNTRY, "XX")
    assert (await admin.submit())["errors"][Hours.COUNTRY].startswith("“XX” is not a country")
    await admin.fill(Hours.COUNTRY, "gb")
    assert await admin.submit() == {}
    assert json.loads(rows(app, "SELECT holidays FROM rotations")[0][0]) == {
        "country": "GB",
        "subdivision": None,
        "mode": "stay",
    }

    # The next GB holiday that is not the day after another (so the day before it hands over).
    today = datetime.fromtimestamp(app.clock(), UTC).date()
    gb = calendar.country_holidays("GB", years=[today.year, today.year + 1])
    holiday = min(d for d in gb if d > today + timedelta(days=1) and d - timedelta(days=1) not in gb)

    def nine(day: date) -> float:
        return datetime.combine(day, clock_time(9), UTC).timestamp()

    # The day before: a hand-over as usual.
    await app.travel(nine(holiday - timedelta(days=1)) - app.clock() + 5)
    await slack.wait_for(
        lambda: rows(app, "SELECT COUNT(*) FROM events WHERE kind = 'duty.changed'") == [(2,)]
    )
    before = on_duty(app)
    # The holiday: nobody hands over; the same person stays on.
    await app.travel(nine(holiday) - app.clock() + 5)
    [(next_at,)] = rows(app, "SELECT next_hand_over_at FROM rotations")
    assert next_at > nine(holiday), "the holiday's hand-over is passed by"
    assert on_duty(app) == before
    assert rows(app, "SELECT COUNT(*) FROM events WHERE kind = 'duty.changed'") == [(2,)]


@pytest.mark.process
async def test_a_cover_accepted_then_kill_9_before_it_starts_still_starts(app, slack, pd):
    await ops_rotation(slack, app, dms=False)
    bob, carol = slack.user(BOB), slack.user(CAROL)
    await open_rotations(slack, bob)
    await modal_after(slack, bob, bob.click(Shifts.COVER_OPEN))
    start = int(time.time()) + 6
    await bob.fill(Shifts.FROM, start)
    await bob.fill(Shifts.UNTIL, start + HOUR)
    assert await bob.submit() == {}
    [offer] = await slack.wait_for(lambda: dm_with(slack, CAROL, "asks for cover"))
    await carol.click_in_message(offer, Shifts.TAKE)
    await slack.wait_for(lambda: rows(app, "SELECT person_in FROM overrides") == [(CAROL,)])
    assert on_duty(app) == [BOB], "the cover starts later"

    app.process.kill()  # kill -9 between the acceptance and the cover's start
    await app.process.wait()
    await app.start()  # at once: the restarted app itself must wake when the cover starts
    await slack.wait_connected()
    await slack.wait_for(lambda: group_of(slack, "ops-oncall")["users"] == [CAROL], timeout=15)
    await slack.wait_for(lambda: said(slack, OPS, "<@U0CAROL> is on duty now, covering <@U0BOB>"), timeout=15)
    assert on_duty(app) == [CAROL]
