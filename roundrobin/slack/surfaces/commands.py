"""`/rr`: list rotations, who is on duty, rotate, hand over ("done"), help. Every answer is ephemeral.

In a channel, the rotations that tell that channel come first, and `/rr who` or `/rr rotate` without
a code means the one rotation that tells it. Examples in answers use codes that exist.
"""

from __future__ import annotations

import asyncio

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from roundrobin.access import PermissionDenied
from roundrobin.rotations.errors import NotAllowed
from roundrobin.rotations.model import Rotation
from roundrobin.services import Services
from roundrobin.slack.surfaces.deps import deps
from roundrobin.slack.views.blocks import context, esc, mention, section
from roundrobin.slack.views.rotations import rotation_line, who_text

LIST_LIMIT = 20


# Slack acks must come within 3 s. An answer ready sooner is the ack itself; one that waits on
# Slack or on a busy database is acked with a word and follows through the command's response_url.
ANSWER_IN_ACK = 1.5
MAX_TEXT = 300  # what /rr reads of the command text: codes are at most 20 characters
MAX_ARG = 40


def register(app: AsyncApp) -> None:
    app.command("/rr")(on_rr)


async def on_rr(ack: AsyncAck, command: dict, context: AsyncBoltContext) -> None:
    services = deps(context)
    work = services.background.run(_answer(services, command), name="rr")
    done, _ = await asyncio.wait({work}, timeout=ANSWER_IN_ACK)
    if done and not work.exception():
        await ack(**work.result())
        return
    await ack(text="Working on it…")
    services.background.run(_follow_up(services, command, work), name="rr-follow-up")


async def _follow_up(services: Services, command: dict, work: asyncio.Task) -> None:
    try:
        answer = await work
    except Exception:  # noqa: BLE001 - logged by Background; the person is told something went wrong
        answer = {"text": "Something went wrong on our side; nothing was changed. Try again in a moment."}
    await services.replies.respond(command.get("response_url"), {"response_type": "ephemeral", **answer})


async def _answer(services: Services, command: dict) -> dict:
    """What /rr answers, as a message (`text` and maybe `blocks`)."""
    words = str(command.get("text") or "")[:MAX_TEXT].split()
    verb = words[0].lower() if words else "list"
    args = words[1:]
    user_id, channel = str(command.get("user_id") or ""), str(command.get("channel_id") or "")
    if any(len(a) > MAX_ARG for a in args):
        return {
            "text": f"That is longer than any rotation code. Try `/rr who {esc(await _example(services, channel))}`."
        }
    if len(verb) > MAX_ARG:
        return {"text": "I don't know that. Try `/rr help`."}
    if verb in ("help", "?"):
        return {"text": await _help(services, channel)}
    if verb in ("list", "ls"):
        return await _list(services, channel)
    if verb in ("who", "rotate"):
        return {"text": await _one(services, verb, args, channel, user_id)}
    if verb in ("done", "handover", "hand-over"):
        return {"text": await _done(services, args, user_id)}
    return {"text": f"I don't know `{esc(verb)}`. Try `/rr help`."}


async def _help(services: Services, channel: str) -> str:
    code = await _existing_code(services, channel)
    example = f" For example `/rr who {esc(code)}`." if code else ""
    return (
        "*Round Robin*: who is on duty.\n"
        "• `/rr` or `/rr list`: every rotation and who is on duty (those that post in this channel first)\n"
        "• `/rr who CODE`: who is on duty for one rotation, until when, and who is next\n"
        "• `/rr rotate CODE`: hand a manual rotation to the next person in turn\n"
        "• `/rr done` or `/rr done CODE`: you are on duty and done: hand over to whoever is next\n"
        "• `/rr help`: this help\n"
        "• `@Round Robin CODE your question`, in a channel Round Robin is in: asks whoever is on duty, "
        "who gets a DM with ACK and PASS (`@Round Robin who is on call?` works too)\n"
        f"CODE is a rotation's code, shown in `/rr`.{example} In a channel that one rotation posts in, "
        "`/rr who` and `/rr rotate` need no code. Members of a rotation may rotate and hand over unless "
        "its creator keeps that to managers. Create and edit rotations in the Round Robin App Home."
    )


