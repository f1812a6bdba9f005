"""The create/edit rotation modal: opening it, redrawing it when a choice changes what it shows, saving it.

Redraws happen when Source, Rotates, the time, the time zone, weekends, the weekday or the repeat
changes (other fields and the first hand-over follow), when an existing user group is chosen (who
would be removed from it, and a box to confirm), when a group is chosen for the members to follow
(who is in it; the members picker gives way to the turn order choice), and when someone is moved
in the turn order.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from roundrobin.rotations import codes
from roundrobin.rotations.draft import MAX_MEMBERS, RotationDraft
from roundrobin.rotations.errors import DraftError, NotAllowed
from roundrobin.rotations.model import Rotation
from roundrobin.rotations.references import Group
from roundrobin.rotations.schedule import Schedule, zone_names
from roundrobin.rotations.status import StatusDraft
from roundrobin.services import Services
from roundrobin.slack.ids import Rotations
from roundrobin.slack.surfaces.deps import deps, refusals
from roundrobin.slack.surfaces.forms import parse_rotation_form, rotation_errors, turn_order_move
from roundrobin.slack.views.blocks import esc, option
from roundrobin.slack.views.metadata import RotationFormMeta
from roundrobin.slack.views.rotation_modals import (
    NO_GROUP,
    NO_GROUP_LABEL,
    NO_MEMBERS_GROUP_LABEL,
    RotationForm,
    rotation_modal,
)


def register(app: AsyncApp) -> None:
    app.action(Rotations.CREATE)(on_create)
    # Every choice the form's other fields or its first hand-over depend on redraws it.
    for choice in (
        Rotations.SOURCE,
        Rotations.KIND,
        Rotations.TIME,
        Rotations.TZ,
        Rotations.WEEKDAY,
        Rotations.EVERY,
        Rotations.SKIP,
        Rotations.GROUP,
        Rotations.MEMBERS_GROUP,
    ):
        app.action(choice)(on_redraw)
    app.action(Rotations.ORDER_WHO)(on_turn_order)
    app.action(Rotations.ORDER_WHERE)(on_turn_order)
    app.options(Rotations.TZ)(tz_options)
    app.options(Rotations.PD_SCHEDULE)(schedule_options)
    app.options(Rotations.PD_MORE_SCHEDULES)(schedule_options)
    app.options(Rotations.GROUP)(group_options)
    app.options(Rotations.MEMBERS_GROUP)(members_group_options)
    app.view(Rotations.FORM_VIEW)(on_submit)


async def on_create(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
    await ack()
    await open_form(deps(context), body["trigger_id"], body["user"]["id"], None)


async def open_form(services: Services, trigger_id: str, user_id: str, rotation: Rotation | None) -> None:
    connected = await _connected(services)
    if rotation is None:
        # A new rotation starts in its creator's own time zone, as Slack has it in their profile.
        tz = (await services.roles.profile(user_id)).get("tz") or "UTC"
        tz = tz if tz in zone_names() else "UTC"
        form = RotationForm(
            RotationDraft(name="", code="", schedule=Schedule(tz=tz)),
            pagerduty_connected=connected,
            now=services.clock(),
            sync_every=services.settings.sync_interval_seconds,
        )
    else:
        form = await _form_for(services, rotation, connected)
    await services.modals.open(trigger_id, user_id, rotation_modal(form))


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
        # A group still being made is shown as what was asked for: saving again keeps asking.
        new_usergroup_handle=rotation.usergroup_handle if rotation.usergroup_create else None,
        schedule=rotation.schedule,
        pd_schedule_id=rotation.pd_schedule_id,
        pd_more_schedule_ids=rotation.pd_more_schedule_ids,
        members_may_rotate=rotation.members_may_rotate,
        **_following(rotation),
        status=StatusDraft.of(rotation.status_signal, rotation.bound),
    )
    schedule_id = rotation.pd_schedule_id
    known = await services.sync.schedules(rotation.pd_schedule_ids)
    schedule = known.get(schedule_id) if schedule_id else None
    group = await services.rotations.group(rotation.usergroup_id) if rotation.usergroup_id else None
    return RotationForm(
        draft=draft,
        rotation_id=rotation.id,
        config_rev=rotation.config_rev,
        kept_members=len(rotation.members) if len(rotation.members) > MAX_MEMBERS else 0,
        pagerduty_connected=connected,
        pd_schedule_label=schedule.name if schedule else rotation.pd_schedule_id,
        pd_more_labels={s: known[s].name if s in known else s for s in rotation.pd_more_schedule_ids},
        group_label=_group_label(group)
        if group
        else (f"@{rotation.usergroup_handle}" if rotation.usergroup_handle else None),
        now=services.clock(),
        sync_every=services.settings.sync_interval_seconds,
        names=await _names(services, draft.members or ()),
        **await _members_group(services, draft),
    )


def _following(rotation: Rotation) -> dict:
    """The draft's fields for members that follow a user group."""
    source = rotation.member_source
    if source is None or rotation.bound:
        return {}
    return {
        "members_group_id": source.usergroup_id,
        "members_group_handle": source.handle,
        "members_order": source.order,
    }


async def _members_group(services: Services, draft: RotationDraft) -> dict:
    """What the form shows of the group the members follow: its label, and who is in it now."""
    if not draft.members_group_id:
        return {}
    group = await services.rotations.group(draft.members_group_id)
    if group is None:
        return {"members_group_label": f"@{draft.members_group_handle or draft.members_group_id}"}
    return {"members_group_label": _group_label(group), "members_group_users": group.users}


