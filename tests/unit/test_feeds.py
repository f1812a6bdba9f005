"""Calendar feeds on a real database, parsed back with icalendar: every event is a shift of the
timeline (or of the recorded history), across DST, with UIDs that survive covers and hand-overs."""

from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from roundrobin.access import Access
from roundrobin.feeds.service import CalendarFeeds
from roundrobin.pagerduty.people import PeopleLinks
from roundrobin.rotations.schedule import Schedule
from roundrobin.signals import Signals
from roundrobin.store import directory
from roundrobin.store import rotations as store
from roundrobin.store.directory import SlackUser
from tests.support import Rotations
from tests.unit.test_rotation_service import ADMIN, Roles, Workspace, draft

DAY = 86400.0
# 20 March 2026, 12:00 UTC: London moves to BST on 29 March, inside the 90 days ahead.
START = datetime(2026, 3, 20, 12, 0, tzinfo=UTC).timestamp()
SLACK = "https://slack.com/app_redirect?app=A1&team=T1"
END = (START + 90 * DAY) // DAY * DAY + DAY  # feeds run to the end of the 90th day (UTC)


class Clock:
    def __init__(self):
        self.now = START

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def services(db, clock):
    await directory.upsert(
        db, [SlackUser(u, u.lower(), f"Person {u}") for u in ("U1", "U2", "U3", "U9", ADMIN)], clock.now
    )
    return Rotations(db, Access(db, Roles(), ()), Workspace(), Signals.new(), clock=clock)


@pytest.fixture
def feeds(db, services, clock):
    access = Access(db, Roles(), ())
    people = PeopleLinks(db, access, None, None, lambda: None, clock)  # type: ignore[arg-type]
    return CalendarFeeds(db, b"k" * 32, "https://rr.example.com/", SLACK, access, people, clock)


def token(url: str) -> str:
    assert url.startswith("https://rr.example.com/calendar/") and url.endswith(".ics")
    return url.removeprefix("https://rr.example.com/calendar/").removesuffix(".ics")


async def events(feeds, url):
    rendered = await feeds.render(token(url))
    assert rendered is not None
    calendar = Calendar.from_ical(rendered.body)
    found = [
        (
            str(e["UID"]),
            e.decoded("DTSTART").timestamp(),
            e.decoded("DTEND").timestamp(),
            str(e["SUMMARY"]),
            str(e["DESCRIPTION"]),
        )
        for e in calendar.walk("VEVENT")
    ]
    assert len({uid for uid, *_ in found}) == len(found), "every UID once"
    return found


async def daily(services):
    return await services.create(draft(schedule=Schedule("daily", "09:00", tz="Europe/London")), "U9", False)


async def test_a_persons_feed_is_their_shifts_of_the_timeline_across_dst(services, feeds, clock):
    r = await daily(services)
    shifts = await services.shifts.shifts(r, clock.now, END)
    mine = [s for s in shifts if "U1" in s.people]
    found = await events(feeds, await feeds.person_link("U1"))
    assert [(start, end) for _, start, end, *_ in found] == [(s.start, s.end) for s in mine]
    assert all(summary == "On duty: Ops (OPS)" for *_, summary, _ in found)
    # 09:00 in London: 09:00 UTC before the clocks go forward on 29 March, 08:00 UTC after.
    hours = {datetime.fromtimestamp(start, UTC).hour for _, start, *_ in found[1:]}
    assert hours == {8, 9}
    assert any(datetime.fromtimestamp(s, UTC).month == 6 for _, s, *_ in found), "90 days ahead"
    first = found[1][4]
    assert "Before: Person U3. After: Person U2." in first and SLACK in first


async def test_a_rotations_feed_has_everyones_shifts(services, feeds, clock):
    r = await daily(services)
    shifts = await services.shifts.shifts(r, clock.now, END)
    found = await events(feeds, await feeds.rotation_link(r.id))
    assert [(s, e) for _, s, e, *_ in found] == [(s.start, s.end) for s in shifts]
    assert [summary for *_, summary, _ in found[:3]] == [
        "On duty: Person U1 (OPS)",
        "On duty: Person U2 (OPS)",
        "On duty: Person U3 (OPS)",
    ]


async def test_a_cover_moves_the_event_and_keeps_its_uid(services, feeds, clock):
    r = await daily(services)
    before = await events(feeds, await feeds.person_link("U2"))
    uid, start, end, *_ = before[0]  # U2's first turn, tomorrow
    await services.shifts.assign_cover(r.id, ADMIN, "U2", "U3", start, end)
    after_u2 = await events(feeds, await feeds.person_link("U2"))
    after_u3 = await events(feeds, await feeds.person_link("U3"))
    assert uid not in [u for u, *_ in after_u2], "gone from U2's calendar"
    [moved] = [e for e in after_u3 if e[0] == uid]
    assert moved[1:3] == (start, end) and "a cover" in moved[4] and "Person U3 covers Person U2" in moved[4]
    everyone = await events(feeds, await feeds.rotation_link(r.id))
    [same] = [e for e in everyone if e[0] == uid]
    assert same[3] == "On duty: Person U3 (OPS)", "the rotation's event is updated, not doubled"


