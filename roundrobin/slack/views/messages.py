"""Channel messages: who is on duty now, and rotation notices.

Messages are rendered when they are sent, from the rotation as it is then and the duty change as
it was decided. Everything a person typed is escaped, in the blocks and in the `text` that Slack
shows in notifications; people are named only through `mention`.
"""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

from roundrobin.rotations import templates
from roundrobin.rotations.model import Rotation, why_not
from roundrobin.slack.views.blocks import context, esc, mention, section, slack_date
from roundrobin.slack.views.status import passed_words


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


def not_in_slack(unmatched: list[dict] | tuple[dict, ...], until: str = "") -> str:
    """People PagerDuty has on call whom Slack cannot have on duty, and why: 'Priya Patel
    (priya@corp.example), not linked to Slack; Alan Turing — their Slack account is deactivated'."""
    unlinked = [p for p in unmatched if not p.get("why")]
    parts = [f"{unmatched_words(unlinked)}{until}, not linked to Slack"] if unlinked else []
    for person in unmatched:
        if person.get("why"):
            name = unmatched_words([{"name": person.get("name") or person.get("email")}])
            parts.append(f"{name}{'' if parts else until} — {why_not(person['why'])}")
    return "; ".join(parts)


def passed_by_words(body: dict) -> list[str]:
    """Who left duty at once or was skipped in turn because they cannot be on duty, and why."""
    words = [f"{mention(u)} left duty at once: {why_not(why)}." for u, why in body.get("left") or []]
    words += [
        passed_words(u, why, body.get("on_duty") or []) or f"Skipped {mention(u)}: {why_not(why)}."
        for u, why in body.get("skipped") or []
    ]
    return words


def duty_message(rotation: Rotation, body: dict) -> dict:
    title = f"*{esc(rotation.name)}* (`{esc(rotation.code)}`)"
    on_duty = body.get("on_duty") or []
    unmatched = body.get("unmatched") or []
    unlinked = any(not p.get("why") for p in unmatched)
    if on_duty:
        verb = "are" if len(on_duty) > 1 else "is"
        line = f"{people(on_duty)} {verb} on duty now"
        if body.get("until"):
            line += f", until {slack_date(body['until'])}"
        line += "."
    elif unmatched:
        hint = " An admin can link them in the rotation's Details." if unlinked else ""
        line = f"On call in PagerDuty: {not_in_slack(unmatched)}.{hint}"
    else:
        line = "Nobody is on duty now."
    custom = fill(rotation, "announcement", body)
    passed_by = passed_by_words(body)
    if passed_by and not custom:
        line += " " + " ".join(passed_by)
    details = [] if not custom else [w.rstrip(".") for w in passed_by]
    if on_duty and unmatched:
        details.append(f"Also on call in PagerDuty: {not_in_slack(unmatched)}")
    if body.get("next_up"):
        details.append(f"Next: {people(body['next_up'])}")
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
    blocks = [section(custom if custom else f"{title}: {line}")]
    if details:
        blocks.append(context(" · ".join(details)))
    if on_duty:
        fallback = f"{esc(rotation.name)} ({esc(rotation.code)}): {people(on_duty)} on duty now"
    elif unmatched:
        where = "not linked to Slack" if unlinked else "not reachable in Slack"
        fallback = f"{esc(rotation.name)} ({esc(rotation.code)}): on call in PagerDuty, {where}"
    else:
        fallback = f"{esc(rotation.name)} ({esc(rotation.code)}): nobody is on duty now"
    if custom:
        fallback = custom  # the rotation's own words, in notifications too
    return {"text": fallback, "blocks": blocks}


