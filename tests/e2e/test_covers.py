"""Covers, swaps, skips and time away, walked through in Slack (issue 18): the real app against the
fake Slack; the app's clock travels where a walkthrough spans hours."""

from __future__ import annotations

import pytest

from roundrobin.slack.ids import Hours, MenuChoice, Rotations, Shifts
from roundrobin.slack.ids import NotificationIds as N
from tests.e2e.conftest import ADMIN, BOB, CAROL, DAVE, OPS
from tests.e2e.steps import create_rotation, group_of, home_after, modal_after, open_rotations, open_settings, rows

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
