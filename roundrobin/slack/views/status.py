"""Slack status at hand-over, in words: the form's section, the question (Take it / Skip me) and the
answer that replaces it, the warning to someone PagerDuty has on call, the announcement's reason,
and the notes on a rotation's card. Pure: state in, Block Kit out.

The emoji shown are the rotation's own (checked to be emoji names between colons when saved) or a
status that matched one of them; everything else is escaped or a mention.
"""

from __future__ import annotations

from typing import Any

from roundrobin.rotations.model import Rotation
from roundrobin.rotations.status import (
    ASK,
    ASK_MINUTES,
    IGNORE,
    SKIP,
    WARN,
    StatusDraft,
    counting,
    mode_for,
    parse_why,
    status_words,
)
from roundrobin.rotations.status_hand_over import STATUS_ASK, STATUS_WARN, Answer, StatusNote
from roundrobin.slack.ids import StatusIds
from roundrobin.slack.views.blocks import (
    Block,
    actions,
    button,
    context,
    esc,
    input_block,
    mention,
    option,
    radio_buttons,
    section,
    slack_date,
    static_select,
    text_input,
)
from roundrobin.slack.views.sending import Format, Sending
from roundrobin.store.status import Question

STOP_DMS = "To stop Round Robin's DMs to you: its App Home › *Settings* › *Stop my DMs*."
MANUAL_CHOICES = [
    option("Skip them", SKIP, "The next person in turn takes over; the channels are told why"),
    option("Ask them first", ASK, "A DM with Take it / Skip me; no answer in time: skipped"),
    option("Ignore the status", IGNORE),
]
BOUND_CHOICES = [
    option("Warn on the card and DM them", WARN, "PagerDuty decides who is on call: never skipped"),
    option("Ignore the status", IGNORE),
]
MINUTES = [option(f"{n} minutes", str(n)) for n in ASK_MINUTES]


def _name(rotation: Rotation) -> str:
    return f"*{esc(rotation.name)}* (`{esc(rotation.code)}`)"


def _people(user_ids) -> str:
    return ", ".join(mention(u) for u in user_ids)


def _on_duty(rotation: Rotation | None) -> str:
    if rotation is None or not rotation.on_duty:
        return "Nobody is on duty now."
    verb = "are" if len(rotation.on_duty) > 1 else "is"
    return f"{_people(rotation.on_duty)} {verb} on duty now."


# --- the form ------------------------------------------------------------------------------------


def status_fields(draft: StatusDraft, bound: bool) -> list[Block]:
    """The rotation form's Slack status section: what to do, which emoji, how long to wait."""
    choices = BOUND_CHOICES if bound else MANUAL_CHOICES
    shown = draft.mode
    if shown not in [c["value"] for c in choices]:  # the source changed: skip and ask become warn
        shown = WARN if bound else (SKIP if shown == WARN else IGNORE)
    blocks = [
        input_block(
            StatusIds.MODE,
            "When someone about to go on duty has an away status in Slack",
            radio_buttons(StatusIds.MODE, choices, shown),
            hint="Read at the hand-over: a status that has expired does not count.",
        ),
        input_block(
            StatusIds.EMOJI,
            "Status emoji that mean away",
            text_input(
                StatusIds.EMOJI, draft.emoji, ":palm_tree: :face_with_thermometer: :airplane:", max_length=500
            ),
            hint="Emoji names between colons, as Slack writes them, separated by spaces.",
            optional=True,
        ),
    ]
    if not bound:
        blocks.append(
            input_block(
                StatusIds.MINUTES,
                "When asked, wait for an answer",
                static_select(StatusIds.MINUTES, MINUTES, str(draft.ask_minutes)),
                hint="The people on duty stay on meanwhile; with no answer, the person is skipped.",
            )
        )
    return blocks


# --- the question, and the answer that replaces it ----------------------------------------------------


def ask_message(rotation: Rotation, note: StatusNote, sending: Sending) -> dict[str, Any] | None:
    """The DM asking someone about to go on duty whether they take it (sent even to people who
    stopped Round Robin's DMs: without an answer they are passed over)."""
    asked = note.question
    if asked is None:
        return None
    emoji, question_id = asked.emoji, asked.id
    text = (
        f"{esc(emoji)} You are next on duty for {_name(rotation)}, and your Slack status says "
        f"{esc(emoji)}. Will you take it?"
    )
    started = _started_by(asked)
    deadline = slack_date(asked.expires_at, "{time}")
    notes = [
        f"If you do not answer by {deadline}, Round Robin passes you over and the next person in turn "
        f"takes over.{started}"
    ]
    return {
        "text": f"You are next on duty for {esc(rotation.name)} ({esc(rotation.code)}): will you take it?",
        "blocks": [
            section(text),
            actions(
                button("Take it", StatusIds.TAKE, value=str(question_id), style="primary"),
                button("Skip me", StatusIds.SKIP, value=str(question_id)),
            ),
            context(*notes),
        ],
    }


def _started_by(asked: Question) -> str:
    actor = asked.actor
    if asked.reason == "handoff" or not actor:
        return " (A scheduled hand-over.)"
    verb = "pressed I'm done" if asked.reason == "handed_over" else "rotated it"
    return f" ({mention(actor)} {verb}.)"


