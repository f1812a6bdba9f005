"""Walkthrough: connect PagerDuty with an API key (DESIGN.md, word for word)."""

import sqlite3

import pytest

from roundrobin.sim.slack import ConfirmRequired
from roundrobin.slack.ids import PagerDuty
from tests.e2e.conftest import ADMIN, API_KEY, BOB
from tests.e2e.steps import forged_click, home_after, modal_after, open_settings

pytestmark = pytest.mark.e2e


def stored_connection(app) -> list:
    with sqlite3.connect(app.db_path) as db:
        return db.execute(
            "SELECT method, api_key_enc, api_key_last4, pd_account FROM pagerduty_connection"
        ).fetchall()


async def test_bad_key_is_refused_in_the_modal_and_nothing_is_stored(app, slack, pd):
    admin = slack.user(ADMIN)
    text = await open_settings(slack, admin)
    assert "Integrations" in text and "PagerDuty" in text and "Not connected" in text

    modal = await modal_after(slack, admin, admin.click(PagerDuty.CONNECT))
    assert modal["submit"]["text"] == "Connect with API Key"
    assert "US" in admin.text(modal) and "EU" in admin.text(modal)
    await admin.fill(PagerDuty.API_KEY_INPUT, "u+wrongKeyWrongKey")
    result = await admin.submit()

    assert list(result["errors"]) == [PagerDuty.API_KEY_BLOCK]
    assert result["errors"][PagerDuty.API_KEY_BLOCK].startswith("PagerDuty rejected this key")
    assert admin.modal is not None, "the modal stays open with the error under the field"
    assert stored_connection(app) == []


async def test_good_key_connects_and_the_card_shows_the_last_four(app, slack, pd):
    admin = slack.user(ADMIN)
    await open_settings(slack, admin)
    await modal_after(slack, admin, admin.click(PagerDuty.CONNECT))
    await admin.fill(PagerDuty.API_KEY_INPUT, API_KEY)
    text = await home_after(slack, admin, admin.submit())

    assert admin.modal is None
    assert "Connected with API key ending in …Abcd" in text
    assert "acme.pagerduty.com" in text and "Region: US" in text
    assert API_KEY not in text
    [(method, encrypted, last4, account)] = stored_connection(app)
    assert (method, last4, account) == ("api_key", "Abcd", "acme.pagerduty.com")
    assert API_KEY not in encrypted and API_KEY.encode() not in app.db_path.read_bytes()
    # the key was checked with PagerDuty before it was stored
    checks = [r for r in pd.requests if r.path == "/users" and r.auth == "api_key"]
    assert checks and checks[0].query.get("limit") == ["1"]


async def test_pagerduty_unreachable_is_a_field_error_and_nothing_is_stored(app, slack, pd):
    admin = slack.user(ADMIN)
    await open_settings(slack, admin)
    await modal_after(slack, admin, admin.click(PagerDuty.CONNECT))
    pd.outage = True
    await admin.fill(PagerDuty.API_KEY_INPUT, API_KEY)
    result = await admin.submit()
    assert "could not be reached" in result["errors"][PagerDuty.API_KEY_BLOCK]
    assert stored_connection(app) == []


async def test_a_member_sees_the_card_but_no_controls_and_forged_actions_are_refused(app, slack, pd):
    bob = slack.user(BOB)
    text = await open_settings(slack, bob)
    assert "Not connected" in text
    assert "Only Slack workspace admins and Round Robin owners" in text
    with pytest.raises(LookupError):
        bob.find(PagerDuty.CONNECT)

    # A button Bob does not see: refused, and he is told why where he is (his App Home).
    text = await home_after(
        slack, bob, forged_click(slack, bob, {"type": "button", "action_id": PagerDuty.CONNECT})
    )
    assert "Only Slack workspace admins and owners, and Round Robin owners, can do that." in text
    assert bob.modal is None

    # The admin's modal, submitted as Bob: refused under the field, nothing stored.
    admin = slack.user(ADMIN)
    await open_settings(slack, admin)
    modal = await modal_after(slack, admin, admin.click(PagerDuty.CONNECT))
    await admin.fill(PagerDuty.API_KEY_INPUT, API_KEY)
    view = {**modal, "state": {"values": admin.values()}}
    ack = await slack.forge(BOB, "view_submission", view=view, response_urls=[])
    assert ack["response_action"] == "errors"
    assert "Only Slack workspace admins" in ack["errors"][PagerDuty.API_KEY_BLOCK]
    assert stored_connection(app) == []
    assert not [r for r in pd.requests if r.auth == "api_key"], (
        "a refused key is never even sent to PagerDuty"
    )


