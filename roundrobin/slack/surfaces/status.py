"""Take it / Skip me, in the DM that asks someone about to go on duty whose Slack status says they
are away. The rule lives in the duty service (rotations/status_hand_over.py): only the person asked
may answer, only while the question is open; this listener parses, calls it once, and answers in
the DM itself (through the click's response_url).
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.rotations.errors import NotAllowed
from roundrobin.slack.ids import StatusIds
from roundrobin.slack.surfaces.deps import answer_click, deps
from roundrobin.slack.views.blocks import beside, esc
from roundrobin.slack.views.metadata import parse_id
from roundrobin.slack.views.status import answer_message


def register(app: AsyncApp) -> None:
    app.action(StatusIds.TAKE)(on_take)
    app.action(StatusIds.SKIP)(on_skip)


async def on_take(
    ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await _answer(ack, body, action, client, context, take=True)


async def on_skip(
    ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await _answer(ack, body, action, client, context, take=False)


async def _answer(
    ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, context: AsyncBoltContext, take: bool
) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    try:
        answer = await services.duty.answer_status(parse_id(action.get("value")) or 0, user_id, take)
    except NotAllowed as refused:
        # Not theirs (or gone): said beside the message, which is left as it was.
        words = f":no_entry: {esc(str(refused))}"
        message = beside(words)
    else:
        message = {**answer_message(answer), "replace_original": True}
    await answer_click(services, client, body, user_id, message)
