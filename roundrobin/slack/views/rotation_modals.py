"""Rotation modals: create/edit (adapting to Manual, timed or PagerDuty), set on duty, delete, details, link."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from roundrobin.rotations.draft import MAX_SCHEDULES, RotationDraft
from roundrobin.rotations.model import ALPHABETICAL, GROUP_ORDER, Rotation, Unmatched, why_not
from roundrobin.rotations.schedule import WEEKDAYS, Schedule, ScheduleError, next_hand_over, zone
from roundrobin.rotations.status import StatusDraft
from roundrobin.slack.ids import NotificationIds, Rotations
from roundrobin.slack.views.blocks import (
    Block,
    actions,
    button,
    channels_select,
    confirm,
    context,
    divider,
    esc,
    header,
    input_block,
    mention,
    modal,
    option,
    radio_buttons,
    section,
    slack_date,
    static_select,
    text_input,
)
from roundrobin.slack.views.calendars import RotationCalendar, rotation_calendar_blocks
from roundrobin.slack.views.hours import hours_line
from roundrobin.slack.views.metadata import LinkMeta, OfRotation, RotationFormMeta, SetOnDutyMeta
from roundrobin.slack.views.rotations import (
    DETAILS,
    DETAILS_LINKER,
    on_duty_line,
    remove_offer,
    schedule_words,
    summary_notes,
)
from roundrobin.slack.views.shifts import Upcoming, upcoming_blocks
from roundrobin.slack.views.status import status_fields
from roundrobin.slack.views.webhooks import webhooks_line
from roundrobin.store.events import Event
from roundrobin.store.pagerduty import Shift
from roundrobin.webhooks.settings import HookState

SOURCES = [
    option("Manual: people take turns here", "manual"),
    option("PagerDuty: follow a schedule", "pagerduty"),
]
KINDS = [
    option("Manual: rotate with a button or /rr", "manual"),
    option("Daily, at a set time", "daily"),
    option("Weekly, on a set day", "weekly"),
]
NO_GROUP, NO_GROUP_LABEL = "none", "No user group"
EVERY = [option("every week" if n == 1 else f"every {n} weeks", str(n)) for n in range(1, 9)]


@dataclass(frozen=True)
class RotationForm:
    """What the form shows: the draft so far, and the labels of options Slack needs to redraw selects."""

    draft: RotationDraft
    rotation_id: int | None = None
    config_rev: int | None = None  # the edit is refused if the rotation changed since the form opened
    kept_members: int = 0  # more members than Slack's user picker holds: shown, not edited, kept
    pagerduty_connected: bool = False
    pd_schedule_label: str | None = None
    group_label: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    now: float = 0.0  # when the form is drawn: the first hand-over dates are counted from it
    names: dict[str, str] = field(default_factory=dict)  # member → name, for the turn-order picker
    code_hint: str | None = None  # a code made from the name, used when the code is left empty
    group_removed: tuple[str, ...] = ()  # who Round Robin would take out of the chosen existing group
    group_confirmed: bool = False  # the person ticked "replace its members"
    members_version: int = 0  # bumped when the turn order is changed here (see members_block_id)
    sync_every: int = 60  # SYNC_INTERVAL_SECONDS, for the words under the PagerDuty schedule
    pd_more_labels: dict[str, str] = field(default_factory=dict)  # schedule id → name, for the others
    members_group_label: str | None = None  # the chosen members' group, for the picker to show it
    members_group_users: tuple[str, ...] = ()  # who is in that group now, as the form shows it


CODE_HINT = (
    "Up to 20 letters, digits and single hyphens (WEB-ONCALL, not WEB--ONCALL or -WEB); shown "
    "upper-case, used in /rr who CODE. Leave it empty to use one made from the name."
)
MAY_ROTATE = option(
    "Members may rotate, hand over and set who is on duty",
    "yes",
    "Otherwise only the creator, admins and Round Robin owners",
)


def rotation_modal(form: RotationForm) -> dict:
    d = form.draft
    blocks: list[Block] = [
        input_block(
            Rotations.NAME,
            "Name",
            text_input(Rotations.NAME, d.name or None, "Primary on-call", max_length=80),
        ),
        input_block(
            Rotations.CODE,
            "Code",
            text_input(Rotations.CODE, d.code or None, form.code_hint or "OPS", max_length=20),
            hint=CODE_HINT,
            optional=True,
        ),
        input_block(
            Rotations.DESCRIPTION,
            "Description",
            text_input(Rotations.DESCRIPTION, d.description or None, multiline=True, max_length=500),
            optional=True,
        ),
    ]
    if form.pagerduty_connected or d.source == "pagerduty":
        blocks.append(
            input_block(
                Rotations.SOURCE,
                "Who is on duty comes from",
                radio_buttons(Rotations.SOURCE, SOURCES, d.source),
                dispatch=True,
            )
        )
    blocks += _pagerduty_fields(form) if d.source == "pagerduty" else _manual_fields(form)
    blocks += [divider(), *status_fields(d.status or StatusDraft(), bound=d.source == "pagerduty")]
    blocks += [divider(), *_notify_fields(form)]
    editing = form.rotation_id is not None
    return modal(
        "Edit rotation" if editing else "New rotation",
        blocks,
        callback_id=Rotations.FORM_VIEW,
        submit="Save" if editing else "Create",
        private_metadata=RotationFormMeta(
            form.rotation_id,
            form.config_rev,
            tz=d.schedule.tz,  # kept while the time zone field is hidden (Manual), so it is not lost
            members_v=form.members_version,
            keep_members=bool(form.kept_members),
            kept_members=form.kept_members,
        ),
    )


def _manual_fields(form: RotationForm) -> list[Block]:
    d, s = form.draft, form.draft.schedule
    users: dict[str, Any] = {
        "type": "multi_users_select",
        "action_id": Rotations.MEMBERS,
        "max_selected_items": 100,
    }
    if d.members:
        users["initial_users"] = list(d.members)[:100]  # Slack's picker holds 100 (more is a forgery)
    if form.kept_members:
        # Slack's user picker holds 100 people; a rotation that came from PagerDuty may have more.
        members_block = section(
            f"*Members, in turn order*: {form.kept_members} people, more than Slack's picker can show, so "
            "they stay as they are. Details lists them all."
        )
    else:
        members_block = input_block(
            members_block_id(form.members_version),
            "Members, in turn order",
            users,
            hint="The first person goes on duty first, then the next, and so on.",
            optional=True,
        )
    may_rotate: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": Rotations.MAY_ROTATE,
        "options": [MAY_ROTATE],
    }
    if d.members_may_rotate:
        may_rotate["initial_options"] = [MAY_ROTATE]
    blocks = [
        *_members_group(form),
        *([] if d.members_group_id else [members_block, *_turn_order(form)]),
        input_block(Rotations.MAY_ROTATE, "Who may rotate", may_rotate, optional=True),
        input_block(Rotations.KIND, "Rotates", static_select(Rotations.KIND, KINDS, s.kind), dispatch=True),
    ]
    if not s.timed:
        return blocks
    blocks.append(
        input_block(
            Rotations.TIME,
            "At",
            {"type": "timepicker", "action_id": Rotations.TIME, "initial_time": s.at},
            dispatch=True,  # the first hand-over below follows the time chosen
        )
    )
    if s.kind == "weekly":
        days = [option(day, str(i)) for i, day in enumerate(WEEKDAYS)]
        blocks.append(
            input_block(
                Rotations.WEEKDAY, "On", static_select(Rotations.WEEKDAY, days, str(s.weekday)), dispatch=True
            )
        )
        blocks.append(
            input_block(
                Rotations.EVERY,
                "Repeat",
                static_select(Rotations.EVERY, EVERY, str(s.every_weeks)),
                dispatch=True,
            )
        )
    blocks.append(
        input_block(
            Rotations.TZ,
            "Time zone",
            {
                "type": "external_select",
                "action_id": Rotations.TZ,
                "min_query_length": 2,
                "placeholder": {"type": "plain_text", "text": "Type a city, like London"},
                "initial_option": option(s.tz, s.tz),
            },
            hint="An IANA time zone (Area/City, like Europe/London). It starts as yours in Slack.",
            dispatch=True,
        )
    )
    if s.kind == "daily":
        skip = option("Skip weekends (Friday's person stays on until Monday)", "skip")
        element = {"type": "checkboxes", "action_id": Rotations.SKIP, "options": [skip]}
        if s.skip_weekends:
            element["initial_options"] = [skip]
        blocks.append(input_block(Rotations.SKIP, "Weekends", element, optional=True, dispatch=True))
    blocks += _first_hand_over(form)
    return blocks


MEMBER_ORDERS = [
    option("The group's order", GROUP_ORDER),
    option("Alphabetical, by name", ALPHABETICAL),
]
NO_MEMBERS_GROUP_LABEL = "No group: choose the members here"


def _members_group(form: RotationForm) -> list[Block]:
    """Members from a user group: chosen, the members follow it instead of being typed."""
    d = form.draft
    picker: dict[str, Any] = {
        "type": "external_select",
        "action_id": Rotations.MEMBERS_GROUP,
        "min_query_length": 0,
        "placeholder": {"type": "plain_text", "text": "Choose a group, or type the members below"},
    }
    if d.members_group_id and form.members_group_label:
        picker["initial_option"] = option(form.members_group_label, d.members_group_id)
    choice = input_block(
        Rotations.MEMBERS_GROUP,
        "Members from a user group",
        picker,
        hint=(
            "The members follow the group: someone who joins it joins the end of the turn order; someone "
            "who leaves it leaves the rotation after their shift."
        ),
        optional=True,
        dispatch=True,
    )
    if not d.members_group_id:
        return [choice]
    people = form.members_group_users
    group = mention(d.members_group_id, handle=d.members_group_handle)
    named = ", ".join(mention(u) for u in people[:20]) + (
        f" and {len(people) - 20} more" if len(people) > 20 else ""
    )
    count = f"{len(people)} {'person' if len(people) == 1 else 'people'} in it now"
    return [
        choice,
        context(f"Members follow {group}: {count}{': ' + named if people else ''}."),
        input_block(
            Rotations.MEMBERS_ORDER,
            "Turn order",
            radio_buttons(Rotations.MEMBERS_ORDER, MEMBER_ORDERS, d.members_order),
            hint="Newcomers join at the end either way, and the people who stay keep their places.",
        ),
    ]


def members_block_id(version: int) -> str:
    """Slack keeps what a person picked in an input across a redraw unless its block_id changes: a
    new turn order is shown in a block with a new id, so the picker shows it."""
    return Rotations.MEMBERS if not version else f"{Rotations.MEMBERS}_{version}"


def order_block_id(version: int) -> str:
    return Rotations.ORDER if not version else f"{Rotations.ORDER}_{version}"


def _turn_order(form: RotationForm) -> list[Block]:
    """Move one person to another place in the turn order, without removing anyone."""
    members = list(form.draft.members or ())
    if form.kept_members or len(members) < 2:
        return []
    people = [option(form.names.get(u, u), u) for u in members[:100]]
    places = [option(_place(i, len(members)), str(i)) for i in range(min(len(members), 100))]
    return [
        context("*Turn order*: to change it without removing anyone, choose a person, then their new place."),
        actions(
            static_select(Rotations.ORDER_WHO, people, placeholder="Move…"),
            static_select(Rotations.ORDER_WHERE, places, placeholder="…to place"),
            block_id=order_block_id(form.members_version),  # a new id: the pickers start empty again
        ),
    ]


def _place(index: int, count: int) -> str:
    n = index + 1
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    note = " (goes first)" if index == 0 else (" (last)" if index == count - 1 else "")
    return f"{n}{suffix}{note}"


def first_hand_overs(schedule: Schedule, now: float) -> list[datetime]:
    """The next `every_weeks` hand-over days of a weekly schedule: any of them may start the cadence."""
    weekly = replace(schedule, every_weeks=1, anchor=None)
    found: list[datetime] = []
    after = datetime.fromtimestamp(now, UTC)
    for _ in range(max(1, schedule.every_weeks)):
        instant = next_hand_over(weekly, after)
        if instant is None:
            break
        found.append(instant)
        after = instant
    return found


def _first_hand_over(form: RotationForm) -> list[Block]:
    """When the first (or next) hand-over is; every N weeks lets the person choose the starting week."""
    s = form.draft.schedule
    label = "Next hand-over" if form.rotation_id is not None else "First hand-over"
    try:
        zone(s.tz)
        if s.kind == "weekly" and s.every_weeks > 1:
            return [_start_select(s, form.now, label)]
        first = next_hand_over(s, datetime.fromtimestamp(form.now, UTC))
    except (ScheduleError, ValueError):
        return []  # the time or the zone is not valid yet: submitting says so under its field
    return [context(f"{label}: {slack_date(first.timestamp())}")] if first else []


def _start_select(s: Schedule, now: float, label: str) -> Block:
    tz = zone(s.tz)
    days = [instant.astimezone(tz).date() for instant in first_hand_overs(s, now)]
    chosen = days[0]
    if s.anchor:
        try:
            anchor = date.fromisoformat(s.anchor)
        except ValueError:
            anchor = None
        if anchor is not None:
            chosen = next((d for d in days if (d - anchor).days % (7 * s.every_weeks) == 0), chosen)
    choices = [
        option(f"{d:%A} {d.day} {d:%B %Y}" + (" (the next one)" if i == 0 else ""), d.isoformat())
        for i, d in enumerate(days)
    ]
    return input_block(
        Rotations.START,
        label,
        static_select(Rotations.START, choices, chosen.isoformat()),
        hint=f"Every {s.every_weeks} weeks counts from this day, at {s.at} ({s.tz}).",
    )


def every(seconds: int) -> str:
    """'every minute', 'every 5 minutes', 'every 30 seconds', 'every hour'."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"every {unit}" if n == 1 else f"every {n} {unit}s"
    return f"every {seconds} seconds"


