"""A rotation's Notifications on the demo page: a channel topic that follows duty, and DMs.

Details › Notifications… with a live preview; then /rr rotate moves the topic of #ops and sends
the people going on and off duty a DM, all drawn by the page from what the simulated Slack holds.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import PLAYWRIGHT_MISSING
from tests.browser.test_demo import button, channel, dialog, main, pick, rotation
from tests.browser.test_mentions import act_as, create_desk, messages_tab

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING)
Page, expect = sync_api.Page, sync_api.expect


def test_the_topic_and_the_dms_follow_a_rotate(page: Page) -> None:
    create_desk(page)  # Grace on duty, Katherine next
    desk = rotation(page, "Support desk")
    desk.get_by_role("button", name="More actions").click()
    page.get_by_role("menuitem", name="Details").click()
    button(dialog(page), "Notifications…").click()
    expect(dialog(page)).to_contain_text("How Support desk tells people")

    pick(page, dialog(page).get_by_role("combobox", name="Keep these channels' topic"), "op", "#ops")
    dialog(page).get_by_label("DM the person going on duty").check()
    dialog(page).get_by_label("DM the person going off duty").check()
    dialog(page).get_by_label("Channel topic (plain text)").fill("On duty: %USER_TEXTONLY% <3")
    expect(dialog(page)).to_contain_text("Preview: On duty: Grace Hopper ‹3")
    button(dialog(page), "Save").click()
    expect(page.locator(".modal")).to_have_count(0)

    channel(page, "ops").click()
    expect(main(page).locator(".main-header .topic")).to_have_text(
        "On duty: Grace Hopper ‹3"
    )  # a topic holds no < or >

    composer = page.get_by_label("Message #ops")
    composer.fill("/rr rotate DESK")
    composer.press("Enter")
    expect(main(page).locator(".message.ephemeral")).to_contain_text("@Katherine Johnson is on duty now")
    expect(main(page).locator(".main-header .topic")).to_have_text("On duty: Katherine Johnson ‹3")

    act_as(page, "Katherine Johnson")
    expect(messages_tab(page).filter(has_text="You are on duty for Support desk")).to_have_count(1)
    act_as(page, "Grace Hopper")
    expect(messages_tab(page).filter(has_text="took over")).to_have_count(1)
