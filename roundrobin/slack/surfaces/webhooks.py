"""Listeners of a rotation's Details › Webhooks (managers only): open the form, save it, and show a
new secret once."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from roundrobin.rotations.errors import DraftError
from roundrobin.slack.ids import WebhookIds as W
from roundrobin.slack.surfaces.deps import deps, named_rotation, refusals
from roundrobin.slack.views.blocks import esc
from roundrobin.slack.views.metadata import OfRotation, number
from roundrobin.slack.views.webhooks import secret_modal, webhooks_modal
from roundrobin.webhooks.settings import GRACES, KEEP, NEW, REMOVE, HookChange

FIELDS = {"name": W.NAME, "url": W.URL}


def register(app: AsyncApp) -> None:
    app.action(W.OPEN)(on_open)
    app.view(W.VIEW)(on_submit)


@refusals()
async def on_open(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    """The Webhooks… button in a rotation's Details (a modal on top of it)."""
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    rotation = await named_rotation(services, action.get("value"))
    if rotation is None:
        return
    await services.access.require_manage(user_id)
    state = await services.webhook_settings.state(rotation)
    await services.modals.push(body["trigger_id"], user_id, webhooks_modal(rotation, state))


@refusals(field=W.NAME)
async def on_submit(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    services, user_id = deps(context), body["user"]["id"]
    rotation_id = OfRotation.read(view).rotation_id or 0
    try:
        secret = await services.webhook_settings.save(rotation_id, user_id, parse_webhooks(view))
    except DraftError as e:
        await ack(response_action="errors", errors={FIELDS.get(k, W.NAME): v for k, v in e.errors.items()})
        return
    rotation = await services.rotations.get(rotation_id)
    if secret is not None and rotation is not None:
        endpoint = services.webhook_settings.endpoint(rotation)
        await ack(response_action="update", view=secret_modal(rotation, endpoint, secret))
        return
    await ack(response_action="clear")
    name = f"{esc(rotation.name)} ({esc(rotation.code)})" if rotation else "the rotation"
    await services.home.publish(user_id, notice=f"Saved the webhooks of {name}.")


def parse_webhooks(view: dict) -> HookChange:
    """The Webhooks modal's values; anything a crafted payload puts there is bounded here."""

    def mapping(value: object) -> dict:
        return value if isinstance(value, dict) else {}

    values = mapping(mapping(view.get("state")).get("values"))

    def get(block: str) -> dict:
        return mapping(mapping(values.get(block)).get(block))

    def picked(block: str) -> object:
        return mapping(get(block).get("selected_option")).get("value")

    def typed(block: str, limit: int) -> str:
        value = get(block).get("value")
        return value[:limit] if isinstance(value, str) else ""

    secret = picked(W.SECRET)
    grace = number(picked(W.GRACE), 0, max(GRACES))
    return HookChange(
        name=typed(W.NAME, 40),
        url=typed(W.URL, 2001),
        secret=secret if isinstance(secret, str) and secret in (KEEP, NEW, REMOVE) else KEEP,
        grace=grace if grace in GRACES else 0,
    )
