"""Rotation listeners: the list in App Home, its menu, and the small modals (set on duty, delete, link).

Details also offers "Set on duty…" and, for PagerDuty-bound rotations, links between PagerDuty people
and Slack users (made and undone by roundrobin.pagerduty.people, which checks who may).
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from roundrobin.access import PermissionDenied
from roundrobin.pagerduty.people import Linked
from roundrobin.rotations.errors import NotAllowed
from roundrobin.rotations.model import Unmatched
from roundrobin.services import Services
from roundrobin.slack.ids import MenuChoice, Rotations
from roundrobin.slack.surfaces.deps import deps, named_rotation, refusals
from roundrobin.slack.surfaces.details import details_view, member_names
from roundrobin.slack.surfaces.forms import field, parse_member_value, parse_menu_value
from roundrobin.slack.surfaces.rotation_form import open_form
from roundrobin.slack.surfaces.shifts import open_cover
from roundrobin.slack.views.blocks import esc, mention, modal, option, section
from roundrobin.slack.views.messages import unmatched_words
from roundrobin.slack.views.metadata import LinkMeta, OfRotation, SetOnDutyMeta, number, parse_id
from roundrobin.slack.views.rotation_modals import (
    delete_modal,
    link_modal,
    set_on_duty_modal,
)

GONE = "That rotation no longer exists."
MAX_PAGE = 10_000  # 100,000 rotations at ten a page: a page number beyond is crafted


def register(app: AsyncApp) -> None:
    app.action(Rotations.MENU)(on_menu)
    app.action(Rotations.DETAILS)(on_details)
    app.action(Rotations.PAGE_PREVIOUS)(on_page)
    app.action(Rotations.PAGE_NEXT)(on_page)
    app.action(Rotations.FILTER)(on_filter)
    app.action(Rotations.JUMP)(on_jump)
    app.options(Rotations.JUMP)(jump_options)
    app.action(Rotations.LINK)(on_link)
    app.action(Rotations.UNLINK)(on_unlink)
    app.action(Rotations.HAND_OVER)(on_hand_over)
    app.action(Rotations.LEAVE)(on_leave)
    app.action(Rotations.REMOVE_MEMBER)(on_remove_member)
    app.action(Rotations.SET_ON_DUTY_OPEN)(on_set_on_duty_open)
    app.view(Rotations.SET_ON_DUTY_VIEW)(on_set_on_duty)
    app.view(Rotations.DELETE_VIEW)(on_delete)
    app.view(Rotations.LINK_VIEW)(on_linked)


@refusals()
async def on_menu(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    choice, rotation_id, rev = parse_menu_value(action["selected_option"]["value"])
    rotation = await services.rotations.get(rotation_id) if rotation_id else None
    if rotation is None:
        await services.home.publish(user_id, notice=GONE)
        return
    if choice == MenuChoice.DETAILS:
        await services.modals.open(
            body["trigger_id"], user_id, await details_view(services, rotation, user_id)
        )
        return
    if choice == MenuChoice.ROTATE:
        change = await services.duty.rotate(rotation.id, user_id, expected_duty_rev=rev)
        who = ", ".join(mention(u) for u in change.rotation.on_duty) if change else "nobody"
        await services.home.publish(user_id, notice=f"{esc(rotation.name)} rotated: {who} is on duty now.")
        return
    if choice == MenuChoice.SET_ON_DUTY:
        view = await _set_on_duty_view(services, user_id, rotation)
        await services.modals.open(body["trigger_id"], user_id, view)
        return
    if choice == MenuChoice.COVER:
        await open_cover(services, body["trigger_id"], user_id, rotation)
        return
    await services.access.require_edit(user_id, rotation)
    if choice == MenuChoice.EDIT:
        await open_form(services, body["trigger_id"], user_id, rotation)
    elif choice == MenuChoice.DELETE:
        await services.modals.open(body["trigger_id"], user_id, delete_modal(rotation))


async def on_details(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    rotation = await named_rotation(services, action.get("value"))
    if rotation is None:
        await services.home.publish(user_id, notice=GONE)
        return
    await services.modals.open(body["trigger_id"], user_id, await details_view(services, rotation, user_id))


async def on_page(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    page = number(action.get("value"), 0, MAX_PAGE) or 0
    await deps(context).home.publish(body["user"]["id"], tab="rotations", page=page)


async def on_filter(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    services.rotations_home.mine_only[user_id] = action["selected_option"]["value"] == "mine"
    await services.home.publish(user_id, tab="rotations", page=0)


async def jump_options(ack: AsyncAck, payload: dict, context: AsyncBoltContext) -> None:
    found = await deps(context).rotations.search(payload.get("value", ""), limit=50)
    await ack(options=[option(f"{name} ({code})", str(rotation_id)) for rotation_id, name, code in found])


async def on_jump(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    rotation = await named_rotation(services, (action.get("selected_option") or {}).get("value"))
    if rotation is None:
        await services.home.publish(user_id, notice=GONE)
        return
    await services.modals.open(body["trigger_id"], user_id, await details_view(services, rotation, user_id))


@refusals(field=Rotations.ON_DUTY)
async def on_set_on_duty(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    services, user_id = deps(context), body["user"]["id"]
    meta = SetOnDutyMeta.read(view)
    chosen = (field(view, Rotations.ON_DUTY, Rotations.ON_DUTY).get("selected_option") or {}).get("value")
    change = await services.duty.set_on_duty(
        meta.rotation_id or 0,
        chosen if isinstance(chosen, str) else "",
        user_id,
        expected_duty_rev=meta.duty_rev,
    )
    await ack(response_action="clear")  # opened from Details too: close the whole stack
    name = change.rotation.name if change else ""
    await services.home.publish(user_id, notice=f"{esc(name)}: {mention(chosen or '')} is on duty now.")


@refusals()
async def on_set_on_duty_open(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    """Set on duty… in a rotation's Details: the small modal on top of it."""
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    rotation = await named_rotation(services, action.get("value"))
    if rotation is None:
        return
    view = await _set_on_duty_view(services, user_id, rotation)
    await services.modals.push(body["trigger_id"], user_id, view)


