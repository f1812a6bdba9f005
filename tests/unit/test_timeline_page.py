"""The timeline page: its signed links (refused when changed or expired), its two weeks in the
rotation's own days across DST, and everything on it escaped. Also the Slack blocks that lead to it."""

import re
from datetime import UTC, date, datetime
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest

from roundrobin.access import Access
from roundrobin.feeds import page
from roundrobin.feeds.duties import Duty
from roundrobin.feeds.pages import TimelinePages
from roundrobin.feeds.web import _matches
from roundrobin.links import SignedLinks
from roundrobin.pagerduty.people import PeopleLinks
from roundrobin.rotations.schedule import Schedule
from roundrobin.signals import Signals
from roundrobin.slack.ids import Calendars
from roundrobin.slack.views.calendars import RotationCalendar, rotation_calendar_blocks, your_calendar_blocks
from roundrobin.store import directory
from roundrobin.store import rotations as store
from roundrobin.store.directory import SlackUser
from tests.support import Rotations
from tests.unit.test_feeds import START, Clock
from tests.unit.test_rotation_service import Roles, Workspace, draft

LONDON = ZoneInfo("Europe/London")
DAY = 86400.0


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def pages(db, clock):
    await directory.upsert(db, [SlackUser("U1", "a", "Ann <script>alert(1)</script>")], clock.now)
    access = Access(db, Roles(), ())
    people = PeopleLinks(db, access, None, None, lambda: None, clock)  # type: ignore[arg-type]
    return TimelinePages(
        db, SignedLinks(b"s" * 32), "https://rr.example.com", "https://slack/app", people, clock
    )


@pytest.fixture
async def rotation(db, clock):
    services = Rotations(db, Access(db, Roles(), ()), Workspace(), Signals.new(), clock=clock)
    made = draft(name='Ops "A" & <B>', schedule=Schedule("daily", "09:00", tz="Europe/London"))
    return await services.create(made, "U9", False)


def query(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://rr.example.com/timeline"
    return dict(parse_qsl(parts.query))


async def test_the_page_of_a_signed_link_escapes_what_people_typed(pages, rotation):
    shown = await pages.page(query(pages.link(rotation.id, "U2")))
    assert shown.status == 200
    assert "Ann &lt;script&gt;alert(1)&lt;/script&gt;" in shown.html and "<script>" not in shown.html
    assert "Ops &quot;A&quot; &amp; &lt;B&gt; (OPS)" in shown.html
    assert shown.html.count('class="row"') == 4, "the days, then U1, U2 and U3"


async def test_previous_and_next_are_signed_to_the_same_expiry(pages, rotation, clock):
    first = query(pages.link(rotation.id, "U2"))
    shown = await pages.page(first)
    [following] = [h.replace("&amp;", "&") for h in _hrefs(shown.html, "next")]
    nxt = query(following)
    assert nxt["exp"] == first["exp"] and nxt["from"] == "2026-03-30"  # the Monday after next
    assert (await pages.page(nxt)).status == 200
    assert "Mon 30 Mar – Sun 12 Apr 2026" in (await pages.page(nxt)).html


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"rotation": "2"}, 403, "not one Round Robin made"),
        ({"for": "U3"}, 403, "not one Round Robin made"),
        ({"sig": "x"}, 403, "not one Round Robin made"),
        ({"from": "2026-01-01"}, 403, "not one Round Robin made"),
    ],
)
async def test_a_changed_link_is_refused_with_a_page_saying_what_to_do(
    pages, rotation, change, status, words
):
    shown = await pages.page({**query(pages.link(rotation.id, "U2")), **change})
    assert shown.status == status and words in shown.html and "Open calendar" in shown.html


async def test_an_expired_link_is_a_410_and_a_deleted_rotation_a_404(pages, rotation, clock, db):
    link = query(pages.link(rotation.id, "U2"))
    clock.now += DAY + 1
    shown = await pages.page(link)
    assert shown.status == 410 and "has expired" in shown.html
    link = query(pages.link(rotation.id, "U2"))
    await store.delete(db, rotation.id)
    assert (await pages.page(link)).status == 404


def test_days_are_the_rotations_own_across_the_clock_change():
    """Sunday 29 March 2026 has 23 hours in London: each day is still one fourteenth of the width."""
    first = date(2026, 3, 23)
    sunday_9 = datetime(2026, 3, 29, 9, 0, tzinfo=LONDON).timestamp()  # 08:00 UTC, 8 hours into the day
    monday_9 = datetime(2026, 3, 30, 9, 0, tzinfo=LONDON).timestamp()
    duties = [Duty(1, "1-a", sunday_9, monday_9, ("U1",), "cover")]
    html = page.render(_view(first, duties))
    left = 100 * (6 + 8 / 23) / 14
    width = 100 * (7 + 9 / 24) / 14 - left
    assert f'class="bar cover" style="left:{left:.3f}%;width:{width:.3f}%"' in html
    assert "Sun 29 Mar 09:00 – Mon 30 Mar 09:00" in html


def test_nobody_on_duty_has_a_row_of_its_own_and_unknown_whys_are_not_classes():
    first = date(2026, 3, 23)
    start = datetime(2026, 3, 24, tzinfo=UTC).timestamp()
    duties = [
        Duty(1, "1-a", start, start + 3600, (), "closed"),
        Duty(1, "1-b", start + 3600, start + 7200, ("U1",), 'x" onclick="y'),
    ]
    html = page.render(_view(first, duties))
    assert "Nobody on duty</div>" in html and 'class="bar nobody"' in html
    assert 'class="bar turn"' in html and 'onclick="' not in html


@pytest.mark.parametrize(
    ("header", "matches"),
    [('"abc"', True), ('W/"abc"', True), ('"x", "abc"', True), ("*", True), ('"abcd"', False), ("", False)],
)
def test_if_none_match(header, matches):
    assert _matches(header, '"abc"') is matches


def test_the_slack_blocks_offer_reset_only_to_whom_it_belongs():
    editor = rotation_calendar_blocks(RotationCalendar(7, "OPS", "https://f/x.ics", "https://t", True))
    reader = rotation_calendar_blocks(RotationCalendar(7, "OPS", "https://f/x.ics", "https://t", False))
    assert (
        editor[0]["accessory"]["url"] == "https://t"
        and editor[0]["accessory"]["action_id"] == Calendars.OPEN_TIMELINE
    )
    assert (
        editor[1]["accessory"]["action_id"] == Calendars.RESET_ROTATION
        and "confirm" in editor[1]["accessory"]
    )
    assert "accessory" not in reader[1] and "`https://f/x.ics`" in reader[1]["text"]["text"]
    [mine] = your_calendar_blocks("https://f/me.ics")
    assert (
        mine["accessory"]["action_id"] == Calendars.RESET_MINE
        and "`https://f/me.ics`" in mine["text"]["text"]
    )


def _view(first: date, duties: list[Duty]) -> page.TimelineView:
    return page.TimelineView(
        title="Ops (OPS)",
        tz=LONDON,
        tz_name="Europe/London",
        first=first,
        days=14,
        now=START,
        people=["U1"],
        names={"U1": "Ann"},
        duties=duties,
        previous=None,
        next=None,
        today=None,
        slack_link="https://slack/app",
        expires=START + DAY,
    )


def _hrefs(html: str, rel: str) -> list[str]:
    return re.findall(rf'href="([^"]+)" rel="{rel}"', html)
