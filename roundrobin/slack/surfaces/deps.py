"""What every listener gets from its context: the services, and one way to tell a refusal."""

from __future__ import annotations

import functools
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.access import PermissionDenied
from roundrobin.rotations.errors import NotAllowed
from roundrobin.rotations.model import Rotation
from roundrobin.services import Services
from roundrobin.slack.views.blocks import esc
from roundrobin.slack.views.metadata import parse_id


def deps(context: AsyncBoltContext) -> Services:
    """The services of this process (put in every context by the middleware below)."""
    return context["services"]


async def named_rotation(services: Services, value: object) -> Rotation | None:
    """The rotation a click's value names: None when the value is not an id, or the rotation is gone."""
    rotation_id = parse_id(value)
    return await services.rotations.get(rotation_id) if rotation_id else None


async def answer_click(
    services: Services, client: AsyncWebClient, body: dict, user_id: str, message: dict[str, Any]
) -> None:
    """Through the click's response_url when it is Slack's; otherwise a DM says it."""
    if await services.replies.respond(body.get("response_url"), message):
        return
    message = {k: v for k, v in message.items() if k not in ("replace_original", "response_type")}
    await client.chat_postMessage(channel=user_id, **message)


def refusals(field: str | None = None):
    """A listener decorator: a refusal raised by a service (PermissionDenied, NotAllowed) reaches the
    person where they are: under `field` in a submitted modal, as the answer to /rr, or as a notice
    on their App Home. The listener must take `ack`, `body` and `context`."""

    def decorate(listener):
        @functools.wraps(listener)
        async def run(**kwargs):
            try:
                return await listener(**kwargs)
            except (PermissionDenied, NotAllowed) as refusal:
                await _tell_refusal(
                    kwargs["ack"],
                    kwargs["body"],
                    deps(kwargs["context"]),
                    str(refusal),
                    field,
                    getattr(refusal, "icon", ":no_entry:"),  # a hand-over that waits is not a refusal
                )

        return run

    return decorate


async def _tell_refusal(
    ack, body: dict, services: Services, words: str, field: str | None, icon: str = ":no_entry:"
) -> None:
    acked = ack.response is not None
    if body.get("type") == "view_submission" and field and not acked:
        await ack(response_action="errors", errors={field: words})
        return
    if body.get("command") and not acked:
        await ack(text=f"{icon} {esc(words)}")
        return
    if not acked:
        await ack()
    user_id = (body.get("user") or {}).get("id") or body.get("user_id")
    if user_id:
        await services.home.publish(user_id, notice=esc(words), icon=icon)
