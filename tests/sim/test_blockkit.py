"""Block Kit validation: valid views pass, and each of Slack's rules catches its own breakage."""

import copy

import pytest

from roundrobin.sim.slack.blockkit_rules import validate_blocks, validate_view


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": text}


def option(value: str, text: str | None = None) -> dict:
    return {"text": plain(text or value.title()), "value": value}


def options(count: int) -> list[dict]:
    return [option(f"v{i}") for i in range(count)]


def button(text: str = "Go", **extra) -> dict:
    return {"type": "button", "action_id": extra.pop("action_id", "go"), "text": plain(text), **extra}


def confirm(**overrides) -> dict:
    return {
        "title": plain("Sure?"),
        "text": mrkdwn("It *cannot* be undone"),
        "confirm": plain("Yes"),
        "deny": plain("No"),
        **overrides,
    }


def static_select(**extra) -> dict:
    return {
        "type": "static_select",
        "action_id": "pick",
        "placeholder": plain("Pick"),
        "options": options(3),
        **extra,
    }


def actions(*elements) -> dict:
    return {"type": "actions", "block_id": "acts", "elements": list(elements)}


def input_block(element: dict, **extra) -> dict:
    return {"type": "input", "block_id": "in", "label": plain("Name"), "element": element, **extra}


def text_input(**extra) -> dict:
    return {"type": "plain_text_input", "action_id": "name", **extra}


def modal(*blocks, **extra) -> dict:
    return {
        "type": "modal",
        "callback_id": "edit",
        "title": plain("Edit rotation"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "blocks": list(blocks),
        **extra,
    }


HOME = {
    "type": "home",
    "callback_id": "home",
    "private_metadata": "{}",
    "blocks": [
        {"type": "header", "text": plain("Your rotations")},
        {
            "type": "section",
            "text": mrkdwn("*Platform* on call: <@U1>"),
            "accessory": button("Edit", value="r1"),
        },
        {"type": "section", "fields": [mrkdwn("*Next*"), plain("Bob")]},
        {
            "type": "context",
            "elements": [
                mrkdwn("Synced with PagerDuty"),
                {"type": "image", "image_url": "https://x/i.png", "alt_text": "pd"},
            ],
        },
        {"type": "divider"},
        actions(
            button("New rotation", action_id="new", style="primary"),
            {"type": "overflow", "action_id": "more", "options": options(2)},
            static_select(action_id="filter", initial_option=option("v1")),
            button("Delete", action_id="delete", style="danger", confirm=confirm(style="danger")),
        ),
        {"type": "image", "image_url": "https://x/chart.png", "alt_text": "chart", "title": plain("Load")},
        {
            "type": "rich_text",
            "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": "hi"}]}],
        },
    ],
}

MODAL = modal(
    input_block(text_input(max_length=80, initial_value="Platform")),
    {
        "type": "input",
        "block_id": "who",
        "label": plain("Members"),
        "element": {"type": "multi_users_select", "action_id": "members", "initial_users": ["U1"]},
    },
    {
        "type": "input",
        "block_id": "pd",
        "optional": True,
        "dispatch_action": True,
        "label": plain("PagerDuty schedule"),
        "element": {"type": "external_select", "action_id": "schedule", "min_query_length": 0},
    },
    {
        "type": "input",
        "block_id": "when",
        "label": plain("Handover"),
        "element": {"type": "timepicker", "action_id": "at", "initial_time": "09:00"},
    },
    {
        "type": "input",
        "block_id": "days",
        "label": plain("Days"),
        "element": {
            "type": "checkboxes",
            "action_id": "days",
            "options": options(7),
            "initial_options": [option("v0")],
        },
    },
    private_metadata='{"rotation": 1}',
)


def test_valid_home_view_passes():
    assert validate_view(HOME) == []


def test_valid_modal_passes():
    assert validate_view(MODAL) == []


def test_a_full_hundred_blocks_is_fine():
    assert validate_view({"type": "home", "blocks": [{"type": "divider"}] * 100}) == []


def test_a_message_allows_only_fifty_blocks():
    blocks = [{"type": "divider"}] * 51
    assert validate_blocks(blocks, surface="home") == []
    assert validate_blocks(blocks, surface="message") == ["/blocks: must have at most 50 items (got 51)"]


def test_view_type_must_be_modal_or_home():
    assert validate_view({"type": "dialog", "blocks": []}) == ["/type: must be modal or home (got 'dialog')"]