def _pagerduty_fields(form: RotationForm) -> list[Block]:
    picker: dict[str, Any] = {
        "type": "external_select",
        "action_id": Rotations.PD_SCHEDULE,
        "min_query_length": 0,
        "placeholder": {"type": "plain_text", "text": "Search PagerDuty schedules"},
    }
    if form.draft.pd_schedule_id and form.pd_schedule_label:
        picker["initial_option"] = option(form.pd_schedule_label, form.draft.pd_schedule_id)
    more: dict[str, Any] = {
        "type": "multi_external_select",
        "action_id": Rotations.PD_MORE_SCHEDULES,
        "min_query_length": 0,
        "max_selected_items": MAX_SCHEDULES - 1,
        "placeholder": {"type": "plain_text", "text": "Search PagerDuty schedules"},
    }
    chosen = [s for s in form.draft.pd_more_schedule_ids if s != form.draft.pd_schedule_id]
    if chosen:
        more["initial_options"] = [option(form.pd_more_labels.get(s, s), s) for s in chosen]
    return [
        input_block(Rotations.PD_SCHEDULE, "PagerDuty schedule", picker),
        input_block(
            Rotations.PD_MORE_SCHEDULES,
            "Also follow these schedules",
            more,
            hint=(
                "Primary and secondary, or follow-the-sun: whoever is on call in any of the schedules is "
                "on duty, labelled with their schedule."
            ),
            optional=True,
        ),
        context(
            f"Members and who is on duty come from PagerDuty, synced {every(form.sync_every)}. People are matched "
            "to Slack by email; admins can link the others by hand in the rotation's Details."
        ),
    ]


