"""Who the bot is in Slack, learned once at start-up from auth.test (and bots.info for the app id)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient


@dataclass
class SlackIdentity:
    team_id: str
    team_name: str
    bot_user_id: str
    bot_id: str
    app_id: str | None
    url: str
    scopes: set[str] = field(default_factory=set)
    web_base: str = "https://slack.com"  # where app_redirect lives: Slack's own host, or a simulator's

    @property
    def app_redirect_url(self) -> str:
        """Opens the app in Slack (the App Home) on the desktop and on the web."""
        if self.app_id:
            return f"{self.web_base}/app_redirect?app={self.app_id}&team={self.team_id}"
        return self.url or self.web_base

    @property
    def deep_link(self) -> str:
        return f"slack://app?team={self.team_id}&id={self.app_id or ''}&tab=home"


async def fetch_identity(client: AsyncWebClient) -> SlackIdentity:
    """auth.test: validates the bot token and tells which scopes it carries (x-oauth-scopes)."""
    response = await client.auth_test()
    header = response.headers.get("x-oauth-scopes") or response.headers.get("X-OAuth-Scopes") or ""
    identity = SlackIdentity(
        team_id=response["team_id"],
        team_name=response.get("team", ""),
        bot_user_id=response["user_id"],
        bot_id=response.get("bot_id", ""),
        app_id=response.get("app_id"),
        url=response.get("url", ""),
        scopes={s.strip() for s in header.split(",") if s.strip()},
        web_base=client.base_url.rstrip("/").removesuffix("/api"),
    )
    if not identity.app_id and identity.bot_id:
        # Without it only the "back to Slack" link loses precision.
        with contextlib.suppress(SlackApiError):
            identity.app_id = (await client.bots_info(bot=identity.bot_id))["bot"].get("app_id")
    return identity
