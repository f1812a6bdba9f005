"""Walkthrough: connect PagerDuty with an API key (DESIGN.md, word for word)."""

import sqlite3

import pytest

from roundrobin.sim.slack_user import ConfirmRequired
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
