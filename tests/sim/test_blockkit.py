"""Block Kit checked as Slack checks it: valid views pass, and each limit catches its own breakage.

Two tables, one per side of the check: what slack_sdk's models refuse (and the fake's own rules do
not repeat), and what only blockkit_rules refuses (slack_sdk's models let it through).
"""

import copy

import pytest

from roundrobin.sim.slack import blockkit_rules
from roundrobin.sim.slack.blockkit import message_problems, suggestion_problems, view_problems
from tests.sim.blockkit_samples import (
    HOME,
    MODAL,
    actions,
    button,
    confirm,
    input_block,
    modal,
    mrkdwn,
    option,
    options,
    plain,
    static_select,
    text_input,
)


def by_slack_sdk(problems: list[str]) -> list[str]:
    return [problem for problem in problems if "slack_sdk" in problem]


def _without(view: dict, key: str) -> dict:
    view = copy.deepcopy(view)
    del view[key]
    return view


def element(kind: str, **fields) -> dict:
    return {"type": kind, "action_id": "e", **fields}


def section_with(accessory: dict) -> dict:
    return {"type": "section", "text": plain("t"), "accessory": accessory}


def group(**fields) -> dict:
    return {"label": plain("G"), "options": options(1), **fields}


def test_valid_views_pass():
    assert view_problems(HOME) == []
    assert view_problems(MODAL) == []


def test_a_full_hundred_blocks_is_fine_and_so_is_none():
    assert view_problems({"type": "home", "blocks": [{"type": "divider"}] * 100}) == []
    assert view_problems({"type": "home", "blocks": []}) == []


def test_a_message_allows_only_fifty_blocks():
    assert message_problems([{"type": "divider"}] * 50) == []
    assert message_problems([{"type": "divider"}] * 51) == ["/blocks: must have at most 50 items (got 51)"]