def _notify_fields(form: RotationForm) -> list[Block]:
    d = form.draft
    channels = channels_select(Rotations.CHANNELS, d.channels)
    group: dict[str, Any] = {
        "type": "external_select",
        "action_id": Rotations.GROUP,
        "min_query_length": 0,
        "placeholder": {"type": "plain_text", "text": "Choose a user group"},
    }
    if d.usergroup_id and form.group_label:
        group["initial_option"] = option(form.group_label, d.usergroup_id)
    return [
        input_block(Rotations.CHANNELS, "Tell these channels when duty changes", channels, optional=True),
        input_block(
            Rotations.GROUP,
            "On-duty user group",
            group,
            hint=(
                "Round Robin keeps this group equal to whoever is on duty, so @handle always reaches them: "
                "anyone else in it is removed. Offered: groups you may choose that no other rotation follows."
            ),
            optional=True,
            dispatch=True,
        ),
        *_group_confirmation(form),
        input_block(
            Rotations.NEW_GROUP,
            "…or create a new user group",
            text_input(Rotations.NEW_GROUP, d.new_usergroup_handle, "handle, like ops-oncall", max_length=80),
            optional=True,
        ),
    ]


def _group_confirmation(form: RotationForm) -> list[Block]:
    """An existing group with other people in it: say who will be removed, and ask to confirm."""
    if not form.group_removed or not form.draft.usergroup_id:
        return []
    group = mention(form.draft.usergroup_id, handle=form.draft.usergroup_handle)
    removed = form.group_removed
    who = ", ".join(mention(u) for u in removed[:20])
    if len(removed) > 20:
        who += f" and {len(removed) - 20} more"
    yes = option("Yes, replace its members with whoever is on duty", "yes")
    element: dict[str, Any] = {"type": "checkboxes", "action_id": Rotations.GROUP_CONFIRM, "options": [yes]}
    if form.group_confirmed:
        element["initial_options"] = [yes]
    return [
        section(
            f":warning: {group} has people in it now. Round Robin sets it to whoever is on duty, so "
            f"{who} will be removed from it. Tick the box to confirm, or leave the group empty and create "
            "a new one below."
        ),
        input_block(Rotations.GROUP_CONFIRM, "Replace the group's members", element, optional=True),
    ]


