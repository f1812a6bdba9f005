"""Block Kit to check: small builders, and a Home tab and a modal that use most of what Slack offers."""


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
        "label": plain("Hand-over"),
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
