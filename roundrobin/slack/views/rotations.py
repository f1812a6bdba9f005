"""The Rotations tab of the App Home: one page of rotations at a time, never near 100 blocks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from roundrobin.rotations.model import GONE, Rotation, Unmatched, why_not
from roundrobin.rotations.schedule import WEEKDAYS
from roundrobin.slack.ids import MenuChoice, Rotations, Shifts
from roundrobin.slack.views.blocks import (
    Block,
    actions,
    button,
    confirm,
    context,
    divider,
    esc,
    mention,
    option,
    section,
    slack_date,
    static_select,
)
from roundrobin.slack.views.messages import group_mention, not_in_slack, unmatched_words

PAGE_SIZE = 10  # 2 blocks per rotation (+1 where the reader is on duty, +1 for Slack statuses): under 50
FLAGS_ON_CARD = 2  # people who left Slack, offered for removal on the card (the rest in Details)


@dataclass(frozen=True)
class RotationRow:
    rotation: Rotation
    can_edit: bool
    schedule_name: str | None = None  # the bound PagerDuty schedule's name
    problems: tuple[str, ...] = ()  # what Slack refused or keeps failing, in mrkdwn
    group_repaired: bool = False  # someone changed the on-duty group by hand; it was set back
    viewer: str = ""  # who reads the page: the person on duty is offered "I'm done"
    can_rotate: bool = False  # the reader may rotate, set on duty and hand over
    # (person, start of their first shift): people PagerDuty has on call later, not in Slack.
    upcoming_unlinked: tuple[tuple[Unmatched, float], ...] = ()
    status_notes: tuple[str, ...] = ()  # Slack statuses at hand-over (views/status.py: card_notes)


@dataclass(frozen=True)
class RotationsPage:
    rows: list[RotationRow]
    page: int
    total: int
    mine_only: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def rotations_blocks(state: RotationsPage) -> list[Block]:
    count = f"{state.total} rotation{'s' if state.total != 1 else ''}"
    blocks: list[Block] = [
        section(
            f"*Rotations* · {count}{' you are in' if state.mine_only else ''}",
            accessory=button("Create rotation", Rotations.CREATE, style="primary"),
        ),
        actions(
            static_select(
                Rotations.FILTER,
                [option("All rotations", "all"), option("Rotations I am in", "mine")],
                "mine" if state.mine_only else "all",
            ),
            {
                "type": "external_select",
                "action_id": Rotations.JUMP,
                "placeholder": {"type": "plain_text", "text": "Find a rotation…"},
                "min_query_length": 1,
            },
            block_id=_tools_block_id(state),
        ),
    ]
    if not state.rows:
        blocks.append(section(_empty_text(state)))
    for row in state.rows:
        blocks += rotation_summary(row)
    if state.pages > 1:
        blocks += [divider(), *_pager(state)]
    return blocks


def _tools_block_id(state: RotationsPage) -> str:
    # Slack's client keeps what a person picked in an element for as long as its block_id stays,
    # across views.publish too: a new block_id whenever the rotations change empties "Find a
    # rotation…", so it never shows one that was deleted or renamed.
    shown = [(row.rotation.id, row.rotation.name, row.rotation.code) for row in state.rows]
    digest = hashlib.sha1(repr((state.total, state.mine_only, shown)).encode()).hexdigest()[:8]
    return f"rot_tools.{digest}"


def _empty_text(state: RotationsPage) -> str:
    if state.mine_only:
        return "You are not in any rotation yet."
    return (
        "No rotations yet. A rotation is a group of people who take turns being on duty: on-call, "
        "support, code review. Press *Create rotation* to make the first one."
    )


def rotation_summary(row: RotationRow) -> list[Block]:
    r = row.rotation
    offers = r.cannot_serve[:FLAGS_ON_CARD] if row.can_edit and not r.bound and not r.member_source else ()
    blocks = [
        section(summary_text(r, row.schedule_name), accessory=_menu(row)),
        context(
            *summary_notes(r, row.problems, row.group_repaired, row.upcoming_unlinked, flagged=len(offers))
        ),
    ]
    if row.status_notes:
        blocks.append(context(*row.status_notes))
    if row.can_rotate and row.viewer in r.on_duty and not r.bound and r.next_up:
        blocks += _hand_over(r, r.next_up)
    elif r.bound and row.viewer in r.on_duty:
        blocks.append(_on_call_in_pagerduty(r))
    blocks += [remove_offer(r, user, why) for user, why in offers]
    return blocks


def member_flag(user: str, why: str, group: str | None = None) -> str:
    """A member the turn order passes by, in words: '@alan left Slack — remove them from the
    rotation?' (`group`: the user group the members follow, where they would be removed)."""
    if why in GONE:
        left = "left Slack" if why != "bot" else "is a bot, not a person"
        where = f"from {group} in Slack" if group else "from the rotation"
        return f":warning: {mention(user)} {left} — remove them {where}?"
    return f":warning: {mention(user)} is skipped in turn: {why_not(why)}."


