"""A rotation's Details, gathered for one reader: what the rotations and shift listeners redraw."""

from __future__ import annotations

from roundrobin.rotations.model import Rotation
from roundrobin.services import Services
from roundrobin.slack.views.calendars import RotationCalendar
from roundrobin.slack.views.rotation_modals import Details, details_modal
from roundrobin.slack.views.shifts import UPCOMING, Upcoming

AHEAD = 30 * 86400.0  # how far Details looks for a manual rotation's shifts


async def details_view(
    services: Services, rotation: Rotation, user_id: str, notice: str | None = None
) -> dict:
    who = await services.access.actor(user_id)
    people = await services.people.of_rotation(rotation)
    ahead = await services.people.unlinked_ahead([rotation])
    problems, repaired = await services.rotations_home.delivery_notes([rotation.id])
    can_edit = who.may_edit(rotation)
    return details_modal(
        Details(
            rotation=rotation,
            can_edit=can_edit,
            can_link=who.manager,
            schedule_name=people.schedule_name,
            shifts=people.shifts,
            pd_names=people.names,
            pd_slack=people.slack_of,
            history=await services.rotations.history(rotation.id, limit=10),
            can_rotate=who.may_rotate(rotation),
            by_hand=people.by_hand,
            pd_emails=people.emails,
            upcoming_unlinked=ahead.get(rotation.id, ()),
            problems=tuple(problems.get(rotation.id, ())),
            group_repaired=rotation.id in repaired,
            notice=notice,
            upcoming=None if rotation.bound else await upcoming(services, rotation, user_id, can_edit),
            calendar=RotationCalendar(
                rotation.id,
                rotation.code,
                await services.feeds.rotation_link(rotation.id),
                services.timelines.link(rotation.id, user_id),
                can_edit,
            ),
            webhooks=await services.webhook_settings.state(rotation) if who.manager else None,
            schedule_names=people.schedule_names,
        )
    )


async def upcoming(services: Services, rotation: Rotation, user_id: str, can_edit: bool) -> Upcoming:
    """What Details shows of a manual rotation's timeline, and what the reader may do about it."""
    now = services.clock()
    shifts = await services.shifts.shifts(rotation, now, now + AHEAD)
    return Upcoming(
        rotation=rotation,
        shifts=tuple(shifts[:UPCOMING]),
        viewer=user_id,
        can_edit=can_edit,
        now=now,
        names=await member_names(services, rotation) if can_edit else {},
        requests=tuple(await services.shifts.open_requests(rotation.id)),
        horizon=now + AHEAD,
    )


async def member_names(services: Services, rotation: Rotation) -> dict[str, str]:
    return {u: await services.access.name(u) for u in rotation.members[:100]}