def set_on_duty_modal(rotation: Rotation, names: dict[str, str]) -> dict:
    members = [option(names.get(u, u), u) for u in rotation.members[:100]]
    current = rotation.on_duty[0] if rotation.on_duty else None
    blocks = [
        section(f"Who is on duty for *{esc(rotation.name)}* from now on?"),
        input_block(Rotations.ON_DUTY, "On duty", static_select(Rotations.ON_DUTY, members, current)),
    ]
    return modal(
        "Set on duty",
        blocks,
        Rotations.SET_ON_DUTY_VIEW,
        "Set on duty",
        private_metadata=SetOnDutyMeta(rotation.id, rotation.duty_rev),
    )


def delete_modal(rotation: Rotation) -> dict:
    group = (
        f" The user group {mention(rotation.usergroup_id, handle=rotation.usergroup_handle)} stays in Slack "
        "with the people in it now; Round Robin stops changing it."
        if rotation.usergroup_id
        else ""
    )
    source = " It stops following PagerDuty; nothing changes in PagerDuty." if rotation.bound else ""
    text = (
        f"Delete *{esc(rotation.name)}* (`{esc(rotation.code)}`)? Its members, schedule and history are "
        f"deleted, and messages not sent yet are dropped; nobody is told.{group}{source} This cannot be undone."
    )
    return modal(
        "Delete rotation",
        [section(text)],
        Rotations.DELETE_VIEW,
        "Delete",
        private_metadata=OfRotation(rotation.id),
    )


