"""Listeners of the PagerDuty card and its modals: connect (API key or OAuth), sync now, disconnect."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.pagerduty.connection import KeyRejected
from roundrobin.slack.app import deps, refusals
from roundrobin.slack.forms import parse_api_key_form, parse_oauth_form
from roundrobin.slack.ids import PagerDuty
from roundrobin.slack.views.blocks import esc
from roundrobin.slack.views.pagerduty_modals import connect_modal, login_modal, oauth_modal

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.action(PagerDuty.CONNECT)(on_connect)
    app.action(PagerDuty.OAUTH_START)(on_oauth_start)
    app.action(PagerDuty.OAUTH_OPEN)(on_oauth_link)
    app.action(PagerDuty.SYNC_NOW)(on_sync_now)
    app.action(PagerDuty.DISCONNECT)(on_disconnect)
    app.view(PagerDuty.CONNECT_VIEW)(on_api_key_submitted)
    app.view(PagerDuty.OAUTH_VIEW)(on_oauth_client_submitted)


@refusals()
async def on_connect(ack: AsyncAck, body: dict, client: AsyncWebClient, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    await services.access.require_manage(user_id)
    connection = await services.pagerduty.current()
    region = connection.region if connection else "us"
    await client.views_open(
        trigger_id=body["trigger_id"],
        view=connect_modal(region, client_id_known=bool(connection and connection.client_id)),
    )


@refusals()
async def on_oauth_start(
    ack: AsyncAck, body: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    await services.access.require_manage(user_id)
    view = oauth_modal(services.settings.redirect_url, await services.pagerduty.stored_client_id())
    await client.views_update(view_id=body["view"]["id"], hash=body["view"].get("hash"), view=view)


async def on_oauth_link(ack: AsyncAck) -> None:
    # Slack reports clicks on link buttons too; the browser does the work.
    await ack()


@refusals(field=PagerDuty.API_KEY_BLOCK)
async def on_api_key_submitted(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    services, user_id = deps(context), body["user"]["id"]
    await services.access.require_manage(user_id)
    form = parse_api_key_form(view)
    try:
        await services.pagerduty.connect_api_key(user_id, form.api_key, form.region)
    except KeyRejected as e:
        await ack(response_action="errors", errors={PagerDuty.API_KEY_BLOCK: str(e)})
        return
    await ack()
    await services.home.publish(user_id, tab="settings")
    services.sync.request_soon()


@refusals(field=PagerDuty.CLIENT_ID_BLOCK)
async def on_oauth_client_submitted(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    services, user_id = deps(context), body["user"]["id"]
    await services.access.require_manage(user_id)
    form = parse_oauth_form(view)
    if problems := form.errors():
        await ack(response_action="errors", errors=problems)
        return
    url = await services.pagerduty.start_oauth(
        user_id, form.client_id, form.client_secret, view_id=view["id"]
    )
    await ack(response_action="update", view=login_modal(url))
    await services.home.publish(user_id, tab="settings")


@refusals()
async def on_sync_now(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    await services.access.require_manage(user_id)
    await services.home.publish(user_id, tab="settings", notice="Syncing with PagerDuty…")
    report = await services.sync.run()
    notice = "Sync finished." if report.ok else f"Sync failed: {esc(report.error or '')}"
    await services.home.publish(user_id, tab="settings", notice=notice)


@refusals()
async def on_disconnect(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    await services.access.require_manage(user_id)
    reverted = await services.pagerduty.disconnect(user_id)
    notice = "PagerDuty disconnected; its stored credentials were deleted."
    if reverted:
        notice += f" {len(reverted)} PagerDuty-bound rotation{'s' if len(reverted) != 1 else ''} reverted to Manual."
    await services.home.publish(user_id, tab="settings", notice=notice)