def _without(view: dict, key: str) -> dict:
    view = copy.deepcopy(view)
    del view[key]
    return view


# (what is broken, the view, a fragment of the expected problem)
VIEW_CASES = [
    (
        "101 blocks",
        {"type": "home", "blocks": [{"type": "divider"}] * 101},
        "/blocks: must have at most 100 items",
    ),
    ("title over 24", modal(title=plain("x" * 25)), "/title/text: must be at most 24 characters (got 25)"),
    ("submit over 24", modal(submit=plain("x" * 25)), "/submit/text: must be at most 24"),
    ("close over 24", modal(close=plain("x" * 25)), "/close/text: must be at most 24"),
    ("mrkdwn title", modal(title=mrkdwn("Edit")), "/title/type: must be plain_text"),
    ("no title", _without(modal(), "title"), "/title: is required"),
    (
        "input without submit",
        _without(modal(input_block(text_input())), "submit"),
        "/submit: is required when",
    ),
    (
        "private_metadata over 3000",
        modal(private_metadata="x" * 3001),
        "/private_metadata: must be at most 3000",
    ),
    ("callback_id over 255", modal(callback_id="x" * 256), "/callback_id: must be at most 255"),
    ("blocks missing", _without(modal(), "blocks"), "/blocks: is required"),
]


@pytest.mark.parametrize(("broken", "view", "expected"), VIEW_CASES, ids=[c[0] for c in VIEW_CASES])
def test_view_rules(broken, view, expected):
    problems = validate_view(view)
    assert any(expected in problem for problem in problems), problems


