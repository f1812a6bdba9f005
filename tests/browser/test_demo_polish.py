"""The demo page behaving like Slack's client where a new user trips (issue 16, item 9).

Double-clicks, unread badges, where a conversation opens, permalinks, joining a channel, the Find
box after a delete, field errors out of view, a reload mid-form, the composer's example, the
simulated PagerDuty's consent page and a quiet console.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PLAYWRIGHT_MISSING, DemoProcess
from tests.browser.test_demo import button, channel, dialog, main, open_rotations, pick, rotation
from tests.browser.test_mentions import act_as, create_desk, messages_tab, say

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING)
Locator, Page, expect = sync_api.Locator, sync_api.Page, sync_api.expect


def alerts(page: Page) -> Locator:
    return page.locator("#toasts [role=alert]")


def say_as(page: Page, demo: DemoProcess, user: str, channel_id: str, text: str) -> None:
    """Someone else writes (through the same JSON API the page uses), while this page looks on."""
    answer = page.request.post(f"{demo.url}api/say", data={"user": user, "channel": channel_id, "text": text})
    assert answer.ok, answer.text()


def test_double_clicks_do_what_one_click_does(page: Page, demo: DemoProcess) -> None:
    open_rotations(page)
    button(main(page), "Create rotation").click()
    dialog(page).get_by_label("Name").fill("Support desk")
    dialog(page).get_by_label("Code").fill("DESK")
    pick(page, dialog(page).get_by_role("combobox", name="Members, in turn order"), "Grace", "Grace Hopper")
    button(dialog(page), "Create").dblclick()
    expect(page.locator(".modal")).to_have_count(0)
    expect(main(page)).to_contain_text("Created Support desk (DESK)")

    # Round Robin's menu, twice on Close: the second press finds no modal, and Slack ignores it.
    rotation(page, "Support desk").get_by_role("button", name="More actions").click()
    page.get_by_role("menuitem", name="Details").click()
    expect(dialog(page)).to_contain_text("Support desk (DESK)")
    page.locator(".modal.top [data-modal-button=close]").dblclick()
    expect(page.locator(".modal")).to_have_count(0)

    # Grace takes a request with a double-click on ACK: the buttons are gone after the first.
    say(page, "general", "@Round Robin DESK the printer is on fire")
    act_as(page, "Grace Hopper")
    offer = messages_tab(page).filter(has_text="asked Support desk")
    button(offer, "ACK").dblclick()
    expect(offer).to_contain_text("You took it")
    page.wait_for_timeout(500)  # a late error would show by now
    expect(alerts(page)).to_have_count(0)
    assert "aiohttp.access" not in demo.log()  # the console tells what happens, not every HTTP call
    assert "ready: web server" in demo.log()


def test_unread_badges_for_dms_and_channels(page: Page, demo: DemoProcess) -> None:
    create_desk(page)  # Grace on duty
    say(page, "general", "@Round Robin DESK is anyone there?")
    act_as(page, "Grace Hopper")
    app = page.locator("[data-nav=app]")
    expect(app.locator(".badge")).to_have_attribute("title", "1 new")  # the request, waiting in her DMs
    expect(page.get_by_role("tab", name=re.compile("^Messages")).locator(".badge")).to_have_attribute(
        "title", "1 new"
    )
    expect(channel(page, "general").locator(".badge")).to_have_attribute("title", "1 new")  # Ada's question
    messages_tab(page).filter(has_text="asked Support desk").wait_for()
    expect(app.locator(".badge")).to_have_count(0)
    channel(page, "general").click()
    expect(channel(page, "general").locator(".badge")).to_have_count(0)

    say_as(page, demo, "U01ADA", "C02OPS", "standup in 5")
    expect(channel(page, "ops").locator(".badge")).to_have_attribute("title", "1 new")
    page.reload()  # read marks are kept: nothing read comes back as new
    expect(channel(page, "ops").locator(".badge")).to_have_attribute("title", "1 new")
    expect(channel(page, "general").locator(".badge")).to_have_count(0)
    expect(app.locator(".badge")).to_have_count(0)


def test_a_channel_opens_at_its_newest_message_and_a_permalink_at_its_thread(
    page: Page, demo: DemoProcess
) -> None:
    create_desk(page)
    say(page, "general", "@Round Robin DESK the printer is on fire")
    for n in range(40):
        say_as(page, demo, "U04KATH", "C01GENERAL", f"chatter {n}")
    channel(page, "ops").click()
    channel(page, "general").click()
    messages = main(page).locator(".messages > .message")
    expect(messages.last).to_contain_text("chatter 39")
    expect(messages.last).to_be_in_viewport()
    expect(messages.first).not_to_be_in_viewport()

    say_as(page, demo, "U04KATH", "C01GENERAL", "one more")  # read at the bottom: it follows
    expect(messages.last).to_contain_text("one more")
    expect(messages.last).to_be_in_viewport()

    act_as(page, "Grace Hopper")
    messages_tab(page).filter(has_text="asked Support desk").get_by_role(
        "link", name="Open the thread"
    ).click()
    asked = main(page).locator(".message").filter(has_text="the printer is on fire").first
    expect(page.get_by_role("heading", name="#general")).to_be_visible()
    expect(asked).to_be_in_viewport()
    expect(main(page).locator(".thread")).to_be_in_viewport()


def test_a_channel_you_are_not_in_offers_to_join(page: Page) -> None:
    channel(page, "support").click()  # Ada is not in #support
    expect(page.get_by_label("Message #support")).to_have_count(0)
    expect(main(page)).to_contain_text("You are viewing #support")
    button(main(page), "Join channel").click()
    expect(main(page).locator(".message.system")).to_have_text("Ada Lovelace joined #support.")
    composer = page.get_by_label("Message #support")
    expect(composer).to_be_focused()
    composer.fill("hello all")
    composer.press("Enter")
    expect(main(page).locator(".message.from-person")).to_contain_text("hello all")
    expect(page.locator("#toasts [role=alert]")).to_have_count(0)


def test_the_composer_names_only_codes_that_exist(page: Page) -> None:
    channel(page, "general").click()
    composer = page.get_by_label("Message #general")
    placeholder = composer.get_attribute("placeholder") or ""
    assert "/rr help" in placeholder and not re.search(r"@Round Robin [A-Z]", placeholder), placeholder
    page.locator("[data-nav=app]").click()
    create_desk(page)
    channel(page, "general").click()
    expect(composer).to_have_attribute("placeholder", re.compile("try @Round Robin DESK "))


def test_the_find_box_forgets_a_deleted_rotation(page: Page) -> None:
    create_desk(page)
    find = main(page).get_by_role("combobox", name="Find a rotation…")
    pick(page, find, "desk", "Support desk (DESK)")
    expect(dialog(page)).to_contain_text("Recent changes")
    page.keyboard.press("Escape")
    expect(find).to_have_value("Support desk (DESK)")  # as in Slack: the pick stays while the tab does
    rotation(page, "Support desk").get_by_role("button", name="More actions").click()
    page.get_by_role("menuitem", name="Delete…").click()
    button(dialog(page), "Delete").click()
    expect(main(page)).to_contain_text("Deleted Support desk (DESK)")
    expect(find).to_have_value("")


def test_a_field_error_is_brought_into_view(page: Page) -> None:
    open_rotations(page)
    button(main(page), "Create rotation").click()
    body = dialog(page).locator(".modal-body")
    body.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    name_error = dialog(page).locator("[data-block-id='rot_name'] .field-error")
    button(dialog(page), "Create").click()
    expect(name_error).to_contain_text("required")
    expect(name_error).to_be_in_viewport()

    dialog(page).get_by_label("Name").fill("Support desk")
    dialog(page).get_by_label("Code").fill("-bad-")
    body.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    button(dialog(page), "Create").click()  # the app's own error, under Code
    code_error = dialog(page).locator("[data-block-id='rot_code'] .field-error")
    expect(code_error).to_be_visible()
    expect(code_error).to_be_in_viewport()


def test_what_was_typed_in_a_modal_survives_a_reload(page: Page) -> None:
    open_rotations(page)
    button(main(page), "Create rotation").click()
    dialog(page).get_by_label("Name").fill("Support desk")
    dialog(page).get_by_label("Description").fill("Printers, badges and the coffee machine")
    page.reload()  # at once: before the typing pause that sends it
    expect(dialog(page).get_by_label("Name")).to_have_value("Support desk")
    expect(dialog(page).get_by_label("Description")).to_have_value("Printers, badges and the coffee machine")
    button(dialog(page), "Create").click()
    expect(main(page)).to_contain_text("Created Support desk")
    rotation(page, "Support desk").get_by_role("button", name="More actions").click()
    page.get_by_role("menuitem", name="Details").click()
    expect(dialog(page)).to_contain_text("Printers, badges and the coffee machine")


def test_the_pagerduty_consent_page_looks_like_one(page: Page) -> None:
    button(main(page), "Settings").click()
    button(main(page), "Connect").click()
    button(dialog(page), "Connect with OAuth").click()
    panel = page.get_by_role("complementary", name="Behind the scenes")
    dialog(page).get_by_label("Client ID").fill(panel.locator("[data-credential=client_id]").inner_text())
    dialog(page).get_by_label("Client Secret").fill(
        panel.locator("[data-credential=client_secret]").inner_text()
    )
    button(dialog(page), "Save").click()
    with page.expect_popup() as opened:
        dialog(page).get_by_role("button", name=re.compile("Open PagerDuty")).click()
    consent = opened.value
    expect(consent.locator("header.brand")).to_contain_text("PagerDuty")
    expect(consent.locator("main")).to_have_css("max-width", "520px")
    expect(consent.locator(".scopes")).to_contain_text("See your schedules")
    approve = consent.get_by_role("link", name="Approve")
    expect(approve).to_have_css("background-color", "rgb(4, 138, 36)")
    expect(consent.get_by_role("link", name="Deny")).to_be_visible()
