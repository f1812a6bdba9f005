"""App Home listeners: opening the tab and switching between Rotations and Settings."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from roundrobin.slack.ids import Home
from roundrobin.slack.surfaces.deps import deps


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(on_home_opened)
    app.action(Home.TAB_ROTATIONS)(on_tab)
    app.action(Home.TAB_SETTINGS)(on_tab)
    app.action(Home.TAB_LOAD)(on_tab)


async def on_home_opened(event: dict, context: AsyncBoltContext) -> None:
    if event.get("tab") == "home":
        await deps(context).home.publish(event["user"])


async def on_tab(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    await deps(context).home.publish(body["user"]["id"], tab=action["value"], page=0)
