"""Slack status as a signal at hand-over: the rule (which emoji count, expiry, modes, the form), and the
duty service following it on a real database (skip, ask and its answers, the clock, bound rotations)."""

import time

import pytest

from roundrobin.access import Access
from roundrobin.rotations.errors import NotAllowed
from roundrobin.rotations.schedule import Schedule
from roundrobin.rotations.status import (
    ASK,
    DEFAULT_EMOJI,
    IGNORE,
    SKIP,
    WARN,
    SlackStatus,
    StatusDraft,
    StatusSignal,
    base_emoji,
    counting,
    mode_for,
    parse,
    parse_why,
    signal_of,
    status_words,
    why,
)
from roundrobin.rotations.status_hand_over import STATUS_ASK, STATUS_WARN, Asked
from roundrobin.signals import Signals
from roundrobin.store import directory, outbox
from roundrobin.store import rotations as store
from roundrobin.store import status as questions
from roundrobin.store.directory import SlackUser
from roundrobin.store.pagerduty import PdSchedule, remember_schedules
from tests.support import Rotations
from tests.unit.test_rotation_service import Roles, Workspace, draft

NOW = 1_750_000_000.0
PALM = SlackStatus(":palm_tree:", 0.0)

# --- the rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "counts"),
    [
        (SlackStatus(":palm_tree:"), ":palm_tree:"),  # in the list, never expires
        (SlackStatus(":palm_tree:", NOW + 60), ":palm_tree:"),  # expires later
        (SlackStatus(":palm_tree:", NOW), None),  # expired now: Slack clears it now
        (SlackStatus(":palm_tree:", NOW - 1), None),  # expired: does not count, even if still stored
        (SlackStatus(":Palm_Tree:"), ":palm_tree:"),  # as Slack writes it: lower case
        (SlackStatus(":airplane::skin-tone-3:"), ":airplane:"),  # a skin tone is not another emoji
        (SlackStatus(":spiral_calendar_pad:"), None),  # "in a meeting": not in the list
        (SlackStatus(":speech_balloon:"), None),  # Slack's default when only text is set
        (SlackStatus("palm_tree"), None),  # not an emoji as Slack sends one
        (SlackStatus(":palm_tree: <!here>"), None),  # anything else is not a status emoji
        (SlackStatus(""), None),
        (None, None),
    ],
)
def test_which_statuses_count(status, counts):
    assert counting(DEFAULT_EMOJI, status, NOW) == counts


def test_a_status_counts_at_a_shift_start_only_if_it_has_not_expired_by_then():
    back_tomorrow = SlackStatus(":airplane:", NOW + 86400)
    assert counting(DEFAULT_EMOJI, back_tomorrow, NOW + 3600) == ":airplane:"
    assert counting(DEFAULT_EMOJI, back_tomorrow, NOW + 2 * 86400) is None


@pytest.mark.parametrize(
    ("signal", "bound", "mode"),
    [
        (StatusSignal(SKIP), False, SKIP),
        (StatusSignal(ASK), False, ASK),
        (StatusSignal(IGNORE), False, IGNORE),
        (StatusSignal(), False, IGNORE),  # rotations made before the signal: nothing changes
        (StatusSignal(WARN), False, IGNORE),  # a bound rotation's warning, reverted to Manual
        (StatusSignal(SKIP, ()), False, IGNORE),  # no emoji: nothing counts
        (StatusSignal(SKIP), True, WARN),  # PagerDuty decides: never skip, warn
        (StatusSignal(ASK), True, WARN),
        (StatusSignal(WARN), True, WARN),
        (StatusSignal(IGNORE), True, IGNORE),
    ],
)
def test_what_a_rotation_does(signal, bound, mode):
    assert mode_for(signal, bound) == mode


