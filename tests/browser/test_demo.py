"""Walks through the demo page in a real browser, clicking as a person would.

Each test gets its own `python app.py --demo`: the page plays Slack, every click reaches the real
app as a Socket Mode envelope, and the "Behind the scenes" panel shows the simulated PagerDuty and
what Slack holds (user groups, channel messages, the credentials to paste).
"""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.conftest import PLAYWRIGHT_MISSING, ROOT

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING)
Locator, Page, expect = sync_api.Locator, sync_api.Page, sync_api.expect


# --- what a person looks at ---------------------------------------------------------------------


def main(page: Page) -> Locator:
    return page.locator("#main")


def dialog(page: Page) -> Locator:
    return page.locator(".modal.top")


def panel(page: Page) -> Locator:
    return page.get_by_role("complementary", name="Behind the scenes")


def rotation(page: Page, name: str) -> Locator:
    """A rotation's summary in the Rotations tab (the section that starts with its name)."""
    return main(page).locator("[data-block-type=section]").filter(has_text=re.compile(f"^{re.escape(name)} "))


def credential(page: Page, name: str) -> str:
    return panel(page).locator(f"[data-credential={name}]").inner_text()


def button(scope: Page | Locator, name: str) -> Locator:
    return scope.get_by_role("button", name=name, exact=True)


def channel(page: Page, name: str) -> Locator:
    """A channel in the sidebar (its accessible name may go on with ", new messages: N")."""
    return page.get_by_role("navigation").get_by_role("button", name=re.compile(f"^{name}\\b"))


# --- steps ------------------------------------------------------------------------------------------


def open_settings(page: Page) -> None:
    button(main(page), "Settings").click()
    expect(main(page)).to_contain_text("Integrations")


def open_rotations(page: Page) -> None:
    button(main(page), "Rotations").click()
    expect(main(page).locator("[data-action-id='rot.create']")).to_be_visible()


def connect_with_api_key(page: Page) -> None:
    open_settings(page)
    button(main(page), "Connect").click()
    expect(dialog(page)).to_contain_text("Connect with an API key")
    dialog(page).get_by_label("API key").fill(credential(page, "api_key"))
    button(dialog(page), "Connect with API Key").click()
    expect(page.locator(".modal")).to_have_count(0)
    expect(main(page)).to_contain_text("Connected with API key ending in …7Q2w")


def reopen_until(page: Page, reopen, target: Locator, text: str, timeout: float = 15.0) -> None:
    """The App Home shows what the app last published: reopen it until `text` shows (a sync is
    running in the background), as a person would press the tab again."""
    deadline = time.monotonic() + timeout
    while text not in " ".join(target.all_text_contents()) and time.monotonic() < deadline:
        page.wait_for_timeout(300)
        reopen()
    expect(target).to_contain_text(text)


def pick(page: Page, field: Locator, typed: str, option: str) -> None:
    """Type into a picker (users, channels, type-ahead) and choose one of the options it offers."""
    field.click()
    field.press_sequentially(typed)
    page.get_by_role("listbox").get_by_role("option", name=option).click()


# --- the walks ----------------------------------------------------------------------------------------


