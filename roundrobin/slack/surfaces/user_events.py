"""Slack's user_change event: a person's account changed (deactivated, reactivated, a guest now,
a new name). Bolt acks events at once; the directory and the rotations follow after."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from roundrobin.slack.surfaces.deps import deps


def register(app: AsyncApp) -> None:
    app.event("user_change")(on_user_change)


async def on_user_change(event: dict, context: AsyncBoltContext) -> None:
    await deps(context).accounts.user_changed(event.get("user"))
