"""Channel messages: who is on duty now, and rotation notices."""

from __future__ import annotations

from roundrobin.slack.views.blocks import context, esc, mention, section, slack_date
from roundrobin.store.rotations import Rotation


def people(user_ids: tuple[str, ...] | list[str]) -> str:
    return ", ".join(mention(u) for u in user_ids)


def duty_message(rotation: Rotation, next_up: tuple[str, ...]) -> dict:
    title = f"*{esc(rotation.name)}* (`{rotation.code}`)"
    if rotation.on_duty:
        verb = "are" if len(rotation.on_duty) > 1 else "is"
        line = f"{people(rotation.on_duty)} {verb} on duty now"
        if rotation.on_duty_until:
            line += f", until {slack_date(rotation.on_duty_until)}"
        line += "."
    else:
        line = "Nobody is on duty now."
    details = []
    if next_up:
        details.append(f"Next: {people(next_up)}")
    if rotation.usergroup_handle and rotation.on_duty:
        details.append(f"Reach them with @{esc(rotation.usergroup_handle)}")
    if rotation.bound:
        details.append("Follows PagerDuty")
    text = f"{title}: {line}"
    blocks = [section(text)]
    if details:
        blocks.append(context(" · ".join(details)))
    fallback = f"{rotation.name} ({rotation.code}): " + (
        f"{people(rotation.on_duty)} on duty now" if rotation.on_duty else "nobody is on duty now"
    )
    return {"text": fallback, "blocks": blocks}


def reverted_message(rotation: Rotation) -> dict:
    text = (
        f"*{esc(rotation.name)}* (`{rotation.code}`) no longer follows PagerDuty: PagerDuty was disconnected. "
        "It is a Manual rotation now, with the same members and the same person on duty."
    )
    fallback = f"{rotation.name} ({rotation.code}) no longer follows PagerDuty: it is a Manual rotation now"
    return {"text": fallback, "blocks": [section(text)]}