async def test_disconnect_asks_first_then_forgets_the_key(app, slack, pd):
    admin = slack.user(ADMIN)
    await open_settings(slack, admin)
    await modal_after(slack, admin, admin.click(PagerDuty.CONNECT))
    await admin.fill(PagerDuty.API_KEY_INPUT, API_KEY)
    await home_after(slack, admin, admin.submit())

    with pytest.raises(ConfirmRequired):
        await admin.click(PagerDuty.DISCONNECT)
    dialog = admin.find(PagerDuty.DISCONNECT)["confirm"]
    assert "revert to Manual" in dialog["text"]["text"]
    text = await home_after(slack, admin, admin.click(PagerDuty.DISCONNECT, confirm=True))
    assert "Not connected" in text and "PagerDuty disconnected" in text
    assert stored_connection(app) == []


async def test_edit_connection_shows_what_it_can_and_changes_the_region_alone(app, slack, pd):
    admin = slack.user(ADMIN)
    await open_settings(slack, admin)
    await modal_after(slack, admin, admin.click(PagerDuty.CONNECT))
    await admin.fill(PagerDuty.API_KEY_INPUT, API_KEY)
    await home_after(slack, admin, admin.submit())
    assert admin.find(PagerDuty.CONNECT)["text"]["text"] == "Edit connection"
    [(_, stored_key, _, _)] = stored_connection(app)

    modal = await modal_after(slack, admin, admin.click(PagerDuty.CONNECT))
    assert modal["title"]["text"] == "Edit connection" and modal["submit"]["text"] == "Save"
    assert "Connected with the key ending in …Abcd" in admin.text(modal)
    assert admin.find(PagerDuty.REGION_INPUT)["initial_option"]["value"] == "us"

    def key_checks() -> int:  # the check reads one user; a sync reads them all
        return len([r for r in pd.requests if r.path == "/users" and r.query.get("limit") == ["1"]])

    checks = key_checks()
    await admin.fill(PagerDuty.REGION_INPUT, "eu")
    assert await admin.submit() == {}, "the key field may stay empty: the stored key is kept"
    await slack.wait_for(lambda: "Saved: the same API key, EU service region." in admin.text())
    assert "Region: EU" in admin.text() and "…Abcd" in admin.text()
    with sqlite3.connect(app.db_path) as db:
        assert db.execute("SELECT region, api_key_enc FROM pagerduty_connection").fetchall() == [
            ("eu", stored_key)
        ]
    assert key_checks() == checks + 1, "the stored key was checked in the new region before it was saved"


async def test_disconnect_names_the_rotations_that_must_be_bound_again(app, slack, pd):
    from tests.e2e.first_week_steps import bind, connect_with_key, settings_tab

    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, app)
    await bind(slack, admin, app)
    await settings_tab(slack, admin, "1 bound rotation")
    dialog = admin.find(PagerDuty.DISCONNECT)["confirm"]["text"]["text"]
    assert dialog == (
        "The stored credentials will be deleted. Ops primary (OPS) will revert to Manual. It keeps its "
        "members and who is on duty. After reconnecting, bind it to its schedule again in Edit."
    )
    await admin.click(PagerDuty.DISCONNECT, confirm=True)
    await slack.wait_for(
        lambda: (
            "1 PagerDuty-bound rotation reverted to Manual (OPS). After connecting again, bind it to its "
            "schedule again in Edit." in admin.text()
        )
    )
