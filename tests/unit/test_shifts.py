"""Covers, swaps, skips and time away, on a real database: the timeline and the duty follow them."""

import time

import pytest

from roundrobin.access import Access
from roundrobin.rotations.errors import AlreadyChanged, NotAllowed
from roundrobin.rotations.schedule import Schedule
from roundrobin.rotations.shifts import COVER_OFFER, COVER_POST, OFFER_CLOSED, SHIFT_NEWS, SWAP_OFFER
from roundrobin.signals import Signals
from roundrobin.store import outbox
from roundrobin.store import rotations as store
from tests.support import Rotations
from tests.unit.test_rotation_service import ADMIN, Roles, Workspace, draft


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
    return Rotations(db, Access(db, Roles(), ()), Workspace(), Signals.new(), clock=clock)


async def kinds(db, kind):
    return sorted(m.target for m in await outbox.due_messages(db, time.time() + 10**7) if m.kind == kind)


async def daily(services, **kw):
    return await services.create(
        draft(schedule=Schedule("daily", "09:00", tz="Europe/London"), channels=("C1",), **kw), "U9", False
    )


async def test_cover_me_is_offered_to_the_others_and_the_first_to_take_it_goes_on_duty(services, db):
    r = await daily(services)
    request = await services.shifts.request_cover(
        r.id, "U1", services.editor._clock(), r.next_hand_over_at, "dentist"
    )
    assert request.offered_to == ("U2", "U3") and request.note == "dentist"
    assert await kinds(db, COVER_OFFER) == ["U2", "U3"] and await kinds(db, COVER_POST) == ["C1"]
    taken = await services.shifts.take_cover(request.id, "U3")
    assert taken.change.rotation.on_duty == ("U3",), "the cover starts now"
    assert taken.change.reason == "cover"
    after = await store.get(db, r.id)
    assert after.turn_people == ("U1",), "the turn order is untouched: it is still U1's turn"
    assert after.on_duty_until == r.next_hand_over_at
    assert await kinds(db, SHIFT_NEWS) == ["U1"], "whoever asked is told"
    assert await kinds(db, COVER_OFFER) == [] and await kinds(db, COVER_POST) == [], "unsent offers never go"
    assert await kinds(db, OFFER_CLOSED) == ["C1", "U2", "U3"], "every offer sent says who took it"
    with pytest.raises(AlreadyChanged, match="already took"):
        await services.shifts.take_cover(request.id, "U2")


async def test_a_cover_ends_by_itself_and_the_turn_goes_on(services, db, clock):
    r = await daily(services)
    start = clock.now
    request = await services.shifts.request_cover(r.id, "U1", start, start + 3600)
    await services.shifts.take_cover(request.id, "U2")
    assert (await store.get(db, r.id)).next_change_at == pytest.approx(start + 3600)
    clock.now = start + 3601
    [ended] = await services.duty.run_due()
    assert ended.rotation.on_duty == ("U1",) and ended.reason == "turn"


async def test_nobody_takes_it_and_it_expires_and_says_so(services, db, clock):
    r = await daily(services)
    request = await services.shifts.request_cover(r.id, "U1", clock.now + 3600, clock.now + 7200)
    assert request.expires_at == pytest.approx(clock.now + 3600), "expires when the cover would start"
    clock.now += 3601
    [expired] = await services.shifts.expire_due()
    assert expired.id == request.id
    assert "U1" in await kinds(db, SHIFT_NEWS)
    assert await kinds(db, OFFER_CLOSED) == ["C1", "U2", "U3"], "the offers say it expired"
    with pytest.raises(AlreadyChanged, match="expired"):
        await services.shifts.take_cover(request.id, "U2")


async def test_a_cover_request_is_refused_in_words(services, db, clock):
    r = await daily(services)
    with pytest.raises(NotAllowed, match="not on duty then"):
        await services.shifts.request_cover(r.id, "U2", clock.now, clock.now + 3600)
    with pytest.raises(NotAllowed, match="end must come after"):
        await services.shifts.request_cover(r.id, "U1", clock.now + 3600, clock.now)
    with pytest.raises(NotAllowed, match="not in OPS"):
        await services.shifts.request_cover(r.id, "U5", clock.now, clock.now + 3600)


async def test_a_manager_assigns_cover_directly(services, db, clock):
    r = await daily(services)
    change = await services.shifts.assign_cover(r.id, ADMIN, "U1", "U3", clock.now, clock.now + 3600)
    assert change.rotation.on_duty == ("U3",)
    with pytest.raises(Exception, match="can change OPS"):
        await services.shifts.assign_cover(r.id, "U2", "U1", "U2", clock.now, clock.now + 3600)


async def test_a_swap_accepted_changes_both_shifts_and_one_declined_changes_nothing(services, db):
    r = await daily(services)
    mine = (await services.shifts.shifts_of(r, "U2"))[0]
    theirs = (await services.shifts.shifts_of(r, "U3"))[0]
    offer = await services.shifts.offer_swap(r.id, "U2", mine.start, "U3", theirs.start)
    assert await kinds(db, SWAP_OFFER) == ["U3"]
    await services.shifts.answer_swap(offer.id, "U3", accept=True)
    after = await store.get(db, r.id)
    shifts = await services.shifts.shifts(after, mine.start, theirs.end)
    assert [(s.people, s.why) for s in shifts] == [(("U3",), "swap"), (("U2",), "swap")]
    second = await services.shifts.offer_swap(
        r.id,
        "U1",
        (await services.shifts.shifts_of(after, "U1"))[1].start,
        "U2",
        (await services.shifts.shifts_of(after, "U2"))[1].start,
    )
    declined = await services.shifts.answer_swap(second.id, "U2", accept=False)
    assert declined.request.state == "declined" and declined.change is None
    with pytest.raises(NotAllowed, match="yourself"):
        await services.shifts.offer_swap(r.id, "U1", mine.start, "U1", mine.start)


