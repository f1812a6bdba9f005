"""Cover me… on a rotation that follows PagerDuty: the modal that writes an override to PagerDuty, and
the one that explains how to make the cover there when the connection may only read. Pure builders."""

from __future__ import annotations

from roundrobin.pagerduty.covers import OAUTH, SHIFT_BASED, CoverForm, ReadOnly
from roundrobin.slack.ids import Shifts
from roundrobin.slack.views.blocks import (
    Block,
    context,
    esc,
    input_block,
    modal,
    option,
    section,
    static_select,
)
from roundrobin.slack.views.metadata import CoverMeta


def pd_cover_modal(f: CoverForm, names: dict[str, str]) -> dict:
    """Who covers, from when until when: an override in PagerDuty, which the rotation then follows."""
    r = f.rotation
    where = " and ".join(f"*{esc(n)}*" for n in f.schedules) or "its schedule"
    blocks: list[Block] = [
        section(
            f"Choose who covers you on *{esc(r.name)}* and when. Round Robin writes the override to "
            f"PagerDuty ({where}), and the rotation follows it at once."
        ),
        input_block(
            Shifts.BY,
            "Who covers",
            static_select(
                Shifts.BY,
                [option(names.get(m, m), m) for m in f.coverers][:100],
                placeholder="Choose a member",
            ),
        ),
        input_block(Shifts.FROM, "From", _datetime(Shifts.FROM, f.start)),
        input_block(
            Shifts.UNTIL,
            "Until",
            _datetime(Shifts.UNTIL, f.end),
            hint="For the whole shift, keep the time it ends.",
        ),
        context(
            "Only people PagerDuty knows, linked to Slack, can cover: an override names a PagerDuty user."
        ),
    ]
    meta = CoverMeta(r.id, f.person)
    return modal("Cover me", blocks, Shifts.PD_COVER_VIEW, submit="Save in PagerDuty", private_metadata=meta)


def in_pagerduty_modal(made_there: ReadOnly) -> dict:
    """Covers of this rotation are made in PagerDuty: where, how, and what would let Round Robin
    write them itself."""
    where = " or ".join(_link(name, url) for name, url in made_there.schedules) or "the schedule"
    how = (
        f"Make the cover in PagerDuty: open {where} › *Schedule an override*, choose who covers and when. "
        "Round Robin follows it at its next look (within a minute)."
    )
    if made_there.why == SHIFT_BASED:
        words = f"*{esc(made_there.rotation)}* follows a shift-based schedule, whose covers are made in PagerDuty. {how}"
    else:
        fix = (
            "an admin ticks *Write access* for Schedules (`schedules.write`) in the PagerDuty app, then "
            "connects with OAuth again"
            if made_there.why == OAUTH
            else "an admin connects PagerDuty with an API key that has write access "
            "(Settings › Integrations › Edit connection)"
        )
        words = (
            f"Round Robin's PagerDuty connection may only read. {how}\n\nTo let *Cover me…* write the "
            f"override itself, {fix}."
        )
    return modal("Cover me", [section(words)], close="Close")


def _link(name: str, url: str | None) -> str:
    """A schedule's name, linked to its page in PagerDuty when the address is a plain https one."""
    if url and url.startswith("https://") and not any(c in url for c in "<>| \n"):
        return f"<{url}|{esc(name)}>"
    return f"*{esc(name)}*"


def _datetime(action_id: str, ts: float) -> dict:
    return {"type": "datetimepicker", "action_id": action_id, "initial_date_time": int(ts)}
