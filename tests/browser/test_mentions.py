"""The @Round Robin mention flow on the demo page: ask in a channel, answer with PASS and ACK in DMs.

Every message typed here reaches the real app as an app_mention event, and every button in a DM as
block_actions from a message, through the simulated Slack.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import PLAYWRIGHT_MISSING
from tests.browser.test_demo import button, channel, dialog, main, open_rotations, pick

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING)
Page, expect = sync_api.Page, sync_api.expect


def act_as(page: Page, name: str) -> None:
    page.get_by_label("Acting as").select_option(label=f"{name} (member)")
    expect(main(page).locator("[data-action-id='home.tab.rotations']")).to_be_visible()


def messages_tab(page: Page):
    page.get_by_role("tab", name="Messages").click()
    return main(page).locator(".message.from-app")


def create_desk(page: Page) -> None:
    open_rotations(page)
    button(main(page), "Create rotation").click()
    dialog(page).get_by_label("Name").fill("Support desk")
    dialog(page).get_by_label("Code").fill("desk")
    members = dialog(page).get_by_role("combobox", name="Members, in turn order")
    pick(page, members, "Grace", "Grace Hopper")
    pick(page, members, "Kath", "Katherine Johnson")
    button(dialog(page), "Create").click()
    expect(page.locator(".modal")).to_have_count(0)


def say(page: Page, where: str, text: str) -> None:
    channel(page, where).click()
    composer = page.get_by_label(f"Message #{where}")
    composer.fill(text)
    composer.press("Enter")
    expect(composer).to_have_value("")


def test_a_mention_is_passed_on_then_acked_from_the_dms(page: Page) -> None:
    create_desk(page)  # Grace on duty, Katherine next
    say(page, "general", "@Round Robin DESK the printer is on fire <b>now</b> & then")

    asked = main(page).locator(".message.from-person").filter(has_text="the printer is on fire")
    expect(asked).to_contain_text("Ada Lovelace")
    expect(asked).to_contain_text("@Round Robin DESK the printer is on fire <b>now</b> & then")
    thread = main(page).locator(".thread")
    expect(thread).to_contain_text("I've asked @Grace Hopper for Support desk (DESK)")

    # Grace's DM offers it, with what Ada typed shown as text, and ACK / PASS.
    act_as(page, "Grace Hopper")
    offer = messages_tab(page).filter(has_text="asked Support desk")
    expect(offer).to_contain_text("@Ada Lovelace asked Support desk (DESK) in #general")
    expect(offer).to_contain_text("the printer is on fire <b>now</b> & then")
    expect(offer.locator("b")).to_have_count(0)
    expect(button(offer, "ACK")).to_be_enabled()
    button(offer, "PASS").click()
    expect(offer).to_contain_text("You passed it on to @Katherine Johnson")
    expect(button(offer, "ACK")).to_have_count(0)

    # Katherine gets it, takes it; Ada's thread says who has it.
    act_as(page, "Katherine Johnson")
    offer = messages_tab(page).filter(has_text="asked Support desk")
    expect(offer).to_contain_text("@Grace Hopper passed it to you")
    button(offer, "ACK").click()
    expect(offer).to_contain_text("You took it. @Ada Lovelace was told in the thread.")
    offer.get_by_role("link", name="Open the thread").click()  # the permalink opens #general here
    expect(page.get_by_role("heading", name="#general")).to_be_visible()
    thread = main(page).locator(".thread")
    expect(thread).to_contain_text("@Grace Hopper passed. I've asked @Katherine Johnson instead.")
    expect(thread).to_contain_text("@Ada Lovelace, @Katherine Johnson has it.")
    expect(thread.locator(".thread-count")).to_have_text("3 replies")


def test_a_mention_with_an_unknown_code_is_answered_in_its_thread(page: Page) -> None:
    create_desk(page)
    say(page, "general", "@Round Robin HELPDESK anyone?")
    expect(main(page).locator(".thread")).to_contain_text("There is no rotation with the code HELPDESK")
    expect(main(page).locator(".thread")).to_contain_text("Did you mean DESK?")
    act_as(page, "Linus Pauling")
    say(page, "support", "@Round Robin DESK hello?")  # Round Robin is not in #support
    expect(page.get_by_role("status").filter(has_text="Round Robin is not in #support")).to_be_visible()
