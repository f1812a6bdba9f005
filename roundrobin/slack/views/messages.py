"""Channel messages: who is on duty now, and rotation notices.

Messages are rendered when they are sent, from the rotation as it is then and the duty change as
it was decided. Everything a person typed is escaped, in the blocks and in the `text` that Slack
shows in notifications; people are named only through `mention`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from roundrobin.rotations import templates
from roundrobin.rotations.announcement import Announcement, Notice, TopicState
from roundrobin.rotations.model import Rotation, Unmatched, why_not
from roundrobin.slack.views.blocks import Block, context, esc, mention, section, slack_date
from roundrobin.slack.views.sending import Format, Name, Sending
from roundrobin.slack.views.status import passed_words


def people(user_ids: Iterable[str]) -> str:
    return ", ".join(mention(u) for u in user_ids)


def labelled(user_ids: Iterable[str], from_schedules: Sequence[tuple[str, str]]) -> str:
    """People on duty, each with the PagerDuty schedules that have them on call when a rotation
    follows several: '@grace (Ops Primary), @alan (Ops Secondary)'."""
    words = []
    for user in user_ids:
        names = [name for person, name in from_schedules if person == user]
        words.append(mention(user) + (f" ({esc(', '.join(names))})" if names else ""))
    return ", ".join(words)


def unmatched_words(unmatched: Sequence[Unmatched]) -> str:
    """'Priya Patel (priya@corp.example)' for people PagerDuty has on call and Slack does not know."""
    names = []
    for person in unmatched:
        name, email = person.name, person.email
        label = esc(name or email or "someone")
        names.append(f"{label} ({esc(email)})" if name and email else label)
    return ", ".join(names)


def not_in_slack(unmatched: Sequence[Unmatched], until: str = "") -> str:
    """People PagerDuty has on call whom Slack cannot have on duty, and why: 'Priya Patel
    (priya@corp.example), not linked to Slack; Alan Turing — their Slack account is deactivated'."""
    unlinked = [p for p in unmatched if not p.why]
    parts = [f"{unmatched_words(unlinked)}{until}, not linked to Slack"] if unlinked else []
    for person in unmatched:
        if person.why:
            name = unmatched_words([Unmatched(None, person.name or person.email, None)])
            parts.append(f"{name}{'' if parts else until} — {why_not(person.why)}")
    return "; ".join(parts)


def passed_by_words(body: Announcement) -> list[str]:
    """Who left duty at once or was skipped in turn because they cannot be on duty, and why."""
    words = [f"{mention(u)} left duty at once: {why_not(why)}." for u, why in body.left]
    words += [
        f"Skipped {mention(u)}, as asked."
        if why == "skipped"
        else passed_words(u, why, list(body.on_duty)) or f"Skipped {mention(u)}: {why_not(why)}."
        for u, why in body.skipped
    ]
    return words


def duty_message(rotation: Rotation, body: Announcement, sending: Sending | None = None) -> dict[str, Any]:
    title = f"*{esc(rotation.name)}* (`{esc(rotation.code)}`)"
    on_duty = body.on_duty
    unmatched = body.unmatched
    unlinked = any(not p.why for p in unmatched)
    why, out = body.why, [u for u in body.turn if u not in on_duty]
    until = f" until {slack_date(body.until)}" if body.until else ""
    if on_duty and why == "away" and out:
        verb = "is" if len(out) == 1 else "are"
        takes = "takes" if len(on_duty) == 1 else "take"
        line = f"{people(out)} {verb} away; {people(on_duty)} {takes} over{until and ','}{until}."
    elif on_duty and why in ("cover", "swap") and out:
        verb = "are" if len(on_duty) > 1 else "is"
        line = f"{people(on_duty)} {verb} on duty now, covering {people(out)}{until and ','}{until}."
    elif on_duty:
        verb = "are" if len(on_duty) > 1 else "is"
        line = f"{labelled(on_duty, body.from_schedules)} {verb} on duty now"
        if why == "closed":
            line += " (outside working hours)"
        if body.until:
            line += f", until {slack_date(body.until)}"
        line += "."
    elif why == "closed":
        line = f"Outside working hours: nobody is on duty{until}."
    elif why == "holiday":
        line = f"Public holiday: nobody is on duty{until}."
    elif unmatched:
        hint = " An admin can link them in the rotation's Details." if unlinked else ""
        line = f"On call in PagerDuty: {not_in_slack(unmatched)}.{hint}"
    else:
        line = "Nobody is on duty now."
    custom = fill(rotation, "announcement", body, sending.names if sending else {})
    passed_by = passed_by_words(body)
    if passed_by and not custom:
        line += " " + " ".join(passed_by)
    details = [] if not custom else [w.rstrip(".") for w in passed_by]
    if on_duty and unmatched:
        details.append(f"Also on call in PagerDuty: {not_in_slack(unmatched)}")
    if body.next_up:
        details.append(f"Next: {people(body.next_up)}")
    if rotation.usergroup_id and on_duty:
        details.append(f"Reach them with {group_mention(rotation)}")
    by = who_did_it(body)
    details += [by] if by else []
    if rotation.bound:
        details.append("Follows PagerDuty")
    if custom:
        # The rotation's own words say what they want; the footer says whose words they are, and
        # who was passed by or did it.
        details = [
            authorship(rotation, "announcement"),
            *(w.rstrip(".") for w in passed_by),
            *([by] if by else []),
        ]
    blocks: list[Block] = [section(custom if custom else f"{title}: {line}")]
    if details:
        blocks.append(context(" · ".join(details)))
    if on_duty:
        fallback = f"{esc(rotation.name)} ({esc(rotation.code)}): {labelled(on_duty, body.from_schedules)} on duty now"
    elif unmatched:
        where = "not linked to Slack" if unlinked else "not reachable in Slack"
        fallback = f"{esc(rotation.name)} ({esc(rotation.code)}): on call in PagerDuty, {where}"
    else:
        fallback = f"{esc(rotation.name)} ({esc(rotation.code)}): nobody is on duty now"
    if custom:
        fallback = custom  # the rotation's own words, in notifications too
    return {"text": fallback, "blocks": blocks}