# (what is broken, the view, the problem slack_sdk's models report)
SLACK_SDK_CASES = [
    (
        "101 blocks",
        {"type": "home", "blocks": [{"type": "divider"}] * 101},
        "/: views must contain between 1 and 100 blocks (slack_sdk)",
    ),
    ("title over 24", modal(title=plain("x" * 25)), "/: title must be between 1 and 24 characters"),
    ("submit over 24", modal(submit=plain("x" * 25)), "/: submit cannot exceed 24 characters"),
    ("close over 24", modal(close=plain("x" * 25)), "/: close cannot exceed 24 characters"),
    ("home with a submit button", {"type": "home", "submit": plain("Go"), "blocks": []}, "home view"),
    ("private_metadata over 3000", modal(private_metadata="x" * 3001), "private_metadata cannot exceed 3000"),
    ("callback_id over 255", modal(callback_id="x" * 256), "/: callback_id cannot exceed 255"),
    ("block_id over 255", modal({"type": "divider", "block_id": "b" * 256}), "/blocks/0: block_id cannot"),
    ("unknown block field", modal({"type": "divider", "colour": "red"}), "/blocks/0/colour: unknown field"),
    ("section text over 3000", modal({"type": "section", "text": mrkdwn("x" * 3001)}), "cannot exceed 3000"),
    ("section with 11 fields", modal({"type": "section", "fields": [plain("f")] * 11}), "fields attribute"),
    ("section without text", modal({"type": "section", "accessory": button()}), "text or fields attribute"),
    ("header over 150", modal({"type": "header", "text": plain("x" * 151)}), "cannot exceed 150 characters"),
    ("context with 11 elements", modal({"type": "context", "elements": [plain("c")] * 11}), "10 elements"),
    ("actions with 26", modal(actions(*[button(action_id=f"b{i}") for i in range(26)])), "25 elements"),
    ("button text over 75", modal(actions(button("x" * 76))), "/blocks/0: text attribute cannot exceed 75"),
    (
        "button value over 2000",
        modal(actions(button(value="x" * 2001))),
        "value attribute cannot exceed 2000",
    ),
    ("button url over 3000", modal(actions(button(url="https://" + "x" * 3000))), "url attribute cannot"),
    ("button style", modal(actions(button(style="secondary"))), "style attribute must be one of"),
    ("action_id over 255", modal(actions(button(action_id="a" * 256))), "action_id attribute cannot exceed"),
    (
        "initial_value on a select",
        modal(actions(static_select(initial_value="v1"))),
        "initial_value: unknown",
    ),
    ("101 select options", modal(actions(static_select(options=options(101)))), "options attribute cannot"),
    ("option text over 75", modal(actions(static_select(options=[option("v", "x" * 76)]))), "text attribute"),
    ("option value over 150", modal(actions(static_select(options=[option("v" * 151, "V")]))), "value attr"),
    (
        "option unknown field",
        modal(actions(static_select(options=[{**option("a"), "x": 1}]))),
        "0/x: unknown",
    ),
    (
        "option label (legacy)",
        modal(actions(static_select(options=[{**option("a"), "label": "A"}]))),
        "label:",
    ),
    (
        "options and groups",
        modal(actions(static_select(option_groups=[group()]))),
        "cannot both be specified",
    ),
    (
        "group label over 75",
        modal(actions(element("static_select", option_groups=[group(label=plain("x" * 76))]))),
        "label attribute cannot exceed 75",
    ),
    ("overflow with 6 options", modal(actions(element("overflow", options=options(6)))), "between 1 and 5"),
    ("overflow with none", modal(actions(element("overflow", options=[]))), "between 1 and 5 items"),
    ("button in an input", modal(input_block(button())), "element attribute must be a string, select"),
    ("input label over 2000", modal(input_block(text_input(), label=plain("x" * 2001))), "label attribute"),
    ("input without element", modal({"type": "input", "label": plain("L")}), "argument: 'element'"),
    ("confirm title over 100", modal(actions(button(confirm=confirm(title=plain("x" * 101))))), "title attr"),
    (
        "confirm text over 300",
        modal(actions(button(confirm=confirm(text=plain("x" * 301))))),
        "text attribute",
    ),
    (
        "confirm over 30",
        modal(actions(button(confirm=confirm(confirm=plain("x" * 31))))),
        "confirm attribute",
    ),
    ("deny over 30", modal(actions(button(confirm=confirm(deny=plain("x" * 31))))), "deny attribute cannot"),
    ("confirm style", modal(actions(button(confirm=confirm(style="warning")))), "style for confirm must be"),
    ("image without alt_text", modal({"type": "image", "image_url": "https://x/i.png"}), "'alt_text'"),
    ("date not a date", modal(input_block(element("datepicker", initial_date="2026-13-45"))), "'YYYY-MM-DD'"),
    ("time not a time", modal(input_block(element("timepicker", initial_time="25:99"))), "format 'HH:mm'"),
]


@pytest.mark.parametrize(("broken", "view", "expected"), SLACK_SDK_CASES, ids=[c[0] for c in SLACK_SDK_CASES])
def test_what_slack_sdks_models_refuse(broken, view, expected):
    problems = view_problems(view)
    assert any(expected in problem for problem in by_slack_sdk(problems)), problems
    assert blockkit_rules.view_problems(view) == [], "slack_sdk checks this: the rules need not repeat it"


