"""No lost updates, and no silent failures: a sync racing an edit, and a sync that cannot finish."""

import asyncio
import json

import aiohttp
import pytest

from roundrobin.slack.ids import MenuChoice, PagerDuty, Rotations
from tests.e2e.conftest import ADMIN, API_KEY, CAROL, GENERAL
from tests.e2e.steps import home_after, modal_after, open_rotations, open_settings, rows
from tests.e2e.test_rotations_pagerduty import bind_rotation, connect_with_key

pytestmark = pytest.mark.e2e


async def settled_settings(slack, admin) -> None:
    """The Settings tab, once the refreshes still on their way from earlier steps have landed."""
    await open_settings(slack, admin)
    await asyncio.sleep(0.5)
    if "Sync now" not in admin.text():
        await open_settings(slack, admin)


async def test_a_sync_racing_an_edit_keeps_the_edit(app, slack, pd):
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)
    await bind_rotation(slack, admin, app)
    rotation_id = rows(app, "SELECT id FROM rotations")[0][0]

    # PagerDuty is slow to say who is on call: the sync has read the rotation and is waiting…
    hold = pd.hold_next("/oncalls")
    pd.set_on_call("PSPRIM", "PCAROL")
    await settled_settings(slack, admin)
    await admin.click(PagerDuty.SYNC_NOW)
    await asyncio.wait_for(hold.reached.wait(), 10)

    # …while the admin renames the rotation and adds a channel.
    await open_rotations(slack, admin)
    await modal_after(slack, admin, admin.click(Rotations.MENU, option=f"{MenuChoice.EDIT}:{rotation_id}"))
    await admin.fill(Rotations.NAME, "Ops primary (renamed)")
    channels = json.loads(rows(app, "SELECT channels FROM rotations")[0][0])
    await admin.fill(Rotations.CHANNELS, [*channels, GENERAL])
    assert await admin.submit() == {}
    hold.release.set()

    await slack.wait_for(
        lambda: rows(app, "SELECT slack_user_id FROM rotation_members WHERE on_duty = 1") == [(CAROL,)],
        timeout=10,
    )
    [(name, channels)] = rows(app, "SELECT name, channels FROM rotations")
    assert name == "Ops primary (renamed)" and GENERAL in channels, "the sync did not undo the edit"


async def test_a_sync_that_cannot_finish_says_so_on_the_card_and_in_healthz(app, slack, pd):
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)
    await bind_rotation(slack, admin, app)
    # An answer of the right status with the wrong shape: not a PagerDutyError, still a failure.
    pd.fail_next(status=200, path="/oncalls", body={"oncalls": "not a list", "more": False}, count=10)
    await open_settings(slack, admin)
    text = await home_after(slack, admin, admin.click(PagerDuty.SYNC_NOW), timeout=10)
    await slack.wait_for(lambda: "Sync failed" in admin.text() or "could not" in admin.text(), timeout=10)
    settings = await open_settings(slack, admin)
    assert "last known on-call state is kept" in settings, text
    async with aiohttp.ClientSession() as http, http.get(app.url + "/healthz") as r:
        body = await r.json()
    assert body["pagerduty"]["state"] == "connected"
    assert "not a list" not in str(body), "no third-party text to anonymous callers"


async def test_healthz_degrades_when_pagerduty_needs_reauthorisation(app, slack, pd):
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)
    pd.delete_api_key(API_KEY)
    await settled_settings(slack, admin)
    await admin.click(PagerDuty.SYNC_NOW)
    await slack.wait_for(lambda: rows(app, "SELECT status FROM pagerduty_connection") == [("needs_reauth",)])
    async with aiohttp.ClientSession() as http, http.get(app.url + "/healthz") as r:
        assert r.status == 503
        body = await r.json()
    assert body["problems"] == ["pagerduty"] and body["pagerduty"]["state"] == "needs_reauth"
    assert "rejected" not in str(body), "the card says why; /healthz names only the failing part"


async def test_sync_now_says_which_schedules_are_new_and_which_are_gone(app, slack, pd):
    from tests.e2e.first_week_steps import sync_now as sync_and_read_notice

    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)
    pd.add_schedule("PSNEW", "Weekend desk", user_ids=["PBOB"], escalation_policy_ids=["PEOPS"])
    pd.remove_schedule("PSSEC")
    notice = await sync_and_read_notice(slack, admin)
    assert "1 new schedule, 1 removed schedule" in notice, notice
    assert "2 schedules in PagerDuty" in notice
