"""Words for one person and for a channel's topic: DMs on and off duty, reminders, topics, templates.

Like channel messages, these are rendered when they are sent, from the rotation as it is then and
the duty change as decided. The delivery worker adds to the body what only it knows at that moment:
`names` (Slack user id → name and handle, for plain-text words), `target` (who a DM is for),
`now`, and `muted` (the person asked Round Robin not to DM them). A renderer returns None when the
message is no longer worth sending: the person is muted, no longer on (or off) duty, or the
hand-over a reminder was for has passed.
"""

from __future__ import annotations

import re

from roundrobin.rotations import templates
from roundrobin.rotations.model import Rotation
from roundrobin.slack.ids import Rotations
from roundrobin.slack.views.blocks import actions, button, confirm, context, esc, mention, section, slack_date
from roundrobin.slack.views.messages import authorship, fill, group_mention, people, token_values
from roundrobin.text import clean_text

TOPIC_LIMIT = 250
STOP_DMS = "To stop Round Robin's DMs to you: its App Home › *Settings* › *Stop my DMs*."


# --- direct messages --------------------------------------------------------------------------


def dm_on_message(rotation: Rotation, body: dict) -> dict | None:
    target = body.get("target")
    if body.get("muted") or target not in rotation.on_duty:
        return None  # muted, or off duty again before the message went out
    text = fill(rotation, "dm_on", body)
    if text is None:
        until = f" until {slack_date(body['until'])}" if body.get("until") else ""
        text = f"You are on duty for *{esc(rotation.name)}* (`{esc(rotation.code)}`) now{until}."
        if rotation.usergroup_id:
            text += f" {group_mention(rotation)} reaches you."
    notes = [f"Next: {people(body['next_up'])}"] if body.get("next_up") else []
    if rotation.templates.get("dm_on"):
        notes = [authorship(rotation, "dm_on")]
    notes.append(STOP_DMS)
    return {"text": _flat(text), "blocks": [section(text), context(*notes)]}


def dm_off_message(rotation: Rotation, body: dict) -> dict | None:
    target = body.get("target")
    if body.get("muted") or target in rotation.on_duty:
        return None  # muted, or back on duty before the message went out
    text = fill(rotation, "dm_off", body)
    notes = [STOP_DMS]
    if text is None:
        who = people(body.get("on_duty") or []) or "nobody"
        text = f"You are off duty for *{esc(rotation.name)}* (`{esc(rotation.code)}`): {who} took over. Thank you!"
    else:
        notes.insert(0, authorship(rotation, "dm_off"))
    return {"text": _flat(text), "blocks": [section(text), context(*notes)]}


def reminder_message(rotation: Rotation, body: dict) -> dict | None:
    target, hand_over = body.get("target"), body.get("handoff_at") or 0
    if body.get("muted") or body.get("now", 0) >= hand_over:
        return None  # never a reminder after the hand-over it was for
    incoming = rotation.pd_next_up if rotation.bound else ((rotation.next_up,) if rotation.next_up else ())
    if target not in incoming or target in rotation.on_duty:
        return None  # the turn order or PagerDuty changed since it was planned
    text = (
        f"Heads-up: you are on duty for *{esc(rotation.name)}* (`{esc(rotation.code)}`) "
        f"from {slack_date(hand_over)}."
    )
    return {"text": _flat(text), "blocks": [section(text), context(STOP_DMS)]}


def added_message(rotation: Rotation, body: dict) -> dict | None:
    """Someone added the reader to a rotation: who, what it means, and how to get out of it."""
    target = body.get("target")
    if body.get("muted") or target not in rotation.members or rotation.bound:
        return None  # muted, or taken out again before the message went out
    actor = body.get("actor")
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


def topic_text(rotation: Rotation, body: dict) -> str:
    """Plain text, at most 250 characters (Slack topics have no formatting)."""
    values = token_values(rotation, body)
    plain = values.pop("_plain")
    template = (rotation.templates or {}).get("topic")
    # Every token is plain text in a topic; the person's own words are kept as they typed them.
    text = (
        templates.render(template, {**plain, **{f"{k}{templates.TEXT_ONLY}": v for k, v in plain.items()}})
        if template
        else ""
    )
    if not text:
        on_duty = body.get("on_duty") or []
        if on_duty:
            verb = "are" if len(on_duty) > 1 else "is"
            text = f"Round Robin: {plain['USER']} {verb} on duty for {rotation.name}"
            if plain["UNTIL"]:
                text += f" until {plain['UNTIL']}"
        elif body.get("unmatched"):
            where = "not in Slack" if all(p.get("why") for p in body["unmatched"]) else "not linked to Slack"
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


RENDERERS = {
    "dm_on": dm_on_message,
    "dm_off": dm_off_message,
    "reminder": reminder_message,
    "added": added_message,
}