@dataclass(frozen=True)
class Details:
    rotation: Rotation
    can_edit: bool
    can_link: bool
    schedule_name: str | None = None
    shifts: list[Shift] = field(default_factory=list)
    pd_names: dict[str, str] = field(default_factory=dict)
    pd_slack: dict[str, str] = field(default_factory=dict)  # PagerDuty user → Slack user, for shifts
    history: list[Event] = field(default_factory=list)
    problems: tuple[str, ...] = ()
    group_repaired: bool = False
    can_rotate: bool = False  # the reader may set who is on duty
    by_hand: dict[str, str] = field(default_factory=dict)  # PagerDuty user → Slack user, linked by hand
    pd_emails: dict[str, str] = field(default_factory=dict)
    upcoming_unlinked: tuple[tuple[Unmatched, float], ...] = ()
    notice: str | None = None  # mrkdwn: what the reader just did here
    upcoming: Upcoming | None = None  # a manual rotation's next shifts, from its timeline
    calendar: RotationCalendar | None = None  # its timeline page and calendar feed
    webhooks: HookState | None = None  # shown to managers only
    schedule_names: dict[str, str] = field(default_factory=dict)  # following several: id → name


def details_modal(d: Details) -> dict:
    r = d.rotation
    blocks: list[Block] = [header(f"{r.name} ({r.code})")]
    if d.notice:
        blocks.append(section(d.notice))
    if r.description:
        blocks.append(section(esc(r.description)))
    several = len(r.pd_schedule_ids) > 1
    source = (
        (
            "Follows the PagerDuty schedules "
            + " and ".join(f"*{esc(n)}*" for n in d.schedule_names.values())
            + ": whoever is on call in any of them is on duty"
        )
        if r.bound and several and d.schedule_names
        else f"Follows the PagerDuty schedule *{esc(d.schedule_name or r.pd_schedule_id or '?')}*"
        if r.bound
        else schedule_words(r)
        + (f" (hand-overs follow {esc(r.schedule.tz)}'s clock)" if r.schedule.timed else "")
    )
    where = DETAILS_LINKER if d.can_link else DETAILS
    duty = section(f"{source}\n{on_duty_line(r, where)}")
    if d.can_rotate and not r.bound and r.members:
        duty["accessory"] = button("Set on duty…", Rotations.SET_ON_DUTY_OPEN, value=str(r.id))
    offers = r.cannot_serve[:10] if d.can_edit and not r.bound and not r.member_source else ()
    notes = summary_notes(r, d.problems, d.group_repaired, d.upcoming_unlinked, where, len(offers))
    blocks += [duty, context(*notes)]
    blocks.append(notifications_line(r, d.can_edit))
    if d.webhooks is not None:
        blocks.append(webhooks_line(r, d.webhooks))
    if not r.bound:
        blocks.append(hours_line(r, d.can_edit))
    if d.calendar is not None:
        blocks += rotation_calendar_blocks(d.calendar)
    blocks.append(section(_members_heading(r) + "\n" + _members_text(r)))
    blocks += [remove_offer(r, user, why) for user, why in offers]
    if r.bound:
        blocks += _unmatched_blocks(d)
        blocks += _linked_blocks(d)
        blocks += [section("*Upcoming shifts* (from PagerDuty)\n" + _shifts_text(d))]
    elif d.upcoming is not None:
        blocks += [divider(), *upcoming_blocks(d.upcoming)]
    if d.history:
        blocks += [
            divider(),
            section("*Recent changes*\n" + "\n".join(_event_line(e) for e in d.history[:10])),
        ]
    return modal("Rotation", blocks[:100], close="Close", private_metadata=OfRotation(r.id))


