"""Modal submissions parsed into typed objects, in one place per modal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from roundrobin.slack.ids import PagerDuty


def field(view: dict, block_id: str, action_id: str) -> dict[str, Any]:
    return view.get("state", {}).get("values", {}).get(block_id, {}).get(action_id) or {}


def text(view: dict, block_id: str, action_id: str) -> str:
    return (field(view, block_id, action_id).get("value") or "").strip()


def selected(view: dict, block_id: str, action_id: str) -> str | None:
    chosen = field(view, block_id, action_id).get("selected_option")
    return chosen.get("value") if chosen else None


@dataclass(frozen=True)
class ApiKeyForm:
    api_key: str
    region: str


def parse_api_key_form(view: dict) -> ApiKeyForm:
    region = selected(view, PagerDuty.REGION_BLOCK, PagerDuty.REGION_INPUT)
    return ApiKeyForm(
        api_key=text(view, PagerDuty.API_KEY_BLOCK, PagerDuty.API_KEY_INPUT),
        region=region if region in ("us", "eu") else "us",
    )


@dataclass(frozen=True)
class OAuthClientForm:
    client_id: str
    client_secret: str

    def errors(self) -> dict[str, str]:
        problems = {}
        if not self.client_id or any(c.isspace() for c in self.client_id):
            problems[PagerDuty.CLIENT_ID_BLOCK] = (
                "Paste the Client ID from your PagerDuty app, without spaces."
            )
        if not self.client_secret or any(c.isspace() for c in self.client_secret):
            problems[PagerDuty.CLIENT_SECRET_BLOCK] = (
                "Paste the Client Secret from your PagerDuty app, without spaces."
            )
        return problems


def parse_oauth_form(view: dict) -> OAuthClientForm:
    return OAuthClientForm(
        client_id=text(view, PagerDuty.CLIENT_ID_BLOCK, PagerDuty.CLIENT_ID_INPUT),
        client_secret=text(view, PagerDuty.CLIENT_SECRET_BLOCK, PagerDuty.CLIENT_SECRET_INPUT),
    )
