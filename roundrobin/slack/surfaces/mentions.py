"""`@Round Robin CODE …` in a channel opens a request; ACK and PASS in the DM that offers it answer it.

The rules live in RequestService; these listeners parse, call it once, and answer where the person
is: in the thread for a mention, in the DM itself (through its response_url) for a button.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.rotations.model import Rotation
from roundrobin.rotations.requests import RequestRefused
from roundrobin.services import Services
from roundrobin.slack.ids import Requests
from roundrobin.slack.surfaces.deps import answer_click, deps
from roundrobin.slack.views.blocks import beside, esc, section
from roundrobin.slack.views.metadata import parse_id
from roundrobin.slack.views.requests import (
    APP,
    answered_dm,
    help_reply,
    no_code_reply,
    passed_it,
    permalink,
    refusal,
    took_it,
    unknown_code_reply,
)
from roundrobin.slack.views.rotations import rotation_line, who_text

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,39}")
QUESTION_LIST = 10

if TYPE_CHECKING:
    from roundrobin.store.requests import Request


@dataclass(frozen=True)
class Mention:
    code: str | None  # None: nothing after the mention looks like a code
    text: str  # the rest of the message, Slack's markup and all
    said: str = ""  # everything after the mention (a rotation's name may start it)

    @property
    def question(self) -> str | None:
        """ "who" or "help" when the person asked that rather than naming a rotation ("who is on
        call?", "who's on duty", "help"); None otherwise."""
        first = self.said.strip().lower().split(" ", 1)[0].strip("?!.,:;") if self.said.strip() else ""
        if first in WHO_WORDS or self.said.strip().lower().rstrip("?! ") in ("on call", "on-call", "on duty"):
            return "who"
        if first in ("help", "?", "hi", "hello"):
            return "help"
        return None


WHO_WORDS = {"who", "who's", "whos", "who’s", "whois"}


def parse_mention(text: str, bot_user_id: str) -> Mention:
    """`<@BOT> PLAT the deploy is stuck` → code PLAT, text "the deploy is stuck" (words before the
    mention are kept in the text; only the first mention of the app counts)."""
    found = re.search(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", text)
    before, after = (text[: found.start()], text[found.end() :]) if found else ("", text)
    word, _, rest = after.strip().partition(" ")
    code = word.rstrip(":,.;!?")
    said = after.strip()
    if not CODE.fullmatch(code):
        return Mention(None, " ".join(p for p in (before.strip(), said) if p), said)
    return Mention(code.upper(), " ".join(p for p in (before.strip(), rest.strip()) if p), said)


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
    channel = event["channel"]
    if mention.question and not (mention.code and await services.rotations.by_code(mention.code)):
        words = await _answer_question(services, mention.question, channel)
        await client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=words, blocks=[section(words)]
        )
        return
    opened = await services.requests.open(
        mention.code, channel, thread_ts, event["user"], mention.text, said=mention.said
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
    ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    try:
        request = await services.requests.ack(_request_id(action), user_id)
    except RequestRefused as refused:
        await _refused(body, client, services, refused, user_id)
        return
    answer = answered_dm(
        request, await _rotation(services, request), took_it(request), _link(services, request)
    )
    await answer_click(services, client, body, user_id, answer)


async def on_pass(
    ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    try:
        passed = await services.requests.pass_on(_request_id(action), user_id)
    except RequestRefused as refused:
        await _refused(body, client, services, refused, user_id)
        return
    request = passed.request
    note = passed_it(request, passed.offered, user_id)
    answer = answered_dm(request, await _rotation(services, request), note, _link(services, request))
    await answer_click(services, client, body, user_id, answer)


async def _answer_question(services: Services, question: str, channel: str) -> str:
    """ "who is on call?" answered like `/rr who`: the rotations that post in this channel (or all of
    them), and how to ask one; "help" answered with how to ask."""
    here = await services.rotations.announcing_in(channel, QUESTION_LIST)
    shown = here or (await services.rotations.page(0, QUESTION_LIST))[0]
    if question == "help" or not shown:
        return help_reply(tuple(r.code for r in shown))
    if len(here) == 1 or len(shown) == 1:
        one = (here or shown)[0]
        return f"{who_text(one)}\nTo ask them: `{APP} {esc(one.code)} your question`."
    lines = "\n".join(rotation_line(r) for r in shown)
    return f"{lines}\nTo ask one of them: `{APP} CODE your question`, like `{APP} {esc(shown[0].code)} …`."


def _request_id(action: dict) -> int:
    return parse_id(action.get("value")) or 0


async def _rotation(services: Services, request: Request) -> Rotation | None:
    return await services.rotations.get(request.rotation_id) if request.rotation_id else None


def _link(services: Services, request: Request) -> str | None:
    return permalink(services.identity.url, request.channel_id, request.thread_ts)


async def _refused(
    body: dict, client: AsyncWebClient, services: Services, refused: RequestRefused, user_id: str
) -> None:
    """A closed request replaces the DM that offered it; a request never offered to this person is
    answered beside their message, which is left as it was."""
    words = refusal(refused, user_id)
    request = refused.request
    if request is not None and user_id in request.offered_to:
        answer = answered_dm(request, await _rotation(services, request), words, _link(services, request))
        await answer_click(services, client, body, user_id, answer)
    else:
        await answer_click(services, client, body, user_id, beside(words))
