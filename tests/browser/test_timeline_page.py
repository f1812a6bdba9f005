"""The timeline page in Chromium (issue 19): Details › Open calendar on the demo opens the rotation's two
weeks through a link signed for the reader; a row per person, bars by why, today marked, next and
previous; then the same page on a phone. Screenshots land in tmp_path, and in $SCREENSHOTS_DIR when
set (the README's come from there: `SCREENSHOTS_DIR=docs/screenshots pytest tests/browser/test_timeline_page.py`)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser.conftest import PLAYWRIGHT_MISSING
from tests.browser.test_demo import button, dialog, main, open_rotations, pick, rotation

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING)
Page, expect = sync_api.Page, sync_api.expect


def shoot(page: Page, tmp_path: Path, name: str) -> None:
    for folder in filter(None, (tmp_path, os.environ.get("SCREENSHOTS_DIR"))):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_open_calendar_shows_two_weeks_a_row_per_person(page: Page, tmp_path: Path) -> None:
    open_rotations(page)
    button(main(page), "Create rotation").click()
    dialog(page).get_by_label("Name").fill("Platform")
    dialog(page).get_by_label("Code").fill("plat")
    members = dialog(page).get_by_role("combobox", name="Members, in turn order")
    for typed, name in (("Grace", "Grace Hopper"), ("Kath", "Katherine Johnson"), ("Alan", "Alan Turing")):
        pick(page, members, typed, name)
    dialog(page).get_by_label("Rotates").select_option(label="Daily, at a set time")
    button(dialog(page), "Create").click()
    expect(page.locator(".modal")).to_have_count(0)

    card = rotation(page, "Platform")
    card.get_by_role("button", name="More actions").click()
    page.get_by_role("menuitem", name="Rotate now").click()  # Grace's turn is history now
    expect(card).to_contain_text("On duty: @Katherine Johnson")
    card.get_by_role("button", name="More actions").click()
    page.get_by_role("menuitem", name="Details").click()
    expect(dialog(page)).to_contain_text("Calendar")

    # Ada (an admin) puts Grace on to cover Alan's coming turn, from the shift's menu in Details.
    alans = dialog(page).locator("[data-block-type=section]").filter(has_text=re.compile(r"· @?Alan Turing"))
    alans.first.get_by_role("button", name="More actions").click()
    page.get_by_role("menuitem", name="Cover Alan Turing…").click()
    expect(dialog(page)).to_contain_text("Who covers")
    dialog(page).get_by_label("Who covers").select_option(label="Grace Hopper")
    button(dialog(page), "Save").click()
    expect(main(page)).to_contain_text("@Grace Hopper covers @Alan Turing")
    card.get_by_role("button", name="More actions").click()
    page.get_by_role("menuitem", name="Details").click()
    expect(dialog(page)).to_contain_text("Calendar")
    with page.context.expect_page() as opened:
        dialog(page).get_by_role("button", name="Open calendar").click()
    timeline = opened.value
    timeline.wait_for_load_state()

    expect(timeline.locator("h1")).to_have_text("Platform (PLAT)")
    rows = timeline.locator(".chart .row .who")
    expect(rows).to_have_text(["", "Grace Hopper", "Katherine Johnson", "Alan Turing"])
    expect(timeline.locator(".days > span")).to_have_count(14)
    expect(timeline.locator(".days .today")).to_have_count(1)
    expect(timeline.locator(".now")).to_have_count(3)  # the line of now, on each person's row
    katherine = timeline.locator(".row").filter(has_text="Katherine Johnson")
    expect(katherine.locator(".bar.turn").first).to_be_visible()
    expect(timeline.locator(".bar.turn.past")).to_have_count(1)  # Grace's turn, as recorded
    grace = timeline.locator(".row").filter(has_text="Grace Hopper")
    expect(grace.locator(".bar.cover")).to_have_count(1)  # Alan's turn, covered
    expect(timeline.locator("table")).to_contain_text("Cover (Grace Hopper covers Alan Turing)")
    expect(timeline.locator("table")).to_contain_text("Katherine Johnson")
    assert timeline.evaluate("document.scripts.length") == 0, "plain HTML and CSS"
    shoot(timeline, tmp_path, "timeline-page")

    # Next two weeks, then back (both links signed like the first).
    timeline.get_by_role("link", name="Next two weeks ›").click()
    expect(timeline.locator(".days .today")).to_have_count(0)
    expect(timeline.locator(".bar.turn").first).to_be_visible()
    timeline.get_by_role("link", name="Today").click()
    expect(timeline.locator(".days .today")).to_have_count(1)

    # On a phone: the rows fit the screen, nothing scrolls sideways, the table is beneath.
    timeline.set_viewport_size({"width": 390, "height": 844})
    width = timeline.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px screen"
    expect(timeline.locator("table")).to_be_visible()
    shoot(timeline, tmp_path, "timeline-page-phone")

    # A link someone changed is refused with a page that says what to do.
    timeline.goto(re.sub(r"sig=[^&]+", "sig=forged", timeline.url))
    expect(timeline.locator("h1")).to_have_text("This link is not one Round Robin made")
    expect(timeline.locator("body")).to_contain_text("Open calendar")
