"""Covers, swaps, skips and time away in Slack: the upcoming shifts in Details, the modals that ask
for cover, offer a swap or set time away, and the messages that offer and settle them.

Builders are pure. Plain text (menu options) cannot carry Slack's date tokens, so a time there is
written in the rotation's own zone and says which; everywhere else a time is a date token each reader
sees in their own zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from roundrobin.rotations.load import least_loaded
from roundrobin.rotations.model import Rotation
from roundrobin.rotations.schedule import zone
from roundrobin.rotations.shifts import (
    COVER_OFFER,
    COVER_POST,
    OFFER_CLOSED,
    SHIFT_NEWS,
    SWAP_OFFER,
    ShiftNote,
)
from roundrobin.rotations.timeline import AWAY, CLOSED, COVER, FOREVER, HOLIDAY, SWAP, Away, Shift
from roundrobin.slack.ids import Shifts
from roundrobin.slack.views.blocks import (
    Block,
    actions,
    button,
    context,
    esc,
    input_block,
    mention,
    modal,
    option,
    section,
    slack_date,
    static_select,
    text_input,
)
from roundrobin.slack.views.messages import people
from roundrobin.slack.views.metadata import CoverMeta, SwapMeta
from roundrobin.slack.views.sending import Format, Sending
from roundrobin.store.shift_requests import CANCELLED, DECLINED, EXPIRED, OPEN, TAKEN, ShiftRequest

UPCOMING = 8  # shifts shown in Details (two blocks each at most)
SWAP_CHOICES = 100  # Slack's limit of options in one menu
NOTE_LIMIT = 300


# --- words -------------------------------------------------------------------------------------------


def span(start: float, end: float) -> str:
    """'Tue 8 Dec at 9:00 AM – Wed 9 Dec at 9:00 AM', each end in the reader's own zone."""
    if end == FOREVER:
        return f"from {slack_date(start)}"
    return f"{slack_date(start)} – {slack_date(end)}"


def wall(ts: float, rotation: Rotation) -> str:
    """A time in the rotation's own zone, for plain text: 'Tue 8 Dec 09:00'."""
    moment = datetime.fromtimestamp(ts, zone(rotation.schedule.tz))
    return f"{moment:%a} {moment.day} {moment:%b %H:%M}"


def shift_why(shift: Shift) -> str:
    """Why a shift has these people, when it is not simply their turn."""
    out = [p for p in shift.turn if p not in shift.people]
    if shift.why in (COVER, SWAP) and out:
        verb = "swapped with" if shift.why == SWAP else "covering"
        return f"{verb} {people(out)}"
    if shift.why == AWAY and out:
        return f"{people(out)} {'is' if len(out) == 1 else 'are'} away"
    if shift.why == CLOSED:
        return "outside working hours"
    if shift.why == HOLIDAY:
        return "public holiday: nobody on duty"
    passed = [p for p, _ in shift.passed_over]
    if passed:
        return f"{people(passed)} skipped"
    return ""


def shift_line(shift: Shift, by_hand: bool = False) -> str:
    """A shift in one line; `by_hand`: a rotation with no schedule, whose open-ended shift lasts
    until someone hands over."""
    who = people(shift.people) if shift.people else "nobody"
    why = shift_why(shift)
    until = ", until someone hands over" if by_hand and shift.end == FOREVER else ""
    return f"{span(shift.start, shift.end)}{until} · {who}" + (f" _({why})_" if why else "")


# --- Details: upcoming shifts --------------------------------------------------------------------------


@dataclass(frozen=True)
class Upcoming:
    rotation: Rotation
    shifts: tuple[Shift, ...]
    viewer: str
    can_edit: bool
    now: float
    names: dict[str, str] = field(default_factory=dict)
    requests: tuple[ShiftRequest, ...] = ()  # open cover and swap requests of the rotation
    horizon: float = FOREVER  # how far the shifts were read: one reaching it goes on past it