# (what is broken, the view, the problem blockkit_rules reports)
RULE_CASES = [
    (
        "workflow_step view",
        {"type": "workflow_step", "blocks": []},
        "/type: must be modal or home (got 'workflow_step')",
    ),
    ("a view that is no object", ["not", "a", "view"], "/: a view must be an object"),
    ("no title", _without(modal(), "title"), "/title: is required"),
    ("mrkdwn title", modal(title=mrkdwn("Edit")), "/title/type: must be plain_text"),
    ("mrkdwn submit", modal(submit=mrkdwn("Go")), "/submit/type: must be plain_text"),
    (
        "input without submit",
        _without(modal(input_block(text_input())), "submit"),
        "/submit: is required when",
    ),
    ("blocks missing", _without(modal(), "blocks"), "/blocks: is required"),
    ("blocks not an array", modal(blocks="divider"), "/blocks: must be an array"),
    ("external_id over 255", modal(external_id="x" * 256), "/external_id: must be at most 255"),
    ("boolean that is not", modal(clear_on_close="yes"), "/clear_on_close: must be a boolean"),
    (
        "duplicate block_id",
        modal({"type": "divider", "block_id": "a"}, {"type": "divider", "block_id": "a"}),
        "/blocks/1/block_id: duplicate block_id 'a'",
    ),
    ("unknown block type", modal({"type": "hologram"}), "/blocks/0/type: unknown block type 'hologram'"),
    (
        "block slack_sdk knows, the fake does not",
        modal({"type": "markdown", "text": "hi"}),
        "unknown block type 'markdown'",
    ),
    ("empty block_id", modal({"type": "divider", "block_id": ""}), "/blocks/0/block_id: must be at least 1"),
    (
        "text of bad type",
        modal({"type": "section", "text": {"type": "html", "text": "x"}}),
        "/blocks/0/text/type",
    ),
    ("empty text", modal({"type": "section", "text": mrkdwn("")}), "/blocks/0/text/text: must be at least 1"),
    (
        "text that is a string",
        modal({"type": "section", "text": "hi"}),
        "/blocks/0/text: must be a text object",
    ),
    (
        "section field over 2000",
        modal({"type": "section", "fields": [plain("x" * 2001)]}),
        "fields/0/text: must be at most 2000",
    ),
    (
        "no fields at all",
        modal({"type": "section", "text": plain("t"), "fields": []}),
        "fields: must have at least 1",
    ),
    (
        "text input as accessory",
        modal(section_with(text_input())),
        "'plain_text_input' is not allowed in a section",
    ),
    (
        "mrkdwn header",
        modal({"type": "header", "text": mrkdwn("Hi")}),
        "/blocks/0/text/type: must be plain_text",
    ),
    ("empty context", modal({"type": "context", "elements": []}), "elements: must have at least 1 items"),
    (
        "button in context",
        modal({"type": "context", "elements": [button()]}),
        "'button' is not allowed in a context",
    ),
    ("context text over 3000", modal({"type": "context", "elements": [mrkdwn("x" * 3001)]}), "at most 3000"),
    ("empty actions", modal(actions()), "/blocks/0/elements: must have at least 1 items"),
    (
        "text input in actions",
        modal(actions(text_input())),
        "'plain_text_input' is not allowed in an actions",
    ),
    ("unknown element type", modal(actions(element("fancy"))), "unknown element type 'fancy'"),
    (
        "duplicate action_id",
        modal(actions(button(action_id="x"), button(action_id="x"))),
        "duplicate action_id 'x'",
    ),
    ("empty action_id", modal(actions(button(action_id=""))), "action_id: must be at least 1 characters"),
    (
        "mrkdwn button text",
        modal(actions({**button(), "text": mrkdwn("Go")})),
        "0/text/type: must be plain_text",
    ),
    (
        "mrkdwn option in a select",
        modal(actions(static_select(options=[{"text": mrkdwn("a"), "value": "a"}]))),
        "options/0/text/type: must be plain_text",
    ),
    (
        "empty option value",
        modal(actions(static_select(options=[{"text": plain("A"), "value": ""}]))),
        "options/0/value: must be at least 1",
    ),
    (
        "option description over 75",
        modal(actions(static_select(options=[{**option("a"), "description": plain("x" * 76)}]))),
        "description/text: must be at most 75",
    ),
    (
        "option url outside overflow",
        modal(actions(static_select(options=[{**option("a"), "url": "https://x"}]))),
        "only overflow menus take an option url",
    ),
    (
        "overflow option url over 3000",
        modal(actions(element("overflow", options=[{**option("a"), "url": "h" * 3001}]))),
        "url: must be at most 3000",
    ),
    ("no select options", modal(actions(static_select(options=[]))), "options: must have at least 1 items"),
    (
        "mrkdwn group label",
        modal(actions(element("static_select", option_groups=[group(label=mrkdwn("G"))]))),
        "label/type: must be plain_text",
    ),
    (
        "empty option group",
        modal(actions(element("static_select", option_groups=[group(options=[])]))),
        "option_groups/0/options: must have at least 1",
    ),
    (
        "initial option not offered",
        modal(actions(static_select(initial_option=option("nope")))),
        "initial option 0 ('nope') is not one of the options",
    ),
    (
        "mrkdwn placeholder",
        modal(actions(static_select(placeholder=mrkdwn("p")))),
        "placeholder/type: must be plain_text",
    ),
    (
        "negative min_query_length",
        modal(actions(element("external_select", min_query_length=-1))),
        "min_query_length: must be at least 0",
    ),
    (
        "max_selected_items of 0",
        modal(input_block(element("multi_users_select", max_selected_items=0))),
        "must be at least 1",
    ),
    (
        "101 initial users",
        modal(input_block(element("multi_users_select", initial_users=["U1"] * 101))),
        "initial_users: must have at most 100",
    ),
    (
        "empty initial_user",
        modal(input_block(element("users_select", initial_user=""))),
        "initial_user: must be at least 1",
    ),
    (
        "filter of unknown kind",
        modal(input_block(element("conversations_select", filter={"include": ["dm"]}))),
        "include/0: must be one of im, mpim, private, public",
    ),
    (
        "filter with unknown field",
        modal(input_block(element("conversations_select", filter={"x": 1}))),
        "filter/x: unknown field",
    ),
    (
        "11 checkboxes",
        modal(input_block(element("checkboxes", options=options(11)))),
        "options: must have at most 10",
    ),
    (
        "checkboxes without options",
        modal(input_block(element("checkboxes"))),
        "/blocks/0/element/options: is required",
    ),
    (
        "11 radio buttons",
        modal(input_block(element("radio_buttons", options=options(11)))),
        "at most 10 items",
    ),
    (
        "timezone over 100",
        modal(input_block(element("timepicker", timezone="x" * 101))),
        "timezone: must be at most 100",
    ),
    (
        "datetimepicker as accessory",
        modal(section_with(element("datetimepicker"))),
        "'datetimepicker' is not allowed in a section",
    ),
    (
        "initial_value over 3000",
        modal(input_block(text_input(initial_value="x" * 3001))),
        "initial_value: must be at most 3000",
    ),
    (
        "max_length over 3000",
        modal(input_block(text_input(max_length=3001))),
        "max_length: must be at most 3000",
    ),
    ("max_length of 0", modal(input_block(text_input(max_length=0))), "max_length: must be at least 1"),
    (
        "multiline that is no boolean",
        modal(input_block(text_input(multiline="yes"))),
        "multiline: must be a boolean",
    ),
    (
        "unknown dispatch trigger",
        modal(input_block(text_input(dispatch_action_config={"trigger_actions_on": ["on_blur"]}))),
        "trigger_actions_on/0: must be one of",
    ),
    (
        "number_input without is_decimal_allowed",
        modal(input_block(element("number_input"))),
        "is_decimal_allowed: is required",
    ),
    (
        "number over 150 characters",
        modal(input_block(element("number_input", is_decimal_allowed=False, max_value="9" * 151))),
        "max_value: must be at most 150",
    ),
    (
        "mrkdwn label",
        modal(input_block(text_input(), label=mrkdwn("L"))),
        "/blocks/0/label/type: must be plain_text",
    ),
    (
        "mrkdwn hint",
        modal(input_block(text_input(), hint=mrkdwn("h"))),
        "/blocks/0/hint/type: must be plain_text",
    ),
    (
        "optional that is no boolean",
        modal(input_block(text_input(), optional="yes")),
        "optional: must be a boolean",
    ),
    (
        "image without url or file",
        modal({"type": "image", "alt_text": "a"}),
        "/blocks/0: needs image_url or slack_file",
    ),
    ("empty rich text", modal({"type": "rich_text", "elements": []}), "elements: must have at least 1 items"),
    (
        "confirm without deny",
        modal(actions(button(confirm=_without(confirm(), "deny")))),
        "/confirm/deny: is required",
    ),
    (
        "mrkdwn confirm title",
        modal(actions(button(confirm=confirm(title=mrkdwn("Sure?"))))),
        "confirm/title/type: must be plain_text",
    ),
    (
        "empty confirm title",
        modal(actions(button(confirm=confirm(title=plain(""))))),
        "confirm/title/text: must be at least 1",
    ),
]