def notifications_line(r: Rotation, can_edit: bool) -> Block:
    """How the rotation tells people beyond its channels, with the way to change it for editors."""
    told = []
    if r.topic_channels:
        told.append("keeps the topic of " + " ".join(mention(c) for c in r.topic_channels))
    dms = [w for w, on in (("on", r.dm_on_duty), ("off", r.dm_off_duty)) if on]
    if dms:
        told.append(f"DMs people going {' and '.join(dms)} duty")
    if r.remind_before:
        told.append(f"reminds whoever takes over {r.remind_before // 60} minutes ahead")
    if r.templates:
        told.append("uses its own words")
    text = (
        "*Notifications*: " + ("; ".join(told) if told else "channel messages and the user group only") + "."
    )
    accessory = button("Notifications…", NotificationIds.OPEN, value=str(r.id)) if can_edit else None
    return section(text, accessory=accessory)


def _members_heading(r: Rotation) -> str:
    if r.bound:
        return "*Members* (from PagerDuty, read-only)"
    source = r.member_source
    if source is None:
        return "*Members*"
    order = "alphabetical" if source.order == ALPHABETICAL else "in the group's order"
    return (
        f"*Members* follow {mention(source.usergroup_id, handle=source.handle)} ({order}; newcomers join "
        "at the end, and whoever leaves the group leaves after their shift)"
    )