def upcoming_blocks(u: Upcoming) -> list[Block]:
    """The next shifts of a manual rotation, each with what the reader may do about it."""
    if not u.shifts:
        return [section("*Upcoming shifts*\nNobody is in turn: add members in Edit.")]
    blocks: list[Block] = [section("*Upcoming shifts*")]
    for shift in u.shifts[:UPCOMING]:
        shown = shift if shift.end < u.horizon else replace(shift, end=FOREVER)
        block = section(shift_line(shown, by_hand=not u.rotation.schedule.timed))
        choices = shift_choices(u, shift)
        if choices:
            block["accessory"] = {"type": "overflow", "action_id": Shifts.MENU, "options": choices}
        blocks.append(block)
    for request in u.requests[:5]:
        blocks.append(_open_request(u, request))
    return blocks


def shift_choices(u: Upcoming, shift: Shift) -> list[dict]:
    """At most five (Slack's overflow limit): value `<what>:<rotation>:<start>:<person>`."""
    r, start = u.rotation, int(shift.start)
    choices = []
    mine = u.viewer in shift.turn and shift.end > u.now
    if mine:
        choices.append(option("Ask for cover…", f"cover:{r.id}:{start}:{u.viewer}"))
        if shift.start > u.now:
            choices.append(option("Offer a swap…", f"swap:{r.id}:{start}:{u.viewer}"))
            choices.append(option("Skip my turn", f"skip:{r.id}:{start}:{u.viewer}"))
    if u.can_edit:
        for person in shift.turn[:1] if mine else shift.turn[:2]:
            name = u.names.get(person, "them")
            if person != u.viewer:
                choices.append(option(f"Cover {name}…", f"assign:{r.id}:{start}:{person}"))
            if shift.start > u.now and person != u.viewer:
                choices.append(option(f"Skip {name}", f"skip:{r.id}:{start}:{person}"))
    return choices[:5]


def _open_request(u: Upcoming, request: ShiftRequest) -> Block:
    if request.kind == "swap":
        words = (
            f":arrows_counterclockwise: {mention(request.requester)} offers {mention(request.target or '')} "
            f"a swap: {span(request.start, request.end)} for {span(request.target_start or 0, request.target_end or 0)}"
        )
    else:
        words = (
            f":raising_hand: {mention(request.requester)} asks for cover {span(request.start, request.end)}"
            f" (asked {len(request.offered_to)}; open until {slack_date(request.expires_at)})"
        )
    block = section(words)
    if request.requester == u.viewer:
        block["accessory"] = button("Take it back", Shifts.CANCEL, value=str(request.id))
    elif u.viewer in request.offered_to and request.kind == "cover":
        block["accessory"] = button("I'll cover", Shifts.TAKE, value=str(request.id), style="primary")
    return block


# --- the modals ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverForm:
    rotation: Rotation
    person: str  # who is covered
    start: float
    end: float
    can_assign: bool  # the reader may put someone on directly
    names: dict[str, str] = field(default_factory=dict)  # member -> name, for the menus
    asker: str = ""  # who opened the form
    hours: dict[str, float] = field(default_factory=dict)  # member -> hours on duty in the last 30 days