def answer_message(answer: Answer) -> dict:
    """What replaces the question once it is answered (or a late click on it)."""
    rotation, asked = answer.rotation, answer.question
    name = _name(rotation) if rotation else "the rotation"
    now_on = _on_duty(rotation)
    if answer.outcome == "taken":
        text = f":white_check_mark: You took it: you are on duty for {name} now."
        if rotation and asked.person not in rotation.on_duty:
            text = f":white_check_mark: You took it. {now_on}"
    elif answer.outcome == "skipped":
        text = f":arrow_right: You skipped this turn of {name}. {now_on}"
    elif answer.outcome == "late":
        if rotation and asked.person in rotation.on_duty:
            text = f":hourglass: Your {asked.minutes} minutes were up and the hand-over went ahead: you are on duty for {name} now."
        else:
            text = (
                f":hourglass: You did not answer within {asked.minutes} minutes, so {name} passed you "
                f"by. {now_on}"
            )
    elif answer.outcome == "again":
        took = "took it" if asked.state == "taken" else "skipped it"
        text = f"You answered already: you {took}. {name}: {now_on}"
    else:
        text = f":information_source: No longer needed: who is on duty for {name} changed meanwhile. {now_on}"
    if answer.asked_next is not None:
        text += f" Round Robin is asking {mention(answer.asked_next.person)} next."
    return {"text": text.replace("*", "").replace("`", ""), "blocks": [section(text)]}


# --- PagerDuty-bound rotations: the warning ----------------------------------------------------------


def warn_message(rotation: Rotation, note: StatusNote, sending: Sending) -> dict[str, Any] | None:
    if sending.muted:
        return None
    emoji, start = esc(note.emoji), note.start
    when = "now" if start <= sending.now else f"from {slack_date(start)}"
    text = (
        f"{emoji} PagerDuty has you on call for {_name(rotation)} {when}, but your Slack status says "
        f"{emoji}. Round Robin does not change who is on call in PagerDuty: if you are away, ask for an "
        "override there; if you are not, clear your status."
    )
    return {
        "text": f"PagerDuty has you on call for {esc(rotation.name)} {when}, but your Slack status says you are away",
        "blocks": [section(text), context(STOP_DMS)],
    }


def formats() -> dict[str, Format[Any]]:
    """How the outbox renders the status question and the warning."""
    return {
        STATUS_ASK: Format(StatusNote.from_json, ask_message),
        STATUS_WARN: Format(StatusNote.from_json, warn_message),
    }


# --- the announcement, and the card -------------------------------------------------------------------


def passed_words(person: str, reason: str, on_duty: list[str]) -> str | None:
    """ "@alan's Slack status says :palm_tree:; @grace takes over." for someone passed over for their
    status; None for any other reason."""
    parsed = parse_why(reason)
    if parsed is None:
        return None
    words = status_words(reason) or ""
    said = words.removeprefix("their Slack status says ")
    takes = (
        f"; {_people(on_duty)} {'take' if len(on_duty) > 1 else 'takes'} over"
        if on_duty
        else "; nobody else is free"
    )
    return f"{mention(person)}'s Slack status says {esc(said)}{takes}."


def card_notes(rotation: Rotation, now: float, asked: Question | None = None) -> tuple[str, ...]:
    """What a rotation's card says about Slack statuses: a hand-over waiting on an answer; who is
    next and will be skipped or asked; who PagerDuty has on call while their status says away."""
    mode = mode_for(rotation.status_signal, rotation.bound)
    if mode == IGNORE:
        return ()
    notes: list[str] = []
    if asked is not None:
        notes.append(
            f":hourglass_flowing_sand: Waiting for {mention(asked.person)} to say whether they take over "
            f"(Slack status {esc(asked.emoji)}), until {slack_date(asked.expires_at, '{time}')}"
        )
    if mode == WARN:
        for person in rotation.on_duty:
            if emoji := counting(rotation.status_signal.emoji, rotation.statuses.get(person), now):
                notes.append(
                    f"{esc(emoji)} PagerDuty has {mention(person)} on call now, but their Slack status says {esc(emoji)}"
                )
        start = rotation.next_change_at or 0.0  # no change planned: nobody is next
        for person in rotation.pd_next_up if start else ():
            status = rotation.statuses.get(person)
            if person not in rotation.on_duty and (
                emoji := counting(rotation.status_signal.emoji, status, max(now, start))
            ):
                notes.append(
                    f"{esc(emoji)} PagerDuty has {mention(person)} on call from {slack_date(start)}, but their "
                    f"Slack status says {esc(emoji)}"
                )
    elif asked is None and rotation.next_up:
        person = rotation.next_up
        if emoji := counting(rotation.status_signal.emoji, rotation.statuses.get(person), now):
            then = "they will be asked first" if mode == ASK else "the next hand-over passes them over"
            notes.append(f"{esc(emoji)} {mention(person)}'s Slack status says {esc(emoji)}: {then}")
    return tuple(notes)