def test_connect_with_an_api_key_after_a_wrong_one_then_disconnect(page: Page) -> None:
    expect(page.get_by_label("Acting as")).to_have_value("U01ADA")
    open_settings(page)
    expect(main(page)).to_contain_text("Not connected")
    button(main(page), "Connect").click()
    expect(dialog(page)).to_contain_text("Connect PagerDuty")

    dialog(page).get_by_label("API key").fill("not-the-demo-key")
    button(dialog(page), "Connect with API Key").click()
    error = dialog(page).locator("[data-block-id='pd_api_key'] .field-error")
    expect(error).to_contain_text("PagerDuty rejected this key")

    # The panel stays usable beside the modal: copy the demo key there, paste it here.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    panel(page).get_by_role("button", name="Copy API key").click()
    expect(page.get_by_role("status").filter(has_text="API key copied")).to_be_visible()
    field = dialog(page).get_by_label("API key")
    field.fill("")
    field.press("Control+V")
    expect(field).to_have_value(credential(page, "api_key"))
    button(dialog(page), "Connect with API Key").click()
    expect(page.locator(".modal")).to_have_count(0)
    expect(main(page)).to_contain_text("Connected with API key ending in …7Q2w")
    expect(main(page)).to_contain_text("Account: northwind")

    # Disconnect asks first; Cancel changes nothing.
    button(main(page), "Disconnect").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("Disconnect PagerDuty?")
    expect(confirm).to_contain_text("will revert to Manual")
    button(confirm, "Cancel").click()
    expect(confirm).to_have_count(0)
    expect(main(page)).to_contain_text("Connected with API key")
    button(main(page), "Disconnect").click()
    button(page.get_by_role("alertdialog"), "Disconnect").click()
    expect(main(page)).to_contain_text("Not connected")
    expect(main(page)).to_contain_text("PagerDuty disconnected")


def test_connect_with_oauth_through_the_consent_page(page: Page) -> None:
    open_settings(page)
    button(main(page), "Connect").click()
    button(dialog(page), "Connect with OAuth").click()
    expect(dialog(page)).to_contain_text("Register an app in PagerDuty")
    expect(dialog(page)).to_contain_text("/api/integrations/pagerduty/login/callback")
    dialog(page).get_by_label("Client ID").fill(credential(page, "client_id"))
    dialog(page).get_by_label("Client Secret").fill(credential(page, "client_secret"))
    button(dialog(page), "Save").click()
    expect(dialog(page)).to_contain_text("Now approve Round Robin in PagerDuty")
    expect(main(page)).to_contain_text("Login pending")

    with page.expect_popup() as opened:
        dialog(page).get_by_role("button", name=re.compile("Open PagerDuty")).click()
    consent = opened.value
    expect(consent.locator("h1")).to_contain_text("as Ada Lovelace")
    consent.get_by_role("link", name="Approve").click()
    expect(consent.locator("h1")).to_contain_text("PagerDuty connected")
    consent.get_by_role("link", name="Back to Round Robin in Slack").click()
    # app_redirect brings the browser back to the demo page: Slack, for this demo
    expect(consent.locator("#main")).to_contain_text("Connected with OAuth as Ada Lovelace")
    expect(main(page)).to_contain_text("Connected with OAuth as Ada Lovelace")
    expect(dialog(page)).to_contain_text("PagerDuty is connected")
    button(dialog(page), "Close").click()
    expect(page.locator(".modal")).to_have_count(0)


