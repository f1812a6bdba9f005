"""The App Home tab: the dashboard, with a Rotations tab, a Settings tab and a Load tab."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from roundrobin.rotations.timeline import Away
from roundrobin.slack.ids import Home, Preferences
from roundrobin.slack.views.blocks import Block, actions, button, divider, header, home, section
from roundrobin.slack.views.calendars import your_calendar_blocks
from roundrobin.slack.views.metadata import HomeMeta
from roundrobin.slack.views.settings import SettingsState, settings_blocks
from roundrobin.slack.views.shifts import time_away_blocks

TABS = ("rotations", "settings", "load")


@dataclass(frozen=True)
class HomeState:
    tab: str
    settings: SettingsState | None = None
    rotations_blocks: tuple[Block, ...] = ()
    notice: str | None = None  # mrkdwn: whoever writes it escapes what people typed
    page: int = 0
    notice_icon: str = ":information_source:"  # :warning: for failures, :no_entry: for refusals
    dms_muted: bool = False  # this person asked for no duty DMs
    away: tuple[tuple[int, Away], ...] = ()  # this person's time away ahead
    calendar_feed: str | None = None  # this person's calendar feed link (Settings)
    load_blocks: tuple[Block, ...] = ()  # the Load tab (slack/views/load.py)


def home_view(state: HomeState) -> dict[str, Any]:
    blocks: list[Block] = [header("Round Robin"), _tabs(state.tab)]
    if state.notice:
        blocks.append(section(f"{state.notice_icon} {state.notice}"))
    blocks.append(divider())
    if state.tab == "settings" and state.settings is not None:
        blocks += settings_blocks(state.settings)
        blocks += [divider(), *time_away_blocks(state.away), divider(), _your_dms(state.dms_muted)]
        if state.calendar_feed:
            blocks += [divider(), *your_calendar_blocks(state.calendar_feed)]
    elif state.tab == "load":
        blocks += list(state.load_blocks)
    else:
        blocks += list(state.rotations_blocks)
    return home(blocks, private_metadata=HomeMeta(state.tab, state.page))


def _your_dms(muted: bool) -> Block:
    """Each person's own switch for the DMs rotations send when duty changes (and the reminders)."""
    if muted:
        text = (
            "*Your direct messages*\nRound Robin sends you no DMs when you go on or off duty, nor reminders."
        )
        return section(text, accessory=button("Allow my DMs", Preferences.MUTE_DMS, value="unmute"))
    text = (
        "*Your direct messages*\nRotations that ask for it DM you when you go on or off duty, and before "
        "a planned hand-over. Requests made with @Round Robin still reach you."
    )
    return section(text, accessory=button("Stop my DMs", Preferences.MUTE_DMS, value="mute"))


def _tabs(current: str) -> Block:
    def tab(label: str, name: str, action_id: str) -> dict:
        return button(label, action_id, value=name, style="primary" if name == current else None)

    return actions(
        tab("Rotations", "rotations", Home.TAB_ROTATIONS),
        tab("Settings", "settings", Home.TAB_SETTINGS),
        tab("Load", "load", Home.TAB_LOAD),
        block_id="home_tabs",
    )