@refusals()
async def on_redraw(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
    """A choice changed what the form shows: redraw it, keeping everything typed."""
    await ack()
    services = deps(context)
    form = await _own_form(services, body)
    await services.modals.update(body, rotation_modal(await _redrawn(services, form)))


@refusals()
async def on_turn_order(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
    """Someone was moved in the turn order: once both the person and the place are chosen, redraw."""
    await ack()
    services, view = deps(context), body["view"]
    form = await _own_form(services, body)
    move = turn_order_move(view)
    members = list(form.draft.members or ())
    if move is None or move[0] not in members:
        return  # the place is still to be chosen
    who, place = move
    members.remove(who)
    members.insert(min(place, len(members)), who)
    form = replace(
        form, draft=replace(form.draft, members=tuple(members)), members_version=form.members_version + 1
    )
    await services.modals.update(body, rotation_modal(await _redrawn(services, form)), use_hash=False)


async def _own_form(services: Services, body: dict) -> RotationForm:
    """The form a click came from, once it is the clicker's own and they may still edit what it edits."""
    await services.modals.require_own(body)
    form = parse_rotation_form(body["view"], await _connected(services))
    if form.rotation_id is not None:
        rotation = await services.rotations.get(form.rotation_id)
        if rotation is None:
            raise NotAllowed("That rotation no longer exists.")
        await services.access.require_edit(body["user"]["id"], rotation)
    return form


async def _redrawn(services: Services, form: RotationForm) -> RotationForm:
    """What a redrawn form needs beyond its fields: names, the suggested code, the group warning,
    who is in the group the members follow."""
    draft = form.draft
    if draft.members_group_id:
        group = await services.rotations.group(draft.members_group_id)
        form = replace(form, draft=replace(draft, members_group_handle=group.handle if group else None))
    elif not draft.members and form.rotation_id is not None:
        # The group was just cleared: the picker starts from the members the rotation has now.
        rotation = await services.rotations.get(form.rotation_id)
        if rotation and rotation.member_source and len(rotation.members) <= MAX_MEMBERS:
            form = replace(form, draft=replace(draft, members=rotation.members))
    return replace(
        form,
        **await _members_group(services, form.draft),
        now=services.clock(),
        sync_every=services.settings.sync_interval_seconds,
        names=await _names(services, form.draft.members or ()),
        code_hint=codes.from_name(form.draft.name) if form.draft.name and not form.draft.code else None,
        group_removed=await services.rotations.removed_from_group(form.draft, form.rotation_id),
    )


async def _names(services: Services, members: tuple[str, ...]) -> dict[str, str]:
    """Names for the turn-order picker, from the cached directory (plain text, never mentions)."""
    people = await services.directory.people(members[:MAX_MEMBERS])
    return {u: p.real_name or p.name for u, p in people.items()}


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
    """Groups this person may bind now (all for managers, the ones they are in for members), none
    that another rotation follows, and "No user group" first, so a choice can always be undone."""
    services, user_id = deps(context), body["user"]["id"]
    editing = RotationFormMeta.read(body.get("view")).rotation_id
    query = str(payload.get("value") or "")[:80]
    groups = await services.rotations.bindable_groups(user_id, query, editing)
    none = [option(NO_GROUP_LABEL, NO_GROUP)] if not query.strip() else []  # the way back, when browsing
    await ack(options=[*none, *(option(_group_label(g), g.id) for g in groups)])


async def members_group_options(ack: AsyncAck, body: dict, payload: dict, context: AsyncBoltContext) -> None:
    """Groups a rotation's members may follow (any but the on-duty groups rotations keep), and
    "No group" first, so the members can be typed again."""
    query = str(payload.get("value") or "")[:80]
    groups = await deps(context).rotations.followable_groups(query)
    none = [option(NO_MEMBERS_GROUP_LABEL, NO_GROUP)] if not query.strip() else []
    await ack(options=[*none, *(option(_group_label(g), g.id) for g in groups)])


def _group_label(group: Group) -> str:
    disabled = "" if group.enabled else " (disabled)"
    return f"@{group.handle} · {group.name}{disabled}"


@refusals(field=Rotations.NAME)
async def on_submit(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    services, user_id = deps(context), body["user"]["id"]
    connected = await _connected(services)
    form = parse_rotation_form(view, connected)
    made_code = not form.draft.code and bool(form.draft.name)
    if made_code:
        code = await services.editor.free_code(form.draft.name, form.rotation_id)
        form = replace(form, draft=replace(form.draft, code=code))
    try:
        if (
            removed := await services.rotations.removed_from_group(form.draft, form.rotation_id)
        ) and not form.group_confirmed:
            # A group the person may not bind is refused for that first; only then is it confirmed.
            existing = await services.rotations.get(form.rotation_id) if form.rotation_id else None
            await services.editor.validate(form.draft.normalised(), user_id, existing=existing)
            await ack(response_action="errors", errors=await _confirm_group(services, removed, view))
            return
        if form.rotation_id:
            rotation = await services.editor.update(
                form.rotation_id, form.draft, user_id, expected_rev=form.config_rev
            )
        else:
            rotation = await services.editor.create(form.draft, user_id)
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
    """Whether to offer PagerDuty as a source (the editor asks the connection again when saving)."""
    return await services.pagerduty.connected()