def who_did_it(body: dict) -> str | None:
    """'Rotated by @ada': the person behind a duty change, when a person made it; and a burst told
    as one says so ('Rotated twice by @ada: @alan was skipped')."""
    actor, reason = body.get("actor"), body.get("reason")
    changes = int(body.get("changes") or 1)
    between = body.get("between") or []
    skipped = f": {people(between)} {'was' if len(between) == 1 else 'were'} skipped" if between else ""
    times = "" if changes == 1 else (" twice" if changes == 2 else f" {changes} times")
    if not actor:
        return f"Changed{times}{skipped}" if changes > 1 and between else None
    if reason == "left":
        return f"{mention(actor)} left the rotation{skipped}"
    verb = {"rotated": "Rotated", "set": "Set", "handed_over": "Handed over"}.get(reason)
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


def _names(body: dict, ids) -> str:
    names = body.get("names") or {}
    return ", ".join((names.get(u) or {}).get("name") or "someone" for u in ids)


def _handles(body: dict, ids) -> str:
    names = body.get("names") or {}
    return ", ".join("@" + ((names.get(u) or {}).get("handle") or "someone") for u in ids)


def until_words(rotation: Rotation, until: float | None) -> str | None:
    """'Fri 28 Nov 09:00 (Europe/London)': plain words, in the rotation's own time zone."""
    if not until:
        return None
    zone = rotation.schedule.tz if rotation.schedule.timed else "UTC"
    local = datetime.fromtimestamp(until, ZoneInfo(zone))
    return f"{local:%a %d %b %H:%M} ({zone})"


def utc_words(until: float | None) -> str | None:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(until)) if until else None


def token_values(rotation: Rotation, body: dict) -> dict[str, str | None]:
    """What each template token stands for, in mrkdwn (mentions) and as plain text (_TEXTONLY)."""
    on_duty = body.get("on_duty") or []
    next_up = body.get("next_up") or []
    until = body.get("until")
    group_text = f"@{rotation.usergroup_handle}" if rotation.usergroup_handle else None
    values = {
        "NAME": esc(rotation.name),
        "DESCRIPTION": esc(rotation.description) or None,
        "USER": people(on_duty) or None,
        "USERHANDLE": esc(_handles(body, on_duty)) if on_duty else None,
        "NEXT_USER": people(next_up) or None,
        "UNTIL": slack_date(until) if until else None,
        "UNTIL_UTC": utc_words(until),
        "DUTYHANDLE": group_mention(rotation) if rotation.usergroup_id else None,
    }
    plain = {
        "NAME": rotation.name,
        "DESCRIPTION": rotation.description or None,
        "USER": _names(body, on_duty) if on_duty else None,
        "USERHANDLE": _handles(body, on_duty) if on_duty else None,
        "NEXT_USER": _names(body, next_up) if next_up else None,
        "UNTIL": until_words(rotation, until),
        "UNTIL_UTC": utc_words(until),
        "DUTYHANDLE": group_text,
    }
    values |= {f"{k}{templates.TEXT_ONLY}": esc(v) if v else None for k, v in plain.items()}
    values["_plain"] = plain  # for topics
    return values


def fill(rotation: Rotation, surface: str, body: dict) -> str | None:
    """The rotation's own template for `surface`, filled in (mrkdwn); None when it has none, or when
    nothing of it is left once the tokens without a value are left out (the usual words go then)."""
    template = (rotation.templates or {}).get(surface)
    if not template:
        return None
    values = token_values(rotation, body)
    values.pop("_plain")
    return templates.render(template, values, escape=esc) or None


def reverted_message(rotation: Rotation, body: dict | None = None) -> dict:
    text = (
        f"*{esc(rotation.name)}* (`{esc(rotation.code)}`) no longer follows PagerDuty: PagerDuty was "
        "disconnected. It is a Manual rotation now, with the same members and the same person on duty."
    )
    fallback = f"{esc(rotation.name)} ({esc(rotation.code)}) no longer follows PagerDuty: it is a Manual rotation now"
    return {"text": fallback, "blocks": [section(text)]}


RENDERERS = {"duty": duty_message, "reverted": reverted_message}