def _members_text(r: Rotation) -> str:
    if not r.members:
        return "No members yet."
    leaving = r.member_source.leaving if r.member_source else ()
    lines = []
    for i, user in enumerate(r.members[:40], 1):
        mark = " · :bust_in_silhouette: on duty" if user in r.on_duty else ""
        if user in leaving:
            mark += " · :hourglass_flowing_sand: left the group: leaves after this shift"
        if user in r.unavailable:
            mark += f" · :warning: {why_not(r.unavailable[user])}"
        lines.append(f"{i}. {mention(user)}{mark}")
    if len(r.members) > 40:
        lines.append(f"…and {len(r.members) - 40} more")
    return "\n".join(lines)


def _unmatched_blocks(d: Details) -> list[Block]:
    blocks = []
    ahead = {p.id: start for p, start in d.upcoming_unlinked}
    for person in [p for p in d.rotation.pd_unmatched if p.id not in d.by_hand][:20]:
        pd_id = person.id or ""
        who = esc(person.name or pd_id)
        email = esc(person.email or "no email in PagerDuty")
        state = "on call now, " if person.on_call else ""
        if not state and person.id in ahead:
            state = f"on call from {slack_date(ahead[person.id])}, "
        found = why_not(person.why) if person.why else "not found in Slack"
        text = f":grey_question: {who} ({email}): {state}{found}"
        if not d.can_link:
            text += ". Workspace admins and Round Robin owners can link them to a Slack user here"
        accessory = button("Link…", Rotations.LINK, value=pd_id) if d.can_link else None
        blocks.append(section(text, accessory=accessory))
    return blocks


def _linked_blocks(d: Details) -> list[Block]:
    """People an admin linked by hand: shown as such, and the link can be undone."""
    blocks = []
    for pd_id, slack_user in list(d.by_hand.items())[:20]:
        who = esc(d.pd_names.get(pd_id, pd_id))
        email = f" ({esc(d.pd_emails[pd_id])})" if pd_id in d.pd_emails else ""
        text = f":link: {who}{email} in PagerDuty is {mention(slack_user)} in Slack: linked by hand"
        accessory = None
        if d.can_link:
            ask = confirm(
                "Undo this link?",
                f"{who} will be matched by email again. If no Slack user has their email, nobody in Slack "
                "goes on duty for their shifts.",
                "Unlink",
                style="danger",
            )
            accessory = button("Unlink", Rotations.UNLINK, value=pd_id, confirm=ask)
        blocks.append(section(text, accessory=accessory))
    return blocks


