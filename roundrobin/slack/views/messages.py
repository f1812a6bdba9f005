"""Channel messages: who is on duty now, and rotation notices.

Messages are rendered when they are sent, from the rotation as it is then and the duty change as
it was decided. Everything a person typed is escaped, in the blocks and in the `text` that Slack
shows in notifications; people are named only through `mention`.
"""

from __future__ import annotations

from roundrobin.rotations.model import Rotation
from roundrobin.slack.views.blocks import context, esc, mention, section, slack_date


def people(user_ids: tuple[str, ...] | list[str]) -> str:
    return ", ".join(mention(u) for u in user_ids)


def unmatched_words(unmatched: list[dict] | tuple[dict, ...]) -> str:
    """'Priya Patel (priya@corp.example)' for people PagerDuty has on call and Slack does not know."""
    names = []
    for person in unmatched:
        name, email = person.get("name"), person.get("email")
        label = esc(name or email or "someone")
        names.append(f"{label} ({esc(email)})" if name and email else label)
    return ", ".join(names)


def duty_message(rotation: Rotation, body: dict) -> dict:
    title = f"*{esc(rotation.name)}* (`{esc(rotation.code)}`)"
    on_duty = body.get("on_duty") or []
    unmatched = body.get("unmatched") or []
    if on_duty:
        verb = "are" if len(on_duty) > 1 else "is"
        line = f"{people(on_duty)} {verb} on duty now"
        if body.get("until"):
            line += f", until {slack_date(body['until'])}"
        line += "."
    elif unmatched:
        line = (
            f"On call in PagerDuty: {unmatched_words(unmatched)}, not linked to Slack. An admin can "
            "link them in the rotation's Details."
        )
    else:
        line = "Nobody is on duty now."
    details = []
    if on_duty and unmatched:
        details.append(f"Also on call in PagerDuty, not linked to Slack: {unmatched_words(unmatched)}")
    if body.get("next_up"):
        details.append(f"Next: {people(body['next_up'])}")
    if rotation.usergroup_id and on_duty:
        details.append(f"Reach them with {group_mention(rotation)}")
    actor = body.get("actor")
    verb = {"rotated": "Rotated", "set": "Set", "handed_over": "Handed over"}.get(body.get("reason"))
    if actor and verb:
        details.append(f"{verb} by {mention(actor)}")
    if rotation.bound:
        details.append("Follows PagerDuty")
    blocks = [section(f"{title}: {line}")]
    if details:
        blocks.append(context(" · ".join(details)))
    if on_duty:
        fallback = f"{esc(rotation.name)} ({esc(rotation.code)}): {people(on_duty)} on duty now"
    elif unmatched:
        fallback = f"{esc(rotation.name)} ({esc(rotation.code)}): on call in PagerDuty, not linked to Slack"
    else:
        fallback = f"{esc(rotation.name)} ({esc(rotation.code)}): nobody is on duty now"
    return {"text": fallback, "blocks": blocks}


def group_mention(rotation: Rotation) -> str:
    """The on-duty group as Slack renders it (a real group mention), or its handle in words."""
    if rotation.usergroup_id:
        return mention(rotation.usergroup_id, handle=rotation.usergroup_handle)
    return f"@{esc(rotation.usergroup_handle or '')}"


def reverted_message(rotation: Rotation, body: dict | None = None) -> dict:
    text = (
        f"*{esc(rotation.name)}* (`{esc(rotation.code)}`) no longer follows PagerDuty: PagerDuty was "
        "disconnected. It is a Manual rotation now, with the same members and the same person on duty."
    )
    fallback = f"{esc(rotation.name)} ({esc(rotation.code)}) no longer follows PagerDuty: it is a Manual rotation now"
    return {"text": fallback, "blocks": [section(text)]}


RENDERERS = {"duty": duty_message, "reverted": reverted_message}
