"""The create/edit rotation modal: opening it, redrawing it when Source or Rotates changes, saving it."""

from __future__ import annotations

import asyncio

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.rotations.draft import MAX_MEMBERS, DraftError, RotationDraft
from roundrobin.rotations.model import Rotation
from roundrobin.rotations.schedule import Schedule, zone_names
from roundrobin.services import Services
from roundrobin.slack.app import deps, refusals
from roundrobin.slack.forms import parse_rotation_form, rotation_errors
from roundrobin.slack.ids import Rotations
from roundrobin.slack.views.blocks import esc, option
from roundrobin.slack.views.rotation_modals import RotationForm, rotation_modal
from roundrobin.store import pagerduty as pd_store


def register(app: AsyncApp) -> None:
    app.action(Rotations.CREATE)(on_create)
    app.action(Rotations.SOURCE)(on_redraw)
    app.action(Rotations.KIND)(on_redraw)
    app.options(Rotations.TZ)(tz_options)
    app.options(Rotations.PD_SCHEDULE)(schedule_options)
    app.options(Rotations.GROUP)(group_options)
    app.view(Rotations.FORM_VIEW)(on_submit)


async def on_create(ack: AsyncAck, body: dict, client: AsyncWebClient, context: AsyncBoltContext) -> None:
    await ack()
    await open_form(deps(context), client, body["trigger_id"], body["user"]["id"], None)


async def open_form(
    services: Services, client: AsyncWebClient, trigger_id: str, user_id: str, rotation: Rotation | None
) -> None:
    connected = await _connected(services)
    if rotation is None:
        tz = (await services.roles.profile(user_id)).get("tz") or "UTC"
        form = RotationForm(
            RotationDraft(name="", code="", schedule=Schedule(tz=tz)), pagerduty_connected=connected
        )
    else:
        form = await _form_for(services, rotation, connected)
    await client.views_open(trigger_id=trigger_id, view=rotation_modal(form))


async def _form_for(services: Services, rotation: Rotation, connected: bool) -> RotationForm:
    draft = RotationDraft(
        name=rotation.name,
        code=rotation.code,
        description=rotation.description,
        source=rotation.source,
        members=None if len(rotation.members) > MAX_MEMBERS else rotation.members,
        channels=rotation.channels,
        usergroup_id=rotation.usergroup_id,
        usergroup_handle=rotation.usergroup_handle,
        schedule=rotation.schedule,
        pd_schedule_id=rotation.pd_schedule_id,
    )
    schedules = await pd_store.schedules(
        services.db, [rotation.pd_schedule_id] if rotation.pd_schedule_id else []
    )
    schedule = schedules.get(rotation.pd_schedule_id)
    group = await services.usergroups.get(rotation.usergroup_id) if rotation.usergroup_id else None
    return RotationForm(
        draft=draft,
        rotation_id=rotation.id,
        config_rev=rotation.config_rev,
        kept_members=len(rotation.members) if len(rotation.members) > MAX_MEMBERS else 0,
        pagerduty_connected=connected,
        pd_schedule_label=schedule.name if schedule else rotation.pd_schedule_id,
        group_label=_group_label(group)
        if group
        else (f"@{rotation.usergroup_handle}" if rotation.usergroup_handle else None),
    )


async def on_redraw(ack: AsyncAck, body: dict, client: AsyncWebClient, context: AsyncBoltContext) -> None:
    """Source or Rotates changed: show the fields that belong to the new choice, keeping the rest."""
    await ack()
    services, view = deps(context), body["view"]
    form = parse_rotation_form(view, await _connected(services))
    await client.views_update(view_id=view["id"], hash=view.get("hash"), view=rotation_modal(form))


async def tz_options(ack: AsyncAck, payload: dict) -> None:
    query = payload.get("value", "").strip().lower().replace(" ", "_")
    names = sorted(z for z in zone_names() if query in z.lower())
    # Exact city matches first (typing "london" should offer Europe/London at the top).
    names.sort(key=lambda z: (not z.lower().endswith("/" + query), len(z)))
    await ack(options=[option(z, z) for z in names[:100]])


async def schedule_options(ack: AsyncAck, payload: dict, context: AsyncBoltContext) -> None:
    found = await pd_store.search_schedules(deps(context).db, payload.get("value", ""), limit=100)
    labels = [option(s.name + (" (shift-based)" if s.version == 3 else ""), s.id) for s in found]
    await ack(options=labels)


async def group_options(ack: AsyncAck, body: dict, payload: dict, context: AsyncBoltContext) -> None:
    """Groups this person may bind: all of them for managers, the ones they are in for members."""
    services, user_id = deps(context), body["user"]["id"]
    groups = await services.usergroups.search(payload.get("value", ""))
    if not await services.access.can_manage(user_id):
        groups = [g for g in groups if user_id in (g.get("users") or ())]
    held = await services.rotations.group_holders()
    await ack(
        options=[
            option(_group_label(g) + (f" (follows {held[g['id']]})" if g["id"] in held else ""), g["id"])
            for g in groups
        ]
    )


def _group_label(group: dict) -> str:
    disabled = " (disabled)" if group.get("date_delete") else ""
    return f"@{group.get('handle', '')} · {group.get('name', '')}{disabled}"


@refusals(field=Rotations.NAME)
async def on_submit(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    services, user_id = deps(context), body["user"]["id"]
    connected = await _connected(services)
    form = parse_rotation_form(view, connected)
    try:
        if form.rotation_id:
            rotation = await services.rotations.update(
                form.rotation_id, form.draft, user_id, connected, expected_rev=form.config_rev
            )
        else:
            rotation = await services.rotations.create(form.draft, user_id, connected)
    except DraftError as e:
        await ack(response_action="errors", errors=rotation_errors(e.errors, view))
        return
    await ack()
    verb = "Saved" if form.rotation_id else "Created"
    synced = ""
    if rotation.bound:
        # Show who PagerDuty has on call straight away, not after the next scheduled sync.
        try:
            await asyncio.wait_for(asyncio.shield(services.sync.request_soon()), timeout=10)
            synced = " Synced with PagerDuty."
        except TimeoutError:
            synced = " It will show who is on call after the next sync."
    await services.home.publish(
        user_id, tab="rotations", notice=f"{verb} {esc(rotation.name)} ({esc(rotation.code)}).{synced}"
    )


async def _connected(services: Services) -> bool:
    connection = await services.pagerduty.current()
    return connection is not None and connection.status == "connected"
