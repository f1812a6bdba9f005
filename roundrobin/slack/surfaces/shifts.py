"""Covers, swaps, skips and time away: the shift menu in Details, Cover me… on a card, the offers'
buttons in DMs and channels, and My time away in the App Home.

Listeners parse, call the shift or away service (which decides who may do what) and say the outcome
where the person is: under a modal field, in the message they clicked, or on their App Home."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from roundrobin.rotations.errors import AlreadyChanged, NotAllowed
from roundrobin.rotations.model import Rotation
from roundrobin.rotations.timeline import FOREVER
from roundrobin.services import Services
from roundrobin.slack.ids import Shifts
from roundrobin.slack.surfaces.deps import deps, named_rotation, refusals
from roundrobin.slack.surfaces.details import details_view, member_names
from roundrobin.slack.surfaces.forms import field, selected, text
from roundrobin.slack.surfaces.pd_covers import open_pd_cover
from roundrobin.slack.views.blocks import beside, esc, mention, slack_date
from roundrobin.slack.views.messages import people
from roundrobin.slack.views.metadata import MAX_TS, CoverMeta, SwapMeta, number, parse_id
from roundrobin.slack.views.shifts import (
    CoverForm,
    SwapForm,
    answered,
    away_modal,
    cover_modal,
    news_words,
    span,
    swap_modal,
)

GONE = "That rotation no longer exists."
DEFAULT_COVER = 8 * 3600.0  # an open-ended shift: ask for a working day's cover
SWAP_DAYS = 30


def register(app: AsyncApp) -> None:
    app.action(Shifts.COVER_OPEN)(on_cover_open)
    app.action(Shifts.MENU)(on_shift_menu)
    app.action(Shifts.TAKE)(on_take)
    app.action(Shifts.CANCEL)(on_cancel)
    app.action(Shifts.SWAP_ACCEPT)(on_swap_answer)
    app.action(Shifts.SWAP_DECLINE)(on_swap_answer)
    app.view(Shifts.COVER_VIEW)(on_cover)
    app.view(Shifts.SWAP_VIEW)(on_swap)
    app.action(Shifts.AWAY_OPEN)(on_away_open)
    app.action(Shifts.AWAY_REMOVE)(on_away_remove)
    app.view(Shifts.AWAY_VIEW)(on_away)


# --- Details and the card ----------------------------------------------------------------------------


async def open_cover(
    services: Services,
    trigger_id: str,
    user_id: str,
    rotation: Rotation,
    start: float | None = None,
    person: str | None = None,
    push: bool = False,
) -> None:
    """Cover me… (or, for whoever may edit the rotation, Cover…): the modal, filled in with the
    reader's own shift (or the one chosen in Details)."""
    if rotation.bound:  # an override written to PagerDuty, or how to make it there
        await open_pd_cover(services, trigger_id, user_id, rotation, push)
        return
    who = await services.access.actor(user_id)
    can_assign = who.may_edit(rotation)
    person = person or (user_id if user_id in rotation.members else (rotation.turn_people or ("",))[0])
    if not can_assign and person != user_id:
        raise NotAllowed(f"You are not in {rotation.code}: only its members ask for cover.")
    now = services.clock()
    begin, end = now, now + DEFAULT_COVER
    if start is not None:
        shift = await services.shifts.shift_at(rotation, start)
        begin, end = max(now, shift.start), shift.end
    else:
        mine = await services.shifts.shifts_of(rotation, person)
        if mine:
            begin, end = max(now, mine[0].start), mine[0].end
    if end == FOREVER:
        end = begin + DEFAULT_COVER
    form = CoverForm(
        rotation=rotation,
        person=person,
        start=begin,
        end=end,
        can_assign=can_assign,
        names=await member_names(services, rotation),
        asker=user_id,
        hours=await services.shifts.hours_on_duty(rotation),
    )
    view = cover_modal(form)
    if push:
        await services.modals.push(trigger_id, user_id, view)
    else:
        await services.modals.open(trigger_id, user_id, view)