def who_did_it(body: Announcement) -> str | None:
    """'Rotated by @ada': the person behind a duty change, when a person made it; and a burst told
    as one says so ('Rotated twice by @ada: @alan was skipped')."""
    actor, reason = body.actor, body.reason
    changes = body.changes
    between = body.between
    skipped = f": {people(between)} {'was' if len(between) == 1 else 'were'} skipped" if between else ""
    times = "" if changes == 1 else (" twice" if changes == 2 else f" {changes} times")
    if not actor:
        return f"Changed{times}{skipped}" if changes > 1 and between else None
    if reason == "left":
        return f"{mention(actor)} left the rotation{skipped}"
    verb = {"rotated": "Rotated", "set": "Set", "handed_over": "Handed over"}.get(reason or "")
    return f"{verb}{times} by {mention(actor)}{skipped}" if verb else None


def authorship(rotation: Rotation, surface: str) -> str:
    """Whose words a custom template is: the bot says them, a person wrote them."""
    author = rotation.template_authors.get(surface)
    who = mention(author) if author else "someone who may edit it"
    return f"Message set by {who} for *{esc(rotation.name)}*"


def group_mention(rotation: Rotation) -> str:
    """The on-duty group as Slack renders it (a real group mention), or its handle in words."""
    if rotation.usergroup_id:
        return mention(rotation.usergroup_id, handle=rotation.usergroup_handle)
    return f"@{esc(rotation.usergroup_handle or '')}"


def _names(names: Mapping[str, Name], ids: Iterable[str]) -> str:
    return ", ".join(known.name if (known := names.get(u)) and known.name else "someone" for u in ids)


def _handles(names: Mapping[str, Name], ids: Iterable[str]) -> str:
    return ", ".join(
        "@" + (known.handle if (known := names.get(u)) and known.handle else "someone") for u in ids
    )


def until_words(rotation: Rotation, until: float | None) -> str | None:
    """'Fri 28 Nov 09:00 (Europe/London)': plain words, in the rotation's own time zone."""
    if not until:
        return None
    zone = rotation.schedule.tz if rotation.schedule.timed else "UTC"
    local = datetime.fromtimestamp(until, ZoneInfo(zone))
    return f"{local:%a %d %b %H:%M} ({zone})"


def utc_words(until: float | None) -> str | None:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(until)) if until else None


def token_values(
    rotation: Rotation, body: Announcement | TopicState, names: Mapping[str, Name]
) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """What each template token stands for, in mrkdwn (mentions) and as plain text (_TEXTONLY); and
    the plain words alone (for topics)."""
    on_duty, next_up, until = body.on_duty, body.next_up, body.until
    group_text = f"@{rotation.usergroup_handle}" if rotation.usergroup_handle else None
    values = {
        "NAME": esc(rotation.name),
        "DESCRIPTION": esc(rotation.description) or None,
        "USER": people(on_duty) or None,
        "USERHANDLE": esc(_handles(names, on_duty)) if on_duty else None,
        "NEXT_USER": people(next_up) or None,
        "UNTIL": slack_date(until) if until else None,
        "UNTIL_UTC": utc_words(until),
        "DUTYHANDLE": group_mention(rotation) if rotation.usergroup_id else None,
    }
    plain = {
        "NAME": rotation.name,
        "DESCRIPTION": rotation.description or None,
        "USER": _names(names, on_duty) if on_duty else None,
        "USERHANDLE": _handles(names, on_duty) if on_duty else None,
        "NEXT_USER": _names(names, next_up) if next_up else None,
        "UNTIL": until_words(rotation, until),
        "UNTIL_UTC": utc_words(until),
        "DUTYHANDLE": group_text,
    }
    values |= {f"{k}{templates.TEXT_ONLY}": esc(v) if v else None for k, v in plain.items()}
    return values, plain


def fill(
    rotation: Rotation, surface: str, body: Announcement | TopicState, names: Mapping[str, Name]
) -> str | None:
    """The rotation's own template for `surface`, filled in (mrkdwn); None when it has none, or when
    nothing of it is left once the tokens without a value are left out (the usual words go then)."""
    template = (rotation.templates or {}).get(surface)
    if not template:
        return None
    values, _ = token_values(rotation, body, names)
    return templates.render(template, values, escape=esc) or None


def reverted_message(
    rotation: Rotation, body: Notice | None = None, sending: Sending | None = None
) -> dict[str, Any]:
    text = (
        f"*{esc(rotation.name)}* (`{esc(rotation.code)}`) no longer follows PagerDuty: PagerDuty was "
        "disconnected. It is a Manual rotation now, with the same members and the same person on duty."
    )
    fallback = f"{esc(rotation.name)} ({esc(rotation.code)}) no longer follows PagerDuty: it is a Manual rotation now"
    return {"text": fallback, "blocks": [section(text)]}


FORMATS: dict[str, Format[Any]] = {
    "duty": Format(Announcement.from_json, duty_message),
    "reverted": Format(Notice.from_json, reverted_message),
}