def test_create_a_manual_rotation_rotate_it_and_ask_rr(page: Page) -> None:
    open_rotations(page)
    expect(main(page)).to_contain_text("No rotations yet")
    button(main(page), "Create rotation").click()
    expect(dialog(page)).to_contain_text("New rotation")
    button(dialog(page), "Create").click()  # nothing filled in: the client itself refuses
    expect(dialog(page).locator("[data-block-id='rot_name'] .field-error")).to_contain_text("required")

    dialog(page).get_by_label("Name").fill("Support desk")
    dialog(page).get_by_label("Code").fill("desk")
    members = dialog(page).get_by_role("combobox", name="Members, in turn order")
    pick(page, members, "Grace", "Grace Hopper")
    pick(page, members, "Kath", "Katherine Johnson")
    chips = dialog(page).locator("[data-action-id='rot_members'] .chip")
    expect(chips).to_have_text([re.compile("Grace Hopper"), re.compile("Katherine Johnson")])
    pick(page, dialog(page).get_by_role("combobox", name="Tell these channels"), "sup", "#support")
    button(dialog(page), "Create").click()
    expect(page.locator(".modal")).to_have_count(0)

    desk = rotation(page, "Support desk")
    expect(desk).to_contain_text("DESK")
    expect(desk).to_contain_text("On duty: @Grace Hopper")
    expect(desk).to_contain_text("Next: @Katherine Johnson")

    # The rotation's menu: Rotate now hands over to the next person.
    desk.get_by_role("button", name="More actions").click()
    page.get_by_role("menuitem", name="Rotate now").click()
    expect(desk).to_contain_text("On duty: @Katherine Johnson")
    expect(panel(page).locator("[data-panel=messages]")).to_contain_text("Katherine Johnson")

    # Find a rotation…: type-ahead served by the app, then its details in a modal (Escape closes it).
    pick(page, main(page).get_by_role("combobox", name="Find a rotation…"), "desk", "Support desk (DESK)")
    expect(dialog(page)).to_contain_text("Support desk (DESK)")
    expect(dialog(page)).to_contain_text("Recent changes")
    page.keyboard.press("Escape")
    expect(page.locator(".modal")).to_have_count(0)

    # /rr in a channel answers only the person who asked.
    channel(page, "general").click()
    page.get_by_label("Message #general").fill("/rr who DESK")
    page.get_by_label("Message #general").press("Enter")
    reply = main(page).locator(".message.ephemeral")
    expect(reply).to_contain_text("Only visible to you")
    expect(reply).to_contain_text("On duty: @Katherine Johnson")

    # What the simulators refuse is shown, not swallowed.
    page.get_by_label("Message #general").fill("/deploy now")
    page.get_by_label("Message #general").press("Enter")
    error = page.get_by_role("alert").filter(has_text="/deploy is not a command here")
    expect(error).to_be_visible()
    error.get_by_role("button", name="Dismiss").click()
    expect(error).to_have_count(0)


def test_a_rotation_bound_to_pagerduty_follows_who_is_on_call(page: Page) -> None:
    connect_with_api_key(page)
    open_rotations(page)
    button(main(page), "Create rotation").click()
    dialog(page).get_by_label("Name").fill("Ops primary")
    dialog(page).get_by_label("Code").fill("OPS")
    dialog(page).get_by_label("PagerDuty: follow a schedule").check()
    schedule = dialog(page).get_by_role("combobox", name="PagerDuty schedule")
    pick(page, schedule, "Prim", "Ops Primary")
    expect(schedule).to_have_value("Ops Primary")
    pick(page, dialog(page).get_by_role("combobox", name="Tell these channels"), "op", "#ops")
    dialog(page).get_by_label("…or create a new user group").fill("ops-oncall")
    button(dialog(page), "Create").click()
    expect(page.locator(".modal")).to_have_count(0)

    ops_primary = rotation(page, "Ops primary")
    expect(ops_primary).to_contain_text("PagerDuty: Ops Primary")
    # The first sync runs right after Create; the tab shows it once reopened.
    reopen_until(page, lambda: open_rotations(page), ops_primary, "On duty: @Grace Hopper")
    group = panel(page).locator("[data-handle=ops-oncall]")
    expect(group).to_contain_text("Grace Hopper")

    # In PagerDuty, Alan takes over; Round Robin sees it on the next sync (or on Sync now).
    ops = panel(page).locator("[data-schedule-id=PSOPS1]")
    ops.get_by_label("Who is on call in Ops Primary").select_option(label="Alan Turing")
    button(ops, "Put on call").click()
    expect(ops).to_contain_text("On call now: Alan Turing")
    open_settings(page)
    button(main(page), "Sync now").click()
    expect(main(page)).to_contain_text("Sync finished")
    open_rotations(page)
    expect(ops_primary).to_contain_text("On duty: @Alan Turing")
    expect(group).to_contain_text("Alan Turing")
    expect(group).not_to_contain_text("Grace Hopper")
    channel(page, "ops").click()
    expect(main(page).locator(".message").last).to_contain_text("@Alan Turing is on duty now")


