"""Hand-off notes in Slack: the "Anything to hand over?" DM, the short form, and the note as it
reaches whoever takes over and the hand-over's thread in the rotation's channels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from roundrobin.rotations import handoff
from roundrobin.rotations.handoff import Ask, Note, Summary
from roundrobin.rotations.model import Rotation, next_up_people
from roundrobin.slack.ids import HandoffIds
from roundrobin.slack.views.blocks import (
    actions,
    button,
    context,
    esc,
    input_block,
    mention,
    modal,
    section,
    slack_date,
    text_input,
)
from roundrobin.slack.views.metadata import MAX_ID, number, parse_id, stored
from roundrobin.slack.views.sending import Format, Sending

OUTCOME = {
    "answered": "answered",
    "passed": "passed on, still open",
    "expired": "expired",
    "open": "still open",
}
MAX_TS = 2**40  # a hand-over time beyond this is not a Unix time in seconds


@dataclass(frozen=True)
class HandoffMeta:
    """The note form: which rotation's hand-over, at what time."""

    rotation_id: int | None
    hand_over: int | None

    def to_json(self) -> dict[str, Any]:
        return {"rotation_id": self.rotation_id, "hand_over": self.hand_over}

    @classmethod
    def read(cls, view: object) -> HandoffMeta:
        data = stored(view)
        return cls(parse_id(data.get("rotation_id")), number(data.get("hand_over"), 1, MAX_TS))


def button_value(rotation_id: int, hand_over: float) -> str:
    return f"{rotation_id}:{int(hand_over)}"


def parse_button_value(value: object) -> tuple[int, int] | None:
    """`<rotation id>:<hand-over>` from the DM's button, parsed strictly."""
    parts = value.split(":") if isinstance(value, str) and len(value) <= 60 else []
    if len(parts) != 2:
        return None
    rotation_id, hand_over = number(parts[0], 1, MAX_ID), number(parts[1], 1, MAX_TS)
    return (rotation_id, hand_over) if rotation_id and hand_over else None


def ask_message(rotation: Rotation, body: Ask, sending: Sending) -> dict[str, Any] | None:
    """ "Anything to hand over?", to whoever goes off duty, with the button that opens the form."""
    planned = handoff.planned_hand_over(rotation)
    if sending.muted or sending.now >= body.hand_over or planned is None or abs(planned - body.hand_over) > 1:
        return None  # muted, too late, or the hand-over moved since it was planned
    if sending.target not in handoff.outgoing(rotation):
        return None
    incoming = ", ".join(mention(u) for u in next_up_people(rotation)) or "whoever takes over"
    text = (
        f"*Anything to hand over?* You go off duty for *{esc(rotation.name)}* (`{esc(rotation.code)}`) "
        f"{slack_date(body.hand_over, '{time}')}. A short note goes to {incoming} and into the hand-over's "
        "thread in the rotation's channels, with the requests of your shift. Nothing written, nothing sent."
    )
    return {
        "text": f"Anything to hand over for {rotation.name}?",
        "blocks": [
            section(text),
            actions(
                button(
                    "Write a hand-off note",
                    HandoffIds.WRITE,
                    value=button_value(rotation.id, body.hand_over),
                    style="primary",
                ),
                block_id=f"handoff:{rotation.id}",
            ),
        ],
    }


def note_modal(rotation: Rotation, hand_over: float, incoming: tuple[str, ...], summary: Summary) -> dict:
    who = ", ".join(mention(u) for u in incoming) or "whoever takes over"
    blocks = [
        section(
            f"For {who}, at the hand-over of *{esc(rotation.name)}* {slack_date(hand_over)}. "
            "It goes to them and into the hand-over's thread in the rotation's channels."
        ),
        input_block(
            HandoffIds.NOTE,
            "Anything to hand over?",
            text_input(
                HandoffIds.NOTE,
                placeholder="The deploy is half done; the queue alert is noisy but harmless.",
                multiline=True,
                max_length=handoff.NOTE_LIMIT,
            ),
        ),
        context(_summary_words(summary)),
    ]
    return modal(
        "Hand-off note",
        blocks,
        HandoffIds.VIEW,
        submit="Send",
        private_metadata=HandoffMeta(rotation.id, int(hand_over)),
    )


def sent_modal(incoming: tuple[str, ...], hand_over: float, now: float) -> dict:
    who = ", ".join(mention(u) for u in incoming) or "whoever takes over"
    when = "now" if now >= hand_over else f"at the hand-over, {slack_date(hand_over, '{time}')}"
    return modal(
        "Hand-off note", [section(f":white_check_mark: Your note goes to {who} {when}.")], close="Done"
    )


def note_message(rotation: Rotation, body: Note, sending: Sending) -> dict[str, Any] | None:
    """The note: in a DM to whoever takes over, or in the thread of a channel's hand-over message."""
    quoted = "\n".join(f">{line}" for line in esc(body.text).splitlines() or [""])
    if sending.target.startswith("U"):
        head = f"{mention(body.author)} left you a hand-off note for *{esc(rotation.name)}* (`{esc(rotation.code)}`):"
    else:
        to = ", ".join(mention(u) for u in body.incoming) or "whoever takes over"
        head = f"Hand-off note from {mention(body.author)} to {to}:"
    payload: dict[str, Any] = {
        "text": f"Hand-off note for {rotation.name}",
        "blocks": [section(f"{head}\n{quoted}"), context(_summary_words(body.summary, detailed=True))],
    }
    if sending.thread_ts:
        payload["thread_ts"] = sending.thread_ts
    return payload


def _summary_words(s: Summary, detailed: bool = False) -> str:
    if not s.total:
        return "No @Round Robin requests this shift."
    counts = [f"{s.answered} answered"]
    if s.passed:
        counts.append(f"{s.passed} passed on")
    counts.append(f"{s.expired} expired")
    if s.open:
        counts.append(f"{s.open} still open")
    words = f"@Round Robin requests this shift: {', '.join(counts)}."
    if detailed:
        for line in s.lines:
            by = f" by {mention(line.by)}" if line.by and line.outcome == "answered" else ""
            words += f"\n• {mention(line.requester)}: “{esc(line.text[:80])}” ({OUTCOME.get(line.outcome, 'open')}{by})"
        if s.total > len(s.lines):
            words += f"\n…and {s.total - len(s.lines)} more."
    return words


def note_thread(body: Note) -> float:
    """A channel's note joins the thread of the first hand-over message posted from this moment."""
    return body.hand_over - 60


def formats() -> dict[str, Format[Any]]:
    """How the outbox renders the ask and the note."""
    return {
        handoff.ASK: Format(Ask.from_json, ask_message),
        handoff.NOTE: Format(Note.from_json, note_message, thread=note_thread),
    }
