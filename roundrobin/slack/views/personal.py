"""Words for one person and for a channel's topic: DMs on and off duty, reminders, topics, templates.

Like channel messages, these are rendered when they are sent, from the rotation as it is then and
the duty change as decided. The delivery worker gives each what only it knows at that moment (a
`Sending`: who a DM is for, the time, whether they muted Round Robin's DMs, and people's names for
plain-text words). A renderer returns None when the message is no longer worth sending: the person
is muted, no longer on (or off) duty, or the hand-over a reminder was for has passed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from roundrobin.rotations import templates
from roundrobin.rotations.announcement import Announcement, Notice, Reminder, TopicState
from roundrobin.rotations.model import Rotation
from roundrobin.slack.ids import Rotations
from roundrobin.slack.views.blocks import actions, button, confirm, context, esc, mention, section, slack_date
from roundrobin.slack.views.messages import authorship, fill, group_mention, people, token_values
from roundrobin.slack.views.sending import Format, Name, Sending
from roundrobin.text import clean_text

TOPIC_LIMIT = 250
STOP_DMS = "To stop Round Robin's DMs to you: its App Home › *Settings* › *Stop my DMs*."


# --- direct messages --------------------------------------------------------------------------


def dm_on_message(rotation: Rotation, body: Announcement, sending: Sending) -> dict[str, Any] | None:
    if sending.muted or sending.target not in rotation.on_duty:
        return None  # muted, or off duty again before the message went out
    text = fill(rotation, "dm_on", body, sending.names)
    if text is None:
        until = f" until {slack_date(body.until)}" if body.until else ""
        text = f"You are on duty for *{esc(rotation.name)}* (`{esc(rotation.code)}`) now{until}."
        if rotation.usergroup_id:
            text += f" {group_mention(rotation)} reaches you."
    notes = [f"Next: {people(body.next_up)}"] if body.next_up else []
    if rotation.templates.get("dm_on"):
        notes = [authorship(rotation, "dm_on")]
    notes.append(STOP_DMS)
    return {"text": _flat(text), "blocks": [section(text), context(*notes)]}


def dm_off_message(rotation: Rotation, body: Announcement, sending: Sending) -> dict[str, Any] | None:
    if sending.muted or sending.target in rotation.on_duty:
        return None  # muted, or back on duty before the message went out
    text = fill(rotation, "dm_off", body, sending.names)
    notes = [STOP_DMS]
    if text is None:
        who = people(body.on_duty) or "nobody"
        text = f"You are off duty for *{esc(rotation.name)}* (`{esc(rotation.code)}`): {who} took over. Thank you!"
    else:
        notes.insert(0, authorship(rotation, "dm_off"))
    return {"text": _flat(text), "blocks": [section(text), context(*notes)]}


def reminder_message(rotation: Rotation, body: Reminder, sending: Sending) -> dict[str, Any] | None:
    target, hand_over = sending.target, body.hand_over
    if sending.muted or sending.now >= hand_over:
        return None  # never a reminder after the hand-over it was for
    incoming = rotation.pd_next_up if rotation.bound else ((rotation.next_up,) if rotation.next_up else ())
    if target not in incoming or target in rotation.on_duty:
        return None  # the turn order or PagerDuty changed since it was planned
    text = (
        f"Heads-up: you are on duty for *{esc(rotation.name)}* (`{esc(rotation.code)}`) "
        f"from {slack_date(hand_over)}."
    )
    return {"text": _flat(text), "blocks": [section(text), context(STOP_DMS)]}


def added_message(rotation: Rotation, body: Notice, sending: Sending) -> dict[str, Any] | None:
    """Someone added the reader to a rotation: who, what it means, and how to get out of it."""
    target = sending.target
    if sending.muted or target not in rotation.members or rotation.bound:
        return None  # muted, or taken out again before the message went out
    actor = body.actor
    who = mention(actor) if actor else "Someone"
    name = f"*{esc(rotation.name)}* (`{esc(rotation.code)}`)"
    text = f":wave: {who} added you to {name}: its members take turns being on duty."
    if target in rotation.on_duty:
        text += " You are on duty now."
    elif rotation.on_duty:
        text += f" On duty now: {people(rotation.on_duty)}."
    leave = button(
        "Leave this rotation",
        Rotations.LEAVE,
        value=str(rotation.id),
        confirm=confirm(
            "Leave this rotation?", f"You will no longer take turns in {name}.", "Leave", style="danger"
        ),
    )
    return {
        "text": _flat(f"{who} added you to {esc(rotation.name)} ({esc(rotation.code)})"),
        "blocks": [
            section(text),
            actions(leave),
            context(f"Not for you? Leave it, or ask {who}. {STOP_DMS}"),
        ],
    }


def _flat(text: str) -> str:
    """Notification text: the same words without mrkdwn emphasis."""
    return text.replace("*", "").replace("`", "")


# --- topics -----------------------------------------------------------------------------------


def topic_text(rotation: Rotation, body: TopicState, names: Mapping[str, Name]) -> str:
    """Plain text, at most 250 characters (Slack topics have no formatting)."""
    _, plain = token_values(rotation, body, names)
    template = (rotation.templates or {}).get("topic")
    # Every token is plain text in a topic; the person's own words are kept as they typed them.
    text = (
        templates.render(template, {**plain, **{f"{k}{templates.TEXT_ONLY}": v for k, v in plain.items()}})
        if template
        else ""
    )
    if not text:
        on_duty = body.on_duty
        if on_duty:
            verb = "are" if len(on_duty) > 1 else "is"
            text = f"Round Robin: {plain['USER']} {verb} on duty for {rotation.name}"
            if plain["UNTIL"]:
                text += f" until {plain['UNTIL']}"
        elif body.unmatched:
            where = "not in Slack" if all(p.why for p in body.unmatched) else "not linked to Slack"
            text = f"Round Robin: {rotation.name} is on call in PagerDuty ({where})"
        else:
            text = f"Round Robin: nobody is on duty for {rotation.name}"
        if plain["DUTYHANDLE"] and on_duty:
            text += f" · ask {plain['DUTYHANDLE']}"
    text = plain_words(text)
    return text if len(text) <= TOPIC_LIMIT else text[: TOPIC_LIMIT - 1] + "…"


_SEQUENCE = re.compile(r"<([^<>]*)>")


def plain_words(text: str) -> str:
    """Text with no control sequence left, for a topic (Slack shows topics as typed, and a topic
    saying <!here> or <@U…> must not reach Slack as one): `<!here>` is the word @here, a mention its
    label, a link "label (url)", and a stray < or > a look-alike angle quote."""

    def word(found: re.Match) -> str:
        target, _, label = found.group(1).partition("|")
        if target.startswith(("@", "#")):
            return target[0] + (label or ("someone" if target[0] == "@" else "a channel"))
        if target.startswith("!"):
            return label or "@" + target[1:].split("^")[0]
        if target.startswith(("http://", "https://", "mailto:")):
            return f"{label} ({target})" if label and label != target else target
        return f"‹{found.group(1)}›"

    text = _SEQUENCE.sub(word, clean_text(text))
    return " ".join(text.replace("<", "‹").replace(">", "›").split())


FORMATS: dict[str, Format[Any]] = {
    "dm_on": Format(Announcement.from_json, dm_on_message),
    "dm_off": Format(Announcement.from_json, dm_off_message),
    "reminder": Format(Reminder.from_json, reminder_message),
    "added": Format(Notice.from_json, added_message),
}
