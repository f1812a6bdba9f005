"""`/rr`: list rotations, who is on duty, rotate, help. Every answer is ephemeral."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from roundrobin.access import PermissionDenied
from roundrobin.rotations.service import NotAllowed
from roundrobin.slack.app import deps
from roundrobin.slack.views.blocks import context, esc, mention, section, slack_date
from roundrobin.slack.views.messages import group_mention
from roundrobin.slack.views.rotations import on_duty_line
from roundrobin.store import rotations as store

LIST_LIMIT = 20
HELP = (
    "*Round Robin*: who is on duty.\n"
    "• `/rr`: every rotation and who is on duty\n"
    "• `/rr who CODE`: who is on duty for one rotation, and who is next\n"
    "• `/rr rotate CODE`: hand a manual rotation to the next person\n"
    "• `/rr help`: this help\n"
    "Create and edit rotations in the Round Robin App Home."
)


def register(app: AsyncApp) -> None:
    app.command("/rr")(on_rr)


async def on_rr(ack: AsyncAck, command: dict, context: AsyncBoltContext) -> None:
    words = (command.get("text") or "").split()
    verb = words[0].lower() if words else "list"
    args = words[1:]
    services, user_id = deps(context), command["user_id"]
    if verb in ("help", "?"):
        await ack(text=HELP)
    elif verb in ("list", "ls"):
        await ack(**await _list(services))
    elif verb in ("who", "rotate"):
        if len(args) != 1:
            await ack(text=f"Which rotation? Try `/rr {verb} CODE`, like `/rr {verb} OPS`.")
            return
        rotation = await store.get_by_code(services.db, args[0])
        if rotation is None:
            await ack(text=await _unknown_code(services, args[0]))
        elif verb == "who":
            await ack(**_who(rotation))
        else:
            await ack(text=await _rotate(services, rotation, user_id))
    else:
        await ack(text=f"I don't know `{esc(verb)}`. Try `/rr help`.")


async def _list(services) -> dict:
    rotations, total = await store.page(services.db, 0, LIST_LIMIT)
    if not rotations:
        return {"text": "There are no rotations yet. Create one in the Round Robin App Home."}
    lines = [f"*{esc(r.name)}* `{r.code}`: {on_duty_line(r)}" for r in rotations]
    blocks = [section("\n".join(lines))]
    if total > LIST_LIMIT:
        blocks.append(
            context(f"…and {total - LIST_LIMIT} more. Use `/rr who CODE`, or the App Home's search.")
        )
    return {"text": f"{total} rotations", "blocks": blocks}


def _who(rotation) -> dict:
    lines = [f"*{esc(rotation.name)}* `{esc(rotation.code)}`", on_duty_line(rotation)]
    if rotation.next_up and (rotation.on_duty or rotation.bound):
        when = (
            f" from {slack_date(rotation.next_change_at)}"
            if rotation.bound and rotation.next_change_at
            else ""
        )
        lines.append(f"Next: {mention(rotation.next_up)}{when}")
    if rotation.usergroup_id and rotation.on_duty:
        lines.append(f"Reach them with {group_mention(rotation)}")
    return {"text": "\n".join(lines)}


async def _rotate(services, rotation, user_id: str) -> str:
    try:
        change = await services.rotations.rotate(rotation.id, user_id)
    except (NotAllowed, PermissionDenied) as e:
        return f":no_entry: {esc(str(e))}"
    who = ", ".join(mention(u) for u in change.rotation.on_duty) if change else "nobody"
    return f"Rotated *{esc(rotation.name)}*: {who} is on duty now."


async def _unknown_code(services, code: str) -> str:
    similar = await store.search(services.db, code, limit=3)
    hint = ""
    if similar:
        hint = " Did you mean " + ", ".join(f"`{c}`" for _, _, c in similar) + "?"
    return f"There is no rotation with the code `{esc(code.upper())}`.{hint} `/rr` lists them all."
