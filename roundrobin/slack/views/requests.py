"""Messages of `@Round Robin CODE …` requests: thread replies, the DM with ACK and PASS, and answers.

What the person typed reaches Slack only through `typed()`: their mentions of people and channels stay
mentions (through `mention`), broadcasts and group pings become plain words, and everything else is
escaped, so a request can never ping @channel from Round Robin's mouth.
"""

from __future__ import annotations

import re
from typing import Any

from roundrobin.rotations.model import Rotation
from roundrobin.rotations.requests import OFFER, THREAD, Offer, RequestRefused, ThreadNote
from roundrobin.slack.ids import Requests
from roundrobin.slack.views.blocks import (
    actions,
    button,
    context,
    cut,
    esc,
    is_id,
    mention,
    section,
    slack_date,
)
from roundrobin.slack.views.messages import not_in_slack, people, unmatched_words
from roundrobin.slack.views.sending import Format, Sending
from roundrobin.store.requests import ACKED, EXPIRED, UNANSWERED, Request

APP = "@Round Robin"
_SEQUENCE = re.compile(r"<([^<>]*)>")
QUOTE_LIMIT = 2500
FALLBACK_LIMIT = 300


# --- what people typed -------------------------------------------------------------------------------


def _unescape(text: str) -> str:
    """Slack sends &, < and > typed by people as entities; back to what they typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _sequence(inner: str) -> str:
    target, _, label = inner.partition("|")
    label = _unescape(label)
    if target.startswith("@") and is_id("user", target[1:]):
        return mention(target[1:])
    if target.startswith("#") and is_id("channel", target[1:]):
        return mention(target[1:])
    if target.startswith("!subteam^"):
        return esc(label or "@group")
    if target.startswith("!"):  # !here, !channel, !everyone, !date: words, never a ping
        return esc(label or f"@{target[1:].split('^')[0]}")
    if target.startswith(("http://", "https://", "mailto:")):
        url = _unescape(target)
        return esc(f"{label} ({url})" if label and label != url else url)
    return esc(f"<{_unescape(inner)}>")


def typed(text: str) -> str:
    """A person's message as safe mrkdwn (see the module docstring)."""
    parts, position = [], 0
    for match in _SEQUENCE.finditer(text):
        parts.append(esc(_unescape(text[position : match.start()])))
        parts.append(_sequence(match.group(1)))
        position = match.end()
    parts.append(esc(_unescape(text[position:])))
    return "".join(parts)


def quoted(text: str) -> str:
    if not text.strip():
        return "_(no message, just the mention)_"
    return "\n".join(f">{line}" for line in cut(typed(text), QUOTE_LIMIT).split("\n"))


def permalink(workspace_url: str, channel_id: str, ts: str) -> str | None:
    """Slack's link to a message (https://acme.slack.com/archives/C…/p…), without an API call."""
    if not workspace_url or not is_id("channel", channel_id) or not re.fullmatch(r"\d+\.\d+", ts):
        return None
    return f"{workspace_url.rstrip('/')}/archives/{channel_id}/p{ts.replace('.', '')}"


# --- DMs ---------------------------------------------------------------------------------------------


def _title(request: Request, rotation: Rotation | None) -> str:
    name = f"*{esc(rotation.name)}* (`{esc(request.code)}`)" if rotation else f"`{esc(request.code)}`"
    return f"{mention(request.requester)} asked {name} in {mention(request.channel_id)}:"


def _request_blocks(request: Request, rotation: Rotation | None, link: str | None, notes: list[str]):
    lines = [*notes]
    if link:
        lines.append(f"<{link}|Open the thread>")
    blocks = [section(f"{_title(request, rotation)}\n{quoted(request.text)}")]
    if lines:
        blocks.append(context(" · ".join(lines)))
    return blocks


def _fallback(request: Request, words: str) -> str:
    return cut(f"{mention(request.requester)} {words}: {typed(request.text)}", FALLBACK_LIMIT)


def offer_dm(
    request: Request,
    rotation: Rotation | None,
    passed_by: str | None,
    link: str | None,
    target: str | None = None,
) -> dict:
    """The DM that offers a request to `target`, with ACK and PASS."""
    notes = []
    if passed_by:
        notes.append(f"{mention(passed_by)} passed it to you")
    others = [u for u in request.holders if u != (target or request.offered_to[-1])]
    if others and (passed_by or target):
        notes.append(f"Also offered to {people(others)}: the first to ACK takes it")
    elif len(request.offered_to) > 1 and not passed_by:
        notes.append(f"Offered to {people(request.offered_to)}: the first to ACK takes it")
    notes.append(f"Expires {slack_date(request.expires_at, '{time}')} if nobody takes it")
    blocks = _request_blocks(request, rotation, link, notes)
    blocks.append(
        actions(
            button("ACK", Requests.ACK, value=str(request.id), style="primary"),
            button("PASS", Requests.PASS, value=str(request.id)),
            block_id=f"{Requests.BLOCK}:{request.id}",
        )
    )
    return {"text": _fallback(request, "needs you"), "blocks": blocks, "unfurl_links": False}


def answered_dm(request: Request, rotation: Rotation | None, note: str, link: str | None) -> dict:
    """The DM once it was answered (it replaces the one with the buttons): the request as stored,
    without the buttons, and what happened. Never copied from the clicked message: that is crafted."""
    blocks = _request_blocks(request, rotation, link, [])
    blocks.append(section(note))
    return {"text": cut(note, FALLBACK_LIMIT), "blocks": blocks, "replace_original": True}


def took_it(request: Request) -> str:
    return f":white_check_mark: You took it. {mention(request.requester)} was told in the thread."