def remove_offer(r: Rotation, user: str, why: str) -> Block:
    """One click takes someone who cannot be on duty out of the rotation (for its managers)."""
    return section(
        member_flag(user, why),
        accessory=button("Remove", Rotations.REMOVE_MEMBER, value=f"{r.id}:{user}"),
    )


def _hand_over(r: Rotation, next_up: str) -> list[Block]:
    """The person on duty is done (one press hands over to whoever is next), or needs cover."""
    ask = confirm(
        "Hand over now?",
        f"{mention(next_up)} goes on duty for *{esc(r.name)}* now, and its channels are told.",
        "Hand over",
    )
    return [
        section(f"You are on duty. When you are done, hand over to {mention(next_up)}."),
        actions(
            button("I'm done: hand over", Rotations.HAND_OVER, value=f"{r.id}", style="primary", confirm=ask),
            button("Cover me…", Shifts.COVER_OPEN, value=f"{r.id}"),
            block_id=f"on_duty:{r.id}",
        ),
    ]


def _on_call_in_pagerduty(r: Rotation) -> Block:
    """The person PagerDuty has on call cannot hand over here (PagerDuty decides), but can ask for cover."""
    return section(
        "You are on call in PagerDuty. Need someone to take it?",
        accessory=button("Cover me…", Shifts.COVER_OPEN, value=f"{r.id}"),
    )


def schedule_words(r: Rotation) -> str:
    """When a rotation hands over, in one wording everywhere, with every time a Slack date token
    (each reader sees it in their own zone and 12/24-hour clock): "Every weekday at 8:30 AM",
    "Every 2 weeks, next Fri 12 Dec at 9:00 AM", or "Manual"."""
    s = r.schedule
    if not s.timed or r.bound:
        return "Manual"
    if not r.next_hand_over_at:
        return esc(s.describe())  # not planned yet: the rotation's own clock, in words
    wall = f"{s.at} {s.tz}"  # what clients that cannot draw the token show
    if s.kind == "daily":
        days = "weekday" if s.skip_weekends else "day"
        return f"Every {days} at {slack_date(r.next_hand_over_at, '{time}', wall)}"
    every = "Every week" if s.every_weeks == 1 else f"Every {s.every_weeks} weeks"
    return f"{every}, next {slack_date(r.next_hand_over_at, fallback=f'{WEEKDAYS[s.weekday]} {wall}')}"


def summary_text(r: Rotation, schedule_name: str | None) -> str:
    if r.bound:
        source = f":pager: PagerDuty: {esc(schedule_name or r.pd_schedule_id or '?')}"
    else:
        source = schedule_words(r)  # "Manual", or when it hands over by itself
    lines = [f"*{esc(r.name)}*  `{r.code}`  ·  {source}", on_duty_line(r)]
    if r.next_up and (r.on_duty or r.bound):
        lines.append(f"Next: {mention(r.next_up)}")
    return "\n".join(lines)


CARD = "card"  # where a person reads about people not linked to Slack: on a card (or in /rr)…
DETAILS = "details"  # …in Details, where the links are made…
DETAILS_LINKER = "details_linker"  # …or in Details as someone who may make them