async def _set_on_duty_view(services: Services, user_id: str, rotation) -> dict:
    await services.duty.may_set_on_duty(rotation, user_id)
    return set_on_duty_modal(rotation, await member_names(services, rotation))


async def on_leave(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    """Leave, in the DM that told someone they were added to a rotation: the DM says what happened."""
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    try:
        rotation = await services.duty.leave(parse_id(action.get("value")) or 0, user_id)
        words = f":wave: You left *{esc(rotation.name)}* (`{esc(rotation.code)}`)."
    except NotAllowed as refusal:
        words = f":information_source: {esc(str(refusal))}"
    message = {"text": words, "blocks": [section(words)], "replace_original": True}
    if not await services.replies.respond(body.get("response_url"), message):
        await services.home.publish(user_id, notice=words)


@refusals()
async def on_hand_over(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    """I'm done: the person on duty hands over to whoever is next."""
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    rotation_id = parse_id(action.get("value")) or 0
    change = await services.duty.hand_over(rotation_id, user_id)
    if change is None:
        return
    who = ", ".join(mention(u) for u in change.rotation.on_duty)
    await services.home.publish(
        user_id, notice=f"You handed {esc(change.rotation.name)} over: {who} is on duty now. Thank you!"
    )


@refusals()
async def on_remove_member(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    """One click takes a member who left Slack out of the rotation (on the card or in Details)."""
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    chosen = parse_member_value(action.get("value"))
    if chosen is None:
        return
    rotation = await services.duty.remove_member(*chosen, user_id)
    notice = f"Removed {mention(chosen[1])} from {esc(rotation.name)}."
    view = body.get("view") or {}
    if view.get("type") == "modal" and await services.modals.owns(body):
        details = await details_view(services, rotation, user_id, notice=notice)
        await services.modals.update(body, details, use_hash=False)
        return
    await services.home.publish(user_id, notice=notice)


async def on_delete(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    services, user_id = deps(context), body["user"]["id"]
    rotation_id = OfRotation.read(view).rotation_id or 0
    if await services.rotations.get(rotation_id) is None:
        await ack()
        return
    try:
        rotation = await services.editor.delete(rotation_id, user_id)
    except PermissionDenied as refusal:
        await ack(response_action="update", view=_refused_modal(str(refusal)))
        return
    await ack()
    await services.home.publish(
        user_id, tab="rotations", notice=f"Deleted {esc(rotation.name)} ({esc(rotation.code)})."
    )


@refusals()
async def on_link(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    await services.access.require_manage(user_id)
    person = await services.people.person(action["value"])
    if person is None:
        return
    rotation_id = OfRotation.read(body.get("view")).rotation_id
    view = link_modal(rotation_id, Unmatched(person.id, person.name, person.email))
    await services.modals.push(body["trigger_id"], user_id, view)


@refusals(field=Rotations.SLACK_USER)
async def on_linked(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    services, user_id = deps(context), body["user"]["id"]
    meta = LinkMeta.read(view)
    slack_user = field(view, Rotations.SLACK_USER, Rotations.SLACK_USER).get("selected_user") or ""
    linked = await services.people.link(user_id, meta.pd_user_id or "", slack_user)
    await ack(response_action="clear")
    await services.home.publish(
        user_id,
        tab="rotations",
        notice=f"Linked {_pd_person(linked)} in PagerDuty to {mention(slack_user)} in Slack. Round Robin is "
        "syncing with PagerDuty now: their rotations show them in a moment.",
    )


@refusals()
async def on_unlink(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    """Undo a link made by hand, from the rotation's Details (which is redrawn to show it)."""
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    unlinked = await services.people.unlink(user_id, action["value"])
    notice = (
        f":link: {_pd_person(unlinked)} is no longer linked to {mention(unlinked.slack_user_id or '')} by "
        "hand; Round Robin matches them by email again from the sync it is running now."
    )
    view = body.get("view") or {}
    rotation = await services.rotations.get(OfRotation.read(view).rotation_id or 0)
    if rotation is None or not view.get("id"):
        await services.home.publish(user_id, notice=notice)
        return
    details = await details_view(services, rotation, user_id, notice=notice)
    await services.modals.update(body, details, use_hash=False)


def _pd_person(linked: Linked) -> str:
    return unmatched_words([Unmatched(linked.person.id, linked.person.name, linked.person.email)])


def _refused_modal(message: str) -> dict:
    return modal("Not allowed", [section(f":no_entry: {esc(message)}")], close="Close")
