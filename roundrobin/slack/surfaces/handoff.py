"""Hand-off notes: the DM's "Write a hand-off note" opens the form; sending it keeps the note."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from roundrobin.rotations.errors import AlreadyChanged, NotAllowed
from roundrobin.services import Services
from roundrobin.slack.ids import HandoffIds
from roundrobin.slack.surfaces.deps import deps, refusals
from roundrobin.slack.surfaces.forms import field
from roundrobin.slack.views.blocks import esc
from roundrobin.slack.views.handoff import HandoffMeta, note_modal, parse_button_value, sent_modal

MAX_NOTE_READ = 10_000  # characters of a submitted note looked at (Slack's own cap is the form's)


def register(app: AsyncApp) -> None:
    app.action(HandoffIds.WRITE)(on_write)
    app.view(HandoffIds.VIEW)(on_note)


async def on_write(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    parsed = parse_button_value(action.get("value"))
    try:
        if parsed is None:
            raise NotAllowed("That button is not one Round Robin made.")
        shift = await services.handoff.shift(parsed[0], user_id, parsed[1])
    except (NotAllowed, AlreadyChanged) as refused:
        await _refuse(services, body, user_id, str(refused))
        return
    rotation_id, hand_over = parsed
    summary = await services.handoff.summary(shift)
    await services.modals.open(
        body["trigger_id"], user_id, note_modal(shift.rotation, hand_over, shift.incoming, summary)
    )


@refusals(field=HandoffIds.NOTE)
async def on_note(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    services, user_id = deps(context), body["user"]["id"]
    await services.modals.require_own(body)
    meta = HandoffMeta.read(view)
    value = field(view, HandoffIds.NOTE, HandoffIds.NOTE).get("value")
    note = value[:MAX_NOTE_READ] if isinstance(value, str) else ""
    if meta.rotation_id is None or meta.hand_over is None:
        await ack(
            response_action="errors", errors={HandoffIds.NOTE: "This form is not one Round Robin made."}
        )
        return
    try:
        shift = await services.handoff.write(meta.rotation_id, user_id, meta.hand_over, note)
    except (NotAllowed, AlreadyChanged) as refused:
        await ack(response_action="errors", errors={HandoffIds.NOTE: str(refused)})
        return
    await ack(response_action="update", view=sent_modal(shift.incoming, shift.hand_over, services.clock()))


async def _refuse(services: Services, body: dict, user_id: str, words: str) -> None:
    """Under the DM the button was in (only its presser sees it), or on their App Home."""
    answer = {"response_type": "ephemeral", "replace_original": False, "text": f":no_entry: {esc(words)}"}
    url = body.get("response_url")
    if not isinstance(url, str) or not await services.replies.respond(url, answer):
        await services.home.publish(user_id, notice=esc(words), icon=":no_entry:")
