"""The rotation form's defaults and wording (issue 9 §4–7): the creator's time zone, a card without
"Manual" for timed rotations, the first hand-over and the starting week, a code made from the name,
and the turn order changed without removing anyone."""

import json
import sqlite3
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from roundrobin.slack.ids import Rotations
from tests.e2e.conftest import BOB, CAROL, DAVE
from tests.e2e.first_week_steps import rotations_tab
from tests.e2e.steps import modal_after, rows

pytestmark = pytest.mark.e2e
ERIN = "U0ERIN"


@pytest.fixture
async def erin(slack):
    """A member in New York, where Slack says her time zone is."""
    slack.add_user(ERIN, "erin", "Erin Ng", "erin@corp.example", tz="America/New_York")
    return slack.user(ERIN)


async def open_form(slack, user, name="Primary on-call", members=(BOB, CAROL)) -> None:
    await user.open_home()
    await modal_after(slack, user, user.click(Rotations.CREATE))
    await user.fill(Rotations.NAME, name)
    if members:
        await user.fill(Rotations.MEMBERS, list(members))


async def test_a_timed_rotation_starts_in_the_creators_time_zone(app, slack, pd, erin):
    await open_form(slack, erin)
    await erin.fill(Rotations.CODE, "OPS")
    modal = await modal_after(slack, erin, erin.fill(Rotations.KIND, "daily"))
    assert erin.find(Rotations.TZ)["initial_option"]["value"] == "America/New_York"
    assert "IANA time zone" in erin.text(modal) and "It starts as yours in Slack" in erin.text(modal)
    assert "First hand-over: <!date^" in erin.text(modal)
    await erin.fill(Rotations.TIME, "08:30")
    await erin.fill(Rotations.SKIP, ["skip"])
    assert await erin.submit() == {}
    [(schedule,)] = rows(app, "SELECT schedule FROM rotations")
    assert json.loads(schedule)["tz"] == "America/New_York"

    card = await rotations_tab(slack, erin, showing="Primary on-call")
    assert "`OPS`  ·  Every weekday at <!date^" in card, "a time each reader sees on their own clock"
    assert "^{time}|08:30 America/New_York>" in card
    assert "Manual" not in card, "a rotation that hands over by itself is not labelled Manual"


async def test_every_two_weeks_starts_in_the_week_chosen(app, slack, pd, erin):
    await open_form(slack, erin)
    await erin.fill(Rotations.CODE, "OPS")
    await modal_after(slack, erin, erin.fill(Rotations.KIND, "weekly"))
    await modal_after(slack, erin, erin.fill(Rotations.WEEKDAY, "4"))
    await modal_after(slack, erin, erin.fill(Rotations.EVERY, "2"))
    start = erin.find(Rotations.START)
    first, second = [date.fromisoformat(o["value"]) for o in start["options"]]
    assert start["initial_option"]["value"] == first.isoformat()
    assert (second - first).days == 7 and first.weekday() == 4
    assert start["options"][0]["text"]["text"] == f"{first:%A} {first.day} {first:%B %Y} (the next one)"
    await erin.fill(Rotations.START, second.isoformat())
    assert await erin.submit() == {}

    [(schedule, next_at)] = rows(app, "SELECT schedule, next_hand_over_at FROM rotations")
    assert json.loads(schedule)["anchor"] == second.isoformat()
    expected = datetime.combine(second, time(9), ZoneInfo("America/New_York")).timestamp()
    assert next_at == expected, "the first hand-over is on the day chosen, two weeks apart from then on"


async def test_a_code_left_empty_is_made_from_the_name(app, slack, pd, erin):
    await open_form(slack, erin)
    hint = erin.find(Rotations.CODE)
    assert erin.values()[Rotations.CODE][Rotations.CODE].get("value") in (None, "")
    form_text = erin.text(erin.modal)
    assert "Up to 20 letters, digits and single hyphens (WEB-ONCALL, not WEB--ONCALL or -WEB)" in form_text
    assert hint["type"] == "plain_text_input"
    assert await erin.submit() == {}
    await slack.wait_for(lambda: "Created Primary on-call (PRIMARY)." in erin.text())
    assert "Its code was made from the name: `/rr who PRIMARY`" in erin.text()

    for _ in range(2):  # the same name again: a short code that is free
        await open_form(slack, erin)
        await modal_after(slack, erin, erin.fill(Rotations.KIND, "daily"))
        assert erin.find(Rotations.CODE)["placeholder"]["text"] == "PRIMARY", "suggested as they go"
        assert await erin.submit() == {}
    assert rows(app, "SELECT code FROM rotations ORDER BY id") == [("PRIMARY",), ("POC",), ("PRIMARY-ON",)]