@pytest.mark.parametrize(
    ("typed", "emoji", "problem"),
    [
        (":palm_tree: :airplane:", (":palm_tree:", ":airplane:"), None),
        (":palm_tree:,:airplane:, :Sick:", (":palm_tree:", ":airplane:", ":sick:"), None),
        (":palm_tree: :palm_tree:", (":palm_tree:",), None),  # said twice, kept once
        (":+1: :e-mail: :man-woman-boy:", (":+1:", ":e-mail:", ":man-woman-boy:"), None),
        ("palm_tree", (), "between colons"),
        ("🌴", (), "between colons"),
        (":palm tree:", (), "between colons"),
        (":<!here>:", (), "between colons"),
        (" ".join(f":e{i}:" for i in range(21)), None, "up to 20"),
        (":" + "a" * 61 + ":", (), "between colons"),
        ("x" * 501, (), "under 500"),
        ("", (), "at least one"),
    ],
)
def test_the_form_checks_the_emoji_list(typed, emoji, problem):
    parsed = parse(StatusDraft(SKIP, typed), bound=False)
    if problem is None:
        assert parsed.problems == {} and parsed.emoji == emoji
    else:
        assert problem in parsed.problems["status_emoji"]
        if emoji is not None:
            assert parsed.emoji == emoji


def test_the_form_checks_the_mode_for_the_source_and_the_minutes():
    assert parse(StatusDraft(IGNORE, ""), bound=False).problems == {}, "no emoji needed to ignore"
    assert "status_mode" in parse(StatusDraft(WARN), bound=False).problems
    assert "status_mode" in parse(StatusDraft(SKIP), bound=True).problems
    assert parse(StatusDraft(WARN), bound=True).problems == {}
    assert (
        "5, 10, 15, 30 or 60" in parse(StatusDraft(ASK, ask_minutes=7), bound=False).problems["status_mode"]
    )
    assert signal_of(StatusDraft(ASK, ":sick: :palm_tree:", 15), bound=False) == StatusSignal(
        ASK, (":sick:", ":palm_tree:"), 15
    )


def test_a_stored_signal_is_read_back_and_anything_crafted_left_out():
    signal = StatusSignal(ASK, (":sick:",), 30)
    assert StatusSignal.from_json(signal.to_json()) == signal
    crafted = StatusSignal.from_json(
        {"mode": "explode", "emoji": [":ok:", "<!here>", 3], "ask_minutes": 10**9}
    )
    assert crafted == StatusSignal(IGNORE, (":ok:",), 10)
    assert StatusSignal.from_json(None).mode == IGNORE


def test_why_someone_was_passed_over_in_words():
    assert status_words(why(":palm_tree:")) == "their Slack status says :palm_tree:"
    assert status_words(why(":sick:", "skipped")) == "their Slack status says :sick: and they chose to skip"
    assert status_words(why(":sick:", "unanswered:10")).endswith("did not answer within 10 minutes")
    assert parse_why("status :palm_tree: <!here>") is None
    assert parse_why("away") is None and status_words("deactivated") is None
    assert base_emoji(":wave::skin-tone-9:") is None


# --- the duty service ----------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = time.time()

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def services(db, clock):
    await remember_schedules(db, [PdSchedule("PS1", "Ops")], clock.now)
    return Rotations(db, Access(db, Roles(), ()), Workspace(), Signals.new(), clock=clock)


async def wear(db, person, emoji, expiration=0.0):
    """`person` sets a Slack status (as the directory learns it from user_change)."""
    await directory.upsert(
        db, [SlackUser(person, person.lower(), status_emoji=emoji, status_expiration=expiration)], 0
    )


async def sent(db, kind):
    return [m for m in await outbox.due_messages(db, time.time() + 10**7) if m.kind == kind]


async def announced(db, rotation_id):
    return [m for m in await outbox.due_messages(db, time.time() + 10**7) if m.kind == "duty"]


async def manual(services, mode, minutes=10, **kw):
    status = StatusDraft(mode, ":palm_tree: :face_with_thermometer:", minutes)
    return await services.create(draft(channels=("C1",), status=status, **kw), "U9", False)


async def test_a_new_rotation_skips_and_one_made_without_the_form_keeps_what_it_had(services, db):
    r = await services.create(draft(), "U9", False)
    assert r.status_signal == StatusSignal(SKIP)
    await services.update(r.id, draft(status=StatusDraft(IGNORE, "")), "U9", False)
    await services.update(r.id, draft(name="Renamed"), "U9", False)
    assert (await store.get(db, r.id)).status_signal.mode == IGNORE


async def test_skip_passes_someone_over_and_says_why(services, db, clock):
    r = await manual(services, SKIP)
    await wear(db, "U2", ":palm_tree:")
    change = await services.rotate(r.id, "U9")
    assert change.rotation.on_duty == ("U3",)
    assert change.skipped == (("U2", "status :palm_tree:"),)
    [message] = await announced(db, r.id)
    assert message.body["skipped"] == [["U2", "status :palm_tree:"]]