def test_a_member_sees_the_status_but_no_connect_button(page: Page) -> None:
    page.get_by_label("Acting as").select_option(label="Alan Turing (member)")
    expect(page.get_by_label("Acting as")).to_have_value("U03ALAN")
    open_settings(page)
    expect(main(page)).to_contain_text("Not connected")
    expect(main(page)).to_contain_text("Only Slack workspace admins and Round Robin owners")
    expect(button(main(page), "Connect")).to_have_count(0)
    page.reload()
    expect(page.get_by_label("Acting as")).to_have_value("U03ALAN")  # the page remembers who you are


# --- Block Kit coverage: every block and element the app uses, drawn by the page's renderer -------

# Every emoji shortcode the app writes in its messages and views, found in its source, plus the
# common ones people type: each must be drawn as a picture, with no emoji font on the machine.
APP_SHORTCODES = sorted(
    {
        code
        for path in (ROOT / "roundrobin" / "slack").rglob("*.py")
        for code in re.findall(r"(?<![\w:]):([a-z][a-z0-9_+-]*):(?![\w:])", path.read_text())
    }
)
COMMON_SHORTCODES = ["fire", "tada", "+1", "thumbsup", "eyes", "wave", "x", "rotating_light", "smile"]
APP_EMOJI = " ".join(f":{code}:" for code in APP_SHORTCODES + COMMON_SHORTCODES)
MRKDWN = (
    "*Bold* _italic_ ~gone~ `co*de*` <@U01ADA> <#C02OPS> <!subteam^S01SUPPORT> snake_case_name "
    "<!date^1700000000^{date_num}|fallback> <!date^NOW^{date_short_pretty} at {time}|fallback> "
    "<https://example.com/x?a=1&amp;b=2|a link> <javascript:alert(1)|bad link> &lt;b&gt;not bold&lt;/b&gt; "
    ":no_such_emoji:\nsecond line\n```pre *not bold* <@U01ADA>```"
)


def option(text: str, value: str) -> dict:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text, "emoji": True}