def link_hint(where: str = CARD) -> str:
    """How to link people PagerDuty has on call to Slack, from where the reader is."""
    return {
        CARD: "An admin can link them in the rotation's Details (its menu › Details).",
        DETAILS: "An admin can link them below.",
        DETAILS_LINKER: "Link them below: Link… next to their name.",
    }[where]


def on_duty_line(r: Rotation, where: str = CARD) -> str:
    """Who is on duty, naming the people PagerDuty has on call whom Slack does not know."""
    until = f" until {slack_date(r.on_duty_until)}" if r.on_duty_until else ""
    unmatched = r.unmatched_on_call if r.bound else ()
    if not r.on_duty and unmatched:
        hint = f" {link_hint(where)}" if any(not p.why for p in unmatched) else ""
        return f":pager: On call in PagerDuty: {not_in_slack(unmatched, until)}.{hint}"
    back = f" until {slack_date(r.next_change_at)}" if r.next_change_at else ""
    if not r.on_duty and r.duty_why == "closed" and not r.bound:
        return f":crescent_moon: Outside working hours{back}: nobody is on duty"
    if not r.on_duty and r.duty_why == "holiday" and not r.bound:
        return f":palm_tree: Public holiday: nobody is on duty{back}"
    if not r.on_duty:
        return ":zzz: Nobody is on duty"
    who = ", ".join(mention(u) + _from_schedules(r, u) for u in r.on_duty)
    line = f":bust_in_silhouette: On duty: {who}{_standing_in(r)}{until}"
    if unmatched:
        line += f"\n:pager: Also on call in PagerDuty: {not_in_slack(unmatched)}"
    return line


def _from_schedules(r: Rotation, person: str) -> str:
    """Following several PagerDuty schedules: which has the person on call, ' (Ops Secondary)'."""
    names = r.on_call_from(person)
    return f" ({esc(', '.join(names))})" if names else ""


def schedules_label(names: list[str]) -> str:
    """The schedules a bound rotation follows, as one name: 'Ops Primary + Ops Secondary'."""
    return " + ".join(names)


def _standing_in(r: Rotation) -> str:
    """Why someone other than the turn's people is on duty: ' (covering @alan)'."""
    if r.bound:
        return ""
    out = [u for u in r.turn_people if u not in r.on_duty]
    if r.duty_why == "closed":
        return " (outside working hours)"
    if not out:
        return ""
    names = ", ".join(mention(u) for u in out)
    if r.duty_why == "swap":
        return f" (swapped with {names})"
    if r.duty_why == "away":
        return f" (standing in: {names} {'is' if len(out) == 1 else 'are'} away)"
    return f" (covering {names})"


def summary_notes(
    r: Rotation,
    problems: tuple[str, ...] = (),
    group_repaired: bool = False,
    upcoming_unlinked: tuple[tuple[Unmatched, float], ...] = (),
    where: str = CARD,
    flagged: int = 0,
) -> list[str]:
    """The small print under a rotation; `flagged`: members who cannot be on duty already offered
    for removal in blocks of their own (the others are named here)."""
    notes = []
    if r.bound:
        total = len(r.members) + len([u for u in r.pd_unmatched if u.id])
        notes.append(f":link: {len(r.members)} of {total} linked to Slack")
        if r.pd_status == "final_schedule":
            notes.append(":calendar: Follows the schedule's final layers: no escalation policy uses it")
        if r.pd_status == "schedule_not_found":
            notes.append(
                ":warning: Schedule not found in PagerDuty: it was deleted, or the connection cannot see it"
            )
        if upcoming_unlinked:
            notes.append(_ahead_warning(upcoming_unlinked, where))
    else:
        notes.append(f"{len(r.members)} member{'s' if len(r.members) != 1 else ''}")
        if r.member_source:
            notes += following_notes(r)
        if rest := r.cannot_serve[flagged:]:
            source = r.member_source
            group = mention(source.usergroup_id, handle=source.handle) if source else None
            notes.append(
                " ".join(member_flag(u, why, group) for u, why in rest[:3]) + (" …" if len(rest) > 3 else "")
            )
    if r.channels:
        notes.append(" ".join(mention(c) for c in r.channels))
    if r.usergroup_id:
        notes.append(mention(r.usergroup_id, handle=r.usergroup_handle))
        if r.out_of_group:
            out = "; ".join(f"{mention(u)} — {why_not(why)}" for u, why in r.out_of_group[:5])
            notes.append(f":no_entry_sign: Not in the group: {out}")
        if group_repaired:
            notes.append(
                ":wrench: Someone changed the on-duty group by hand in Slack; Round Robin set it back"
            )
    if problems:
        notes.append(":warning: " + " ".join(problems))
    return notes


