"""Settings listeners other than integrations: the Round Robin owners list."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from roundrobin.slack.app import deps, refusals
from roundrobin.slack.ids import Owners


def register(app: AsyncApp) -> None:
    app.action(Owners.EDIT)(on_owners_changed)


@refusals()
async def on_owners_changed(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    wanted = [u for u in action.get("selected_users", []) if u != services.identity.bot_user_id]
    await services.access.set_owners(user_id, wanted, services.clock())
    await services.home.publish(user_id, tab="settings")
