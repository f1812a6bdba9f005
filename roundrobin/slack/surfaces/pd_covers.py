"""Cover me… on a rotation that follows PagerDuty: the modal, and its submission, which writes the
override to PagerDuty (pagerduty/covers.py decides who may, and whether the connection can)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from roundrobin.pagerduty.covers import ReadOnly
from roundrobin.rotations.errors import NotAllowed
from roundrobin.rotations.model import Rotation
from roundrobin.services import Services
from roundrobin.slack.ids import Shifts
from roundrobin.slack.surfaces.deps import deps, refusals
from roundrobin.slack.surfaces.details import member_names
from roundrobin.slack.surfaces.forms import field, selected
from roundrobin.slack.views.blocks import esc, mention
from roundrobin.slack.views.metadata import MAX_TS, CoverMeta, number
from roundrobin.slack.views.pd_covers import in_pagerduty_modal, pd_cover_modal
from roundrobin.slack.views.shifts import span


def register(app: AsyncApp) -> None:
    app.view(Shifts.PD_COVER_VIEW)(on_pd_cover)


async def open_pd_cover(
    services: Services, trigger_id: str, user_id: str, rotation: Rotation, push: bool = False
) -> None:
    """The form (who covers, from, until), or how to make the cover in PagerDuty when Round Robin
    cannot write it there."""
    try:
        form = await services.pd_covers.form(rotation, user_id)
        view = pd_cover_modal(form, await member_names(services, rotation))
    except ReadOnly as made_there:
        view = in_pagerduty_modal(made_there)
    if push:
        await services.modals.push(trigger_id, user_id, view)
    else:
        await services.modals.open(trigger_id, user_id, view)


@refusals(field=Shifts.FROM)
async def on_pd_cover(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    services, user_id = deps(context), body["user"]["id"]
    await services.modals.require_own(body)
    meta = CoverMeta.read(view)
    start = number(field(view, Shifts.FROM, Shifts.FROM).get("selected_date_time"), 1, MAX_TS)
    end = number(field(view, Shifts.UNTIL, Shifts.UNTIL).get("selected_date_time"), 1, MAX_TS)
    by = selected(view, Shifts.BY, Shifts.BY)
    if start is None or end is None:
        where = Shifts.FROM if start is None else Shifts.UNTIL
        await ack(response_action="errors", errors={where: "Choose a date and a time."})
        return
    if not isinstance(by, str) or not 0 < len(by) <= 20:
        await ack(response_action="errors", errors={Shifts.BY: "Choose who covers."})
        return
    rotation = await services.rotations.get(meta.rotation_id or 0)
    if rotation is None:
        await ack(response_action="errors", errors={Shifts.FROM: "That rotation no longer exists."})
        return
    try:
        covered = await services.pd_covers.cover(rotation, user_id, by, float(start), float(end))
    except ReadOnly as made_there:
        await ack(response_action="update", view=in_pagerduty_modal(made_there))
        return
    except NotAllowed as refused:
        where = (
            Shifts.UNTIL if "end" in str(refused) else Shifts.BY if "cover" in str(refused) else Shifts.FROM
        )
        await ack(response_action="errors", errors={where: str(refused)})
        return
    await ack(response_action="clear")
    schedules = " and ".join(esc(n) for n in covered.schedules)
    await services.home.publish(
        user_id,
        notice=f"{mention(covered.by)} covers you {span(covered.start, covered.end)}: the override is in "
        f"PagerDuty ({schedules}), and {esc(rotation.name)} follows it.",
    )