async def test_an_expired_status_or_another_emoji_does_not_count(services, db, clock):
    r = await manual(services, SKIP)
    await wear(db, "U2", ":palm_tree:", expiration=clock.now - 60)
    assert (await services.rotate(r.id, "U9")).rotation.on_duty == ("U2",)
    await wear(db, "U3", ":spiral_calendar_pad:")
    assert (await services.rotate(r.id, "U9")).rotation.on_duty == ("U3",)


async def test_ignore_changes_nothing(services, db):
    r = await manual(services, IGNORE)
    await wear(db, "U2", ":palm_tree:")
    assert (await services.rotate(r.id, "U9")).rotation.on_duty == ("U2",)
    assert await sent(db, STATUS_ASK) == []


async def test_ask_holds_the_hand_over_and_take_it_puts_them_on_duty(services, db, clock):
    r = await manual(services, ASK)
    await wear(db, "U2", ":face_with_thermometer:")
    with pytest.raises(
        Asked, match="Name of U2's Slack status says :face_with_thermometer:, so Round Robin asked"
    ):
        await services.rotate(r.id, "U9")
    assert (await store.get(db, r.id)).on_duty == ("U1",), "U1 stays on until U2 answers"
    [dm] = await sent(db, STATUS_ASK)
    assert dm.target == "U2" and dm.body["question"]["emoji"] == ":face_with_thermometer:"
    question = await questions.open_of(db, r.id)
    assert question.expires_at == pytest.approx(clock.now + 600)
    with pytest.raises(NotAllowed, match="waiting for Name of U2"):
        await services.rotate(r.id, "U9")
    with pytest.raises(NotAllowed, match="not for you"):
        await services.answer_status(question.id, "U3", take=True)  # a forged click: words, not power
    answer = await services.answer_status(question.id, "U2", take=True)
    assert answer.outcome == "taken" and answer.change.rotation.on_duty == ("U2",)
    assert answer.change.reason == "rotated" and answer.change.actor == "U9"
    again = await services.answer_status(question.id, "U2", take=False)
    assert again.outcome == "again" and again.rotation.on_duty == ("U2",), "a second click changes nothing"


async def test_skip_me_passes_them_over_and_the_next_in_turn_takes_over(services, db):
    r = await manual(services, ASK)
    await wear(db, "U2", ":palm_tree:")
    with pytest.raises(Asked):
        await services.hand_over(r.id, "U1")
    question = await questions.open_of(db, r.id)
    answer = await services.answer_status(question.id, "U2", take=False)
    assert answer.outcome == "skipped" and answer.rotation.on_duty == ("U3",)
    assert answer.change.skipped == (("U2", "status :palm_tree: skipped"),)
    assert answer.change.reason == "handed_over"


async def test_no_answer_falls_back_to_skipping_and_a_late_answer_is_told(services, db, clock):
    r = await manual(services, ASK, minutes=5)
    await wear(db, "U2", ":palm_tree:")
    with pytest.raises(Asked):
        await services.rotate(r.id, "U9")
    question = await questions.open_of(db, r.id)
    assert await store.next_due_at(db) == pytest.approx(clock.now + 300), "the scheduler wakes for it"
    clock.now += 301
    [change] = await services.duty.run_due()
    assert change.rotation.on_duty == ("U3",)
    assert change.skipped == (("U2", "status :palm_tree: unanswered:5"),)
    late = await services.answer_status(question.id, "U2", take=True)
    assert late.outcome == "late" and late.rotation.on_duty == ("U3",)


async def test_a_status_cleared_before_the_timeout_lets_them_take_it(services, db, clock):
    r = await manual(services, ASK)
    await wear(db, "U2", ":palm_tree:")
    with pytest.raises(Asked):
        await services.rotate(r.id, "U9")
    await wear(db, "U2", None)  # back, and cleared the status, without answering
    clock.now += 601
    [change] = await services.duty.run_due()
    assert change.rotation.on_duty == ("U2",)


