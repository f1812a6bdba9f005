"""`@Round Robin CODE …` in a channel opens a request; ACK and PASS in the DM that offers it answer it.

The rules live in RequestService; these listeners parse, call it once, and answer where the person
is: in the thread for a mention, in the DM itself (through its response_url) for a button.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.rotations.requests import RequestRefused
from roundrobin.services import Services
from roundrobin.slack.app import deps
from roundrobin.slack.ids import Requests
from roundrobin.slack.views.blocks import section
from roundrobin.slack.views.requests import (
    answered_dm,
    no_code_reply,
    passed_it,
    permalink,
    refusal,
    took_it,
    unknown_code_reply,
)

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,39}")

if TYPE_CHECKING:
    from roundrobin.store.requests import Request


@dataclass(frozen=True)
class Mention:
    code: str | None  # None: nothing after the mention looks like a code
    text: str  # the rest of the message, Slack's markup and all


def parse_mention(text: str, bot_user_id: str) -> Mention:
    """`<@BOT> PLAT the deploy is stuck` → code PLAT, text "the deploy is stuck" (words before the
    mention are kept in the text; only the first mention of the app counts)."""
    found = re.search(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", text)
    before, after = (text[: found.start()], text[found.end() :]) if found else ("", text)
    word, _, rest = after.strip().partition(" ")
    code = word.rstrip(":,.;!?")
    if not CODE.fullmatch(code):
        return Mention(None, " ".join(p for p in (before.strip(), after.strip()) if p))
    return Mention(code.upper(), " ".join(p for p in (before.strip(), rest.strip()) if p))


def register(app: AsyncApp) -> None:
    app.event("app_mention")(on_mention)
    app.action(Requests.ACK)(on_ack)
    app.action(Requests.PASS)(on_pass)


async def on_mention(event: dict, client: AsyncWebClient, context: AsyncBoltContext) -> None:
    services = deps(context)
    if event.get("bot_id") or not event.get("user"):
        return  # another app's message: requests come from people
    mention = parse_mention(event.get("text") or "", services.identity.bot_user_id)
    thread_ts = event.get("thread_ts") or event["ts"]
    opened = await services.requests.open(
        mention.code, event["channel"], thread_ts, event["user"], mention.text
    )
    if opened.outcome == "no_code":
        words = no_code_reply(opened.suggestions)
    elif opened.outcome == "unknown_code":
        words = unknown_code_reply(opened.code, opened.suggestions)
    else:
        return  # the thread reply and the DMs go out through the outbox, committed with the request
    await client.chat_postMessage(
        channel=event["channel"], thread_ts=thread_ts, text=words, blocks=[section(words)]
    )


async def on_ack(
    ack: AsyncAck,
    body: dict,
    action: dict,
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    try:
        request = await services.requests.ack(_request_id(action), user_id)
    except RequestRefused as refused:
        await _refused(body, respond, client, services, refused, user_id)
        return
    answer = answered_dm(request, took_it(request), _link(services, request), _shown(body))
    await _answer(body, respond, client, user_id, answer)


async def on_pass(
    ack: AsyncAck,
    body: dict,
    action: dict,
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    try:
        passed = await services.requests.pass_on(_request_id(action), user_id)
    except RequestRefused as refused:
        await _refused(body, respond, client, services, refused, user_id)
        return
    note = passed_it(passed.request, passed.offered, user_id)
    answer = answered_dm(passed.request, note, _link(services, passed.request), _shown(body))
    await _answer(body, respond, client, user_id, answer)


def _request_id(action: dict) -> int:
    value = str(action.get("value") or "")
    return int(value) if value.isdigit() else 0


def _shown(body: dict) -> list[dict] | None:
    """The blocks of the DM that was clicked, as Slack sends them with the click."""
    return (body.get("message") or {}).get("blocks")


def _link(services: Services, request: Request) -> str | None:
    return permalink(services.identity.url, request.channel_id, request.thread_ts)


async def _refused(
    body: dict,
    respond: AsyncRespond,
    client: AsyncWebClient,
    services: Services,
    refused: RequestRefused,
    user_id: str,
) -> None:
    """A closed request replaces the DM that offered it; a request never offered to this person is
    answered beside their message, which is left as it was."""
    words = refusal(refused, user_id)
    request = refused.request
    if request is not None and user_id in request.offered_to:
        answer = answered_dm(request, words, _link(services, request), _shown(body))
        await _answer(body, respond, client, user_id, answer)
    else:
        reply = {
            "text": words,
            "blocks": [section(words)],
            "replace_original": False,
            "response_type": "ephemeral",
        }
        await _answer(body, respond, client, user_id, reply)


async def _answer(
    body: dict, respond: AsyncRespond, client: AsyncWebClient, user_id: str, message: dict
) -> None:
    if body.get("response_url"):
        await respond(**message)
    else:  # no message to answer beside: a DM says it
        message = {k: v for k, v in message.items() if k not in ("replace_original", "response_type")}
        await client.chat_postMessage(channel=user_id, **message)
