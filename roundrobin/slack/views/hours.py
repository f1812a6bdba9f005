"""Duty & hours of a manual rotation: how many are on duty at once, working hours and public holidays."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from roundrobin.rotations.model import Rotation
from roundrobin.rotations.schedule import WEEKDAYS
from roundrobin.slack.ids import Hours
from roundrobin.slack.views.blocks import (
    Block,
    button,
    esc,
    input_block,
    mention,
    modal,
    option,
    radio_buttons,
    section,
    static_select,
    text_input,
)
from roundrobin.slack.views.metadata import HoursMeta

NOBODY = "-"  # the fallback menu's "Nobody"


def hours_words(r: Rotation) -> str:
    """'2 on duty at once, handed over together; weekdays 09:00–17:00 (Europe/London), @ada outside
    them; no hand-over on public holidays in GB'."""
    parts = [f"{r.duty_size} on duty at once" if r.duty_size > 1 else "1 on duty"]
    if r.duty_size > 1:
        parts[0] += ", handed over together" if r.hand_over_all else ", one at a time"
    hours = r.working_hours
    if hours:
        days = _days(hours.days)
        outside = f", {mention(hours.fallback)} outside them" if hours.fallback else ", nobody outside them"
        parts.append(f"{days} {hours.start}–{hours.end} ({esc(r.schedule.tz)}){outside}")
    else:
        parts.append("all hours")
    rule = r.holidays
    if rule:
        where = esc(rule.country + (f"-{rule.subdivision}" if rule.subdivision else ""))
        parts.append(
            f"nobody on duty on public holidays in {where}"
            if rule.mode == "nobody"
            else f"no hand-over on public holidays in {where}"
        )
    return "; ".join(parts)


def _days(days: tuple[int, ...]) -> str:
    if tuple(sorted(days)) == (0, 1, 2, 3, 4):
        return "weekdays"
    if len(days) == 7:
        return "every day"
    return ", ".join(WEEKDAYS[d][:3] for d in sorted(days))


def hours_line(r: Rotation, can_edit: bool) -> Block:
    """Details: the rotation's duty and hours, with the way to change them for editors."""
    accessory = button("Duty & hours…", Hours.OPEN, value=str(r.id)) if can_edit else None
    return section(f"*Duty & hours*: {hours_words(r)}.", accessory=accessory)


@dataclass(frozen=True)
class HoursForm:
    rotation: Rotation
    names: dict[str, str] = field(default_factory=dict)


def hours_modal(f: HoursForm) -> dict:
    r = f.rotation
    hours = r.working_hours
    sizes = [option("1 person" if n == 1 else f"{n} people", str(n)) for n in range(1, 11)]
    together = [
        option("Hand over the whole set at once", "all"),
        option("One person at a time (the longest on duty goes first)", "one"),
    ]
    day_options = [option(name, str(i)) for i, name in enumerate(WEEKDAYS)]
    days: dict[str, Any] = {"type": "checkboxes", "action_id": Hours.DAYS, "options": day_options}
    if hours:
        days["initial_options"] = [day_options[d] for d in sorted(hours.days)]
    members = [option("Nobody", NOBODY)] + [option(f.names.get(m, m), m) for m in r.members[:99]]
    rule = r.holidays
    blocks: list[Block] = [
        input_block(Hours.SIZE, "People on duty at once", static_select(Hours.SIZE, sizes, str(r.duty_size))),
        input_block(
            Hours.TOGETHER,
            "When several are on duty",
            radio_buttons(Hours.TOGETHER, together, "all" if r.hand_over_all else "one"),
        ),
        section(
            f"*Working hours* ({esc(r.schedule.tz)}): outside them nobody is on duty (or the fallback "
            "person), and the user group is disabled. Choose no days to be on duty all the time."
        ),
        input_block(Hours.DAYS, "Working days", days, optional=True),
        input_block(
            Hours.START,
            "From",
            {
                "type": "timepicker",
                "action_id": Hours.START,
                "initial_time": hours.start if hours else "09:00",
            },
            optional=True,
        ),
        input_block(
            Hours.END,
            "Until",
            {"type": "timepicker", "action_id": Hours.END, "initial_time": hours.end if hours else "17:00"},
            optional=True,
        ),
        input_block(
            Hours.FALLBACK,
            "Outside working hours",
            static_select(Hours.FALLBACK, members, (hours.fallback if hours else None) or NOBODY),
            optional=True,
        ),
        section("*Public holidays*, from the `holidays` calendar: leave the country empty for none."),
        input_block(
            Hours.COUNTRY,
            "Country",
            text_input(Hours.COUNTRY, rule.country if rule else None, placeholder="GB", max_length=3),
            hint="Its two-letter code: GB, US, DE, FR, IN…",
            optional=True,
        ),
        input_block(
            Hours.SUBDIVISION,
            "Region",
            text_input(
                Hours.SUBDIVISION,
                rule.subdivision if rule and rule.subdivision else None,
                placeholder="SCT",
                max_length=10,
            ),
            hint="Optional: a state, province or nation, like SCT, CA or BY.",
            optional=True,
        ),
        input_block(
            Hours.HOLIDAY_MODE,
            "On a public holiday",
            radio_buttons(
                Hours.HOLIDAY_MODE,
                [
                    option("Nobody hands over: whoever is on duty stays on", "stay"),
                    option("Nobody is on duty that day", "nobody"),
                ],
                rule.mode if rule else "stay",
            ),
        ),
    ]
    meta = HoursMeta(r.id, r.config_rev)
    return modal("Duty & hours", blocks, Hours.VIEW, submit="Save", private_metadata=meta)
