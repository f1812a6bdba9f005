"""Message templates: the words a rotation uses for its announcements, DMs and channel topic.

A template is the person's own text with tokens in it (`%USER% is on duty for %NAME%`). What each
token becomes is decided by the caller (a mention in a message, plain text in a topic). A token with
no value is left out together with the words that introduce it ("until %UNTIL%", "Desc:
%DESCRIPTION%", "Next: %NEXT_USER%"), so nobody reads "Desc: N/A"; an unknown token is refused when
the template is saved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

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

# What may introduce a token, left out with it when it has no value: a short label ending in a colon,
# or one of these words.
_INTRO = re.compile(
    r"(?:(?:^|(?<=[\n·|;.!?(]))[ \t]*(?:[^\s:·|.!?;()]+[ \t]+){0,2}[^\s:·|.!?;()]+:"
    r"|\b(?:until|till|from|for|by|next|with|ask|in|at|via|on|and|or)|&amp;|&)[ \t]*$",
    re.IGNORECASE,
)
# Never ";": an escaped "&gt;" ends with one.
_REPEATED = re.compile(r"([·|,])(?:[ \t]*\1)+")
_EMPTY_BRACKETS = re.compile(r"[ \t]*(?:\(\s*\)|\[\s*\])")
_SPACES = re.compile(r"[ \t]{2,}")
_BEFORE_PUNCTUATION = re.compile(r"[ \t]+([.,;:!?)])")
_EMPTY_CLAUSE = re.compile(r"(^|\n)[ \t]*(?:[·|,:.\-–—][ \t]*)+(?=\n|$)")
_DANGLING = re.compile(r"[ \t]*(?:[·|,:\-–—][ \t]*)+(?=[.!?]?(?:\n|$))")

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


def render(template: str, values: Mapping[str, str | None], escape: Callable[[str], str] = str) -> str:
    """The template with every token replaced by its value. A sentence whose tokens all have no
    value is left out; in one that keeps a value, an empty token goes with the words that introduce
    it (see the module docstring). The text around the tokens goes through `escape` (so what a person
    typed can never form mrkdwn controls). "" when nothing is left."""
    kept: list[str] = []
    pieces = _CLAUSE.split(template)
    for clause, separator in zip(pieces[::2], [*pieces[1::2], ""], strict=True):
        tokens = [t for t in _TOKEN.findall(clause) if known(t)]
        if tokens and not any(values.get(t) for t in tokens):
            continue  # "Next: %NEXT_USER%" with nobody next: the whole sentence goes
        kept.append(_render_clause(clause, values, escape) + escape(separator))
    return _tidy("".join(kept))


_CLAUSE = re.compile(r"(\n|(?<=[.!?])[ \t]+|[ \t]+[·|][ \t]+)")


def _render_clause(clause: str, values: Mapping[str, str | None], escape: Callable[[str], str]) -> str:
    parts: list[str] = []
    last = 0
    for found in _TOKEN.finditer(clause):
        parts.append(escape(clause[last : found.start()]))
        token = found[1]
        if not known(token):
            parts.append(escape(found[0]))
        elif value := values.get(token):
            parts.append(value)
        else:
            parts[-1] = _INTRO.sub("", parts[-1])
        last = found.end()
    parts.append(escape(clause[last:]))
    return "".join(parts)


def _tidy(text: str) -> str:
    """What leaving tokens out leaves behind: doubled spaces, a space before a full stop, a line or
    a trailing separator with nothing left in it."""
    text = _EMPTY_BRACKETS.sub("", text)
    text = _REPEATED.sub(r"\1", text)
    text = _SPACES.sub(" ", text)
    text = _BEFORE_PUNCTUATION.sub(r"\1", text)
    text = _DANGLING.sub("", text)
    text = _EMPTY_CLAUSE.sub(r"\1", text)
    lines = [line.strip() for line in text.split("\n")]
    text = "\n".join(line for line in lines if line.strip(" .,;:·|-–—"))
    return text.strip()
