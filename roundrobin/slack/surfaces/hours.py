"""Duty & hours… in a manual rotation's Details: how many are on duty, working hours, holidays."""

from __future__ import annotations

import re

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from roundrobin.rotations.errors import DraftError
from roundrobin.rotations.model import HOLIDAY_MODES, Holidays, Rotation, WorkingHours
from roundrobin.rotations.schedule import normalise_time
from roundrobin.services import Services
from roundrobin.slack.ids import Hours
from roundrobin.slack.surfaces.deps import deps, named_rotation, refusals
from roundrobin.slack.surfaces.details import member_names
from roundrobin.slack.surfaces.forms import field, selected, text
from roundrobin.slack.views.blocks import esc
from roundrobin.slack.views.hours import NOBODY, HoursForm, hours_modal, hours_words
from roundrobin.slack.views.metadata import HoursMeta, number

_CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]", re.ASCII)
_CODE = re.compile(r"[A-Za-z0-9-]{1,10}", re.ASCII)
# The service's field names → the modal's blocks.
_FIELDS = {
    "size": Hours.SIZE,
    "days": Hours.DAYS,
    "end": Hours.END,
    "fallback": Hours.FALLBACK,
    "country": Hours.COUNTRY,
}


def register(app: AsyncApp) -> None:
    app.action(Hours.OPEN)(on_open)
    app.view(Hours.VIEW)(on_submit)


async def open_hours(
    services: Services, trigger_id: str, user_id: str, rotation: Rotation, push: bool = True
) -> None:
    await services.access.require_edit(user_id, rotation)
    view = hours_modal(HoursForm(rotation, await member_names(services, rotation)))
    if push:
        await services.modals.push(trigger_id, user_id, view)
    else:
        await services.modals.open(trigger_id, user_id, view)


@refusals()
async def on_open(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    services, user_id = deps(context), body["user"]["id"]
    rotation = await named_rotation(services, action.get("value"))
    if rotation is not None:
        await open_hours(services, body["trigger_id"], user_id, rotation)


@refusals(field=Hours.SIZE)
async def on_submit(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    services, user_id = deps(context), body["user"]["id"]
    await services.modals.require_own(body)
    meta = HoursMeta.read(view)
    parsed, errors = parse_hours(view)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    size, together, hours, rule = parsed
    try:
        await services.editor.update_hours(
            meta.rotation_id or 0,
            user_id,
            size,
            together,
            hours,
            rule,
            expected_rev=meta.config_rev,
        )
    except DraftError as e:
        await ack(
            response_action="errors", errors={_FIELDS.get(k, Hours.SIZE): v for k, v in e.errors.items()}
        )
        return
    await ack(response_action="clear")
    rotation = await services.rotations.get(meta.rotation_id or 0)
    if rotation is not None:
        await services.home.publish(user_id, notice=f"{esc(rotation.name)}: {hours_words(rotation)}.")


def parse_hours(view: dict) -> tuple[tuple, dict[str, str]]:
    """The modal's values, strictly: (size, together, hours or None, holidays or None), errors."""
    errors: dict[str, str] = {}
    size = number(selected(view, Hours.SIZE, Hours.SIZE), 1, 10)
    if size is None:
        errors[Hours.SIZE] = "Choose how many people are on duty at once."
    together = selected(view, Hours.TOGETHER, Hours.TOGETHER) != "one"
    chosen = field(view, Hours.DAYS, Hours.DAYS).get("selected_options") or []
    days = sorted(
        {d for o in chosen[:7] if isinstance(o, dict) and (d := number(o.get("value"), 0, 6)) is not None}
    )
    hours = None
    if days:
        start = normalise_time(str(field(view, Hours.START, Hours.START).get("selected_time") or ""))
        end = normalise_time(str(field(view, Hours.END, Hours.END).get("selected_time") or ""))
        if not _CLOCK.fullmatch(start):
            errors[Hours.START] = "Choose when working hours start."
        if not _CLOCK.fullmatch(end):
            errors[Hours.END] = "Choose when working hours end."
        fallback = selected(view, Hours.FALLBACK, Hours.FALLBACK)
        fallback = None if fallback in (None, NOBODY) or len(str(fallback)) > 20 else fallback
        hours = WorkingHours(tuple(days), start, end, fallback)
    rule = None
    country = text(view, Hours.COUNTRY, Hours.COUNTRY)
    subdivision = text(view, Hours.SUBDIVISION, Hours.SUBDIVISION) or None
    if country:
        mode = selected(view, Hours.HOLIDAY_MODE, Hours.HOLIDAY_MODE)
        if not _CODE.fullmatch(country) or (subdivision and not _CODE.fullmatch(subdivision)):
            errors[Hours.COUNTRY] = "Use the country's two-letter code, like GB or US."
        else:
            rule = Holidays(
                country.upper(),
                subdivision.upper() if subdivision else None,
                mode if mode in HOLIDAY_MODES else "stay",
            )
    return (size or 1, together, hours, rule), errors
