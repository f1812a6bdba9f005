"""Calendar links: resetting a person's or a rotation's feed link; the timeline page's link button."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from roundrobin.slack.ids import Calendars
from roundrobin.slack.surfaces.deps import deps, refusals
from roundrobin.slack.surfaces.details import details_view
from roundrobin.slack.views.blocks import esc
from roundrobin.slack.views.metadata import parse_id

RESET = "New calendar link made: the old one stopped working. Calendars subscribed to it need the new one"


def register(app: AsyncApp) -> None:
    app.action(Calendars.OPEN_TIMELINE)(on_open_timeline)
    app.action(Calendars.RESET_MINE)(on_reset_mine)
    app.action(Calendars.RESET_ROTATION)(on_reset_rotation)


async def on_open_timeline(ack: AsyncAck) -> None:
    """Slack opens the link itself; the click still comes here, and only needs an answer."""
    await ack()


@refusals()
async def on_reset_mine(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    await services.feeds.reset_person(user_id)
    await services.home.publish(user_id, tab="settings", notice=f"{RESET} (below).")


@refusals()
async def on_reset_rotation(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    rotation = await services.rotations.get(parse_id(action.get("value")) or 0)
    if rotation is None:
        return
    await services.feeds.reset_rotation(rotation.id, user_id)
    notice = f"{RESET} for {esc(rotation.code)}."
    view = body.get("view") or {}
    if view.get("type") == "modal" and await services.modals.owns(body):
        await services.modals.update(
            body, await details_view(services, rotation, user_id, notice=notice), use_hash=False
        )
        return
    await services.home.publish(user_id, notice=notice)
