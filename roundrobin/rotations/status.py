"""Slack status as a signal: the rule.

A person's Slack status (an emoji, and when it expires) is a present-time signal, read only at the
moment of a hand-over (DESIGN: the timeline's availability layer). A rotation lists the emoji that
mean "away" (by default :palm_tree:, :face_with_thermometer: and :airplane:) and chooses what to do
when someone about to go on duty wears one:

- `skip`: pass them over, as for time away, and the announcement says why;
- `ask`: ask them first (Take it / Skip me), and pass them over if they do not answer in time;
- `ignore`: nothing (the default for rotations made before this existed).

PagerDuty decides who is on call for a bound rotation, so there it never skips: any mode but
`ignore` warns instead (the card, and a DM to the person).

Everything here is pure: who wears what comes from the cached Slack directory, with the rotation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

IGNORE, SKIP, ASK, WARN = "ignore", "skip", "ask", "warn"
MANUAL_MODES = (SKIP, ASK, IGNORE)
BOUND_MODES = (WARN, IGNORE)
DEFAULT_EMOJI = (":palm_tree:", ":face_with_thermometer:", ":airplane:")
NEW_MODE = SKIP  # what a rotation made from now on starts with (existing ones keep `ignore`)
ASK_MINUTES = (5, 10, 15, 30, 60)  # how long an asked person has to answer
DEFAULT_ASK_MINUTES = 10
MAX_EMOJI = 20
MAX_NAME = 60  # characters of one emoji name, between the colons
MAX_TEXT = 500  # what the form's field takes

# An emoji as Slack writes it: lower-case letters, digits, _ + - and ', between colons. A status may
# add a skin tone (":wave::skin-tone-3:"): only the first name counts.
_NAME = rf"[a-z0-9_+'-]{{1,{MAX_NAME}}}"
EMOJI = re.compile(rf":{_NAME}:")
_STATUS = re.compile(rf"(:{_NAME}:)(?::skin-tone-[2-6]:)?")

# Why someone was passed over, as the duty change carries it: "status :palm_tree:", and how an
# asked person answered: "status :palm_tree: skipped" (Skip me) or "… unanswered:10" (no answer).
WHY = "status"
SKIPPED, UNANSWERED = "skipped", "unanswered"


@dataclass(frozen=True)
class SlackStatus:
    """A person's status as the directory has it: the emoji (":palm_tree:") and when it expires
    (Unix seconds; 0: it does not)."""

    emoji: str
    expiration: float = 0.0


@dataclass(frozen=True)
class StatusSignal:
    """A rotation's choice: which emoji count, and what to do about them."""

    mode: str = IGNORE
    emoji: tuple[str, ...] = DEFAULT_EMOJI
    ask_minutes: int = DEFAULT_ASK_MINUTES

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "emoji": list(self.emoji), "ask_minutes": self.ask_minutes}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> StatusSignal:
        if not data:
            return cls()
        minutes = data.get("ask_minutes")
        return cls(
            mode if isinstance(mode := data.get("mode"), str) and mode in (*MANUAL_MODES, WARN) else IGNORE,
            tuple(e for e in data.get("emoji") or () if isinstance(e, str) and EMOJI.fullmatch(e)),
            minutes if minutes in ASK_MINUTES else DEFAULT_ASK_MINUTES,
        )


def mode_for(signal: StatusSignal, bound: bool) -> str:
    """What the rotation does now: a bound rotation only warns (PagerDuty decides who is on call);
    a manual one skips, asks or ignores."""
    if bound:
        return IGNORE if signal.mode == IGNORE or not signal.emoji else WARN
    return signal.mode if signal.mode in (SKIP, ASK) and signal.emoji else IGNORE


def shown_mode(signal: StatusSignal, bound: bool) -> str:
    """The choice a form shows for this source (a manual rotation's skip is a bound one's warn)."""
    if bound:
        return IGNORE if signal.mode == IGNORE else WARN
    return signal.mode if signal.mode in MANUAL_MODES else IGNORE


def base_emoji(status_emoji: str | None) -> str | None:
    """The emoji a status shows, without its skin tone; None when it is not a well-formed one."""
    if not isinstance(status_emoji, str) or len(status_emoji) > 2 * MAX_NAME + 20:
        return None
    found = _STATUS.fullmatch(status_emoji.strip().lower())
    return found.group(1) if found else None


