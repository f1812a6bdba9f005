"""Modals of the PagerDuty connection: API key, OAuth client, login link, and the outcome."""

from __future__ import annotations

from roundrobin.pagerduty.oauth import REQUESTED_SCOPES, WRITE_SCOPE
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
from roundrobin.store.integrations import Connection

TITLE = "Connect PagerDuty"
REGIONS = [
    option("US service region (app.pagerduty.com)", "us"),
    option("EU service region (app.eu.pagerduty.com)", "eu"),
]


def connect_modal(connection: Connection | None = None) -> dict:
    """The API key form, with the way to OAuth below it; filled in with what can be shown when a
    connection exists ("Edit connection"): the key's last 4 characters and the region."""
    region = connection.region if connection else "us"
    keeps_key = (
        connection is not None
        and connection.method == "api_key"
        and connection.status == "connected"  # a key PagerDuty rejected is not worth keeping
        and bool(connection.api_key_last4)
    )
    if keeps_key and connection is not None:
        intro = (
            f"*API key*\nConnected with the key ending in …{esc(connection.api_key_last4 or '')}. Paste a new "
            "key to replace it, or leave the field empty to keep it and change only the service region. "
            "Round Robin checks the key with PagerDuty before saving."
        )
    else:
        intro = (
            "*Connect with an API key*\nCreate a REST API key in PagerDuty under *Integrations › API Access "
            "Keys*. A read-only key is enough. Round Robin checks it with PagerDuty before saving it."
        )
    key_hint = (
        f"Leave empty to keep the key ending in …{connection.api_key_last4}."
        if keeps_key and connection
        else "Stored encrypted; only its last 4 characters are ever shown."
    )
    blocks = [
        section(intro),
        input_block(
            PagerDuty.API_KEY_BLOCK,
            "API key",
            text_input(PagerDuty.API_KEY_INPUT, placeholder="Paste the key", max_length=200),
            hint=key_hint,
            optional=keeps_key,
        ),
        input_block(
            PagerDuty.REGION_BLOCK, "Service region", radio_buttons(PagerDuty.REGION_INPUT, REGIONS, region)
        ),
        divider(),
        section(_oauth_intro(connection)),
        actions(button("Connect with OAuth", PagerDuty.OAUTH_START)),
    ]
    title = "Edit connection" if connection else TITLE
    submit = "Save" if keeps_key else "Connect with API Key"
    return modal(title, blocks, callback_id=PagerDuty.CONNECT_VIEW, submit=submit)


def _oauth_intro(connection: Connection | None) -> str:
    text = (
        "*Or connect with OAuth 2.0*\nUse your own PagerDuty app (Scoped OAuth): Round Robin then acts as "
        "the PagerDuty user who approves the login, with read-only scopes."
    )
    if connection and connection.method == "oauth":
        who = esc(connection.pd_user_name or "a PagerDuty user")
        region = REGION_WORDS.get(connection.region, connection.region)
        text = (
            f"*OAuth 2.0*\nConnected with OAuth as {who}, {region} service region (PagerDuty says which "
            "when you approve). To connect again, or as another PagerDuty user, press *Connect with OAuth*: "
            "the stored Client ID is filled in. Or switch to an API key above."
        )
    return text


REGION_WORDS = {"us": "US", "eu": "EU"}


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
            "`openid` is added by PagerDuty itself. Optionally tick *Write access* for Schedules "
            f"(`{WRITE_SCOPE}`): *Cover me…* on a rotation that follows PagerDuty then writes the override there."
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
            hint="Checked with PagerDuty when you press Save; stored encrypted and never shown again.",
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
