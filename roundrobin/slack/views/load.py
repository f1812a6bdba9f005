"""The App Home's Load tab: per rotation and per person, hours on duty over the last 30 or 90 days
(with nights and weekends or holidays), hand-overs, covers and answered requests.

Block Kit has no charts or tables: each rotation is a fixed-width text table in a code block, with
a text bar per person scaled to the rotation's busiest person, so it reads at a glance.
"""

from __future__ import annotations

from dataclasses import dataclass

from roundrobin.rotations.load import PERIODS, LoadPage, PersonLoad, RotationLoad, bar
from roundrobin.slack.ids import LoadIds
from roundrobin.slack.views.blocks import Block, actions, button, context, cut, esc, section, slack_date

PAGE_SIZE = 20  # two blocks a rotation: 40, with the header and pager well under Slack's 100
MAX_ROWS = 30  # people shown per rotation (a code block of about 2,500 characters); the CSV has all
NAME_WIDTH = 16
PERIOD_ACTIONS = (LoadIds.PERIOD_30, LoadIds.PERIOD_90)  # one button per period, in PERIODS' order


@dataclass(frozen=True)
class LoadView:
    page: LoadPage
    csv_url: str | None  # a signed link to the same report as CSV


def load_blocks(v: LoadView) -> list[Block]:
    p = v.page
    switch = [
        button(f"Last {days} days", action, value=str(days), style="primary" if days == p.days else None)
        for days, action in zip(PERIODS, PERIOD_ACTIONS, strict=True)
    ]
    if v.csv_url:
        switch.append(button("Download CSV", LoadIds.CSV, url=v.csv_url))
    blocks: list[Block] = [
        section(
            f"*On-call load* over the last {p.days} days, since {slack_date(p.start, '{date_short_pretty}')}."
        ),
        actions(*switch, block_id="load_period"),
        context(
            "Nights are 22:00–07:00 in each person's own Slack time zone; weekends include the public "
            "holidays of rotations that have them (a Saturday night counts in both). Covers: given / taken. "
            "Answered: @Round Robin requests."
        ),
    ]
    if not p.rotations:
        return [*blocks, section("No rotations yet: create one on the Rotations tab.")]
    for rotation in p.rotations:
        blocks += _rotation(rotation, p.names)
    return blocks + _pager(p)


def _rotation(r: RotationLoad, names: dict[str, str]) -> list[Block]:
    total = r.total
    title = (
        f"*{esc(r.name)}* `{esc(r.code)}`: {_hours(total.hours)} on duty, {_hours(total.night)} at night, "
        f"{_hours(total.weekend)} on weekends and holidays"
    )
    if not r.people:
        return [section(title), section("_Nobody was on duty, and it has no members._")]
    most = max(p.split.hours for p in r.people)
    lines = [
        f"{'Person':<{NAME_WIDTH}} {'Hours on duty':<18} {'Nights':>6} {'Wkend':>6} {'Hand-overs':>10} "
        f"{'Covers':>7} {'Answered':>8}"
    ]
    lines += [_row(p, names, most) for p in r.people[:MAX_ROWS]]
    more = len(r.people) - MAX_ROWS
    table = "```" + "\n".join(lines) + "```"
    if more > 0:
        table += f"\n…and {more} more: the CSV has everyone."
    return [section(title), section(table)]


def _row(p: PersonLoad, names: dict[str, str], most: float) -> str:
    # Escaped, and without backticks: a name must not close the code block the table is in.
    shown = cut(names.get(p.person, p.person).replace("`", "'"), NAME_WIDTH)
    name = esc(f"{shown:<{NAME_WIDTH}}")
    covers = f"{p.covers_given}/{p.covers_taken}"
    return (
        f"{name} {bar(p.split.hours, most)} {p.split.hours:>6.1f}h {p.split.night:>6.1f} "
        f"{p.split.weekend:>6.1f} {p.hand_overs:>10} {covers:>7} {p.answered:>8}"
    )


def _hours(value: float) -> str:
    return f"{value:.0f} h" if value >= 10 else f"{value:.1f} h"


def _pager(p: LoadPage) -> list[Block]:
    if p.pages <= 1:
        return []
    elements = []
    if p.page > 0:
        elements.append(button("← Previous", LoadIds.PAGE_PREVIOUS, value=str(p.page - 1)))
    if p.page + 1 < p.pages:
        elements.append(button("Next →", LoadIds.PAGE_NEXT, value=str(p.page + 1)))
    return [context(f"Page {p.page + 1} of {p.pages}"), actions(*elements, block_id="load_pager")]
