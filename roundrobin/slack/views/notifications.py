"""The Notifications modal: how a rotation tells people, beyond its channels and user group.

Channel topics, DMs on and off duty, reminders, how long an @Round Robin request waits, and the
rotation's own words (templates) with a live preview drawn from who is on duty now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from roundrobin.rotations import templates
from roundrobin.rotations.editing import REMINDER_CHOICES
from roundrobin.rotations.model import Notifications, Rotation
from roundrobin.slack.ids import HandoffIds
from roundrobin.slack.ids import NotificationIds as N
from roundrobin.slack.views.blocks import (
    Block,
    channels_select,
    context,
    divider,
    esc,
    input_block,
    modal,
    option,
    section,
    static_select,
    text_input,
)
from roundrobin.slack.views.metadata import NotificationsMeta

SURFACE_LABELS = {
    "announcement": "Channel message",
    "dm_on": "DM to who goes on duty",
    "dm_off": "DM to who goes off duty",
    "topic": "Channel topic (plain text)",
}
REMINDERS = [option("No reminder", "none")] + [
    option({900: "15 minutes before", 3600: "An hour before", 86400: "A day before"}[s], str(s))
    for s in REMINDER_CHOICES
]
EXPIRY = [
    option(label, str(minutes))
    for minutes, label in (
        (15, "15 minutes"),
        (30, "30 minutes"),
        (60, "An hour"),
        (120, "2 hours"),
        (240, "4 hours"),
        (480, "8 hours"),
        (1440, "A day"),
    )
]
DM_CHOICES = {"dm_on": "DM the person going on duty", "dm_off": "DM the person going off duty"}


@dataclass(frozen=True)
class NotificationsForm:
    rotation: Rotation
    wanted: Notifications
    previews: dict[str, str] = field(default_factory=dict)  # surface → rendered preview (mrkdwn)


def notifications_modal(form: NotificationsForm) -> dict:
    r, w = form.rotation, form.wanted
    topic_select = channels_select(N.TOPIC_CHANNELS, w.topic_channels)
    dm_options = [option(label, kind) for kind, label in DM_CHOICES.items()]
    dms: dict[str, Any] = {"type": "checkboxes", "action_id": N.DMS, "options": dm_options}
    chosen = [
        o
        for o in dm_options
        if (o["value"] == "dm_on" and w.dm_on_duty) or (o["value"] == "dm_off" and w.dm_off_duty)
    ]
    if chosen:
        dms["initial_options"] = chosen
    blocks: list[Block] = [
        section(
            f"How *{esc(r.name)}* tells people when duty changes, beyond its channel messages and user group."
        ),
        input_block(
            N.TOPIC_CHANNELS,
            "Keep these channels' topic saying who is on duty",
            topic_select,
            hint="Round Robin never replaces a topic someone else set. A channel here but not among the "
            "rotation's channels gets the topic only, no messages.",
            optional=True,
        ),
        input_block(N.DMS, "Direct messages", dms, optional=True),
    ]
    planned = r.bound or r.schedule.timed
    if planned:
        blocks.append(
            input_block(
                N.REMINDER,
                "Remind whoever takes over",
                static_select(N.REMINDER, REMINDERS, str(w.remind_before) if w.remind_before else "none"),
            )
        )
        blocks.append(_handoff_notes(w.handoff_notes is not False))
    else:
        blocks.append(
            context(
                "Reminders need a planned hand-over: a daily or weekly schedule, or a PagerDuty schedule."
            )
        )
    blocks += [
        input_block(
            N.EXPIRY,
            "An @Round Robin request nobody answers expires after",
            static_select(N.EXPIRY, EXPIRY, str(w.request_expiry_minutes)),
        ),
        divider(),
        section(
            "*Your own words* (optional). Tokens: "
            + ", ".join(f"`%{t}%`" for t in templates.TOKENS)
            + f"; add `{templates.TEXT_ONLY}` (like `%USER{templates.TEXT_ONLY}%`) for names without a mention. "
            'A token with no value is left out with the words that introduce it ("until", "Next:"), '
            "and a sentence with nothing left goes."
        ),
    ]
    for surface, label in SURFACE_LABELS.items():
        element = text_input(
            N.template(surface),
            w.templates.get(surface),
            _placeholder(surface),
            multiline=surface != "topic",
            max_length=templates.MAX_LENGTH[surface],
        )
        element["dispatch_action_config"] = {"trigger_actions_on": ["on_character_entered"]}
        # The preview sits just above its field: below a growing multi-line field it would scroll away.
        if preview := form.previews.get(surface):
            blocks.append(context(f"Preview: {preview}"))
        blocks.append(input_block(N.template(surface), label, element, optional=True, dispatch=True))
    return modal(
        "Notifications",
        blocks,
        callback_id=N.VIEW,
        submit="Save",
        private_metadata=NotificationsMeta(r.id, r.config_rev),
    )


def _handoff_notes(on: bool) -> Block:
    """Hand-off notes (rotations/handoff.py): on unless the rotation turned them off."""
    choice = option("Ask whoever goes off duty for a hand-off note, 30 minutes before", "on")
    element: dict[str, Any] = {"type": "checkboxes", "action_id": HandoffIds.SETTING, "options": [choice]}
    if on:
        element["initial_options"] = [choice]
    return input_block(
        HandoffIds.SETTING,
        "Hand-off notes",
        element,
        hint="The note goes to whoever takes over and into the hand-over's thread. Nothing written, nothing sent.",
        optional=True,
    )


def _placeholder(surface: str) -> str:
    return {
        "announcement": "%USER% is on duty for %NAME% until %UNTIL%. Next: %NEXT_USER%",
        "dm_on": "You are on duty for %NAME% until %UNTIL%.",
        "dm_off": "Thanks! %USER% took over %NAME%.",
        "topic": "On duty: %USER_TEXTONLY% · ask %DUTYHANDLE_TEXTONLY%",
    }[surface]
