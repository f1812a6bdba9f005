"""Rotation listeners: the list in App Home, its menu, and the small modals (set on duty, delete, link)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.access import PermissionDenied
from roundrobin.services import Services
from roundrobin.slack.app import deps, refusals
from roundrobin.slack.forms import field, parse_menu_value
from roundrobin.slack.ids import MenuChoice, Rotations
from roundrobin.slack.rotation_form import open_form
from roundrobin.slack.views.blocks import esc, mention, modal, option, read_metadata, section
from roundrobin.slack.views.rotation_modals import (
    Details,
    delete_modal,
    details_modal,
    link_modal,
    set_on_duty_modal,
)
from roundrobin.store import events
from roundrobin.store import pagerduty as pd_store
from roundrobin.store import rotations as store


def register(app: AsyncApp) -> None:
    app.action(Rotations.MENU)(on_menu)
    app.action(Rotations.DETAILS)(on_details)
    app.action(Rotations.PAGE_PREVIOUS)(on_page)
    app.action(Rotations.PAGE_NEXT)(on_page)
    app.action(Rotations.FILTER)(on_filter)
    app.action(Rotations.JUMP)(on_jump)
    app.options(Rotations.JUMP)(jump_options)
    app.action(Rotations.LINK)(on_link)
    app.view(Rotations.SET_ON_DUTY_VIEW)(on_set_on_duty)
    app.view(Rotations.DELETE_VIEW)(on_delete)
    app.view(Rotations.LINK_VIEW)(on_linked)


@refusals()
async def on_menu(
    ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    choice, rotation_id, rev = parse_menu_value(action["selected_option"]["value"])
    rotation = await services.rotations.get(rotation_id) if rotation_id else None
    if rotation is None:
        await services.home.publish(user_id, notice="That rotation no longer exists.")
        return
    if choice == MenuChoice.DETAILS:
        await client.views_open(
            trigger_id=body["trigger_id"], view=await _details(services, rotation, user_id)
        )
        return
    if choice == MenuChoice.ROTATE:
        change = await services.rotations.rotate(rotation.id, user_id, expected_duty_rev=rev)
        who = ", ".join(mention(u) for u in change.rotation.on_duty) if change else "nobody"
        await services.home.publish(user_id, notice=f"{esc(rotation.name)} rotated: {who} is on duty now.")
        return
    await services.access.require_edit(user_id, rotation)
    if choice == MenuChoice.EDIT:
        await open_form(services, client, body["trigger_id"], user_id, rotation)
    elif choice == MenuChoice.SET_ON_DUTY:
        names = {u: await services.access.name(u) for u in rotation.members[:100]}
        await client.views_open(trigger_id=body["trigger_id"], view=set_on_duty_modal(rotation, names))
    elif choice == MenuChoice.DELETE:
        await client.views_open(trigger_id=body["trigger_id"], view=delete_modal(rotation))


async def on_details(
    ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    services = deps(context)
    rotation = await services.rotations.get(int(action["value"])) if action["value"].isdigit() else None
    if rotation is not None:
        await client.views_open(
            trigger_id=body["trigger_id"], view=await _details(services, rotation, body["user"]["id"])
        )


async def _details(services: Services, rotation, user_id: str) -> dict:
    can_manage = await services.access.can_manage(user_id)
    schedule_name, shifts, names, slack_of = None, [], {}, {}
    if rotation.pd_schedule_id:
        schedule = (await pd_store.schedules(services.db, [rotation.pd_schedule_id])).get(
            rotation.pd_schedule_id
        )
        schedule_name = schedule.name if schedule else None
        shifts = await pd_store.shifts(services.db, rotation.pd_schedule_id, services.clock())
        people = await pd_store.users(services.db, {s.pd_user_id for s in shifts})
        names = {k: v.name for k, v in people.items()}
        slack_of = await services.sync.slack_users(people)
    return details_modal(
        Details(
            rotation=rotation,
            can_edit=can_manage or rotation.created_by == user_id,
            can_link=can_manage,
            schedule_name=schedule_name,
            shifts=shifts,
            pd_names=names,
            pd_slack=slack_of,
            history=await events.recent(services.db, rotation.id, limit=10),
        )
    )


async def on_page(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    page = int(action["value"]) if action["value"].isdigit() else 0
    await deps(context).home.publish(body["user"]["id"], tab="rotations", page=page)


async def on_filter(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    services.rotations_home.mine_only[user_id] = action["selected_option"]["value"] == "mine"
    await services.home.publish(user_id, tab="rotations", page=0)


async def jump_options(ack: AsyncAck, payload: dict, context: AsyncBoltContext) -> None:
    found = await store.search(deps(context).db, payload.get("value", ""), limit=50)
    await ack(options=[option(f"{name} ({code})", str(rotation_id)) for rotation_id, name, code in found])


async def on_jump(
    ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    services = deps(context)
    value = action["selected_option"]["value"]
    rotation = await services.rotations.get(int(value)) if value.isdigit() else None
    if rotation is not None:
        await client.views_open(
            trigger_id=body["trigger_id"], view=await _details(services, rotation, body["user"]["id"])
        )


@refusals(field=Rotations.ON_DUTY)
async def on_set_on_duty(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    services, user_id = deps(context), body["user"]["id"]
    meta = read_metadata(view.get("private_metadata"))
    chosen = (field(view, Rotations.ON_DUTY, Rotations.ON_DUTY).get("selected_option") or {}).get("value")
    change = await services.rotations.set_on_duty(
        int(meta.get("rotation_id") or 0), chosen or "", user_id, expected_duty_rev=meta.get("duty_rev")
    )
    await ack()
    name = change.rotation.name if change else ""
    await services.home.publish(user_id, notice=f"{esc(name)}: {mention(chosen or '')} is on duty now.")


async def on_delete(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    services, user_id = deps(context), body["user"]["id"]
    rotation_id = read_metadata(view.get("private_metadata")).get("rotation_id") or 0
    if await services.rotations.get(rotation_id) is None:
        await ack()
        return
    try:
        rotation = await services.rotations.delete(rotation_id, user_id)
    except PermissionDenied as refusal:
        await ack(response_action="update", view=_refused_modal(str(refusal)))
        return
    await ack()
    await services.home.publish(user_id, notice=f"Deleted {esc(rotation.name)} ({esc(rotation.code)}).")


@refusals()
async def on_link(
    ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    await services.access.require_manage(user_id)
    rotation_id = None
    for rotation in await store.bound(services.db):
        person = next((p for p in rotation.pd_unmatched if p.get("id") == action["value"]), None)
        if person:
            rotation_id = rotation.id
            break
    if rotation_id is None:
        return
    await client.views_push(trigger_id=body["trigger_id"], view=link_modal(rotation_id, person))


@refusals(field=Rotations.SLACK_USER)
async def on_linked(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    services, user_id = deps(context), body["user"]["id"]
    await services.access.require_manage(user_id)
    meta = read_metadata(view.get("private_metadata"))
    slack_user = field(view, Rotations.SLACK_USER, Rotations.SLACK_USER).get("selected_user")
    now = services.clock()
    async with services.db.transaction():
        await pd_store.set_link(services.db, meta["pd_user_id"], slack_user, user_id, now)
        await events.record(
            services.db,
            "pagerduty.user_linked",
            now,
            user_id,
            pd_user=meta["pd_user_id"],
            slack_user=slack_user,
        )
    await ack(response_action="clear")
    services.sync.request_soon()
    await services.home.publish(
        user_id, notice=f"Linked to <@{slack_user}>. The rotation updates with the next sync, now."
    )


def _refused_modal(message: str) -> dict:
    return modal("Not allowed", [section(f":no_entry: {esc(message)}")], close="Close")
