"""Listeners of the PagerDuty card and its modals: connect (API key or OAuth), sync now, disconnect."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from roundrobin.pagerduty.connection import ClientRejected, KeyRejected
from roundrobin.pagerduty.sync import SyncReport
from roundrobin.slack.ids import PagerDuty
from roundrobin.slack.surfaces.deps import deps, refusals
from roundrobin.slack.surfaces.forms import parse_api_key_form, parse_oauth_form
from roundrobin.slack.views.blocks import esc
from roundrobin.slack.views.pagerduty_modals import connect_modal, login_modal, oauth_modal
from roundrobin.slack.views.settings import schedules_in_pagerduty

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
async def on_connect(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    await services.access.require_manage(user_id)
    connection = await services.pagerduty.current()
    await services.modals.open(body["trigger_id"], user_id, connect_modal(connection))


@refusals()
async def on_oauth_start(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    await services.access.require_manage(user_id)
    view = oauth_modal(services.settings.redirect_url, await services.pagerduty.stored_client_id())
    await services.modals.update(body, view)


async def on_oauth_link(ack: AsyncAck) -> None:
    # Slack reports clicks on link buttons too; the browser does the work.
    await ack()


@refusals(field=PagerDuty.API_KEY_BLOCK)
async def on_api_key_submitted(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    services, user_id = deps(context), body["user"]["id"]
    await services.access.require_manage(user_id)
    form = parse_api_key_form(view)
    try:
        if form.api_key:
            await services.pagerduty.connect_api_key(user_id, form.api_key, form.region)
            notice = None
        else:  # Edit connection with the key field left empty: the stored key, in the region chosen
            connection = await services.pagerduty.change_region(user_id, form.region)
            notice = f"Saved: the same API key, {connection.region.upper()} service region."
    except KeyRejected as e:
        await ack(response_action="errors", errors={PagerDuty.API_KEY_BLOCK: str(e)})
        return
    await ack()
    await services.home.publish(user_id, tab="settings", notice=notice)
    services.sync.request_soon()


@refusals(field=PagerDuty.CLIENT_ID_BLOCK)
async def on_oauth_client_submitted(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    services, user_id = deps(context), body["user"]["id"]
    await services.access.require_manage(user_id)
    form = parse_oauth_form(view)
    if problems := form.errors():
        await ack(response_action="errors", errors=problems)
        return
    try:
        # The modal is told how the login ended: only if it is the person's own (the id may be forged).
        own_view = view["id"] if await services.modals.owns(body) else None
        url = await services.pagerduty.start_oauth(
            user_id, form.client_id, form.client_secret, view_id=own_view
        )
    except ClientRejected as e:  # the Client ID typed stays in the field, ready for another try
        await ack(response_action="errors", errors={PagerDuty.CLIENT_SECRET_BLOCK: str(e)})
        return
    await ack(response_action="update", view=login_modal(url))
    await services.home.publish(user_id, tab="settings")


@refusals()
async def on_sync_now(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    await services.access.require_manage(user_id)
    await services.home.publish(user_id, tab="settings", notice="Syncing with PagerDuty…")
    report = await services.sync.sync_now(user_id)
    if report.ok:
        await services.home.publish(user_id, tab="settings", notice=sync_words(report))
    else:
        notice = f"Sync failed: {esc(report.error or '')}"
        await services.home.publish(user_id, tab="settings", notice=notice, icon=":warning:")


def sync_words(report: SyncReport) -> str:
    """'Sync finished: 2 hand-overs (OPS, WEB). 14 schedules in PagerDuty, 3 rotations following them.'"""
    changes = [c.rotation.code for c in report.changes]
    following = f"{_count(report.bound, 'rotation')} following {'it' if report.bound == 1 else 'them'}"
    census = report.census
    counts = f"{schedules_in_pagerduty(census)}, {following}" if census else following
    counts = counts[0].upper() + counts[1:]
    if changes:
        codes = ", ".join(esc(code) for code in changes[:5]) + (" …" if len(changes) > 5 else "")
        what = f"{_count(len(changes), 'hand-over')} ({codes})"
    else:
        what = "nobody changed hands"
    news = [
        _count(n, f"{label} schedule")
        for n, label in ((census and census.new, "new"), (census and census.gone, "removed"))
        if n
    ]
    if news:
        what += ", " + ", ".join(news)
    words = f"Sync finished: {what}. {counts}."
    if report.deferred:
        words += (
            f" The week ahead of {_count(report.deferred, 'more schedule')} is read over the next minutes, "
            "within a tenth of PagerDuty's rate limit."
        )
    if report.unmatched:
        words += (
            f" {_count(report.unmatched, 'person', 'people')} in those schedules "
            f"{'is' if report.unmatched == 1 else 'are'} not linked to Slack: see the rotations' Details."
        )
    if report.failed:
        words += " Some of PagerDuty could not be read: see the PagerDuty card below."
    return words


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


@refusals()
async def on_disconnect(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    await services.access.require_manage(user_id)
    reverted = await services.pagerduty.disconnect(user_id)
    notice = "PagerDuty disconnected; its stored credentials were deleted."
    if reverted:
        codes = [r.code for r in [await services.rotations.get(i) for i in reverted[:10]] if r]
        listed = ", ".join(esc(c) for c in codes) + (" …" if len(reverted) > 10 else "")
        one = len(reverted) == 1
        notice += (
            f" {len(reverted)} PagerDuty-bound rotation{'' if one else 's'} reverted to Manual ({listed}). "
            f"After connecting again, bind {'it' if one else 'them'} to {'its schedule' if one else 'their schedules'} "
            "again in Edit."
        )
    await services.home.publish(user_id, tab="settings", notice=notice)
