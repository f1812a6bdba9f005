"""Settings beyond the PagerDuty card: owners, the email-scope warning, /healthz, secrets in logs."""

import aiohttp
import pytest

from roundrobin.slack.ids import Owners, PagerDuty
from tests.e2e.conftest import ADMIN, API_KEY, BOB, CAROL
from tests.e2e.harness import APP_TOKEN, BOT_TOKEN, AppProcess
from tests.e2e.steps import forged_click, home_after, modal_after, open_settings, rows

pytestmark = pytest.mark.e2e


async def test_an_admin_makes_bob_an_owner_and_then_bob_can_connect(app, slack, pd):
    admin, bob = slack.user(ADMIN), slack.user(BOB)
    await open_settings(slack, admin)
    text = await home_after(slack, admin, admin.fill(Owners.EDIT, [BOB]))
    assert "Owners: <@U0BOB>" in text
    assert ":information_source: <@U0BOB> is a Round Robin owner now." in text, "the choice is confirmed"

    await open_settings(slack, bob)
    bob.find(PagerDuty.CONNECT)
    await modal_after(slack, bob, bob.click(PagerDuty.CONNECT))
    await bob.fill(PagerDuty.API_KEY_INPUT, API_KEY)
    text = await home_after(slack, bob, bob.submit())
    assert "Connected with API key ending in …Abcd" in text


async def test_a_member_cannot_edit_owners(app, slack, pd):
    bob = slack.user(BOB)
    await open_settings(slack, bob)
    with pytest.raises(LookupError):
        bob.find(Owners.EDIT)
    element = {"type": "multi_users_select", "action_id": Owners.EDIT, "selected_users": [BOB, CAROL]}
    forged = forged_click(slack, bob, element)
    text = await home_after(slack, bob, forged)
    assert "can do that" in text and "Owners: none yet" in text


async def test_owners_are_only_real_people(app, slack, pd):
    admin = slack.user(ADMIN)
    await open_settings(slack, admin)
    crafted = ["<!here>", "C0GENERAL", "U0NOBODY", "U" + "X" * 5000, BOB, slack.workspace.bot_user_id]
    element = {"type": "multi_users_select", "action_id": Owners.EDIT, "selected_users": crafted}
    text = await home_after(slack, admin, forged_click(slack, admin, element))
    assert "Owners: <@U0BOB>" in text and "<@U0BOB> is a Round Robin owner now." in text
    assert "4 of the people chosen could not be made Round Robin owners" in text
    assert "<!here>" not in text and "C0GENERAL" not in text
    assert rows(app, "SELECT slack_user_id FROM owners") == [(BOB,)]


async def test_owners_from_the_environment(tmp_path, slack, pd):
    app = AppProcess(tmp_path, slack.api_url, pd.url, ROUNDROBIN_OWNERS=CAROL)
    await app.start()
    try:
        carol = slack.user(CAROL)
        text = await open_settings(slack, carol)
        assert "ROUNDROBIN_OWNERS" in text
        carol.find(PagerDuty.CONNECT)
    finally:
        assert await app.stop() == 0


async def test_a_token_without_users_read_email_gets_a_warning_with_the_fix(tmp_path, slack, pd):
    slack.scopes = slack.scopes - {"users:read.email"}
    app = AppProcess(tmp_path, slack.api_url, pd.url)
    await app.start()
    try:
        text = await open_settings(slack, slack.user(ADMIN))
        assert (
            "Missing Slack scope users:read.email" in text or "Missing Slack scope `users:read.email`" in text
        )
        assert "reinstall" in text
    finally:
        assert await app.stop() == 0


async def test_healthz_reports_status_without_secrets(app, slack, pd):
    async with aiohttp.ClientSession() as http, http.get(app.url + "/healthz") as r:
        assert r.status == 200
        body = await r.json()
    assert body == {
        "status": "ok",
        "problems": [],
        "database": "ok",
        "socket_mode": "connected",
        "pagerduty": {"state": "not_connected"},
        "slack_effects": {"pending": 0, "stuck": 0},
        "webhooks": {"waiting": 0, "oldest_age_seconds": 0},
    }


async def test_secrets_never_reach_the_log(app, slack, pd):
    admin = slack.user(ADMIN)
    await open_settings(slack, admin)
    await modal_after(slack, admin, admin.click(PagerDuty.CONNECT))
    await admin.fill(PagerDuty.API_KEY_INPUT, API_KEY)
    await home_after(slack, admin, admin.submit())
    await slack.wait_for(lambda: any(r.path == "/schedules" for r in pd.requests))
    await app.stop()
    log = app.log_text()
    assert "level=DEBUG" in log or "level=INFO" in log
    for secret in (API_KEY, BOT_TOKEN, APP_TOKEN, app.env["ROUNDROBIN_SECRET_KEY"]):
        assert secret not in log


async def test_a_member_is_told_who_can_change_the_connection(app, slack, pd):
    admin, carol = slack.user(ADMIN), slack.user(CAROL)
    await open_settings(slack, admin)
    await home_after(slack, admin, admin.fill(Owners.EDIT, [BOB]))
    text = await open_settings(slack, carol)
    assert (
        "Only Slack workspace admins and Round Robin owners can change this connection. Ask <@U0BOB> or a "
        "workspace admin." in text
    )


async def test_sync_now_says_what_changed(app, slack, pd):
    from tests.e2e.first_week_steps import bind, connect_with_key, sync_now

    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, app)
    assert await sync_now(slack, admin) == (
        ":information_source: Sync finished: nobody changed hands. 2 schedules in PagerDuty, 0 rotations "
        "following them."
    )
    await bind(slack, admin, app)
    pd.set_on_call("PSPRIM", "PCAROL")
    assert "Sync finished: 1 hand-over (OPS). 2 schedules in PagerDuty, 1 rotation following it." in (
        await sync_now(slack, admin)
    )
