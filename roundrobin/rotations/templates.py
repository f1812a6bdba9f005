"""Message templates: the words a rotation uses for its announcements, DMs and channel topic.

A template is the person's own text with tokens in it (`%USER% is on duty for %NAME%`). What each
token becomes is decided by the caller (a mention in a message, plain text in a topic); a token with
no value becomes N/A, an unknown token is refused when the template is saved.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

SURFACES = ("announcement", "dm_on", "dm_off", "topic")
MAX_LENGTH = {"announcement": 1000, "dm_on": 1000, "dm_off": 1000, "topic": 250}

# token → what it stands for (shown in the form's hint)
TOKENS = {
    "NAME": "the rotation's name",
    "DESCRIPTION": "its description",
    "USER": "who is on duty now",
    "USERHANDLE": "their Slack handle, as @name",
    "NEXT_USER": "who is next",
    "UNTIL": "until when, in each reader's time zone",
    "UNTIL_UTC": "until when, in UTC",
    "DUTYHANDLE": "the on-duty user group",
}
TEXT_ONLY = "_TEXTONLY"  # %USER_TEXTONLY%: names as plain text, no mention (topics use these throughout)
NOT_AVAILABLE = "N/A"

_TOKEN = re.compile(r"%([A-Z_]+)%")


def known(token: str) -> bool:
    return token in TOKENS or (token.endswith(TEXT_ONLY) and token.removesuffix(TEXT_ONLY) in TOKENS)


def unknown_tokens(template: str) -> list[str]:
    """The %TOKENS% in a template that Round Robin does not know, in order of appearance."""
    return list(dict.fromkeys(f"%{t}%" for t in _TOKEN.findall(template) if not known(t)))


def problems(templates: Mapping[str, str]) -> dict[str, str]:
    """Surface → what is wrong with its template (unknown tokens, too long)."""
    errors = {}
    for surface, template in templates.items():
        if surface not in SURFACES:
            errors[surface] = "Round Robin has no message by that name."
        elif bad := unknown_tokens(template):
            errors[surface] = (
                f"Round Robin does not know {', '.join(bad)}. Use "
                + ", ".join(f"%{t}%" for t in TOKENS)
                + f" (or a {TEXT_ONLY} variant, like %USER{TEXT_ONLY}%)."
            )
        elif len(template) > MAX_LENGTH[surface]:
            errors[surface] = f"Keep it under {MAX_LENGTH[surface]} characters."
    return errors


def render(template: str, values: Mapping[str, str | None], escape=lambda text: text) -> str:
    """The template with every token replaced by its value (N/A when it has none); the text around
    the tokens goes through `escape` (so what a person typed can never form mrkdwn controls)."""
    parts = []
    last = 0
    for found in _TOKEN.finditer(template):
        parts.append(escape(template[last : found.start()]))
        token = found[1]
        if known(token):
            value = values.get(token)
            parts.append(value if value else NOT_AVAILABLE)
        else:
            parts.append(escape(found[0]))
        last = found.end()
    parts.append(escape(template[last:]))
    return "".join(parts)
