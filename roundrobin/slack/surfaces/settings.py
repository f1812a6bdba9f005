"""Settings listeners other than integrations: the Round Robin owners list."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from roundrobin.access import MAX_OWNERS
from roundrobin.slack.ids import Owners
from roundrobin.slack.surfaces.deps import deps, refusals
from roundrobin.slack.views.blocks import mention


def register(app: AsyncApp) -> None:
    app.action(Owners.EDIT)(on_owners_changed)


@refusals()
async def on_owners_changed(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    chosen = action.get("selected_users")
    wanted = [u for u in chosen if u != services.identity.bot_user_id] if isinstance(chosen, list) else []
    added, removed, refused = await services.access.set_owners(user_id, wanted, services.clock())
    notice = owners_words(added, removed)
    if refused:
        refusal = (
            f"{len(refused)} of the people chosen could not be made Round Robin owners: only active people "
            f"in this workspace can be (at most {MAX_OWNERS})."
        )
        notice = f"{notice} {refusal}" if notice else refusal
    await services.home.publish(user_id, tab="settings", notice=notice)


def owners_words(added: set[str], removed: set[str]) -> str | None:
    """'<@U1> is a Round Robin owner now.' / '<@U2> is no longer a Round Robin owner.'"""
    said = []
    for people, one, many in (
        (added, "is a Round Robin owner now", "are Round Robin owners now"),
        (removed, "is no longer a Round Robin owner", "are no longer Round Robin owners"),
    ):
        if people:
            names = ", ".join(mention(u) for u in sorted(people))
            said.append(f"{names} {one if len(people) == 1 else many}.")
    return " ".join(said) or None
