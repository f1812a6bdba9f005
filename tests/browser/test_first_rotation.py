"""A member's first rotation on the demo page (issue 9): the time zone starts as theirs in Slack, the
code is made from the name, the card says when it hands over, and the person on duty hands over."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PLAYWRIGHT_MISSING

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING)
Locator, Page, expect = sync_api.Locator, sync_api.Page, sync_api.expect


def main(page: Page) -> Locator:
    return page.locator("#main")


def dialog(page: Page) -> Locator:
    return page.locator(".modal.top")


def button(scope: Page | Locator, name: str) -> Locator:
    return scope.get_by_role("button", name=name, exact=True)


def pick(page: Page, field: Locator, typed: str, option: str) -> None:
    field.click()
    field.press_sequentially(typed)
    page.get_by_role("listbox").get_by_role("option", name=option).click()


def test_a_members_first_rotation_in_their_own_time_zone(page: Page) -> None:
    page.get_by_label("Acting as").select_option(label="Alan Turing (member)")
    expect(page.get_by_label("Acting as")).to_have_value("U03ALAN")
    button(main(page), "Rotations").click()
    button(main(page), "Create rotation").click()
    expect(dialog(page)).to_contain_text("New rotation")
    expect(dialog(page)).to_contain_text("single hyphens")  # the code's rules, all of them

    dialog(page).get_by_label("Name").fill("Code review")
    members = dialog(page).get_by_role("combobox", name="Members, in turn order")
    pick(page, members, "Alan", "Alan Turing")
    pick(page, members, "Grace", "Grace Hopper")
    dialog(page).get_by_label("Rotates").select_option(label="Daily, at a set time")

    # Alan's Slack profile says Europe/London: the new rotation starts there, not in UTC.
    zone = dialog(page).get_by_role("combobox", name="Time zone")
    expect(zone).to_have_value("Europe/London")
    expect(dialog(page)).to_contain_text("An IANA time zone")
    expect(dialog(page)).to_contain_text("First hand-over")
    expect(dialog(page).get_by_label("Code")).to_have_attribute("placeholder", "CODE")
    button(dialog(page), "Create").click()
    expect(page.locator(".modal")).to_have_count(0)
    expect(main(page)).to_contain_text("Created Code review (CODE)")

    card = main(page).locator("[data-block-type=section]").filter(has_text=re.compile("^Code review "))
    expect(card).to_contain_text(re.compile(r"Every day at \d{1,2}:\d\d"))  # the reader's own clock
    expect(card).not_to_contain_text("Manual")
    expect(card).to_contain_text("On duty: @Alan Turing")

    # Alan is on duty, and done: one press (and a confirmation) hands over to Grace.
    done = main(page).locator("[data-block-type=section]").filter(has_text="You are on duty")
    expect(done).to_contain_text("hand over to @Grace Hopper")
    # The buttons sit under the words, in the card's own actions block.
    button(
        main(page).locator("[data-block-type=actions][data-block-id^='on_duty:']"), "I'm done: hand over"
    ).click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("@Grace Hopper goes on duty for Code review now")
    button(confirm, "Hand over").click()
    expect(main(page)).to_contain_text("You handed Code review over")
    expect(card).to_contain_text("On duty: @Grace Hopper")
    expect(main(page).locator("[data-block-type=section]").filter(has_text="You are on duty")).to_have_count(
        0
    )
