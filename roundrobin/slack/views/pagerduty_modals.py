"""Modals of the PagerDuty connection: API key, OAuth client, login link, and the outcome."""

from __future__ import annotations

from roundrobin.pagerduty.oauth import REQUESTED_SCOPES
from roundrobin.slack.ids import PagerDuty
from roundrobin.slack.views.blocks import (
    actions,
    button,
    context,
    divider,
    esc,
    input_block,
    modal,
    option,
    radio_buttons,
    section,
    text_input,
)

TITLE = "Connect PagerDuty"
REGIONS = [
    option("US service region (app.pagerduty.com)", "us"),
    option("EU service region (app.eu.pagerduty.com)", "eu"),
]


def connect_modal(region: str = "us", client_id_known: bool = False) -> dict:
    """The API key form, with the way to OAuth below it."""
    blocks = [
        section(
            "*Connect with an API key*\nCreate a REST API key in PagerDuty under *Integrations › API Access "
            "Keys*. A read-only key is enough. Round Robin checks it with PagerDuty before saving it."
        ),
        input_block(
            PagerDuty.API_KEY_BLOCK,
            "API key",
            text_input(PagerDuty.API_KEY_INPUT, placeholder="Paste the key", max_length=200),
            hint="Stored encrypted; only its last 4 characters are ever shown.",
        ),
        input_block(
            PagerDuty.REGION_BLOCK, "Service region", radio_buttons(PagerDuty.REGION_INPUT, REGIONS, region)
        ),
        divider(),
        section(
            "*Or connect with OAuth 2.0*\nUse your own PagerDuty app (Scoped OAuth): Round Robin then acts as "
            "the PagerDuty user who approves the login, with read-only scopes."
            + (" Reconnecting keeps the stored Client ID." if client_id_known else "")
        ),
        actions(button("Connect with OAuth", PagerDuty.OAUTH_START)),
    ]
    return modal(TITLE, blocks, callback_id=PagerDuty.CONNECT_VIEW, submit="Connect with API Key")


def oauth_modal(redirect_url: str, client_id: str | None = None) -> dict:
    """What to register in PagerDuty, and the Client ID and Secret it gives back."""
    scopes = ", ".join(f"`{s}`" for s in REQUESTED_SCOPES)
    blocks = [
        section(
            "*1. Register an app in PagerDuty*\nIn PagerDuty open *Integrations › App Registration*, create an "
            "app, add *OAuth 2.0* and choose *Scoped OAuth*."
        ),
        section(f"*2. Paste this Redirect URL*\n```{esc(redirect_url)}```"),
        section(
            f"*3. Tick Read access* for Schedules, Users, On-Calls and Teams: {scopes}. "
            "`openid` is added by PagerDuty itself."
        ),
        section("*4. Copy the Client ID and Client Secret here*"),
        input_block(
            PagerDuty.CLIENT_ID_BLOCK,
            "Client ID",
            text_input(PagerDuty.CLIENT_ID_INPUT, initial=client_id, max_length=200),
        ),
        input_block(
            PagerDuty.CLIENT_SECRET_BLOCK,
            "Client Secret",
            text_input(PagerDuty.CLIENT_SECRET_INPUT, max_length=300),
            hint="Stored encrypted and never shown again.",
        ),
    ]
    return modal("PagerDuty OAuth", blocks, callback_id=PagerDuty.OAUTH_VIEW, submit="Save")


def login_modal(authorize_url: str) -> dict:
    """The login has started: one button opens PagerDuty's consent page."""
    blocks = [
        section(
            "*Saved.* Now approve Round Robin in PagerDuty. The button opens PagerDuty's consent page in your "
            "browser; after you approve, PagerDuty sends you back to Slack."
        ),
        actions(button("Open PagerDuty", PagerDuty.OAUTH_OPEN, url=authorize_url, style="primary")),
        context("The link works once, and only for the next 10 minutes. You can close this window."),
    ]
    return modal("PagerDuty OAuth", blocks, close="Close")


def outcome_modal(ok: bool, message: str) -> dict:
    icon = ":white_check_mark:" if ok else ":warning:"
    return modal("PagerDuty OAuth", [section(f"{icon} {esc(message)}")], close="Close")
