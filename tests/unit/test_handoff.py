"""Hand-off notes: who is asked and when, who may write, what is kept and planned, and how the
messages read (rotations/handoff.py, rotations/handoff_notes.py, slack/views/handoff.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from roundrobin.rotations import handoff
from roundrobin.rotations.effects import plan
from roundrobin.rotations.errors import AlreadyChanged, NotAllowed
from roundrobin.rotations.handoff import Ask, Note, RequestLine, Summary, asks, summarise, wants_notes
from roundrobin.rotations.handoff_notes import HandoffNotes
from roundrobin.rotations.model import Rotation
from roundrobin.rotations.schedule import Schedule
from roundrobin.signals import Signals
from roundrobin.slack.ids import HandoffIds
from roundrobin.slack.surfaces.forms import parse_notifications
from roundrobin.slack.views.handoff import ask_message, note_message, parse_button_value
from roundrobin.slack.views.sending import Sending
from roundrobin.store import outbox
from roundrobin.store.requests import Request
from tests.unit.test_load_report import services  # noqa: F401 - the rotation services fixture
from tests.unit.test_shifts import Clock, daily

HOUR = 3600


@pytest.fixture
def clock():
    return Clock()


def rotation(**kw) -> Rotation:
    base = {
        "id": 1,
        "name": "Ops",
        "code": "OPS",
        "created_by": "U9",
        "members": ("U1", "U2"),
        "on_duty": ("U1",),
        "schedule": Schedule("daily", "09:00"),
        "next_hand_over_at": 5000.0,
    }
    return Rotation(**{**base, **kw})


@pytest.mark.parametrize(
    ("kw", "wanted"),
    [
        ({}, True),  # timed: on by default
        ({"schedule": Schedule()}, False),  # manual without a schedule: nothing is planned
        ({"schedule": Schedule(), "source": "pagerduty"}, True),
        ({"handoff_notes": False}, False),
        ({"schedule": Schedule(), "handoff_notes": True}, True),
    ],
)
def test_who_wants_notes(kw, wanted):
    assert wants_notes(rotation(**kw)) is wanted


def test_the_person_going_off_duty_is_asked_for_the_planned_hand_over():
    assert asks(rotation()) == {("U1", 5000.0)}
    assert plan(None, rotation()).handoff_asks == {("U1", 5000.0)}
    assert asks(rotation(handoff_notes=False)) == frozenset()
    assert asks(rotation(next_hand_over_at=None)) == frozenset()
    assert asks(rotation(members=("U1",))) == frozenset(), "nobody takes over: no hand-over to note"
    bound = rotation(source="pagerduty", schedule=Schedule(), pd_next_up=("U2",), next_change_at=7000.0)
    assert asks(bound) == {("U1", 7000.0)}


def _request(
    state: str, passed: tuple[str, ...] = (), acked: str | None = None, text: str = "help"
) -> Request:
    return Request(1, 1, "OPS", "C1", "1.1", "U7", text, state, ("U1",), passed, acked)


def test_a_shift_s_requests_summarised():
    s = summarise(
        [
            _request("acked", acked="U1", text="queue"),
            _request("acked", passed=("U1",), acked="U2"),
            _request("expired"),
            _request("unanswered", passed=("U1",)),
            _request("open", passed=("U1",)),
            *[_request("acked", acked="U1")] * 3,
        ]
    )
    assert (s.answered, s.passed, s.expired, s.open, s.total) == (5, 3, 2, 1, 8)
    assert len(s.lines) == handoff.MAX_LINES and s.lines[0] == RequestLine("U7", "queue", "answered", "U1")
    assert Summary.from_json(s.to_json()) == s


def test_messages_read_as_written_and_escaped():
    bob, carol = "U0BOB", "U0CAROL"
    r = rotation(members=(bob, carol), on_duty=(carol,))
    note = Note(3, bob, "deploy <half> done & *bold*\nsecond line", 5000.0, (carol,), Summary(1, 0, 0, 0))
    dm = note_message(r, Note.from_json(note.to_json()), Sending(target=carol, now=6000.0))
    text = str(dm)
    assert "<@U0BOB> left you a hand-off note" in text
    assert ">deploy &lt;half&gt; done &amp; *bold*\\n>second line" in text
    assert "thread_ts" not in dm
    posted = note_message(r, note, Sending(target="C1", now=6000.0, thread_ts="123.456"))
    assert posted["thread_ts"] == "123.456" and "Hand-off note from <@U0BOB> to <@U0CAROL>" in str(posted)
    assert "1 answered, 0 expired" in str(posted)


def test_the_ask_only_while_it_is_still_true():
    r = rotation()
    assert "Anything to hand over?" in str(ask_message(r, Ask(5000.0), Sending(target="U1", now=4000.0)))
    assert ask_message(r, Ask(5000.0), Sending(target="U1", now=5000.0)) is None, "too late"
    assert ask_message(r, Ask(5000.0), Sending(target="U1", now=4000.0, muted=True)) is None
    assert ask_message(r, Ask(5000.0), Sending(target="U2", now=4000.0)) is None, "not going off duty"
    assert (
        ask_message(replace(r, next_hand_over_at=9000.0), Ask(5000.0), Sending(target="U1", now=4000.0))
        is None
    )


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("7:1796634000", (7, 1796634000)),
        ("0:5", None),
        ("7:", None),
        ("7:5:1", None),
        (None, None),
        ("7:²", None),
    ],
)
def test_the_buttons_value_parsed_strictly(value, parsed):
    assert parse_button_value(value) == parsed


def test_the_setting_from_the_notifications_form():
    def view(selected):
        values = {
            HandoffIds.SETTING: {HandoffIds.SETTING: {"type": "checkboxes", "selected_options": selected}}
        }
        return {"state": {"values": values}}

    assert parse_notifications(view([{"value": "on"}])).handoff_notes is True
    assert parse_notifications(view([])).handoff_notes is False
    assert parse_notifications({"state": {"values": {}}}).handoff_notes is None, "not shown: kept"


async def test_writing_a_note_before_the_hand_over(services, db, clock):  # noqa: F811
    r = await daily(services)  # U1 on duty; U2 next at the planned hand-over
    at = r.next_hand_over_at
    asked = await outbox.messages_of(db, r.id, handoff.ASK)
    assert [(m.target, m.body["hand_over"]) for m in asked] == [("U1", at)]
    notes = HandoffNotes(db, Signals.new(), clock)
    with pytest.raises(NotAllowed, match="no longer go off duty"):
        await notes.shift(r.id, "U2", at)
    with pytest.raises(NotAllowed, match="no longer go off duty"):
        await notes.shift(r.id, "U1", at + 60)
    with pytest.raises(NotAllowed, match="Write something"):
        await notes.write(r.id, "U1", at, "  \n ")
    with pytest.raises(NotAllowed, match="2,000"):
        await notes.write(r.id, "U1", at, "x" * 2001)
    shift = await notes.write(r.id, "U1", at, "the deploy is half done")
    assert shift.incoming == ("U2",)
    sent = await outbox.messages_of(db, r.id, handoff.NOTE)
    assert sorted(m.target for m in sent) == ["C1", "U2"]
    due = [m.target for m in await outbox.due_messages(db, at + 14) if m.kind == handoff.NOTE]
    assert due == [], "the note waits for the hand-over (and its channel message)"
    due = [m.target for m in await outbox.due_messages(db, at + handoff.SEND_AFTER) if m.kind == handoff.NOTE]
    assert sorted(due) == ["C1", "U2"]
    with pytest.raises(AlreadyChanged):
        await notes.write(r.id, "U1", at, "again")
    [event] = await db.fetchall("SELECT actor, detail FROM events WHERE kind = 'handoff.note'")
    assert event[0] == "U1" and "the deploy is half done" in event[1]


async def test_writing_a_note_after_the_hand_over_and_too_late(services, db, clock):  # noqa: F811
    r = await daily(services)
    clock.now += HOUR
    change = await services.duty.rotate(r.id, "U9")  # U1 hands over to U2 now
    at = change.at
    notes = HandoffNotes(db, Signals.new(), clock)
    clock.now += 10 * 60
    with pytest.raises(NotAllowed, match="did not take you off duty"):
        await notes.shift(r.id, "U3", at)
    shift = await notes.shift(r.id, "U1", at)
    assert shift.incoming == ("U2",) and shift.start == pytest.approx(at - HOUR)
    clock.now = at + handoff.WRITE_AFTER + 1
    with pytest.raises(NotAllowed, match="more than two hours ago"):
        await notes.write(r.id, "U1", at, "late")
