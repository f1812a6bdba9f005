"""The Rotations tab of the App Home: one page of rotations at a time, never near 100 blocks."""

from __future__ import annotations

from dataclasses import dataclass

from roundrobin.rotations.model import Rotation
from roundrobin.slack.ids import MenuChoice, Rotations
from roundrobin.slack.views.blocks import (
    Block,
    actions,
    button,
    context,
    divider,
    esc,
    mention,
    option,
    section,
    slack_date,
    static_select,
)

PAGE_SIZE = 10  # 2 blocks per rotation: a page stays near 30 blocks whatever the workspace holds


@dataclass(frozen=True)
class RotationRow:
    rotation: Rotation
    can_edit: bool
    schedule_name: str | None = None  # the bound PagerDuty schedule's name
    problems: tuple[str, ...] = ()  # what Slack refused or keeps failing, in mrkdwn
    group_repaired: bool = False  # someone changed the on-duty group by hand; it was set back


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
            block_id="rot_tools",
        ),
    ]
    if not state.rows:
        blocks.append(section(_empty_text(state)))
    for row in state.rows:
        blocks += rotation_summary(row)
    if state.pages > 1:
        blocks += [divider(), *_pager(state)]
    return blocks


def _empty_text(state: RotationsPage) -> str:
    if state.mine_only:
        return "You are not in any rotation yet."
    return (
        "No rotations yet. A rotation is a group of people who take turns being on duty: on-call, "
        "support, code review. Press *Create rotation* to make the first one."
    )


def rotation_summary(row: RotationRow) -> list[Block]:
    r = row.rotation
    return [
        section(summary_text(r, row.schedule_name), accessory=_menu(row)),
        context(*summary_notes(r, row.problems, row.group_repaired)),
    ]


def summary_text(r: Rotation, schedule_name: str | None) -> str:
    if r.bound:
        source = f":pager: PagerDuty: {esc(schedule_name or r.pd_schedule_id or '?')}"
    else:
        source = f"Manual · {esc(r.schedule.describe())}" if r.schedule.timed else "Manual"
    lines = [f"*{esc(r.name)}*  `{r.code}`  ·  {source}", on_duty_line(r)]
    if r.next_up and (r.on_duty or r.bound):
        lines.append(f"Next: {mention(r.next_up)}")
    return "\n".join(lines)


def on_duty_line(r: Rotation) -> str:
    if not r.on_duty:
        return ":zzz: Nobody is on duty"
    who = ", ".join(mention(u) for u in r.on_duty)
    until = f" until {slack_date(r.on_duty_until)}" if r.on_duty_until else ""
    return f":bust_in_silhouette: On duty: {who}{until}"


def summary_notes(r: Rotation, problems: tuple[str, ...] = (), group_repaired: bool = False) -> list[str]:
    notes = []
    if r.bound:
        total = len(r.members) + len([u for u in r.pd_unmatched if u.get("id")])
        notes.append(f":link: {len(r.members)} of {total} linked to Slack")
        if r.pd_status == "final_schedule":
            notes.append(":calendar: Follows the schedule's final layers: no escalation policy uses it")
        if r.pd_status == "schedule_not_found":
            notes.append(
                ":warning: Schedule not found in PagerDuty: it was deleted, or the connection cannot see it"
            )
        missing = [u for u in r.pd_unmatched if u.get("on_call")]
        if missing:
            names = ", ".join(esc(u.get("email") or u.get("name") or u["id"]) for u in missing)
            notes.append(f":warning: On call in PagerDuty, not found in Slack: {names}")
    else:
        notes.append(f"{len(r.members)} member{'s' if len(r.members) != 1 else ''}")
    if r.channels:
        notes.append(" ".join(mention(c) for c in r.channels))
    if r.usergroup_id:
        notes.append(mention(r.usergroup_id, handle=r.usergroup_handle))
        if group_repaired:
            notes.append(
                ":wrench: Someone changed the on-duty group by hand in Slack; Round Robin set it back"
            )
    if problems:
        notes.append(":warning: " + " ".join(problems))
    return notes


def _menu(row: RotationRow) -> dict:
    r = row.rotation
    choices = [option("Details", f"{MenuChoice.DETAILS}:{r.id}")]
    if row.can_edit:
        choices.append(option("Edit", f"{MenuChoice.EDIT}:{r.id}"))
        if not r.bound and r.members:
            # The duty revision rides along: a Rotate pressed on a view that is out of date is refused.
            choices.append(option("Rotate now", f"{MenuChoice.ROTATE}:{r.id}:{r.duty_rev}"))
            choices.append(option("Set on duty…", f"{MenuChoice.SET_ON_DUTY}:{r.id}"))
        choices.append(option("Delete…", f"{MenuChoice.DELETE}:{r.id}"))
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