async def test_the_next_person_can_be_asked_in_turn(services, db, clock):
    r = await manual(services, ASK)
    await wear(db, "U2", ":palm_tree:")
    await wear(db, "U3", ":face_with_thermometer:")
    with pytest.raises(Asked):
        await services.rotate(r.id, "U9")
    first = await questions.open_of(db, r.id)
    answer = await services.answer_status(first.id, "U2", take=False)
    assert answer.asked_next.person == "U3" and answer.rotation.on_duty == ("U1",)
    taken = await services.answer_status(answer.asked_next.id, "U3", take=True)
    assert taken.rotation.on_duty == ("U3",)
    assert taken.change.skipped == (("U2", "status :palm_tree: skipped"),)


async def test_set_on_duty_during_a_question_makes_it_moot(services, db):
    r = await manual(services, ASK)
    await wear(db, "U2", ":palm_tree:")
    with pytest.raises(Asked):
        await services.rotate(r.id, "U9")
    question = await questions.open_of(db, r.id)
    await services.set_on_duty(r.id, "U3", "U9")
    assert await questions.open_of(db, r.id) is None
    answer = await services.answer_status(question.id, "U2", take=True)
    assert answer.outcome == "moot" and answer.rotation.on_duty == ("U3",)


async def test_a_timed_hand_over_waits_for_the_answer_then_goes_on(services, db, clock):
    r = await manual(services, ASK, schedule=Schedule("daily", "09:00", tz="Europe/London"))
    await wear(db, "U2", ":palm_tree:")
    clock.now = r.next_hand_over_at
    assert await services.duty.run_due() == []
    held = await store.get(db, r.id)
    question = await questions.open_of(db, r.id)
    assert held.on_duty == ("U1",) and held.next_hand_over_at == pytest.approx(question.expires_at)
    assert held.on_duty_until == pytest.approx(question.expires_at), "the card says until when"
    clock.now += 120
    answer = await services.answer_status(question.id, "U2", take=True)
    assert answer.change.rotation.on_duty == ("U2",) and answer.change.reason == "handoff"
    after = await store.get(db, r.id)
    assert after.next_hand_over_at == pytest.approx(r.next_hand_over_at + 86400, abs=3600), "tomorrow's"


async def test_a_bound_rotation_never_skips_but_warns_once_per_shift(services, db, clock):
    r = await services.create(
        draft(code="pd", source="pagerduty", pd_schedule_id="PS1", members=(), status=StatusDraft(WARN)),
        "U9",
        True,
    )
    await wear(db, "U1", ":palm_tree:")
    await wear(db, "U2", ":airplane:", expiration=clock.now + 7200)
    soon, later = clock.now + 3600, clock.now + 3 * 3600
    change = await services.follow_pagerduty(
        r.id, "PS1", ("U1", "U2"), ("U1",), soon, (), "ok", ("U2",), soon
    )
    assert change.rotation.on_duty == ("U1",), "PagerDuty decides"
    assert sorted((m.target, m.body["emoji"]) for m in await sent(db, STATUS_WARN)) == [
        ("U1", ":palm_tree:"),
        ("U2", ":airplane:"),
    ]
    await services.follow_pagerduty(r.id, "PS1", ("U1", "U2", "U3"), ("U1",), soon, (), "ok", ("U2",), soon)
    assert len(await sent(db, STATUS_WARN)) == 2, "once per shift"
    # U2's status expires before a shift further ahead: nothing to warn about.
    await services.follow_pagerduty(r.id, "PS1", ("U1", "U2"), ("U1",), later, (), "ok", ("U2",), later)
    assert len(await sent(db, STATUS_WARN)) == 2
    # U2's shift starts: warned ahead of it, U2 is not warned again as it starts (U1 is, for theirs).
    clock.now = soon + 2
    await services.follow_pagerduty(r.id, "PS1", ("U1", "U2"), ("U2",), later, (), "ok", ("U1",), later)
    assert [(m.target, m.body["start"]) for m in await sent(db, STATUS_WARN)][2:] == [("U1", later)]
    # Someone on call sets a status later: user_change warns them.
    await wear(db, "U2", ":face_with_thermometer:")
    await services.duty.status_changed("U2")
    assert len(await sent(db, STATUS_WARN)) == 3, "U2 was told about this shift already"
    clock.now = later + 2
    await services.follow_pagerduty(r.id, "PS1", ("U1", "U3"), ("U3",), None, (), "ok")
    await wear(db, "U3", ":palm_tree:")
    await services.duty.status_changed("U3")
    assert [(m.target, m.body["start"]) for m in await sent(db, STATUS_WARN)][-1] == ("U3", later + 2)
