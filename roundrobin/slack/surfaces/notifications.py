"""Listeners of a rotation's Notifications modal, and of the App Home's "no DMs for me" switch."""

from __future__ import annotations

from dataclasses import replace

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from roundrobin.rotations import templates
from roundrobin.rotations.announcement import Announcement
from roundrobin.rotations.errors import DraftError
from roundrobin.rotations.model import DutyChange, Notifications, Rotation, next_up_people
from roundrobin.services import Services
from roundrobin.slack.ids import NotificationIds, Preferences
from roundrobin.slack.surfaces.deps import deps, named_rotation, refusals
from roundrobin.slack.surfaces.forms import notification_errors, parse_notifications
from roundrobin.slack.views.blocks import esc
from roundrobin.slack.views.messages import fill
from roundrobin.slack.views.metadata import NotificationsMeta
from roundrobin.slack.views.notifications import SURFACE_LABELS, NotificationsForm, notifications_modal
from roundrobin.slack.views.personal import topic_text


def register(app: AsyncApp) -> None:
    app.view(NotificationIds.VIEW)(on_submit)
    for surface in SURFACE_LABELS:
        app.action(NotificationIds.template(surface))(on_preview)
    app.action(Preferences.MUTE_DMS)(on_mute)
    app.action(NotificationIds.OPEN)(on_open)


@refusals()
async def on_open(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    """The Notifications… button in a rotation's Details (a modal on top of it)."""
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    rotation = await named_rotation(services, action.get("value"))
    if rotation is None:
        return
    await services.access.require_edit(user_id, rotation)
    form = await _form(services, rotation, Notifications.of(rotation), user_id)
    await services.modals.push(body["trigger_id"], user_id, notifications_modal(form))


@refusals()
async def on_preview(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
    """A template changed: redraw the modal with its preview, keeping everything typed."""
    await ack()
    services, view, user_id = deps(context), body["view"], body["user"]["id"]
    await services.modals.require_own(body)
    rotation = await services.rotations.get(NotificationsMeta.read(view).rotation_id or 0)
    if rotation is None:
        return
    await services.access.require_edit(user_id, rotation)  # the right to edit may have gone since
    form = await _form(services, rotation, parse_notifications(view), user_id)
    await services.modals.update(body, notifications_modal(form))


@refusals(field=NotificationIds.TOPIC_CHANNELS)
async def on_submit(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    services, user_id = deps(context), body["user"]["id"]
    meta = NotificationsMeta.read(view)
    try:
        rotation = await services.editor.update_notifications(
            meta.rotation_id or 0,
            parse_notifications(view),
            user_id,
            expected_rev=meta.config_rev,
        )
    except DraftError as e:
        await ack(response_action="errors", errors=notification_errors(e.errors, view))
        return
    await ack(response_action="clear")  # the Details below it would show the old settings
    await services.home.publish(
        user_id, notice=f"Saved how {esc(rotation.name)} ({esc(rotation.code)}) tells people."
    )


async def on_mute(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    """The person's own switch: Round Robin sends them no DMs (nor takes them back) from now on."""
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    muted = action.get("value") == "mute"
    await services.preferences.mute_dms(user_id, muted)
    notice = (
        "Round Robin will not send you direct messages."
        if muted
        else "Round Robin may send you direct messages again."
    )
    await services.home.publish(user_id, notice=notice)


async def _form(
    services: Services, rotation: Rotation, wanted: Notifications, viewer: str
) -> NotificationsForm:
    """The form with a preview of each template, drawn from who is on duty now."""
    drafted = replace(rotation, templates={k: v for k, v in wanted.templates.items() if v})
    body = Announcement.of(
        DutyChange(drafted, (), "rotated", viewer, next_up_people(drafted), services.clock())
    )
    names = await services.directory.names([*body.on_duty, *body.next_up, viewer])
    previews = {}
    for surface, template in drafted.templates.items():
        if problem := templates.problems({surface: template}).get(surface):
            previews[surface] = f":warning: {esc(problem)}"
        elif surface == "topic":
            previews[surface] = esc(topic_text(drafted, body.topic(), names))
        else:
            previews[surface] = fill(drafted, surface, body, names) or (
                "_nothing is left once the tokens with no value now are left out: Round Robin's usual "
                "words would go out_"
            )
    return NotificationsForm(rotation, wanted, previews)
