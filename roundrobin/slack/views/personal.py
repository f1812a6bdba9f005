"""Words for one person and for a channel's topic: DMs on and off duty, reminders, topics, templates.

Like channel messages, these are rendered when they are sent, from the rotation as it is then and
the duty change as decided. The delivery worker adds to the body what only it knows at that moment:
`names` (Slack user id → name and handle, for plain-text words), `target` (who a DM is for),
`now`, and `muted` (the person asked Round Robin not to DM them). A renderer returns None when the
message is no longer worth sending: the person is muted, no longer on (or off) duty, or the
hand-over a reminder was for has passed.
"""

from __future__ import annotations

from roundrobin.rotations import templates
from roundrobin.rotations.model import Rotation
from roundrobin.slack.views.blocks import context, esc, section, slack_date
from roundrobin.slack.views.messages import fill, group_mention, people, token_values

TOPIC_LIMIT = 250


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
    notes.append("You can stop these messages in Round Robin's App Home.")
    return {"text": _flat(text), "blocks": [section(text), context(*notes)]}


def dm_off_message(rotation: Rotation, body: dict) -> dict | None:
    target = body.get("target")
    if body.get("muted") or target in rotation.on_duty:
        return None  # muted, or back on duty before the message went out
    text = fill(rotation, "dm_off", body)
    if text is None:
        who = people(body.get("on_duty") or []) or "nobody"
        text = f"You are off duty for *{esc(rotation.name)}* (`{esc(rotation.code)}`): {who} took over. Thank you!"
    return {
        "text": _flat(text),
        "blocks": [section(text), context("You can stop these messages in Round Robin's App Home.")],
    }


def reminder_message(rotation: Rotation, body: dict) -> dict | None:
    target, handoff = body.get("target"), body.get("handoff_at") or 0
    if body.get("muted") or body.get("now", 0) >= handoff:
        return None  # never a reminder after the hand-over it was for
    incoming = rotation.next_on_duty if rotation.bound else ((rotation.next_up,) if rotation.next_up else ())
    if target not in incoming or target in rotation.on_duty:
        return None  # the turn order or PagerDuty changed since it was planned
    text = (
        f"Heads-up: you are on duty for *{esc(rotation.name)}* (`{esc(rotation.code)}`) "
        f"from {slack_date(handoff)}."
    )
    return {
        "text": _flat(text),
        "blocks": [section(text), context("You can stop these messages in Round Robin's App Home.")],
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
    if template:
        # Every token is plain text in a topic; the person's own words are kept as they typed them.
        text = templates.render(
            template, {**plain, **{f"{k}{templates.TEXT_ONLY}": v for k, v in plain.items()}}
        )
    else:
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
    text = " ".join(text.split())
    return text if len(text) <= TOPIC_LIMIT else text[: TOPIC_LIMIT - 1] + "…"


RENDERERS = {"dm_on": dm_on_message, "dm_off": dm_off_message, "reminder": reminder_message}