def _shifts_text(d: Details) -> str:
    if not d.shifts:
        return "None in the next 7 days."
    lines = []
    for s in d.shifts[:12]:
        who = (
            mention(d.pd_slack[s.pd_user_id])
            if s.pd_user_id in d.pd_slack
            else esc(d.pd_names.get(s.pd_user_id, s.pd_user_id))
        )
        end = f" → {slack_date(s.end)}" if s.end else " onwards"
        which = f" ({esc(d.schedule_names[s.schedule_id])})" if s.schedule_id in d.schedule_names else ""
        lines.append(f"• {slack_date(s.start)}{end}: {who}{which}")
    return "\n".join(lines)


def _event_line(e: Event) -> str:
    when = slack_date(e.at, "{date_short} {time}")
    by = f" by {mention(e.actor)}" if e.actor else ""
    if e.kind == "duty.changed":
        after = ", ".join(mention(u) for u in e.detail.get("after", [])) or "nobody"
        reason = {
            "handoff": "scheduled hand-over",
            "pagerduty": "PagerDuty",
            "rotated": "rotated",
            "set": "set on duty",
            "handed_over": "handed over",
            "left": "the person on duty left Slack",
            "edited": "edited",
        }.get(raw := str(e.detail.get("reason", "")), raw)
        return f"{when}: {after} on duty ({reason}){by}"
    if e.kind == "rotation.edited" and e.detail.get("removed"):
        return f"{when}: {mention(e.detail['removed'])} removed from the rotation{by}"
    if e.kind == "rotation.members":
        return f"{when}: {_membership_line(e)}"
    if e.kind == "handoff.note":
        note = " ".join(str(e.detail.get("note") or "").split())
        return f"{when}: hand-off note{by}: “{esc(note[:200])}{'…' if len(note) > 200 else ''}”"
    words = {
        "rotation.created": "created",
        "rotation.edited": "edited",
        "rotation.reverted_to_manual": "reverted to Manual (PagerDuty disconnected; bind it again in Edit)",
        "usergroup.repaired": "the on-duty group was changed by hand in Slack; Round Robin set it back",
        "webhook.changed": "webhooks changed" + (" (new secret)" if e.detail.get("secret") == "new" else ""),
    }.get(e.kind, esc(e.kind))
    return f"{when}: {words}{by}"


def _membership_line(e: Event) -> str:
    """A join or leave the user group made: "@grace added, last in the turn order, by Slack user
    group @oncall-team"."""
    d = e.detail
    group = f"Slack user group {mention(str(d.get('group') or ''), handle=d.get('handle'))}"
    if d.get("added"):
        return f"{mention(d['added'])} added, last in the turn order, by {group}"
    if d.get("leaving"):
        return f"{mention(d['leaving'])} left the group during their shift: they leave the rotation at the next hand-over ({group})"
    if d.get("back"):
        return f"{mention(d['back'])} is back in the group and stays in the rotation ({group})"
    if d.get("removed") and d.get("after_shift"):
        return f"{mention(d['removed'])} removed from the rotation after their shift, by {group}"
    return f"{mention(str(d.get('removed') or ''))} removed from the rotation by {group}"


def link_modal(rotation_id: int | None, person: Unmatched) -> dict[str, Any]:
    """Choose who someone PagerDuty has (and Slack does not know) is in Slack."""
    who = esc(person.name or person.id or "")
    email = esc(person.email or "no email")
    blocks = [
        section(
            f"*{who}* ({email}) is in PagerDuty but Round Robin found no Slack user with that email. "
            "Choose who they are in Slack; this link wins over email matching from now on."
        ),
        input_block(
            Rotations.SLACK_USER, "Slack user", {"type": "users_select", "action_id": Rotations.SLACK_USER}
        ),
    ]
    return modal(
        "Link to Slack",
        blocks,
        Rotations.LINK_VIEW,
        "Link",
        private_metadata=LinkMeta(rotation_id, person.id),
    )
