""" "Next:" never names someone already on duty: on the card, in /rr who and in channel messages, for
manual rotations whoever is set on duty, and for PagerDuty rotations with several people on call."""

import re

import pytest

from roundrobin.slack.ids import MenuChoice, Rotations
from tests.e2e.conftest import ADMIN, BOB, CAROL, DAVE, OPS
from tests.e2e.first_week_steps import connect_with_key, menu, rotation_id_of, rotations_tab, sync_now
from tests.e2e.steps import create_rotation, modal_after, told

pytestmark = pytest.mark.e2e
MENTION = re.compile(r"<@(U[A-Z0-9]+)>")


def on_duty_and_next(text: str) -> tuple[set[str], set[str]]:
    """Who a text says is on duty, and who it says is next."""
    on_duty = {
        u
        for line in text.splitlines()
        if "On duty" in line or "on duty now" in line
        for u in MENTION.findall(line.split("Next:")[0])
    }
    after = text.split("Next:")[1].splitlines()[0].split(" · ")[0] if "Next:" in text else ""
    return on_duty, set(MENTION.findall(after))


@pytest.mark.parametrize("chosen", [CAROL, DAVE, BOB], ids=["the-next-one", "the-one-after", "the-same"])
async def test_whoever_is_set_on_duty_is_never_also_next(app, slack, pd, chosen):
    admin = slack.user(ADMIN)
    assert await create_rotation(slack, admin, members=(BOB, CAROL, DAVE), channels=[OPS]) == {}
    await slack.wait_for(lambda: told(slack, OPS, "<@U0BOB>", "on duty now"))
    await rotations_tab(slack, admin, showing="Primary on-call")
    await menu(slack, admin, MenuChoice.SET_ON_DUTY, rotation_id_of(app, "OPS"))
    await admin.fill(Rotations.ON_DUTY, chosen)
    await admin.submit()
    expected_next = {BOB: CAROL, CAROL: DAVE, DAVE: BOB}[chosen]

    card = await rotations_tab(slack, admin, showing=f"On duty: <@{chosen}>")
    who = (await admin.command("who OPS"))["text"]
    texts = {"card": card, "/rr who": who}
    if chosen != BOB:  # setting the person already on duty changes nothing, so nothing is announced
        [message] = await slack.wait_for(lambda: told(slack, OPS, f"<@{chosen}>", "on duty now"))
        texts["channel"] = message["text"] + " " + str(message["blocks"])
        assert "Set by <@U0ADMIN>" in texts["channel"], "the channel is told who set it"
    for where, text in texts.items():
        on_duty, following = on_duty_and_next(text)
        assert on_duty == {chosen}, where
        assert following == {expected_next}, f"{where}: {text}"


async def test_with_several_people_on_call_next_is_someone_coming_on(app, slack, pd):
    now = pd.account.now()
    pd.add_schedule("PSV3", "Follow the sun", version=3, escalation_policy_ids=["PEOPS"])
    # Bob and Carol now; then Carol stays on and Alice joins her: next is Alice, never Carol.
    pd.set_shifts(
        "PSV3", [(["PBOB", "PCAROL"], now - 60, now + 3600), (["PCAROL", "PALICE"], now + 3600, now + 7200)]
    )
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, app)
    await rotations_tab(slack, admin)
    await modal_after(slack, admin, admin.click(Rotations.CREATE))
    await admin.fill(Rotations.NAME, "Sun")
    await admin.fill(Rotations.CODE, "SUN")
    await modal_after(slack, admin, admin.fill(Rotations.SOURCE, "pagerduty"))
    [schedule] = await admin.suggest(Rotations.PD_SCHEDULE, "sun")
    await admin.fill(Rotations.PD_SCHEDULE, schedule)
    assert await admin.submit() == {}
    await sync_now(slack, admin)
    card = await rotations_tab(slack, admin, showing="Next:")
    who = (await admin.command("who SUN"))["text"]
    for where, text in {"card": card, "/rr who": who}.items():
        on_duty, following = on_duty_and_next(text)
        assert on_duty == {BOB, CAROL}, where
        assert following == {ADMIN}, f"{where}: {text}"
