"""The Load tab's listeners: the 30 / 90 days switch, its pages, and the CSV link's click."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from roundrobin.rotations.load import PERIODS
from roundrobin.slack.ids import LoadIds
from roundrobin.slack.surfaces.deps import deps
from roundrobin.slack.views.metadata import number

MAX_PAGE = 10_000  # 200,000 rotations at twenty a page: a page number beyond is crafted


def register(app: AsyncApp) -> None:
    app.action(LoadIds.PERIOD_30)(on_period)
    app.action(LoadIds.PERIOD_90)(on_period)
    app.action(LoadIds.PAGE_PREVIOUS)(on_page)
    app.action(LoadIds.PAGE_NEXT)(on_page)
    app.action(LoadIds.CSV)(on_csv)


async def on_period(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    days = number(action.get("value"), min(PERIODS), max(PERIODS))
    if days in PERIODS:
        services.load_home.days[user_id] = days
    await services.home.publish(user_id, tab="load", page=0)


async def on_page(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    page = number(action.get("value"), 0, MAX_PAGE) or 0
    await deps(context).home.publish(body["user"]["id"], tab="load", page=page)


async def on_csv(ack: AsyncAck) -> None:
    await ack()  # the browser opens the link; Slack only wants the click acknowledged