@refusals()
async def on_cover_open(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    """Cover me… on the card of the person on duty."""
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    rotation = await named_rotation(services, action.get("value"))
    if rotation is None:
        await services.home.publish(user_id, notice=GONE)
        return
    await open_cover(services, body["trigger_id"], user_id, rotation)


@refusals()
async def on_shift_menu(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    """A shift's menu in Details: ask for cover, offer a swap, skip; cover or skip someone else."""
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    choice = _shift_choice(action.get("selected_option"))
    if choice is None:
        return
    what, rotation_id, start, person = choice
    rotation = await services.rotations.get(rotation_id)
    if rotation is None:
        await services.home.publish(user_id, notice=GONE)
        return
    if what in ("cover", "assign"):
        await open_cover(services, body["trigger_id"], user_id, rotation, start, person, push=True)
    elif what == "swap":
        mine = await services.shifts.shift_at(rotation, start)
        theirs = await _their_shifts(services, rotation, user_id)
        form = SwapForm(rotation, mine, theirs, await member_names(services, rotation))
        await services.modals.push(body["trigger_id"], user_id, swap_modal(form))
    elif what == "skip":
        await services.shifts.skip(rotation.id, user_id, person, start)
        whose = "your" if person == user_id else f"{mention(person)}'s"
        notice = f"Skipped {whose} turn on {esc(rotation.name)} from {slack_date(start)}: the next in turn takes it."
        await _refresh_details(services, body, rotation.id, user_id, notice)


async def _refresh_details(
    services: Services, body: dict, rotation_id: int, user_id: str, notice: str
) -> None:
    rotation = await services.rotations.get(rotation_id)
    view = body.get("view") or {}
    if rotation is not None and view.get("type") == "modal" and await services.modals.owns(body):
        await services.modals.update(
            body, await details_view(services, rotation, user_id, notice), use_hash=False
        )
        return
    await services.home.publish(user_id, notice=notice)


async def _their_shifts(services: Services, rotation: Rotation, user_id: str) -> tuple:
    now = services.clock()
    found = []
    for shift in await services.shifts.shifts(rotation, now, now + SWAP_DAYS * 86400):
        if shift.start <= now or user_id in shift.turn:
            continue
        found += [(p, shift) for p in shift.turn if p != user_id]
    return tuple(found)


def _shift_choice(chosen: object) -> tuple[str, int, float, str] | None:
    """`<what>:<rotation>:<start>:<person>` from a shift menu, parsed strictly."""
    value = chosen.get("value") if isinstance(chosen, dict) else None
    parts = str(value or "")[:120].split(":")
    if len(parts) != 4 or parts[0] not in ("cover", "swap", "skip", "assign"):
        return None
    rotation_id, start = parse_id(parts[1]), number(parts[2], 1, MAX_TS)
    if rotation_id is None or start is None or not parts[3] or len(parts[3]) > 20:
        return None
    return parts[0], rotation_id, float(start), parts[3]


# --- the modals ----------------------------------------------------------------------------------------


@refusals(field=Shifts.FROM)
async def on_cover(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    services, user_id = deps(context), body["user"]["id"]
    await services.modals.require_own(body)
    meta = CoverMeta.read(view)
    rotation_id = meta.rotation_id or 0
    start = number(field(view, Shifts.FROM, Shifts.FROM).get("selected_date_time"), 1, MAX_TS)
    end = number(field(view, Shifts.UNTIL, Shifts.UNTIL).get("selected_date_time"), 1, MAX_TS)
    errors: dict[str, str] = {}
    if start is None:
        errors[Shifts.FROM] = "Choose when the cover starts."
    if end is None:
        errors[Shifts.UNTIL] = "Choose when the cover ends."
    elif start is not None and end <= start:
        errors[Shifts.UNTIL] = "The end must come after the start."
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    assert start is not None and end is not None
    person = selected(view, Shifts.WHO, Shifts.WHO) or meta.person or user_id
    by = selected(view, Shifts.BY, Shifts.BY)
    note = text(view, Shifts.NOTE, Shifts.NOTE)
    if not isinstance(person, str) or len(person) > 20:
        await ack(response_action="errors", errors={Shifts.FROM: "Choose who needs cover."})
        return
    try:
        if by:
            change = await services.shifts.assign_cover(rotation_id, user_id, person, by, start, end)
            words = f"{mention(by)} covers {mention(person)} {span(start, end)}."
            if change:
                words += f" {mention(by)} is on duty now."
        elif person != user_id:
            await services.shifts.request_cover_for(rotation_id, user_id, person, start, end, note)
            words = f"Asked the members to cover {mention(person)} {span(start, end)}."
        else:
            request = await services.shifts.request_cover(rotation_id, user_id, start, end, note)
            asked = ", ".join(mention(u) for u in request.offered_to)
            words = (
                f"Asked {asked} to cover you {span(request.start, request.end)}. You will hear who takes it."
            )
    except AlreadyChanged as changed:
        await ack(response_action="errors", errors={Shifts.FROM: str(changed)})
        return
    except NotAllowed as refused:
        where = Shifts.UNTIL if "end" in str(refused) else Shifts.FROM
        await ack(response_action="errors", errors={where: str(refused)})
        return
    await ack(response_action="clear")
    await services.home.publish(user_id, notice=words)


@refusals(field=Shifts.FOR)
async def on_swap(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    services, user_id = deps(context), body["user"]["id"]
    await services.modals.require_own(body)
    meta = SwapMeta.read(view)
    chosen = str(selected(view, Shifts.FOR, Shifts.FOR) or "")[:40].split(":")
    target_start = number(chosen[0], 1, MAX_TS) if len(chosen) == 2 else None
    start = meta.start
    if target_start is None or start is None or not chosen[1]:
        await ack(response_action="errors", errors={Shifts.FOR: "Choose one of the shifts."})
        return
    try:
        request = await services.shifts.offer_swap(
            meta.rotation_id or 0, user_id, float(start), chosen[1], float(target_start)
        )
    except (NotAllowed, AlreadyChanged) as refused:
        await ack(response_action="errors", errors={Shifts.FOR: str(refused)})
        return
    await ack(response_action="clear")
    await services.home.publish(
        user_id,
        notice=f"Offered {mention(chosen[1])} a swap: your {span(request.start, request.end)} for theirs. "
        "You will hear their answer.",
    )


# --- the offers' buttons --------------------------------------------------------------------------------


async def on_take(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    """I'll cover: the first to press it takes it; anyone later reads who did."""
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    request_id = parse_id(action.get("value")) or 0
    try:
        taken = await services.shifts.take_cover(request_id, user_id)
    except (NotAllowed, AlreadyChanged) as refused:
        await _refused(services, body, user_id, request_id, str(refused))
        return
    rotation = await services.rotations.get(taken.request.rotation_id)
    words = f"you cover it, {span(taken.request.start, taken.request.end)}. Thank you!"
    await _answer(services, body, user_id, answered(rotation, taken.request, words))


async def on_swap_answer(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    request_id = parse_id(action.get("value")) or 0
    accept = action.get("action_id") == Shifts.SWAP_ACCEPT
    try:
        result = await services.shifts.answer_swap(request_id, user_id, accept)
    except (NotAllowed, AlreadyChanged) as refused:
        await _refused(services, body, user_id, request_id, str(refused))
        return
    rotation = await services.rotations.get(result.request.rotation_id)
    words = "you accepted: both shifts changed." if accept else "you declined; nothing changed."
    await _answer(services, body, user_id, answered(rotation, result.request, words))


@refusals()
async def on_cancel(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    request = await services.shifts.cancel_request(parse_id(action.get("value")) or 0, user_id)
    rotation = await services.rotations.get(request.rotation_id)
    words = news_words(rotation, request, user_id) if rotation else "You took the request back."
    await _refresh_details(services, body, request.rotation_id, user_id, words)


async def _refused(services: Services, body: dict, user_id: str, request_id: int, words: str) -> None:
    """A request that closed meanwhile replaces the offer clicked; a request never offered to this
    person is answered beside it, and their message stays as it was."""
    request = await services.shifts.request(request_id)
    if request is not None and user_id in request.offered_to:
        rotation = await services.rotations.get(request.rotation_id)
        await _answer(services, body, user_id, answered(rotation, request, words))
        return
    await _answer(services, body, user_id, beside(words))


async def _answer(services: Services, body: dict, user_id: str, message: dict) -> None:
    """Through the click's response_url when it is Slack's; otherwise on the person's App Home."""
    if await services.replies.respond(body.get("response_url"), message):
        return
    await services.home.publish(user_id, notice=message["text"])


# --- time away -----------------------------------------------------------------------------------------


async def on_away_open(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    now = services.clock()
    start = now - now % 3600 + 3600
    await services.modals.open(body["trigger_id"], user_id, away_modal(start, start + 7 * 86400))


@refusals(field=Shifts.AWAY_FROM)
async def on_away(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    services, user_id = deps(context), body["user"]["id"]
    await services.modals.require_own(body)
    start = number(field(view, Shifts.AWAY_FROM, Shifts.AWAY_FROM).get("selected_date_time"), 1, MAX_TS)
    end = number(field(view, Shifts.AWAY_UNTIL, Shifts.AWAY_UNTIL).get("selected_date_time"), 1, MAX_TS)
    if start is None or end is None:
        await ack(response_action="errors", errors={Shifts.AWAY_FROM: "Choose when you are away."})
        return
    if end <= start:
        await ack(response_action="errors", errors={Shifts.AWAY_UNTIL: "The end must come after the start."})
        return
    try:
        changes = await services.away.add(
            user_id, float(start), float(end), text(view, Shifts.AWAY_NOTE, Shifts.AWAY_NOTE)
        )
    except NotAllowed as refused:
        where = Shifts.AWAY_UNTIL if "end" in str(refused) else Shifts.AWAY_FROM
        await ack(response_action="errors", errors={where: str(refused)})
        return
    await ack(response_action="clear")
    notice = f"You are away {span(start, end)}: your rotations pass you over then."
    if changes:
        notice += " " + " ".join(
            f"{people(c.rotation.on_duty) or 'Nobody'} on duty for {esc(c.rotation.name)} now."
            for c in changes
        )
    await services.home.publish(user_id, tab="settings", notice=notice)


@refusals()
async def on_away_remove(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    await services.away.remove(user_id, parse_id(action.get("value")) or 0)
    await services.home.publish(user_id, tab="settings", notice="Removed that time away.")