def following_notes(r: Rotation) -> list[str]:
    """Where the members come from, and who leaves after their shift: "Members follow @oncall-team"."""
    source = r.member_source
    if source is None:
        return []
    group = mention(source.usergroup_id, handle=source.handle)
    notes = [f":busts_in_silhouette: Members follow {group}"]
    for person in source.leaving[:3]:
        notes.append(
            f":hourglass_flowing_sand: {mention(person)} left {group}: off the rotation after this shift"
        )
    return notes


def _ahead_warning(upcoming: tuple[tuple[Unmatched, float], ...], where: str) -> str:
    shifts = "; ".join(
        f"{unmatched_words([person])} from {slack_date(start)}" for person, start in upcoming[:3]
    )
    more = f" and {len(upcoming) - 3} more" if len(upcoming) > 3 else ""
    return (
        f":warning: Coming up in PagerDuty, not linked to Slack: {shifts}{more}. Nobody in Slack will be "
        f"told or put in the group for those shifts. {link_hint(where)}"
    )


def _menu(row: RotationRow) -> dict:
    r = row.rotation
    choices = [option("Details", f"{MenuChoice.DETAILS}:{r.id}")]
    if row.can_edit:
        choices.append(option("Edit", f"{MenuChoice.EDIT}:{r.id}"))
    if row.can_rotate and not r.bound and r.members:
        # The duty revision rides along: a Rotate pressed on a view that is out of date is refused.
        choices.append(option("Rotate now", f"{MenuChoice.ROTATE}:{r.id}:{r.duty_rev}"))
        choices.append(option("Set on duty…", f"{MenuChoice.SET_ON_DUTY}:{r.id}"))
    if row.can_edit:
        choices.append(option("Delete…", f"{MenuChoice.DELETE}:{r.id}"))
    if row.viewer in r.members and row.viewer not in r.on_duty and len(choices) < 5:
        choices.insert(1, option("Cover me…", f"{MenuChoice.COVER}:{r.id}"))
    if len(choices) == 1:
        return button("Details", Rotations.DETAILS, value=str(r.id))
    return {"type": "overflow", "action_id": Rotations.MENU, "options": choices}


def _pager(state: RotationsPage) -> list[Block]:
    elements = []
    if state.page > 0:
        elements.append(button("← Previous", Rotations.PAGE_PREVIOUS, value=str(state.page - 1)))
    if state.page + 1 < state.pages:
        elements.append(button("Next →", Rotations.PAGE_NEXT, value=str(state.page + 1)))
    first = state.page * PAGE_SIZE + 1
    last = min(state.total, first + PAGE_SIZE - 1)
    return [
        context(f"Page {state.page + 1} of {state.pages} · {first}–{last} of {state.total}"),
        actions(*elements, block_id="rot_pager"),
    ]


def rotation_line(r: Rotation) -> str:
    """One line of a list of rotations: name, code and who is on duty."""
    return f"*{esc(r.name)}* `{esc(r.code)}`: {on_duty_line(r)}"


def who_text(rotation: Rotation) -> str:
    """Who is on duty for one rotation, until when, who is next and how to reach them."""
    lines = [f"*{esc(rotation.name)}* `{esc(rotation.code)}`", on_duty_line(rotation)]
    if rotation.next_up and (rotation.on_duty or rotation.bound):
        when = (
            f" from {slack_date(rotation.next_change_at)}"
            if rotation.bound and rotation.next_change_at
            else ""
        )
        lines.append(f"Next: {mention(rotation.next_up)}{when}")
    if rotation.usergroup_id and rotation.on_duty:
        lines.append(f"Reach them with {group_mention(rotation)}")
    return "\n".join(lines)
