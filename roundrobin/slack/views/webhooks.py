"""Details › Webhooks: the line in Details (managers only), the form, and the secret shown once."""

from __future__ import annotations

from urllib.parse import urlsplit

from roundrobin.rotations.model import Rotation
from roundrobin.slack.ids import WebhookIds as W
from roundrobin.slack.views.blocks import (
    Block,
    button,
    context,
    esc,
    input_block,
    mention,
    modal,
    option,
    radio_buttons,
    section,
    slack_date,
    static_select,
    text_input,
)
from roundrobin.slack.views.metadata import OfRotation
from roundrobin.webhooks.settings import GRACES, KEEP, NEW, REMOVE, HookState

GRACE_WORDS = {
    0: "stops at once",
    3600: "works 1 more hour",
    86400: "works 1 more day",
    604800: "works 7 more days",
}
OUTCOME_WORDS = {
    "delivered": ":white_check_mark: delivered",
    "retrying": ":warning: failed, retrying",
    "gave_up": ":x: given up",
}


def host_of(url: str) -> str:
    """Where events go, in few words: the URL's host (its path may hold a token)."""
    try:
        return urlsplit(url).hostname or "?"
    except ValueError:
        return "?"


def webhooks_line(rotation: Rotation, state: HookState) -> Block:
    """Details: whether the rotation takes calls and posts its changes, and how the last went."""
    parts = []
    if state.has_secret:
        made = f" (secret made {slack_date(state.secret_at)}" if state.secret_at else " ("
        by = f" by {mention(state.secret_by)})" if state.secret_by else ")"
        parts.append("takes signed calls" + made + by)
        if state.old_until and state.old_until > state.now:
            parts.append(f"the previous secret works until {slack_date(state.old_until)}")
    else:
        parts.append("takes no calls")
    if state.url:
        parts.append(f"posts duty changes to `{esc(host_of(state.url))}`")
        if state.pending:
            parts.append(f"{state.pending} waiting to be delivered")
    text = "*Webhooks*: " + "; ".join(parts) + "."
    lines = [
        f"{OUTCOME_WORDS.get(d.outcome, esc(d.outcome))} {slack_date(d.at, '{date_short} {time}')} "
        f"({esc(d.detail)}, attempt {d.attempt})"
        for d in state.deliveries[:5]
    ]
    if lines:
        text += "\n*Last deliveries*\n" + "\n".join(lines)
    return section(text, accessory=button("Webhooks…", W.OPEN, value=str(rotation.id)))


def webhooks_modal(rotation: Rotation, state: HookState) -> dict:
    secret_choices = [
        option("Keep the current secret", KEEP),
        option("Make a new secret", NEW, "The new one is shown once, when you save"),
        option("Remove the secret: no calls in, no events out", REMOVE),
    ]
    if not state.has_secret:
        secret_choices = [option("Make a secret (shown once, when you save)", NEW), option("No secret", KEEP)]
    blocks: list[Block] = [
        section(
            f"Tools you run can change who is on duty for *{esc(rotation.name)}* by posting a signed "
            f"JSON request to\n`{esc(state.endpoint)}`\nand Round Robin can post every duty change "
            "to a URL of yours, signed the same way. The README's Webhooks section has the details."
        ),
        input_block(
            W.NAME,
            "Name",
            text_input(W.NAME, initial=state.name, max_length=40),
            hint='History says "by webhook (name)".',
        ),
        input_block(
            W.SECRET,
            "Signing secret",
            radio_buttons(W.SECRET, secret_choices, KEEP if state.has_secret else NEW),
        ),
        input_block(
            W.GRACE,
            "When a new secret is made, the old one…",
            static_select(W.GRACE, [option(GRACE_WORDS[g], str(g)) for g in GRACES], "3600"),
            optional=True,
        ),
        input_block(
            W.URL,
            "Post duty changes to",
            text_input(W.URL, initial=state.url, placeholder="https://hooks.example.com/round-robin"),
            hint="Leave empty to post nowhere. Redirects are not followed; private addresses are refused.",
            optional=True,
        ),
    ]
    return modal(
        "Webhooks",
        blocks,
        W.VIEW,
        submit="Save",
        private_metadata=OfRotation(rotation.id),
    )


def secret_modal(rotation: Rotation, endpoint: str, secret: str) -> dict:
    """The new secret, shown this once: Round Robin keeps it encrypted and never shows it again."""
    return modal(
        "Webhook secret",
        [
            section(f"The new signing secret for *{esc(rotation.name)}* ({esc(rotation.code)}):"),
            section(f"```{secret}```"),
            context(
                "Copy it now: Round Robin will not show it again. Sign each request to "
                f"`{esc(endpoint)}` with it, and check the events Round Robin posts with it."
            ),
        ],
        close="Done",
    )