def cover_modal(f: CoverForm) -> dict:
    r = f.rotation
    others = [m for m in r.members if r.can_serve(m)]
    member_options = [option(f.names.get(m, m), m) for m in others][:100]
    # Who covers: the least loaded first, with their hours, so the fair choice is the first one.
    cover_options = [
        option(f.names.get(m, m), m, _load_words(f.hours.get(m, 0.0))) for m in least_loaded(others, f.hours)
    ][:100]
    if f.can_assign:
        intro = (
            f"Choose who needs cover on *{esc(r.name)}* and when. Choose who covers to put them on at "
            "once, or leave it empty to ask the other members: the first to say *I'll cover* takes it."
        )
    else:
        intro = (
            f"Ask the other members of *{esc(r.name)}* to cover you. They get a DM (and the rotation's "
            "channels a post) with *I'll cover*: the first to press it takes it, and the others are told."
        )
    blocks: list[Block] = [section(intro)]
    if f.can_assign:
        blocks.append(
            input_block(
                Shifts.WHO,
                "Who needs cover",
                static_select(Shifts.WHO, member_options, f.person, placeholder="Choose a member"),
            )
        )
    blocks += [
        input_block(Shifts.FROM, "From", _datetime(Shifts.FROM, f.start)),
        input_block(
            Shifts.UNTIL,
            "Until",
            _datetime(Shifts.UNTIL, f.end),
            hint="For the whole shift, keep the time it ends.",
        ),
    ]
    if f.can_assign:
        blocks.append(
            input_block(
                Shifts.BY,
                "Who covers",
                static_select(Shifts.BY, cover_options, placeholder="Ask the members instead"),
                optional=True,
            )
        )
    blocks.append(
        input_block(
            Shifts.NOTE,
            "Note",
            text_input(Shifts.NOTE, placeholder="Dentist at 10", max_length=NOTE_LIMIT),
            optional=True,
        )
    )
    title = "Cover" if f.can_assign else "Ask for cover"
    submit = "Save" if f.can_assign else "Ask"
    meta = CoverMeta(r.id, f.person)
    return modal(title, blocks, Shifts.COVER_VIEW, submit=submit, private_metadata=meta)


def _load_words(hours: float) -> str:
    return f"{hours:.0f} h on duty in the last 30 days"


def _datetime(action_id: str, ts: float) -> dict:
    return {"type": "datetimepicker", "action_id": action_id, "initial_date_time": int(ts)}


@dataclass(frozen=True)
class SwapForm:
    rotation: Rotation
    mine: Shift
    theirs: tuple[tuple[str, Shift], ...]  # (person, their shift) the reader may ask for
    names: dict[str, str] = field(default_factory=dict)


def swap_modal(f: SwapForm) -> dict:
    r = f.rotation
    if not f.theirs:
        blocks = [section("Nobody else has a shift in the next 30 days to swap with.")]
        return modal("Offer a swap", blocks, close="Close")
    tz = esc(r.schedule.tz)
    choices = [
        option(f"{wall(s.start, r)} · {f.names.get(p, p)}", f"{int(s.start)}:{p}")
        for p, s in f.theirs[:SWAP_CHOICES]
    ]
    blocks = [
        section(
            f"Offer your shift on *{esc(r.name)}* ({span(f.mine.start, f.mine.end)}) for someone else's. "
            "They accept or decline in Slack; both of you are told."
        ),
        input_block(
            Shifts.FOR,
            f"Their shift (times in {tz})",
            static_select(Shifts.FOR, choices, placeholder="Choose a shift"),
        ),
    ]
    meta = SwapMeta(r.id, int(f.mine.start))
    return modal("Offer a swap", blocks, Shifts.SWAP_VIEW, submit="Offer", private_metadata=meta)


def away_modal(start: float, end: float) -> dict:
    blocks = [
        section(
            "While you are away, every rotation you are in passes you over, and someone else stands in "
            "for any shift of yours it overlaps."
        ),
        input_block(Shifts.AWAY_FROM, "From", _datetime(Shifts.AWAY_FROM, start)),
        input_block(Shifts.AWAY_UNTIL, "Until", _datetime(Shifts.AWAY_UNTIL, end)),
        input_block(
            Shifts.AWAY_NOTE,
            "Note",
            text_input(Shifts.AWAY_NOTE, placeholder="Holiday in Lisbon", max_length=200),
            optional=True,
        ),
    ]
    return modal("Time away", blocks, Shifts.AWAY_VIEW, submit="Save")