async def test_the_present_shift_keeps_its_uid_when_it_becomes_history(services, feeds, clock):
    r = await daily(services)
    link = await feeds.rotation_link(r.id)
    ahead = await events(feeds, link)
    clock.now = ahead[1][1] + 5  # just after the first hand-over
    await services.duty.run_due()
    clock.now = ahead[2][1] + 5
    await services.duty.run_due()
    later = await events(feeds, link)
    by_uid = {uid: (s, e, summary) for uid, s, e, summary, _ in later}
    for uid, _start, _end, summary, _ in ahead[1:4]:
        assert by_uid[uid][2] == summary, "past and present shifts keep their identity and their person"
    assert by_uid[ahead[1][0]][1] == pytest.approx(ahead[2][1], abs=6), "the past shift ends when it did"


async def test_reset_makes_the_old_link_unknown_at_once(services, feeds):
    r = await daily(services)
    old = await feeds.person_link("U1")
    assert await feeds.person_link("U1") == old, "the same link every time it is shown"
    new = await feeds.reset_person("U1")
    assert new != old and await feeds.render(token(old)) is None
    assert await feeds.render(token(new)) is not None
    old_rotation = await feeds.rotation_link(r.id)
    with pytest.raises(Exception, match="Only"):
        await feeds.reset_rotation(r.id, "U1")  # U9 made it; U1 may not edit it
    assert await feeds.render(token(old_rotation)) is not None
    await feeds.reset_rotation(r.id, "U9")
    assert await feeds.render(token(old_rotation)) is None


async def test_the_etag_changes_only_with_the_feed(services, feeds, clock, db):
    r = await daily(services)
    link = await feeds.rotation_link(r.id)
    first = await feeds.render(token(link))
    await directory.upsert(db, [SlackUser("U7", "x")], clock.now)  # a change elsewhere: rendered again
    assert (await feeds.render(token(link))).etag == first.etag
    shifts = await services.shifts.shifts(r, clock.now, clock.now + 3 * DAY)
    await services.shifts.assign_cover(r.id, ADMIN, "U2", "U3", shifts[1].start, shifts[1].end)
    assert (await feeds.render(token(link))).etag != first.etag


@pytest.mark.parametrize("made_up", ["", "x" * 43, "../../etc/passwd", "a" * 200])
async def test_made_up_links_open_nothing(feeds, made_up):
    assert await feeds.render(made_up) is None


async def test_a_deleted_rotation_takes_its_feed(services, feeds, db):
    r = await daily(services)
    link = await feeds.rotation_link(r.id)
    await store.delete(db, r.id)
    assert await feeds.render(token(link)) is None


async def test_someone_in_no_rotation_has_an_empty_calendar(services, feeds):
    await daily(services)
    assert await events(feeds, await feeds.person_link("U5")) == []


async def test_a_feed_kept_in_memory_is_served_without_rendering_again(services, feeds, clock, monkeypatch):
    r = await daily(services)
    link = await feeds.rotation_link(r.id)
    first = await feeds.render(token(link))
    rendered = []
    real = feeds._body

    async def counting(*args):
        rendered.append(1)
        return await real(*args)

    monkeypatch.setattr(feeds, "_body", counting)
    assert await feeds.render(token(link)) is first and rendered == []
    clock.now += 301  # kept five minutes at most
    assert (await feeds.render(token(link))).etag == first.etag and rendered == [1]


async def test_a_reset_during_a_lookup_leaves_the_old_link_unknown(services, feeds, monkeypatch):
    """A request that read the old link's row just before a reset must not keep it in memory."""
    import asyncio

    from roundrobin.feeds import service

    old = await feeds.person_link("U1")
    read, go_on = asyncio.Event(), asyncio.Event()
    real = service.store.by_token_hash

    async def slow(db, token_hash):
        found = await real(db, token_hash)
        read.set()
        await go_on.wait()  # the reset happens here, after the old row was read
        return found

    monkeypatch.setattr(service.store, "by_token_hash", slow)
    looking = asyncio.ensure_future(feeds.render(token(old)))
    await read.wait()
    new = await feeds.reset_person("U1")
    go_on.set()
    await looking
    monkeypatch.setattr(service.store, "by_token_hash", real)
    assert await feeds.render(token(old)) is None
    assert await feeds.render(token(new)) is not None