def kitchen_sink(now: int) -> dict:
    """A view holding every block and element type the app publishes, plus ones the page does not know."""
    confirm = {
        "title": plain("Really?"),
        "text": {"type": "mrkdwn", "text": "This *cannot* be undone."},
        "confirm": plain("Do it"),
        "deny": plain("Keep it"),
        "style": "danger",
    }
    colours = [option("Red", "red"), option("Green", "green")]
    return {
        "id": "VSINK",
        "blocks": [
            {"type": "header", "block_id": "b_header", "text": plain("Header :pager:")},
            {
                "type": "section",
                "block_id": "b_mrkdwn",
                "text": {"type": "mrkdwn", "text": MRKDWN.replace("NOW", str(now))},
            },
            {"type": "section", "block_id": "b_emoji", "text": {"type": "mrkdwn", "text": APP_EMOJI}},
            {"type": "section", "block_id": "b_xss", "text": plain("<img src=x onerror=alert(1)> &amp; raw")},
            {
                "type": "section",
                "block_id": "b_fields",
                "text": {"type": "mrkdwn", "text": "With fields"},
                "fields": [{"type": "mrkdwn", "text": "*Left*"}, plain("Right")],
                "accessory": {
                    "type": "button",
                    "action_id": "a_link",
                    "text": plain("Open"),
                    "url": "https://example.com/",
                    "style": "primary",
                },
            },
            {
                "type": "section",
                "block_id": "b_overflow",
                "text": plain("Menu"),
                "accessory": {
                    "type": "overflow",
                    "action_id": "a_menu",
                    "options": [option("Edit", "edit:1")],
                    "confirm": confirm,
                },
            },
            {"type": "divider", "block_id": "b_divider"},
            {
                "type": "context",
                "block_id": "b_context",
                "elements": [
                    {"type": "mrkdwn", "text": "_ctx_"},
                    plain("plain ctx"),
                    {
                        "type": "image",
                        "image_url": "data:image/gif;base64,R0lGODlhAQABAAAAACw=",
                        "alt_text": "tiny",
                    },
                ],
            },
            {
                "type": "actions",
                "block_id": "b_actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "a_danger",
                        "text": plain("Delete"),
                        "style": "danger",
                        "value": "7",
                        "confirm": confirm,
                    },
                    {
                        "type": "static_select",
                        "action_id": "a_static",
                        "placeholder": plain("Colour"),
                        "option_groups": [{"label": plain("Warm"), "options": colours}],
                    },
                    {"type": "users_select", "action_id": "a_user", "initial_user": "U03ALAN"},
                    {"type": "conversations_select", "action_id": "a_conv", "initial_conversation": "C02OPS"},
                    {"type": "channels_select", "action_id": "a_chan", "placeholder": plain("A channel")},
                    {
                        "type": "multi_static_select",
                        "action_id": "a_multi",
                        "options": colours,
                        "initial_options": colours[:1],
                    },
                    {
                        "type": "external_select",
                        "action_id": "a_ext",
                        "min_query_length": 2,
                        "placeholder": plain("Find…"),
                    },
                    {"type": "datepicker", "action_id": "a_date", "initial_date": "2026-03-29"},
                    {"type": "timepicker", "action_id": "a_time", "initial_time": "09:30"},
                ],
            },
            {
                "type": "input",
                "block_id": "b_text",
                "label": plain("Notes"),
                "hint": plain("A hint"),
                "optional": True,
                "dispatch_action": True,
                "element": {
                    "type": "plain_text_input",
                    "action_id": "a_text",
                    "multiline": True,
                    "initial_value": "hello",
                    "max_length": 10,
                },
            },
            {
                "type": "input",
                "block_id": "b_radio",
                "label": plain("Pick one"),
                "element": {
                    "type": "radio_buttons",
                    "action_id": "a_radio",
                    "options": colours,
                    "initial_option": colours[1],
                },
            },
            {
                "type": "input",
                "block_id": "b_checks",
                "label": plain("Pick some"),
                "element": {"type": "checkboxes", "action_id": "a_checks", "options": colours},
            },
            {
                "type": "input",
                "block_id": "b_people",
                "label": plain("People"),
                "element": {
                    "type": "multi_users_select",
                    "action_id": "a_people",
                    "initial_users": ["U01ADA", "U02GRACE"],
                },
            },
            {
                "type": "input",
                "block_id": "b_rooms",
                "label": plain("Rooms"),
                "element": {"type": "multi_conversations_select", "action_id": "a_rooms"},
            },
            {
                "type": "image",
                "block_id": "b_image",
                "image_url": "data:image/gif;base64,R0lGODlhAQABAAAAACw=",
                "alt_text": "a picture",
                "title": plain("Image title"),
            },
            {"type": "video", "block_id": "b_video", "title": plain("A block the page does not know")},
            {
                "type": "section",
                "block_id": "b_odd",
                "text": plain("Odd accessory"),
                "accessory": {"type": "workflow_button", "action_id": "a_odd"},
            },
        ],
        "state": {
            "values": {
                "b_text": {"a_text": {"type": "plain_text_input", "value": "hello"}},
                "b_radio": {"a_radio": {"type": "radio_buttons", "selected_option": colours[1]}},
                "b_checks": {"a_checks": {"type": "checkboxes", "selected_options": [colours[0]]}},
                "b_people": {
                    "a_people": {"type": "multi_users_select", "selected_users": ["U01ADA", "U02GRACE"]}
                },
                "b_actions": {
                    "a_user": {"type": "users_select", "selected_user": "U03ALAN"},
                    "a_conv": {"type": "conversations_select", "selected_conversation": "C02OPS"},
                    "a_multi": {"type": "multi_static_select", "selected_options": colours[:1]},
                    "a_date": {"type": "datepicker", "selected_date": "2026-03-29"},
                    "a_time": {"type": "timepicker", "selected_time": "09:30"},
                },
            }
        },
    }


