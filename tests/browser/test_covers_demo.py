"""Covers and time away on the demo page (issue 18): the person on duty asks for cover from their
card, a teammate takes it from the DM, the card says who covers whom; and time away is set and
removed from App Home › Settings."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PLAYWRIGHT_MISSING
from tests.browser.test_demo import button, dialog, main, open_rotations, rotation
from tests.browser.test_mentions import act_as, create_desk, messages_tab

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING)
Page, expect = sync_api.Page, sync_api.expect


def test_cover_me_is_taken_from_the_dm_and_the_card_says_so(page: Page) -> None:
    create_desk(page)  # Grace on duty, Katherine next
    act_as(page, "Grace Hopper")
    open_rotations(page)
    on_duty = main(page).locator("[data-block-type=actions][data-block-id^='on_duty:']")
    button(on_duty, "Cover me…").click()
    expect(dialog(page)).to_contain_text("Ask for cover")
    dialog(page).get_by_label("Note").fill("Dentist at 10")
    button(dialog(page), "Ask").click()
    expect(page.locator(".modal")).to_have_count(0)

    act_as(page, "Katherine Johnson")
    offer = messages_tab(page).filter(has_text="asks for cover")
    expect(offer).to_contain_text("@Grace Hopper asks for cover on")
    expect(offer).to_contain_text("Dentist at 10")
    button(offer, "I'll cover").click()
    expect(messages_tab(page).filter(has_text="Thank you!")).to_have_count(1)

    page.get_by_role("tab", name="Home").click()
    open_rotations(page)
    expect(rotation(page, "Support desk")).to_contain_text(
        "On duty: @Katherine Johnson (covering @Grace Hopper)"
    )
    act_as(page, "Grace Hopper")
    expect(messages_tab(page).filter(has_text="covers you on")).to_have_count(1)


def test_time_away_is_added_and_removed_in_settings(page: Page) -> None:
    act_as(page, "Katherine Johnson")
    button(main(page), "Settings").click()
    expect(main(page)).to_contain_text("My time away")
    expect(main(page)).to_contain_text("None planned")
    button(main(page), "Add time away…").click()
    expect(dialog(page)).to_contain_text("every rotation you are in passes you over")
    dialog(page).get_by_label("Note").fill("Holiday in Lisbon")
    button(dialog(page), "Save").click()
    expect(page.locator(".modal")).to_have_count(0)
    expect(main(page)).to_contain_text("— Holiday in Lisbon")
    button(main(page), "Remove 1").click()
    expect(main(page)).to_contain_text("None planned")
