"""Walkthrough: Cover me… on a rotation that follows PagerDuty. With a key that may write, the cover
becomes an override in PagerDuty (checked against its OpenAPI document) and the rotation's duty
follows it; with a read-only key, PagerDuty refuses it (403) and the person is told how to make the
cover in PagerDuty, at once the next time."""

import pytest

from roundrobin.sim.pagerduty import FakePagerDuty
from roundrobin.slack.ids import PagerDuty, Shifts
from tests.contract.checker import ContractChecker
from tests.e2e.conftest import ADMIN, BOB, CAROL, OPS, seed_pagerduty
from tests.e2e.steps import home_after, modal_after, open_settings, told
from tests.e2e.test_rotations_pagerduty import bind_rotation, connect_with_key, group, open_rotations, rows

pytestmark = pytest.mark.e2e
WRITE_KEY = "u+pdFullAccessKeyWxyz"


@pytest.fixture
async def pd():
    fake = seed_pagerduty(FakePagerDuty(subdomain="acme", contract=ContractChecker.default()))
    fake.add_api_key(WRITE_KEY, read_only=False)
    async with fake:  # leaving it fails the test on any contract violation
        yield fake


async def connect_with_write_key(slack, admin, app) -> None:
    await open_settings(slack, admin)
    await modal_after(slack, admin, admin.click(PagerDuty.CONNECT))
    await admin.fill(PagerDuty.API_KEY_INPUT, WRITE_KEY)
    await home_after(slack, admin, admin.submit())
    await slack.wait_for(lambda: "pagerduty sync" in app.log_text(), description="the first sync")


def overrides(pd) -> list[tuple[str, str]]:
    return [(o.schedule_id, o.user_id) for held in pd.directory.overrides.values() for o in held]


async def test_cover_me_with_a_key_that_may_write_makes_the_override_and_duty_follows(app, slack, pd):
    admin, bob = slack.user(ADMIN), slack.user(BOB)
    await connect_with_write_key(slack, admin, app)
    await bind_rotation(slack, admin, app)
    await slack.wait_for(lambda: group(slack)["users"] == [BOB])

    text = await open_rotations(slack, bob)
    assert "You are on call in PagerDuty" in text
    modal = await modal_after(slack, bob, bob.click(Shifts.COVER_OPEN))
    assert "writes the override to PagerDuty (*Ops Primary*)" in bob.text(modal)
    offered = [o["value"] for o in bob.find(Shifts.BY)["options"]]
    assert CAROL in offered and BOB not in offered and ADMIN not in offered, (
        "PagerDuty people of the schedule"
    )
    await bob.fill(Shifts.BY, CAROL)
    assert await bob.submit() == {}
    await slack.wait_for(
        lambda: (
            "<@U0CAROL> covers you" in bob.text()
            and "the override is in PagerDuty (Ops Primary)" in bob.text()
        ),
        description="Bob told on his App Home",
    )

    assert overrides(pd) == [("PSPRIM", "PCAROL")]
    assert any(r.endpoint == "POST /schedules/{id}/overrides" and r.status == 201 for r in pd.requests)
    await slack.wait_for(
        lambda: rows(app, "SELECT slack_user_id FROM rotation_members WHERE on_duty = 1") == [(CAROL,)],
        description="the rotation follows the override",
    )
    await slack.wait_for(lambda: group(slack)["users"] == [CAROL])
    await slack.wait_for(lambda: told(slack, OPS, "<@U0CAROL>"))
    assert rows(app, "SELECT write_access FROM pagerduty_connection") == [("yes",)]
    assert rows(app, "SELECT COUNT(*) FROM events WHERE kind = 'pagerduty.override_created'") == [(1,)]


async def test_cover_me_with_a_read_only_key_explains_how_to_do_it_in_pagerduty(app, slack, pd):
    admin, bob = slack.user(ADMIN), slack.user(BOB)
    await connect_with_key(slack, admin, pd, app)  # conftest's key is read-only
    await bind_rotation(slack, admin, app)

    await open_rotations(slack, bob)
    await modal_after(slack, bob, bob.click(Shifts.COVER_OPEN))  # not known yet: a key says so by trying
    await bob.fill(Shifts.BY, CAROL)
    modal = await modal_after(slack, bob, bob.submit())
    words = bob.text(modal)
    assert "may only read" in words and "Schedule an override" in words and "Ops Primary" in words
    assert "API key that has write access" in words
    assert overrides(pd) == []
    assert [r.status for r in pd.requests if r.endpoint == "POST /schedules/{id}/overrides"] == [403]
    assert rows(app, "SELECT write_access FROM pagerduty_connection") == [("no",)]
    assert rows(app, "SELECT slack_user_id FROM rotation_members WHERE on_duty = 1") == [(BOB,)]

    # Known now: the next Cover me explains at once, asking PagerDuty nothing.
    await bob.close()
    posts = len(pd.requests)
    await open_rotations(slack, bob)
    modal = await modal_after(slack, bob, bob.click(Shifts.COVER_OPEN))
    assert "may only read" in bob.text(modal) and modal.get("submit") is None
    assert not [r for r in pd.requests[posts:] if r.method == "POST"]