def time_away_blocks(periods: tuple[tuple[int, Away], ...]) -> list[Block]:
    """App Home › Settings › My time away."""
    if periods:
        lines = "\n".join(
            f"• {span(a.start, a.end)}" + (f" — {esc(a.note)}" if a.note else "") for _, a in periods
        )
        text = f"*My time away*\n{lines}"
    else:
        text = (
            "*My time away*\nNone planned. Add the days you are away: every rotation you are in passes "
            "you over then."
        )
    blocks: list[Block] = [section(text, accessory=button("Add time away…", Shifts.AWAY_OPEN))]
    if periods:
        blocks.append(
            actions(
                *[
                    button(f"Remove {i + 1}", Shifts.AWAY_REMOVE, value=str(away_id))
                    for i, (away_id, _) in enumerate(periods[:5])
                ],
                block_id="away_remove",
            )
        )
    return blocks


# --- messages: offers, posts and news ---------------------------------------------------------------


def _title(rotation: Rotation) -> str:
    return f"*{esc(rotation.name)}* (`{esc(rotation.code)}`)"


def _note(request: ShiftRequest) -> str:
    return f"\n> {esc(request.note)}" if request.note else ""


def cover_offer(rotation: Rotation, note: ShiftNote, sending: Sending) -> dict[str, Any] | None:
    """A DM (or a channel post) asking for cover, with I'll cover."""
    request = note.request
    if sending.now >= request.expires_at:
        return None  # too late to be worth a message; the asker hears it expired
    words = (
        f"{mention(request.requester)} asks for cover on {_title(rotation)}: "
        f"{span(request.start, request.end)}.{_note(request)}"
    )
    blocks = [
        section(words),
        actions(
            button("I'll cover", Shifts.TAKE, value=str(request.id), style="primary"),
            block_id=f"cover:{request.id}",
        ),
        context(f"The first to press it takes it. Open until {slack_date(request.expires_at)}."),
    ]
    return {"text": f"{mention(request.requester)} asks for cover on {esc(rotation.name)}", "blocks": blocks}


def swap_offer(rotation: Rotation, note: ShiftNote, sending: Sending) -> dict[str, Any] | None:
    request = note.request
    if sending.now >= request.expires_at:
        return None
    words = (
        f"{mention(request.requester)} offers you a swap on {_title(rotation)}: they take your shift "
        f"{span(request.target_start or 0, request.target_end or 0)}, you take theirs "
        f"{span(request.start, request.end)}.{_note(request)}"
    )
    blocks = [
        section(words),
        actions(
            button("Accept", Shifts.SWAP_ACCEPT, value=str(request.id), style="primary"),
            button("Decline", Shifts.SWAP_DECLINE, value=str(request.id)),
            block_id=f"swap:{request.id}",
        ),
    ]
    return {
        "text": f"{mention(request.requester)} offers you a swap on {esc(rotation.name)}",
        "blocks": blocks,
    }


def news_words(rotation: Rotation, request: ShiftRequest, reader: str, by: str | None = None) -> str:
    """How a cover or swap request ended, told to one of the people it concerns."""
    title = _title(rotation)
    when = span(request.start, request.end)
    taker = mention(request.taken_by or "")
    asker = "you" if reader == request.requester else mention(request.requester)
    if request.kind == "swap":
        if request.state == TAKEN:
            return (
                f"{taker} accepted your swap on {title}: you take {span(request.target_start or 0, request.target_end or 0)}, "
                f"they take {when}."
            )
        if request.state == DECLINED:
            return f"{taker or mention(request.target or '')} declined your swap on {title}; your shifts stay as they were."
        if request.state == EXPIRED:
            return f"Nobody answered your swap on {title} before the shifts began: your shifts stay as they were."
    if request.state == TAKEN and by:
        if reader == request.taken_by:
            return f"{mention(by)} put you on {title} to cover {mention(request.requester)}: {when}."
        if reader == request.requester:
            return f"{mention(by)} arranged cover for you on {title}: {taker} covers {when}."
        return f"{mention(by)} arranged cover on {title}: {taker} covers {asker} {when}."
    if request.state == TAKEN:
        if reader == request.requester:
            return f"{taker} covers you on {title}: {when}. You are off duty then."
        return f"{taker} took {asker}'s cover request on {title} ({when}): nothing more to do."
    if request.state == EXPIRED:
        return (
            f"Nobody took your cover request on {title} ({when}) in time, so it expired: you are still "
            "on duty then. Ask again, or reach someone directly."
        )
    if request.state == CANCELLED:
        return f"{asker} took back the cover request on {title} ({when})."
    return f"The request on {title} is {request.state}."