# (what is broken, one block, a fragment of the expected problem)
BLOCK_CASES = [
    ("unknown block type", {"type": "carousel"}, "/blocks/0/type: unknown type 'carousel'"),
    (
        "block_id over 255",
        {"type": "divider", "block_id": "b" * 256},
        "/blocks/0/block_id: must be at most 255",
    ),
    ("unknown block field", {"type": "divider", "colour": "red"}, "/blocks/0/colour: unknown field"),
    (
        "text object of bad type",
        {"type": "section", "text": {"type": "html", "text": "x"}},
        "/blocks/0/text/type: must be",
    ),
    ("empty text", {"type": "section", "text": mrkdwn("")}, "/blocks/0/text/text: must be at least 1"),
    (
        "section text over 3000",
        {"type": "section", "text": mrkdwn("x" * 3001)},
        "/blocks/0/text/text: must be at most 3000",
    ),
    (
        "section with 11 fields",
        {"type": "section", "fields": [plain("f")] * 11},
        "/blocks/0/fields: must have at most 10",
    ),
    (
        "section field over 2000",
        {"type": "section", "fields": [plain("x" * 2001)]},
        "/blocks/0/fields/0/text: must be at most 2000",
    ),
    (
        "section without text or fields",
        {"type": "section", "accessory": button()},
        "/blocks/0: needs text or fields",
    ),
    (
        "text input as accessory",
        {"type": "section", "text": plain("t"), "accessory": text_input()},
        "'plain_text_input' is not allowed in a section accessory",
    ),
    (
        "header over 150",
        {"type": "header", "text": plain("x" * 151)},
        "/blocks/0/text/text: must be at most 150",
    ),
    ("mrkdwn header", {"type": "header", "text": mrkdwn("Hi")}, "/blocks/0/text/type: must be plain_text"),
    (
        "context with 11 elements",
        {"type": "context", "elements": [plain("c")] * 11},
        "/blocks/0/elements: must have at most 10",
    ),
    (
        "actions with 26 elements",
        actions(*[button(action_id=f"b{i}") for i in range(26)]),
        "/blocks/0/elements: must have at most 25",
    ),
    ("duplicate action_id", actions(button(action_id="x"), button(action_id="x")), "duplicate action_id 'x'"),
    ("button text over 75", actions(button("x" * 76)), "/blocks/0/elements/0/text/text: must be at most 75"),
    (
        "mrkdwn button text",
        actions({**button(), "text": mrkdwn("Go")}),
        "/blocks/0/elements/0/text/type: must be plain_text",
    ),
    (
        "button value over 2000",
        actions(button(value="x" * 2001)),
        "/blocks/0/elements/0/value: must be at most 2000",
    ),
    (
        "button url over 3000",
        actions(button(url="https://" + "x" * 3000)),
        "/blocks/0/elements/0/url: must be at most 3000",
    ),
    (
        "button style",
        actions(button(style="secondary")),
        "/blocks/0/elements/0/style: must be one of primary, danger",
    ),
    (
        "action_id over 255",
        actions(button(action_id="a" * 256)),
        "/blocks/0/elements/0/action_id: must be at most 255",
    ),
    (
        "101 select options",
        actions(static_select(options=options(101))),
        "/blocks/0/elements/0/options: must have at most 100",
    ),
    (
        "option text over 75",
        actions(static_select(options=[option("v", "x" * 76)])),
        "/options/0/text/text: must be at most 75",
    ),
    (
        "option value over 150",
        actions(static_select(options=[option("v" * 151)])),
        "/options/0/value: must be at most 150",
    ),
    (
        "options and option_groups",
        actions(static_select(option_groups=[{"label": plain("G"), "options": options(1)}])),
        "needs exactly one of options, option_groups",
    ),
    (
        "initial option not offered",
        actions(static_select(initial_option=option("nope"))),
        "initial option 0 ('nope') is not one of the options",
    ),
    (
        "initial_value on a select",
        actions(static_select(initial_value="v1")),
        "/blocks/0/elements/0/initial_value: unknown field",
    ),
    (
        "overflow with 6 options",
        actions({"type": "overflow", "action_id": "o", "options": options(6)}),
        "/options: must have at most 5",
    ),
    (
        "overflow with no options",
        actions({"type": "overflow", "action_id": "o", "options": []}),
        "/options: must have at least 1",
    ),
    (
        "negative min_query_length",
        actions({"type": "external_select", "action_id": "e", "min_query_length": -1}),
        "/min_query_length: must be at least 0",
    ),
    (
        "input label over 2000",
        input_block(text_input(), label=plain("x" * 2001)),
        "/blocks/0/label/text: must be at most 2000",
    ),
    ("button in an input", input_block(button()), "'button' is not allowed in an input block"),
    ("input without element", {"type": "input", "label": plain("L")}, "/blocks/0/element: is required"),
    (
        "max_length over 3000",
        input_block(text_input(max_length=3001)),
        "/blocks/0/element/max_length: must be at most 3000",
    ),
    (
        "confirm title over 100",
        actions(button(confirm=confirm(title=plain("x" * 101)))),
        "/confirm/title/text: must be at most 100",
    ),
    (
        "confirm text over 300",
        actions(button(confirm=confirm(text=plain("x" * 301)))),
        "/confirm/text/text: must be at most 300",
    ),
    (
        "confirm button over 30",
        actions(button(confirm=confirm(confirm=plain("x" * 31)))),
        "/confirm/confirm/text: must be at most 30",
    ),
    (
        "deny button over 30",
        actions(button(confirm=confirm(deny=plain("x" * 31)))),
        "/confirm/deny/text: must be at most 30",
    ),
    (
        "confirm style",
        actions(button(confirm=confirm(style="warning"))),
        "/confirm/style: must be one of primary, danger",
    ),
    (
        "confirm without deny",
        actions(button(confirm={k: v for k, v in confirm().items() if k != "deny"})),
        "/confirm/deny: is required",
    ),
    (
        "image without alt_text",
        {"type": "image", "image_url": "https://x/i.png"},
        "/blocks/0/alt_text: is required",
    ),
]


@pytest.mark.parametrize(("broken", "block", "expected"), BLOCK_CASES, ids=[c[0] for c in BLOCK_CASES])
def test_block_rules(broken, block, expected):
    problems = validate_view(modal(block))
    assert any(expected in problem for problem in problems), problems


def test_duplicate_block_ids_are_refused():
    blocks = [{"type": "divider", "block_id": "same"}, {"type": "divider", "block_id": "same"}]
    assert validate_blocks(blocks, surface="home") == ["/blocks/1/block_id: duplicate block_id 'same'"]


def test_problems_name_the_offending_place():
    view = copy.deepcopy(HOME)
    view["blocks"][5]["elements"][0]["style"] = "green"
    assert validate_view(view) == ["/blocks/5/elements/0/style: must be one of primary, danger (got 'green')"]


def test_unknown_surface_is_a_programming_error():
    with pytest.raises(ValueError, match="surface"):
        validate_blocks([], surface="dialog")
