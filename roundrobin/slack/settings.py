"""Settings listeners other than integrations: the Round Robin owners list."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from roundrobin.slack.app import deps
from roundrobin.slack.ids import Owners
from roundrobin.slack.permissions import MANAGE_REFUSED
from roundrobin.store import events, owners


def register(app: AsyncApp) -> None:
    app.action(Owners.EDIT)(on_owners_changed)


async def on_owners_changed(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    if not await services.permissions.can_manage(user_id):
        await services.home.publish(user_id, tab="settings", notice=MANAGE_REFUSED)
        return
    wanted = [u for u in action.get("selected_users", []) if u != services.identity.bot_user_id]
    now = services.clock()
    async with services.db.transaction():
        added, removed = await owners.replace_owners(services.db, wanted, user_id, now)
        if added or removed:
            await events.record(
                services.db, "owners.changed", now, user_id, added=sorted(added), removed=sorted(removed)
            )
    await services.home.publish(user_id, tab="settings")