def shift_news(rotation: Rotation, note: ShiftNote, sending: Sending) -> dict[str, Any] | None:
    request = note.request
    if request.state == OPEN:
        return None
    words = news_words(rotation, request, sending.target, note.by)
    return {"text": words, "blocks": [section(words)]}


def answered(rotation: Rotation | None, request: ShiftRequest, words: str) -> dict:
    """What replaces an offer once the reader answered it (or it was closed)."""
    where = _title(rotation) if rotation else "a rotation that no longer exists"
    text = f"{mention(request.requester)}'s {request.kind} request on {where}: {words}"
    return {"text": text, "blocks": [section(text)], "replace_original": True}


def closed_words(rotation: Rotation, request: ShiftRequest, reader: str) -> str:
    """How a request ended, for `reader`, to whom it was offered (a person, or a channel): the
    offer's new words, without buttons."""
    title, when = _title(rotation), span(request.start, request.end)
    asker, taker = mention(request.requester), mention(request.taken_by or "")
    if request.state == TAKEN and reader == request.taken_by:
        if request.kind == "swap":
            return f":white_check_mark: You accepted {asker}'s swap on {title}: both shifts changed."
        return f":white_check_mark: You cover {asker} on {title}, {when}. Thank you!"
    if request.kind == "swap":
        if request.state == TAKEN:
            return f":white_check_mark: {taker} accepted {asker}'s swap on {title}."
        if request.state == DECLINED:
            return f"{taker or mention(request.target or '')} declined {asker}'s swap on {title}."
        if request.state == EXPIRED:
            return f":hourglass: {asker}'s swap on {title} was not answered before the shifts began."
        return f"{asker} took back the swap on {title}."
    if request.state == TAKEN:
        return f":white_check_mark: {taker} took {asker}'s cover request on {title} ({when}): nothing more to do."
    if request.state == EXPIRED:
        return f":hourglass: Nobody took {asker}'s cover request on {title} ({when}) in time."
    return f"{asker} took back the cover request on {title} ({when})."


def offer_closed(rotation: Rotation, note: ShiftNote, sending: Sending) -> dict[str, Any] | None:
    """What an offer (a DM or a channel post) becomes once its request is closed: who took it, or
    that it expired or was taken back; no buttons left to press."""
    if note.request.state == OPEN:
        return None
    words = closed_words(rotation, note.request, sending.target)
    return {"text": words, "blocks": [section(words)]}


def _offer_key(note: ShiftNote) -> str:
    return f"shift:{note.request.id}"


def formats() -> dict[str, Format[Any]]:
    """How the outbox renders cover and swap requests: offers (kept, to be edited once closed),
    channel posts, news, and the offers' closing edits."""
    return {
        COVER_OFFER: Format(ShiftNote.from_json, cover_offer, keep=_offer_key),
        COVER_POST: Format(ShiftNote.from_json, cover_offer, keep=_offer_key),
        SWAP_OFFER: Format(ShiftNote.from_json, swap_offer, keep=_offer_key),
        SHIFT_NEWS: Format(ShiftNote.from_json, shift_news),
        OFFER_CLOSED: Format(ShiftNote.from_json, offer_closed, keep=_offer_key, edits=True),
    }