async def _list(services: Services, channel: str) -> dict:
    here = await services.rotations.announcing_in(channel, LIST_LIMIT)
    everyone, total = await services.rotations.page(0, LIST_LIMIT)
    if not everyone:
        return {"text": "There are no rotations yet. Create one in the Round Robin App Home."}
    others = [r for r in everyone if r.id not in {h.id for h in here}][: max(0, LIST_LIMIT - len(here))]
    blocks = []
    if here:
        blocks.append(section("*Posting in this channel*\n" + "\n".join(rotation_line(r) for r in here)))
    if others:
        title = "*Other rotations*\n" if here else ""
        blocks.append(section(title + "\n".join(rotation_line(r) for r in others)))
    shown = len(here) + len(others)
    if total > shown:
        code = (here or everyone)[0].code
        blocks.append(
            context(f"…and {total - shown} more. Use `/rr who {esc(code)}`, or the App Home's search.")
        )
    return {"text": f"{total} rotation{'s' if total != 1 else ''}", "blocks": blocks}


async def _one(services: Services, verb: str, args: list[str], channel: str, user_id: str) -> str:
    if len(args) > 1:
        return f"One rotation at a time: `/rr {verb} {esc(await _example(services, channel))}`."
    if args:
        rotation = await services.rotations.by_code(args[0])
        if rotation is None:
            return await _unknown_code(services, args[0], channel)
    else:
        here = await services.rotations.announcing_in(channel, 2)
        if len(here) != 1:
            example = await _example(services, channel)
            return f"Which rotation? Try `/rr {verb} CODE`, like `/rr {verb} {esc(example)}`."
        rotation = here[0]
    if verb == "who":
        return who_text(rotation)
    return await _rotate(services, rotation, user_id)


async def _rotate(services: Services, rotation: Rotation, user_id: str) -> str:
    try:
        change = await services.duty.rotate(rotation.id, user_id)
    except (NotAllowed, PermissionDenied) as e:
        return f"{getattr(e, 'icon', ':no_entry:')} {esc(str(e))}"
    who = ", ".join(mention(u) for u in change.rotation.on_duty) if change else "nobody"
    return f"Rotated *{esc(rotation.name)}*: {who} is on duty now."


async def _done(services: Services, args: list[str], user_id: str) -> str:
    """The person on duty hands over: to the one rotation they are on duty for, or the one named."""
    if args:
        rotation = await services.rotations.by_code(args[0])
        if rotation is None:
            return await _unknown_code(services, args[0], "")
    else:
        mine, _ = await services.rotations.page(0, 100, member=user_id)
        on_duty = [r for r in mine if user_id in r.on_duty and not r.bound]
        if not on_duty:
            return "You are not on duty for any manual rotation, so there is nothing to hand over."
        if len(on_duty) > 1:
            codes = ", ".join(f"`{esc(r.code)}`" for r in on_duty[:10])
            return f"You are on duty for {codes}. Which one are you done with? Like `/rr done {esc(on_duty[0].code)}`."
        rotation = on_duty[0]
    try:
        change = await services.duty.hand_over(rotation.id, user_id)
    except (NotAllowed, PermissionDenied) as e:
        return f"{getattr(e, 'icon', ':no_entry:')} {esc(str(e))}"
    who = ", ".join(mention(u) for u in change.rotation.on_duty) if change else "nobody"
    return f"You handed *{esc(rotation.name)}* over: {who} is on duty now. Thank you!"


async def _example(services: Services, channel: str) -> str:
    """A code to show in examples: a rotation that posts here, else the first one, else OPS."""
    return await _existing_code(services, channel) or "OPS"


async def _existing_code(services: Services, channel: str) -> str | None:
    here = await services.rotations.announcing_in(channel, 1)
    if here:
        return here[0].code
    first, _ = await services.rotations.page(0, 1)
    return first[0].code if first else None


async def _unknown_code(services: Services, code: str, channel: str) -> str:
    similar = await services.rotations.search(code, limit=3)
    if similar:
        hint = " Did you mean " + ", ".join(f"`{esc(c)}`" for _, _, c in similar) + "?"
    else:
        hint = f" Codes look like `{esc(await _example(services, channel))}`."
    return f"There is no rotation with the code `{esc(code.upper())}`.{hint} `/rr` lists them all."
