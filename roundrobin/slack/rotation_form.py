"""The create/edit rotation modal: opening it, redrawing it when a choice changes what it shows, saving it.

Redraws happen when Source, Rotates, the weekday or the repeat changes (other fields and the first
hand-over follow), when an existing user group is chosen (who would be removed from it, and a box to
confirm), and when someone is moved in the turn order.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.rotations import codes
from roundrobin.rotations.draft import MAX_MEMBERS, DraftError, RotationDraft
from roundrobin.rotations.model import Rotation
from roundrobin.rotations.schedule import Schedule, zone_names
from roundrobin.services import Services
from roundrobin.slack.app import deps, refusals
from roundrobin.slack.forms import parse_rotation_form, rotation_errors, turn_order_move
from roundrobin.slack.ids import Rotations
from roundrobin.slack.views.blocks import esc, option
from roundrobin.slack.views.rotation_modals import RotationForm, rotation_modal


def register(app: AsyncApp) -> None:
    app.action(Rotations.CREATE)(on_create)
    for choice in (Rotations.SOURCE, Rotations.KIND, Rotations.WEEKDAY, Rotations.EVERY, Rotations.GROUP):
        app.action(choice)(on_redraw)
    app.action(Rotations.ORDER_WHO)(on_turn_order)
    app.action(Rotations.ORDER_WHERE)(on_turn_order)
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
        # A new rotation starts in its creator's own time zone, as Slack has it in their profile.
        tz = (await services.roles.profile(user_id)).get("tz") or "UTC"
        tz = tz if tz in zone_names() else "UTC"
        form = RotationForm(
            RotationDraft(name="", code="", schedule=Schedule(tz=tz)),
            pagerduty_connected=connected,
            now=services.clock(),
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
        members_may_rotate=rotation.members_may_rotate,
    )
    schedules = await services.sync.schedules([rotation.pd_schedule_id] if rotation.pd_schedule_id else [])
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
        now=services.clock(),
        names=await _names(services, draft.members or ()),
    )


async def on_redraw(ack: AsyncAck, body: dict, client: AsyncWebClient, context: AsyncBoltContext) -> None:
    """A choice changed what the form shows: redraw it, keeping everything typed."""
    await ack()
    services, view = deps(context), body["view"]
    form = await _redrawn(services, parse_rotation_form(view, await _connected(services)))
    await client.views_update(view_id=view["id"], hash=view.get("hash"), view=rotation_modal(form))


async def on_turn_order(ack: AsyncAck, body: dict, client: AsyncWebClient, context: AsyncBoltContext) -> None:
    """Someone was moved in the turn order: once both the person and the place are chosen, redraw."""
    await ack()
    services, view = deps(context), body["view"]
    move = turn_order_move(view)
    form = parse_rotation_form(view, await _connected(services))
    members = list(form.draft.members or ())
    if move is None or move[0] not in members:
        return  # the place is still to be chosen
    who, place = move
    members.remove(who)
    members.insert(min(place, len(members)), who)
    form = replace(
        form, draft=replace(form.draft, members=tuple(members)), members_version=form.members_version + 1
    )
    await client.views_update(view_id=view["id"], view=rotation_modal(await _redrawn(services, form)))


async def _redrawn(services: Services, form: RotationForm) -> RotationForm:
    """What a redrawn form needs beyond its fields: names, the suggested code, the group warning."""
    return replace(
        form,
        now=services.clock(),
        names=await _names(services, form.draft.members or ()),
        code_hint=codes.from_name(form.draft.name) if form.draft.name and not form.draft.code else None,
        group_removed=await _removed_from_group(services, form),
    )


async def _names(services: Services, members: tuple[str, ...]) -> dict[str, str]:
    """Names for the turn-order picker, from the cached directory (plain text, never mentions)."""
    people = await services.directory.people(members[:MAX_MEMBERS])
    return {u: p.real_name or p.name for u, p in people.items()}


async def _removed_from_group(services: Services, form: RotationForm) -> tuple[str, ...]:
    """The people in the chosen existing group who are not going on duty: Round Robin removes them."""
    d = form.draft
    existing = await services.rotations.get(form.rotation_id) if form.rotation_id else None
    if not d.usergroup_id or (existing and existing.usergroup_id == d.usergroup_id):
        return ()
    group = await services.usergroups.get(d.usergroup_id)
    if not group:
        return ()
    if d.source == "pagerduty":
        staying = existing.on_duty if existing and existing.bound else ()
    else:
        members = d.members if d.members is not None else (existing.members if existing else ())
        staying = tuple(u for u in (existing.on_duty if existing else ()) if u in members) or members[:1]
    return tuple(u for u in group.get("users") or () if u not in staying)


async def tz_options(ack: AsyncAck, payload: dict) -> None:
    query = payload.get("value", "").strip().lower().replace(" ", "_")
    names = sorted(z for z in zone_names() if query in z.lower())
    # Exact city matches first (typing "london" should offer Europe/London at the top).
    names.sort(key=lambda z: (not z.lower().endswith("/" + query), len(z)))
    await ack(options=[option(z, z) for z in names[:100]])


async def schedule_options(ack: AsyncAck, payload: dict, context: AsyncBoltContext) -> None:
    """PagerDuty searched by name as the person types (cached and narrowed: see pagerduty/search.py)."""
    typed = payload.get("value")
    found = await deps(context).sync.search_schedules(typed if isinstance(typed, str) else "")
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
    made_code = not form.draft.code and bool(form.draft.name)
    if made_code:
        code = await _free_code(services, codes.from_name(form.draft.name), form.rotation_id)
        form = replace(form, draft=replace(form.draft, code=code))
    try:
        if (removed := await _removed_from_group(services, form)) and not form.group_confirmed:
            # A group the person may not bind is refused for that first; only then is it confirmed.
            existing = await services.rotations.get(form.rotation_id) if form.rotation_id else None
            await services.rotations.validate(form.draft.normalised(), user_id, connected, existing)
            await ack(response_action="errors", errors=await _confirm_group(services, removed, view))
            return
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
    if made_code:
        synced += f" Its code was made from the name: `/rr who {esc(rotation.code)}`. Edit changes it."
    await services.home.publish(
        user_id, tab="rotations", notice=f"{verb} {esc(rotation.name)} ({esc(rotation.code)}).{synced}"
    )


async def _free_code(services: Services, code: str, rotation_id: int | None) -> str:
    """The code made from the name, or OPS-2, OPS-3… when another rotation has it."""
    for n in range(1, 100):
        candidate = code if n == 1 else codes.numbered(code, n)
        taken = await services.rotations.by_code(candidate)
        if taken is None or taken.id == rotation_id:
            return candidate
    return code  # a hundred alike: the service says the code is taken, under the field


async def _confirm_group(services: Services, removed: tuple[str, ...], view: dict) -> dict[str, str]:
    names = [await services.access.name(u) for u in removed[:5]]
    more = f" and {len(removed) - 5} more" if len(removed) > 5 else ""
    words = (
        f"This group has people in it: {', '.join(names)}{more} would be removed, because Round Robin "
        "sets it to whoever is on duty. Tick the box to replace its members, or clear the group and "
        "create a new one."
    )
    shown = {b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"}
    return {Rotations.GROUP_CONFIRM if Rotations.GROUP_CONFIRM in shown else Rotations.GROUP: words}


async def _connected(services: Services) -> bool:
    connection = await services.pagerduty.current()
    return connection is not None and connection.status == "connected"
