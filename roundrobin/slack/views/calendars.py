"""Calendar links in Slack: a person's feed in Settings, a rotation's feed and its timeline page in
Details. Pure builders."""

from __future__ import annotations

from dataclasses import dataclass

from roundrobin.slack.ids import Calendars
from roundrobin.slack.views.blocks import Block, button, confirm, esc, section

SUBSCRIBE = (
    "Paste it into your calendar app as a subscription: Google Calendar › Other calendars › From URL; "
    "Outlook › Add calendar › Subscribe from web; Apple Calendar › File › New Calendar Subscription."
)


@dataclass(frozen=True)
class RotationCalendar:
    """What Details shows of a rotation's calendar, for one reader."""

    rotation_id: int
    code: str
    feed_url: str
    timeline_url: str  # signed for the reader, for a day
    can_reset: bool  # the reader may edit the rotation


def your_calendar_blocks(feed_url: str) -> list[Block]:
    """Settings: the person's own feed, every duty of theirs in every rotation."""
    text = (
        "*Your calendar*\nEvery duty of yours, in every rotation (covers and swaps included), 30 days back "
        f"and 90 ahead. {SUBSCRIBE} Anyone with the link sees your duties: keep it to yourself.\n"
        f"`{esc(feed_url)}`"
    )
    ask = confirm(
        "Reset your calendar link?",
        "The link you have stops working at once; calendars subscribed to it stop updating. "
        "Subscribe again with the new one.",
        "Reset link",
        style="danger",
    )
    return [section(text, accessory=button("Reset link", Calendars.RESET_MINE, value="mine", confirm=ask))]


def rotation_calendar_blocks(c: RotationCalendar) -> list[Block]:
    """Details: the timeline page (two weeks a screen) and the rotation's feed."""
    opened = section(
        "*Calendar*: who is on duty two weeks at a time, in your browser (the link is yours, for a day).",
        accessory=button(
            "Open calendar", Calendars.OPEN_TIMELINE, value=str(c.rotation_id), url=c.timeline_url
        ),
    )
    text = f"Everyone's shifts in {esc(c.code)} as a calendar feed. {SUBSCRIBE}\n`{esc(c.feed_url)}`"
    reset = None
    if c.can_reset:
        ask = confirm(
            "Reset this calendar link?",
            f"The link to {esc(c.code)}'s calendar stops working at once for everyone subscribed to it.",
            "Reset link",
            style="danger",
        )
        reset = button("Reset link", Calendars.RESET_ROTATION, value=str(c.rotation_id), confirm=ask)
    return [opened, section(text, accessory=reset)]