async def test_the_turn_order_changes_without_removing_anyone(app, slack, pd, erin):
    await open_form(slack, erin, members=(BOB, CAROL, DAVE))
    await erin.fill(Rotations.CODE, "OPS")
    await modal_after(slack, erin, erin.fill(Rotations.KIND, "daily"))  # the form learns the members
    order = erin.find(Rotations.ORDER_WHO)
    assert [o["text"]["text"] for o in order["options"]] == ["Bob Builder", "Carol Chen", "Dave Doe"]
    await erin.click(Rotations.ORDER_WHO, option=DAVE)
    modal = await modal_after(slack, erin, erin.click(Rotations.ORDER_WHERE, option="0"))
    assert erin.find(Rotations.MEMBERS)["initial_users"] == [DAVE, BOB, CAROL]
    assert "Turn order" in erin.text(modal)
    assert await erin.submit() == {}
    with sqlite3.connect(app.db_path) as db:
        members = db.execute(
            "SELECT slack_user_id, on_duty FROM rotation_members ORDER BY position"
        ).fetchall()
    assert members == [(DAVE, 1), (BOB, 0), (CAROL, 0)], "Dave goes first now"


def first_hand_over(text: str) -> datetime:
    """The instant in the form's "First hand-over: <!date^TS^…>" line."""
    ts = text.split("First hand-over: <!date^", 1)[1].split("^", 1)[0]
    return datetime.fromtimestamp(int(ts), ZoneInfo("America/New_York"))


async def test_the_first_hand_over_follows_every_input_it_depends_on(app, slack, pd, erin):
    await open_form(slack, erin)
    modal = await modal_after(slack, erin, erin.fill(Rotations.KIND, "daily"))
    assert first_hand_over(erin.text(modal)).time() == time(9, 0)
    modal = await modal_after(slack, erin, erin.fill(Rotations.TIME, "15:05"))
    assert first_hand_over(erin.text(modal)).time() == time(15, 5), "the time picker redraws it"
    [tokyo] = [o for o in await erin.suggest(Rotations.TZ, "tokyo") if o["value"] == "Asia/Tokyo"]
    modal = await modal_after(slack, erin, erin.fill(Rotations.TZ, tokyo))
    there = first_hand_over(erin.text(modal)).astimezone(ZoneInfo("Asia/Tokyo"))
    assert there.time() == time(15, 5), "and so does the time zone"
    modal = await modal_after(slack, erin, erin.fill(Rotations.SKIP, ["skip"]))
    assert first_hand_over(erin.text(modal)).astimezone(ZoneInfo("Asia/Tokyo")).weekday() < 5


async def test_the_group_picker_offers_only_what_may_be_bound_and_every_choice_can_be_undone(app, slack, pd):
    from tests.e2e.conftest import ADMIN

    slack.add_usergroup("S0PLAT", "platform-oncall", "Platform on call", users=[DAVE])
    slack.add_usergroup("S0DAVE", "daves-team", "Dave's team", users=[DAVE, CAROL])
    admin = slack.user(ADMIN)
    await open_form(slack, admin, name="Platform", members=(DAVE,))
    await admin.fill(Rotations.CODE, "PLAT")
    [platform] = await admin.suggest(Rotations.GROUP, "platform")
    await modal_after(slack, admin, admin.fill(Rotations.GROUP, platform))
    assert await admin.submit() == {}
    dave = slack.user(DAVE)
    await open_form(slack, dave, members=(DAVE, BOB))
    offered = await dave.suggest(Rotations.GROUP, "")
    assert [o["value"] for o in offered] == ["none", "S0DAVE"], "not the group PLAT follows"
    assert offered[0]["text"]["text"] == "No user group"
    modal = await modal_after(slack, dave, dave.fill(Rotations.GROUP, offered[1]))
    assert "<@U0CAROL> will be removed from it" in dave.text(modal)
    modal = await modal_after(slack, dave, dave.fill(Rotations.GROUP, offered[0]))
    assert "will be removed" not in dave.text(modal), "the choice is undone"
    await dave.fill(Rotations.NEW_GROUP, "dave-oncall")
    assert await dave.submit() == {}
    [(group, handle)] = rows(app, "SELECT usergroup_id, usergroup_handle FROM rotations WHERE code != 'PLAT'")
    assert handle == "dave-oncall" and group not in ("S0PLAT", "S0DAVE")
