"""The people in a rotation help themselves (issue 9 §11): the person on duty hands over when done,
members rotate, unless the rotation's creator keeps that to managers; /rr follows the same rule."""

import pytest

from roundrobin.slack.ids import MenuChoice, Rotations
from tests.e2e.conftest import ADMIN, BOB, CAROL, DAVE, OPS
from tests.e2e.first_week_steps import menu, rotation_id_of, rotations_tab
from tests.e2e.steps import create_rotation, forged_click, modal_after, rows, told

pytestmark = pytest.mark.e2e


def menu_choices(user) -> list[str]:
    return [o["text"]["text"] for o in user.find(Rotations.MENU)["options"]]


async def test_the_person_on_duty_hands_over_when_done(app, slack, pd):
    admin, bob, carol = slack.user(ADMIN), slack.user(BOB), slack.user(CAROL)
    assert await create_rotation(slack, admin, members=(BOB, CAROL, DAVE), channels=[OPS]) == {}
    card = await rotations_tab(slack, bob, showing="You are on duty")
    assert "You are on duty. When you are done, hand over to <@U0CAROL>." in card
    assert menu_choices(bob) == ["Details", "Rotate now", "Set on duty…"], "a member: no Edit or Delete"
    done = bob.find(Rotations.HAND_OVER)
    assert (
        done["text"]["text"] == "I'm done: hand over"
        and "<@U0CAROL> goes on duty" in done["confirm"]["text"]["text"]
    )
    await bob.click(Rotations.HAND_OVER, value=done["value"], confirm=True)
    await slack.wait_for(lambda: "You handed Primary on-call over: <@U0CAROL> is on duty now." in bob.text())
    [message] = await slack.wait_for(lambda: told(slack, OPS, "<@U0CAROL>", "on duty now"))
    assert "Handed over by <@U0BOB>" in str(message["blocks"])
    assert "You are on duty" not in await rotations_tab(slack, bob, showing="On duty: <@U0CAROL>")

    # Carol is done too, from /rr: the one rotation she is on duty for needs no code.
    reply = await carol.command("done")
    assert reply["text"] == "You handed *Primary on-call* over: <@U0DAVE> is on duty now. Thank you!"
    assert "not on duty for any manual rotation" in (await carol.command("done"))["text"]
    history = rows(app, "SELECT actor, detail FROM events WHERE kind = 'duty.changed' ORDER BY id")
    assert [a for a, _ in history] == [ADMIN, BOB, CAROL]
    assert all('"reason": "handed_over"' in d for _, d in history[1:])


async def test_members_rotate_unless_the_creator_keeps_it_to_managers(app, slack, pd):
    admin, bob, dave = slack.user(ADMIN), slack.user(BOB), slack.user(DAVE)
    assert await create_rotation(slack, admin, members=(BOB, CAROL)) == {}
    assert "<@U0CAROL> is on duty now" in (await bob.command("rotate ops"))["text"], "a member rotates"
    assert "Only Alice Admin (the creator), its members" in (await dave.command("rotate ops"))["text"]

    # The creator keeps it to managers: the form shows the choice, ticked for a new rotation.
    await rotations_tab(slack, admin, showing="Primary on-call")
    rotation_id = rotation_id_of(app, "OPS")
    await menu(slack, admin, MenuChoice.EDIT, rotation_id)
    assert [o["value"] for o in admin.find(Rotations.MAY_ROTATE)["initial_options"]] == ["yes"]
    await admin.fill(Rotations.MAY_ROTATE, [])
    assert await admin.submit() == {}
    assert rows(app, "SELECT members_may_rotate FROM rotations") == [(0,)]

    refused = (await bob.command("rotate OPS"))["text"]
    assert refused == (
        ":no_entry: Only Alice Admin (the creator), workspace admins and Round Robin owners can change who "
        "is on duty for OPS."
    )
    await rotations_tab(slack, bob, showing="Primary on-call")
    assert menu_choices(bob) == ["Details", "Cover me…"], "no Rotate now or Set on duty… for Bob"
    forged = {
        "type": "overflow",
        "action_id": Rotations.MENU,
        "selected_option": {
            "text": {"type": "plain_text", "text": "Rotate now"},
            "value": f"{MenuChoice.ROTATE}:{rotation_id}",
        },
    }
    await forged_click(slack, bob, forged)
    await slack.wait_for(lambda: ":no_entry: Only Alice Admin (the creator), workspace admins" in bob.text())
    assert rows(app, "SELECT slack_user_id FROM rotation_members WHERE on_duty = 1") == [(CAROL,)]


async def test_a_member_sets_who_is_on_duty_from_details(app, slack, pd):
    admin, bob = slack.user(ADMIN), slack.user(BOB)
    assert await create_rotation(slack, admin, members=(BOB, CAROL, DAVE)) == {}
    await rotations_tab(slack, bob, showing="Primary on-call")
    rotation_id = rotation_id_of(app, "OPS")
    await menu(slack, bob, MenuChoice.DETAILS, rotation_id)
    await modal_after(slack, bob, bob.click(Rotations.SET_ON_DUTY_OPEN, value=str(rotation_id)))
    assert len(bob.modals) == 2, "on top of Details"
    await bob.fill(Rotations.ON_DUTY, DAVE)
    assert await bob.submit() == {}
    assert bob.modal is None, "both close"
    await slack.wait_for(lambda: "Primary on-call: <@U0DAVE> is on duty now." in bob.text())
    assert rows(app, "SELECT actor FROM events WHERE kind = 'duty.changed' ORDER BY id DESC LIMIT 1") == [
        (BOB,)
    ]