def passed_it(request: Request, offered: tuple[str, ...], actor: str) -> str:
    if request.state == UNANSWERED:
        return (
            f":leftwards_arrow_with_hook: You passed it on. Nobody else can take it: "
            f"{mention(request.requester)} was told in the thread."
        )
    if offered:
        return f":leftwards_arrow_with_hook: You passed it on to {people(offered)}."
    holders = [u for u in request.holders if u != actor]
    return f":leftwards_arrow_with_hook: You passed it on. It is still with {people(holders)}."


def refusal(refused: RequestRefused, reader: str | None = None) -> str:
    """Why ACK or PASS did nothing, in words for the person who pressed it (``reader``)."""
    request = refused.request
    if refused.reason == ACKED and request and request.acked_by == reader:
        return took_it(request)  # their own second ACK (a double-click): the answer of the first
    if refused.reason == ACKED and request and request.acked_by:
        return f":information_source: {mention(request.acked_by)} already took it."
    if refused.reason == EXPIRED and request and request.closed_at:
        return (
            f":hourglass: This request expired at {slack_date(request.closed_at, '{time}')}: nobody took it."
        )
    return f":information_source: {esc(str(refused))}"


# --- thread replies ----------------------------------------------------------------------------------


def _wait(request: Request) -> str:
    """How long the request waits for an answer, in words: '60 minutes', '1 minute', '5 seconds'."""
    seconds = max(1, round(request.expires_at - request.created_at))
    amount, unit = (round(seconds / 60), "minute") if seconds >= 60 else (seconds, "second")
    return f"{amount} {unit}{'s' if amount != 1 else ''}"


def thread_words(rotation: Rotation, body: ThreadNote) -> str:
    request = body.request
    who = f"*{esc(rotation.name)}* (`{esc(rotation.code)}`)"
    requester, event = mention(request.requester), body.event
    if event == "routed":
        offered = request.offered_to
        if len(offered) > 1:
            return (
                f"I've asked {people(offered)} for {who}: the first to ACK takes it. If nobody answers "
                f"within {_wait(request)}, the request expires."
            )
        return (
            f"I've asked {people(offered)} for {who}. If nobody answers within {_wait(request)}, the "
            "request expires."
        )
    if event == "nobody":
        words = f"{requester}, nobody is on duty for {who} right now, so nobody was asked."
        unlinked = [p for p in body.unmatched if not p.why]
        gone = [p for p in body.unmatched if p.why]
        if unlinked:
            words += (
                f" PagerDuty has {unmatched_words(unlinked)} on call, not linked to anyone in "
                "Slack: an admin can link them in the rotation's Details."
            )
        if gone:
            words += f" {'Also on' if unlinked else 'On'} call in PagerDuty: {not_in_slack(gone)}."
        return words
    by = mention(body.by) if body.by else "someone"
    if event == ACKED:
        return f"{requester}, {by} has it."
    if event == "passed":
        if body.offered:
            return f"{by} passed. I've asked {people(body.offered)} instead."
        return f"{by} passed. It is still with {people(request.holders)}."
    if event == UNANSWERED:
        return (
            f"{requester}, {by} passed, and there is nobody else on duty or next for "
            f"{who} to ask: nobody can take this right now."
        )
    return (
        f"{requester}, nobody took this within {_wait(request)}, so the request expired. "
        f"Mention `{APP} {esc(rotation.code)}` again, or reach the people on duty directly."
    )


def thread_reply(rotation: Rotation, body: ThreadNote, sending: Sending | None = None) -> dict[str, Any]:
    """A reply in the request's thread (the outbox renders it when it is sent)."""
    words = thread_words(rotation, body)
    return {
        "text": cut(words, FALLBACK_LIMIT),
        "blocks": [section(words)],
        "thread_ts": body.request.thread_ts,
        "unfurl_links": False,
    }


def formats(workspace_url: str) -> dict[str, Format[Any]]:
    """How the outbox renders requests: thread replies and the DMs that offer them."""

    def offer(rotation: Rotation, body: Offer, sending: Sending) -> dict[str, Any]:
        request = body.request
        link = permalink(workspace_url, request.channel_id, request.thread_ts)
        return offer_dm(request, rotation, body.passed_by, link, sending.target or None)

    return {THREAD: Format(ThreadNote.from_json, thread_reply), OFFER: Format(Offer.from_json, offer)}


# --- answers to mentions that open nothing --------------------------------------------------------------


def _codes(codes: tuple[str, ...]) -> str:
    return ", ".join(f"`{esc(c)}`" for c in codes)


def help_reply(codes: tuple[str, ...]) -> str:
    """How to ask Round Robin, with codes that exist."""
    example = esc(codes[0]) if codes else "OPS"
    words = (
        f"Ask whoever is on duty: `{APP} CODE your question`, like `{APP} {example} the deploy is stuck`: "
        f"they get a DM with ACK and PASS, and this thread hears who has it. `{APP} who is on call?` "
        "lists who is on duty; `/rr help` has the rest."
    )
    if codes:
        words += f" Codes: {_codes(codes)}."
    else:
        words += " There are no rotations yet: create one in the Round Robin App Home."
    return words


def no_code_reply(codes: tuple[str, ...]) -> str:
    words = f"Which rotation? Try `{APP} CODE your question`, like `{APP} {esc(codes[0] if codes else 'OPS')} the deploy is stuck`."
    if codes:
        words += f" Codes: {_codes(codes)}."
    return words


def unknown_code_reply(code: str, codes: tuple[str, ...]) -> str:
    words = f"There is no rotation with the code `{esc(code)}`."
    if codes:
        words += f" Did you mean {_codes(codes)}? Try `{APP} CODE your question`."
    else:
        words += " There are no rotations yet: create one in the Round Robin App Home."
    return words