RENDER_SINK = """async (view) => {
  const { renderBlocks } = await import("/static/blocks.js");
  const names = { U01ADA: "Ada Lovelace", U02GRACE: "Grace Hopper", U03ALAN: "Alan Turing" };
  const calls = (window.sinkCalls = []);
  const record = (name) => (...args) => calls.push([name, ...args.map((a) => a?.action_id ?? a?.block_id ?? a?.title?.text ?? a)]);
  const app = {
    keyFor: (el, block) => `sink|${block.block_id}|${el.action_id}`,
    click: record("click"), fill: record("fill"), type: record("type"), confirm: record("confirm"),
    openPicker: record("openPicker"), queryPicker: record("queryPicker"), movePicker: record("movePicker"),
    closePicker: record("closePicker"), setMenu: record("setMenu"), menu: () => null,
    draft: () => undefined, picker: () => ({}), people: () => [], channels: () => [],
  };
  const dir = {
    user: (id) => names[id], channel: (id) => ({ C02OPS: "ops" })[id], group: (id) => ({ S01SUPPORT: "support-team" })[id],
    openChannel: record("openChannel"),
  };
  const ctx = { surface: "modal", view, values: view.state.values, errors: { b_checks: "Pick at least one" }, interactive: true, dir, app };
  const sink = document.createElement("div");
  sink.id = "sink";
  sink.className = "surface";
  sink.style.cssText = "position:fixed;inset:0;z-index:1000;overflow:auto;background:#fff;padding:16px;max-width:none";
  sink.append(...renderBlocks(view.blocks, ctx));
  document.body.append(sink);
}"""


