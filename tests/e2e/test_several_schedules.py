"""Walkthrough: a rotation following two PagerDuty schedules (primary + secondary) has the union on
duty and in its user group, each person labelled with their schedule, follows a hand-over in either,
and costs no request per schedule beyond what bound schedules cost (contract mode throughout)."""

import math
import time

import pytest

from roundrobin.sim.pagerduty import FakePagerDuty
from roundrobin.slack.ids import Rotations
from tests.contract.checker import ContractChecker
from tests.e2e.conftest import ADMIN, BOB, CAROL, OPS, seed_pagerduty
from tests.e2e.steps import modal_after, told
from tests.e2e.test_rotations_pagerduty import connect_with_key, group, open_rotations, rows, sync_now

pytestmark = pytest.mark.e2e
HOUR = 3600


@pytest.fixture
async def pd():
    fake = seed_pagerduty(FakePagerDuty(subdomain="acme", contract=ContractChecker.default()))
    async with fake:
        yield fake


async def bind_both(slack, admin, app) -> str:
    """Create rotation › PagerDuty › Ops Primary, and Ops Secondary under "Also follow these schedules"."""
    await open_rotations(slack, admin)
    await modal_after(slack, admin, admin.click(Rotations.CREATE))
    await admin.fill(Rotations.NAME, "Ops")
    await admin.fill(Rotations.CODE, "OPS")
    modal = await modal_after(slack, admin, admin.fill(Rotations.SOURCE, "pagerduty"))
    assert "Also follow these schedules" in admin.text(modal)
    [primary] = await admin.suggest(Rotations.PD_SCHEDULE, "prim")
    await admin.fill(Rotations.PD_SCHEDULE, primary)
    [secondary] = await admin.suggest(Rotations.PD_MORE_SCHEDULES, "second")  # searched as typed too
    assert secondary["text"]["text"] == "Ops Secondary"
    await admin.fill(Rotations.PD_MORE_SCHEDULES, [secondary])
    await admin.fill(Rotations.CHANNELS, [OPS])
    await admin.fill(Rotations.NEW_GROUP, "ops-oncall")
    assert await admin.submit() == {}
    await slack.wait_for(
        lambda: rows(app, "SELECT COUNT(*) FROM rotation_members WHERE on_duty = 1")[0][0] == 2,
        description="both schedules' people on duty",
    )
    return await open_rotations(slack, admin)


async def test_two_schedules_put_the_union_on_duty_and_in_the_group(app, slack, pd):
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)
    text = await bind_both(slack, admin, app)
    assert "PagerDuty: Ops Primary + Ops Secondary" in text
    assert "<@U0BOB> (Ops Primary)" in text and "<@U0ADMIN> (Ops Secondary)" in text
    await slack.wait_for(lambda: sorted(group(slack, "ops-oncall")["users"]) == sorted([ADMIN, BOB]))
    await slack.wait_for(lambda: told(slack, OPS, "<@U0BOB> (Ops Primary)", "<@U0ADMIN> (Ops Secondary)"))
    assert rows(app, "SELECT schedule_id FROM rotation_schedules ORDER BY position") == [
        ("PSPRIM",),
        ("PSSEC",),
    ]

    rotation_id = rows(app, "SELECT id FROM rotations")[0][0]
    details = admin.text(
        await modal_after(slack, admin, admin.click(Rotations.MENU, option=f"details:{rotation_id}"))
    )
    assert "Follows the PagerDuty schedules *Ops Primary* and *Ops Secondary*" in details
    assert "(Ops Secondary)" in details.split("Upcoming shifts")[1], "each shift names its schedule"

    # A hand-over in the primary: Carol takes Bob's place; Alice stays on through the secondary.
    pd.set_on_call("PSPRIM", "PCAROL")
    text = await sync_now(slack, admin)
    assert "<@U0CAROL> (Ops Primary)" in text and "<@U0ADMIN> (Ops Secondary)" in text
    await slack.wait_for(lambda: sorted(group(slack, "ops-oncall")["users"]) == sorted([ADMIN, CAROL]))

    # Edit keeps both schedules in the form.
    await modal_after(slack, admin, admin.click(Rotations.MENU, option=f"edit:{rotation_id}"))
    more = admin.find(Rotations.PD_MORE_SCHEDULES)
    assert [o["value"] for o in more["initial_options"]] == ["PSSEC"]


async def test_a_planned_hand_over_in_the_second_schedule_follows_on_its_second(app, slack, pd):
    boundary = math.ceil(time.time()) + 20
    pd.set_shifts(
        "PSSEC", [("PALICE", boundary - HOUR, boundary), ("PCAROL", boundary, boundary + 24 * HOUR)]
    )
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)
    await bind_both(slack, admin, app)
    assert time.time() < boundary - 5, "the setup took too long to measure the hand-over"
    await slack.wait_for(
        lambda: sorted(group(slack, "ops-oncall")["users"]) == sorted([BOB, CAROL]),
        timeout=boundary + 10 - time.time(),
        description="Carol in the group after the secondary's hand-over",
    )
    assert time.time() >= boundary
    text = await open_rotations(slack, admin)
    assert "<@U0BOB> (Ops Primary)" in text and "<@U0CAROL> (Ops Secondary)" in text
    # Applied from the stored plan of the secondary: no request to PagerDuty at the boundary.
    assert [r.endpoint for r in pd.requests if boundary - 1 <= r.at <= boundary + 1] == []