@pytest.mark.parametrize(("broken", "view", "expected"), RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_what_only_the_rules_refuse(broken, view, expected):
    problems = view_problems(view)
    assert any(expected in problem for problem in problems), problems
    assert by_slack_sdk(problems) == [], "slack_sdk lets this through: the rule is the fake's own"


def test_problems_name_the_offending_place():
    view = copy.deepcopy(HOME)
    view["blocks"][5]["elements"][0]["text"]["type"] = "mrkdwn"
    assert view_problems(view) == ["/blocks/5/elements/0/text/type: must be plain_text (got 'mrkdwn')"]


def test_suggestion_answers_are_checked_as_a_static_menu():
    assert suggestion_problems({"options": []}) == []  # Slack shows "No results"
    assert suggestion_problems({"options": options(100)}) == []
    assert suggestion_problems({"option_groups": [group()]}) == []
    assert suggestion_problems({"options": options(101)}) == [
        "/: options attribute cannot exceed 100 elements (slack_sdk)"
    ]
    assert suggestion_problems({"options": [{"text": mrkdwn("a"), "value": "a"}]}) == [
        "/options/0/text/type: must be plain_text (got 'mrkdwn')"
    ]


def test_errors_must_key_input_blocks():
    view = modal(input_block(text_input()), {"type": "divider", "block_id": "line"})
    assert blockkit_rules.errors_problems(view, {"in": "Too short"}) == []
    assert blockkit_rules.errors_problems(view, {"line": "Too short"}) == [
        "/errors: ['line'] are not input blocks of the view (inputs: ['in'])"
    ]
    assert blockkit_rules.errors_problems(view, {}) == [
        "/errors: must name input blocks of the view (inputs: ['in'])"
    ]


# JSON of the wrong shape: refused with a problem, never a crash (slack_sdk may add its own).
SHAPE_CASES = [
    ("block that is no object", modal("divider"), "/blocks/0: must be an object"),
    ("element that is no object", modal(actions("button")), "/blocks/0/elements/0: must be an object"),
    (
        "accessory image without url",
        modal(section_with({"type": "image", "alt_text": "a"})),
        "/blocks/0/accessory: needs image_url",
    ),
    (
        "option that is no object",
        modal(actions(static_select(options=["a"]))),
        "/options/0: must be an object",
    ),
    ("confirm that is no object", modal(actions(button(confirm="sure?"))), "/confirm: must be an object"),
    (
        "filter that is no object",
        modal(input_block(element("conversations_select", filter="public"))),
        "/filter: must be an object",
    ),
    (
        "dispatch config that is no object",
        modal(input_block(text_input(dispatch_action_config="enter"))),
        "/dispatch_action_config: must be an object",
    ),
    (
        "text object without text",
        modal({"type": "header", "text": {"type": "plain_text"}}),
        "/blocks/0/text/text: is required",
    ),
    ("options that are no array", modal(actions(static_select(options="a,b"))), "/options: must be an array"),
    (
        "value that is no string",
        modal(actions(button(action_id=7))),
        "/blocks/0/elements/0/action_id: must be a string",
    ),
    (
        "number that is no integer",
        modal(input_block(text_input(max_length="80"))),
        "/max_length: must be an integer",
    ),
    (
        "option group that is no object",
        modal(actions(element("static_select", option_groups=["G"], initial_option=option("v0")))),
        "initial option 0 ('v0') is not one of the options",
    ),
]


@pytest.mark.parametrize(("broken", "view", "expected"), SHAPE_CASES, ids=[c[0] for c in SHAPE_CASES])
def test_json_of_the_wrong_shape_is_refused(broken, view, expected):
    assert any(expected in problem for problem in blockkit_rules.view_problems(view))
    assert view_problems(view)


def test_errors_for_a_view_without_blocks_name_no_inputs():
    assert blockkit_rules.errors_problems({"type": "modal"}, {"in": "x"}) == [
        "/errors: ['in'] are not input blocks of the view (inputs: [])"
    ]


def test_an_external_menus_initial_option_is_not_compared_with_options_it_does_not_have():
    assert view_problems(modal(input_block(element("external_select", initial_option=option("v9"))))) == []
    assert (
        view_problems(
            modal(input_block(element("static_select", options=options(1), initial_option=option("v9"))))
        )
        != []
    )