def test_every_block_and_element_is_drawn_like_slack(page: Page) -> None:
    expect(main(page)).to_contain_text("Rotations")
    page.evaluate(RENDER_SINK, kitchen_sink(int(time.time())))
    sink = page.locator("#sink")
    block = lambda block_id: sink.locator(f"[data-block-id={block_id}][data-block-type]")  # noqa: E731

    expect(block("b_header")).to_have_text("Header ")
    expect(block("b_header").get_by_role("img", name="\U0001f4df")).to_have_attribute("data-emoji", "pager")
    text = block("b_mrkdwn")
    expect(text.locator("strong").first).to_have_text("Bold")
    expect(text.locator("em")).to_have_text("italic")  # snake_case_name stays as it is
    expect(text).to_contain_text("snake_case_name")
    expect(text.locator("del")).to_have_text("gone")
    expect(text.locator("code")).to_have_text("co*de*")
    expect(text.locator(".mention")).to_have_text(["@Ada Lovelace", "#ops", "@support-team"])
    expect(text.locator("time").first).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2}$"))
    expect(text.locator("time").nth(1)).to_have_text(re.compile(r"^today at \d{1,2}:\d{2}"))
    link = text.get_by_role("link", name="a link")
    expect(link).to_have_attribute("href", "https://example.com/x?a=1&b=2")
    expect(link).to_have_attribute("target", "_blank")
    expect(text.get_by_role("link", name="bad link")).to_have_count(0)
    expect(text).to_contain_text("a link bad link")
    expect(text).to_contain_text("<b>not bold</b>")
    expect(text.locator("b")).to_have_count(0)
    expect(text).to_contain_text(":no_such_emoji:")
    expect(text.locator("br")).to_have_count(2)
    expect(text.locator("pre")).to_have_text("pre *not bold* <@U01ADA>")
    assert len(APP_SHORTCODES) >= 10 and "warning" in APP_SHORTCODES, APP_SHORTCODES
    emoji = block("b_emoji")
    expect(emoji).not_to_contain_text(":")  # every one drawn: none left as a shortcode
    drawn = emoji.locator("img.emoji")
    expect(drawn).to_have_count(len(APP_SHORTCODES) + len(COMMON_SHORTCODES))
    assert drawn.evaluate_all("imgs => imgs.map(i => i.dataset.emoji)") == APP_SHORTCODES + COMMON_SHORTCODES
    # Pictures that decoded (SVG in the page itself, nothing fetched), about as tall as the text.
    sizes = drawn.evaluate_all(
        "imgs => imgs.map(i => [i.complete && i.naturalWidth, i.getBoundingClientRect().height])"
    )
    assert all(natural > 0 and 15 <= height <= 24 for natural, height in sizes), sizes
    assert drawn.first.get_attribute("src").startswith("data:image/svg+xml,")
    expect(block("b_xss")).to_have_text("<img src=x onerror=alert(1)> &amp; raw")
    expect(block("b_xss").locator("img")).to_have_count(0)

    fields = block("b_fields")
    expect(fields.locator(".section-field")).to_have_text(["Left", "Right"])
    open_link = fields.locator("[data-action-id=a_link]")
    expect(open_link).to_have_attribute("href", "https://example.com/")
    expect(open_link).to_have_class(re.compile("btn-primary"))
    assert block("b_divider").evaluate("e => e.tagName") == "HR"
    expect(block("b_context")).to_contain_text("ctx")
    expect(block("b_context").locator("em")).to_have_text("ctx")
    expect(block("b_context").get_by_role("img", name="tiny")).to_have_count(1)

    actions = block("b_actions")
    delete = actions.get_by_role("button", name="Delete")
    expect(delete).to_have_class(re.compile("btn-danger"))
    delete.click()
    assert page.evaluate("window.sinkCalls")[0][:2] == ["confirm", "Really?"]  # the dialog first
    select = actions.locator("select[data-action-id=a_static]")
    expect(select.locator("optgroup")).to_have_attribute("label", "Warm")
    expect(select.locator("option:not([hidden])")).to_have_text(["Red", "Green"])
    expect(actions.get_by_role("combobox", name="Select a person", exact=True)).to_have_value("Alan Turing")
    expect(actions.get_by_role("combobox", name="Select a channel", exact=True)).to_have_value("#ops")
    expect(actions.get_by_role("combobox", name="A channel", exact=True)).to_have_value("")
    expect(actions.locator("[data-action-id=a_multi] .chip")).to_have_text([re.compile("Red")])
    expect(actions.get_by_role("combobox", name="Find…")).to_have_attribute("aria-expanded", "false")
    expect(actions.locator("input[type=date]")).to_have_value("2026-03-29")
    expect(actions.locator("input[type=time]")).to_have_value("09:30")

    notes = sink.get_by_label("Notes")
    expect(notes).to_have_value("hello")
    expect(notes).to_have_attribute("maxlength", "10")
    assert notes.evaluate("e => e.tagName") == "TEXTAREA"
    expect(block("b_text")).to_contain_text("(optional)")
    expect(block("b_text").locator(".hint")).to_have_text("A hint")
    expect(sink.get_by_role("radio", name="Green")).to_be_checked()
    expect(sink.get_by_role("checkbox", name="Red")).to_be_checked()
    expect(block("b_checks").locator(".field-error")).to_have_text("Pick at least one")
    expect(block("b_people").locator(".chip")).to_have_text(
        [re.compile("Ada Lovelace"), re.compile("Grace Hopper")]
    )
    expect(sink.get_by_role("combobox", name="Rooms")).to_have_value("")
    expect(block("b_image").get_by_role("img", name="a picture")).to_have_count(1)
    expect(block("b_image")).to_contain_text("Image title")

    # What the page does not know is shown plainly, with its JSON, never hidden.
    expect(block("b_video")).to_have_class(re.compile("unsupported"))
    expect(block("b_video")).to_contain_text("unsupported block: video")
    expect(block("b_video")).to_contain_text('"title"')
    expect(block("b_odd").locator(".unsupported")).to_contain_text("unsupported element: workflow_button")

    block("b_overflow").get_by_role("button", name="More actions").click()
    sink.get_by_label("Notes").fill("typed")
    sink.get_by_role("radio", name="Red").check()
    calls = page.evaluate("window.sinkCalls")
    assert ["setMenu", "sink|b_overflow|a_menu", "sink|b_overflow|a_menu|item0"] in calls
    assert ["type", "a_text", "b_text", "sink|b_text|a_text", "typed"] in calls
    assert ["fill", "a_radio", "b_radio", "red"] in calls