def counting(emoji: tuple[str, ...], status: SlackStatus | None, at: float) -> str | None:
    """The emoji of this person's status when it is one of `emoji` and has not expired by `at`."""
    if status is None or (status.expiration and status.expiration <= at):
        return None
    shown = base_emoji(status.emoji)
    return shown if shown in emoji else None


# --- why someone was passed over ---------------------------------------------------------------


def why(emoji: str, how: str = "") -> str:
    """The reason a duty change carries for someone passed over for their status."""
    return f"{WHY} {emoji}" + (f" {how}" if how else "")


def parse_why(reason: str) -> tuple[str, str] | None:
    """(emoji, how) from `why`'s words; None when the reason is not about a status."""
    parts = reason.split(" ")
    if len(parts) not in (2, 3) or parts[0] != WHY or not EMOJI.fullmatch(parts[1]):
        return None
    if len(parts) == 3 and parts[2] != SKIPPED and not re.fullmatch(rf"{UNANSWERED}:[0-9]{{1,3}}", parts[2]):
        return None
    return parts[1], parts[2] if len(parts) == 3 else ""


def status_words(reason: str) -> str | None:
    """Why someone was passed over for their status, in words ("their Slack status says
    :palm_tree:"); None when the reason is not about a status."""
    parsed = parse_why(reason)
    if parsed is None:
        return None
    emoji, how = parsed
    words = f"their Slack status says {emoji}"
    if how == SKIPPED:
        return f"{words} and they chose to skip"
    if how.startswith(UNANSWERED):
        minutes = how.partition(":")[2]
        return f"{words} and they did not answer within {minutes} minutes" if minutes.isdigit() else words
    return words


# --- the form ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusDraft:
    """What a person typed in the form's Slack status section."""

    mode: str = NEW_MODE
    emoji: str = " ".join(DEFAULT_EMOJI)  # as typed: names between colons, spaces or commas apart
    ask_minutes: int = DEFAULT_ASK_MINUTES

    @classmethod
    def of(cls, signal: StatusSignal, bound: bool = False) -> StatusDraft:
        return cls(shown_mode(signal, bound), " ".join(signal.emoji), signal.ask_minutes)


@dataclass(frozen=True)
class Parsed:
    emoji: tuple[str, ...] = ()
    problems: dict[str, str] = field(default_factory=dict)


def parse(draft: StatusDraft, bound: bool) -> Parsed:
    """The draft as a signal's parts, with every problem by field ("status_mode", "status_emoji")."""
    problems: dict[str, str] = {}
    if draft.mode not in (BOUND_MODES if bound else MANUAL_MODES):
        problems["status_mode"] = "Choose what Round Robin does about a Slack status."
    if draft.ask_minutes not in ASK_MINUTES:
        problems["status_mode"] = "Choose how long someone has to answer: 5, 10, 15, 30 or 60 minutes."
    text = draft.emoji or ""
    if len(text) > MAX_TEXT:
        problems["status_emoji"] = f"Keep the list under {MAX_TEXT} characters."
        return Parsed((), problems)
    words = [w for w in re.split(r"[\s,]+", text.strip().lower()) if w]
    wrong = [w for w in words if not EMOJI.fullmatch(w)]
    emoji = tuple(dict.fromkeys(w for w in words if EMOJI.fullmatch(w)))
    if wrong:
        shown = " ".join(wrong[:3])[:80]
        problems["status_emoji"] = (
            f"Write each emoji as Slack names it, between colons, like :palm_tree: (not {shown})."
        )
    elif len(emoji) > MAX_EMOJI:
        problems["status_emoji"] = f"List up to {MAX_EMOJI} emoji."
    elif not emoji and draft.mode != IGNORE:
        problems["status_emoji"] = (
            "List at least one emoji, like :palm_tree:, or choose to ignore the status."
        )
    return Parsed(emoji, problems)


def signal_of(draft: StatusDraft, bound: bool) -> StatusSignal:
    """The signal a valid draft saves (`parse` first: this keeps only what is well-formed)."""
    parsed = parse(draft, bound)
    minutes = draft.ask_minutes if draft.ask_minutes in ASK_MINUTES else DEFAULT_ASK_MINUTES
    return StatusSignal(draft.mode, parsed.emoji, minutes)
