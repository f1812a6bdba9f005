"""The Bolt app: services injected into every listener's context, listeners registered per surface."""

from __future__ import annotations

import logging
import uuid

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.services import Services
from roundrobin.slack.surfaces import (
    calendars,
    commands,
    handoff,
    home,
    hours,
    load,
    mentions,
    notifications,
    pagerduty,
    pd_covers,
    rotation_form,
    rotations,
    settings,
    shifts,
    status,
    user_events,
    webhooks,
)

log = logging.getLogger(__name__)


def build_slack_app(services: Services, client: AsyncWebClient) -> AsyncApp:
    bolt_log = logging.getLogger("slack_bolt")
    # AsyncApp also reads SLACK_BOT_TOKEN from the environment and warns that `client` wins, which
    # is exactly what we want: the client carries SLACK_API_URL. Keep that warning out of the log.
    bolt_log.addFilter(lambda record: "`token` will be unused" not in record.getMessage())
    app = AsyncApp(client=client, logger=bolt_log)

    @app.middleware
    async def inject_services(context: AsyncBoltContext, next):  # noqa: A002 - Bolt's name
        context["services"] = services
        await next()

    @app.error
    async def on_error(error: Exception, body: dict) -> None:
        reference = uuid.uuid4().hex[:8]
        log.error("listener failed", exc_info=error, extra={"reference": reference, "type": body.get("type")})
        user_id = (body.get("user") or {}).get("id") or body.get("user_id")
        if user_id and body.get("type") == "block_actions":
            await services.home.publish(
                user_id,
                notice=(
                    f"Something went wrong on our side (reference {reference}); nothing was changed. "
                    "If it happens again, tell whoever runs Round Robin and give them the reference."
                ),
                icon=":warning:",
            )

    surfaces = (
        home,
        settings,
        pagerduty,
        rotations,
        rotation_form,
        commands,
        notifications,
        mentions,
        shifts,
        hours,
        status,
        user_events,
        calendars,
        load,
        handoff,
        webhooks,
        pd_covers,
    )
    for surface in surfaces:
        surface.register(app)
    return app