async def test_a_skip_moves_the_turn_order_on(services, db):
    r = await daily(services)
    shifts = await services.shifts.shifts(r, r.next_hand_over_at, r.next_hand_over_at + 2 * 86400)
    assert [s.people for s in shifts[:2]] == [("U2",), ("U3",)]
    await services.shifts.skip(r.id, "U2", "U2", shifts[0].start)
    after = await store.get(db, r.id)
    shifts = await services.shifts.shifts(after, r.next_hand_over_at, r.next_hand_over_at + 2 * 86400)
    assert [s.people for s in shifts[:2]] == [("U3",), ("U1",)]
    assert shifts[0].passed_over == (("U2", "skipped"),)
    with pytest.raises(Exception, match="can change OPS"):
        await services.shifts.skip(r.id, "U2", "U1", shifts[1].start)


async def test_time_away_passes_someone_over_in_every_rotation_and_covers_them_now(services, db, clock):
    first = await daily(services)
    second = await daily(services, code="web", members=("U1", "U3"))
    await services.away.add("U1", clock.now - 60, clock.now + 3 * 86400, "holiday")
    for r in (first, second):
        after = await store.get(db, r.id)
        assert "U1" not in after.on_duty, "away now: the next free person stands in"
        turns = await services.shifts.shifts(after, clock.now, clock.now + 3 * 86400)
        assert all("U1" not in s.people for s in turns)
    [(away_id, period)] = await services.away.of("U1")
    assert period.note == "holiday"
    await services.away.remove("U1", away_id)
    assert (await store.get(db, first.id)).on_duty == ("U1",), "back: their turn is theirs again"
    with pytest.raises(NotAllowed, match="in the past"):
        await services.away.add("U1", clock.now - 7200, clock.now - 3600)


def test_a_closed_offer_says_how_it_ended_to_each_reader_with_no_button_left():
    from roundrobin.rotations.announcement import Words
    from roundrobin.rotations.model import Rotation
    from roundrobin.rotations.shifts import ShiftNote
    from roundrobin.slack.views.sending import Sending
    from roundrobin.slack.views.shifts import formats
    from roundrobin.store.shift_requests import CANCELLED, EXPIRED, TAKEN, ShiftRequest

    rotation = Rotation(
        id=1, name="Ops <b>", code="OPS", created_by="U0ADA", members=("U0ALAN", "U0GRACE", "U0KATE")
    )
    request = ShiftRequest(
        7, 1, "cover", "U0ALAN", 1_750_000_000, 1_750_003_600, TAKEN, ("U0GRACE", "U0KATE"), taken_by="U0KATE"
    )
    closed = formats()[OFFER_CLOSED]
    assert closed.edits and closed.keep is not None
    note = closed.parse(ShiftNote(request, Words.of(rotation)).to_json())
    assert closed.keep(note) == formats()[COVER_OFFER].keep(note) == "shift:7", "it edits the offer it was"

    def said(state, reader):
        from dataclasses import replace

        message = closed.render(
            rotation, replace(note, request=replace(request, state=state)), Sending(reader)
        )
        assert "actions" not in str(message), "nothing left to press"
        return message["text"]

    assert said(TAKEN, "U0GRACE").startswith(
        ":white_check_mark: <@U0KATE> took <@U0ALAN>'s cover request on *Ops &lt;b&gt;*"
    )
    assert said(TAKEN, "C0OPS").endswith("nothing more to do.")
    assert said(TAKEN, "U0KATE").startswith(":white_check_mark: You cover <@U0ALAN> on *Ops &lt;b&gt;*")
    assert "Nobody took <@U0ALAN>'s cover request" in said(EXPIRED, "U0GRACE")
    assert said(CANCELLED, "U0GRACE").startswith("<@U0ALAN> took back the cover request")


def test_an_open_ended_shift_says_it_lasts_until_someone_hands_over():
    from dataclasses import replace

    from roundrobin.rotations.model import Rotation
    from roundrobin.rotations.timeline import Shift
    from roundrobin.slack.views.shifts import Upcoming, upcoming_blocks

    now = 1_750_000_000.0
    manual = Rotation(id=1, name="Desk", code="DESK", created_by="U0ADA", members=("U0GRACE", "U0KATE"))
    read_until = now + 30 * 86400
    shift = Shift(now, read_until, ("U0GRACE",), turn=("U0GRACE",))  # clipped where Details stopped reading
    [_, line] = upcoming_blocks(Upcoming(manual, (shift,), "U0ADA", False, now, horizon=read_until))
    text = line["text"]["text"]
    assert text.startswith(f"from <!date^{int(now)}^") and ", until someone hands over · <@U0GRACE>" in text
    assert str(int(read_until)) not in text, "not the end of the window Details read"
    timed = replace(manual, schedule=Schedule("daily", "09:00", tz="Europe/London"))
    [_, line] = upcoming_blocks(Upcoming(timed, (shift,), "U0ADA", False, now, horizon=read_until))
    assert "until someone hands over" not in line["text"]["text"], "a timed rotation's shift ends by itself"
