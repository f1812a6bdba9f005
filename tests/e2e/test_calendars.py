"""Calendar feeds and the timeline page (issue 19), through the running app: links found where a
person finds them in Slack, fetched over HTTP, feeds parsed with icalendar."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp
import pytest
from icalendar import Calendar
from multidict import CIMultiDict

from roundrobin.sim.slack.views import iter_elements
from roundrobin.slack.ids import Calendars, Rotations, Shifts
from tests.e2e.conftest import ADMIN, BOB, CAROL, DAVE
from tests.e2e.steps import home_after, modal_after, open_rotations, open_settings, rows
from tests.e2e.test_covers import details, dm_with

pytestmark = pytest.mark.e2e
HOUR, DAY = 3600, 86400
FEED = re.compile(r"http://127\.0\.0\.1:\d+/calendar/[A-Za-z0-9_-]{43}\.ics")


async def get(url: str, **headers: str) -> tuple[int, CIMultiDict, bytes]:
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as r:
        return r.status, CIMultiDict(r.headers), await r.read()


async def events(url: str) -> list[tuple[float, float, str, str]]:
    """(start, end, summary, UID) of every event of the feed, fetched as a calendar app would."""
    status, headers, body = await get(url)
    assert status == 200 and headers["Content-Type"].startswith("text/calendar"), (status, body[:200])
    found = [
        (e.decoded("DTSTART").timestamp(), e.decoded("DTEND").timestamp(), str(e["SUMMARY"]), str(e["UID"]))
        for e in Calendar.from_ical(body).walk("VEVENT")
    ]
    assert len({uid for *_, uid in found}) == len(found), "each UID once"
    return found


async def daily_ops(slack, app) -> int:
    """Bob, Carol and Dave hand over every day at 09:00 (UTC); Bob is on duty first."""
    admin = slack.user(ADMIN)
    await admin.open_home()
    await modal_after(slack, admin, admin.click(Rotations.CREATE))
    await admin.fill(Rotations.NAME, "Primary on-call")
    await admin.fill(Rotations.CODE, "ops")
    await admin.fill(Rotations.MEMBERS, [BOB, CAROL, DAVE])
    await modal_after(slack, admin, admin.fill(Rotations.KIND, "daily"))
    await admin.fill(Rotations.TIME, "09:00")
    assert await admin.submit() == {}
    return rows(app, "SELECT id FROM rotations WHERE code = 'OPS'")[0][0]


def button_url(view: dict, action_id: str) -> str:
    [url] = [e["url"] for _, e in iter_elements(view["blocks"]) if e.get("action_id") == action_id]
    return url


async def test_a_persons_feed_follows_a_cover_answers_304_and_a_reset_link_404s(app, slack, pd):
    rotation_id = await daily_ops(slack, app)
    bob, carol = slack.user(BOB), slack.user(CAROL)

    # Bob finds his link in Settings, with Reset link beside it.
    [bobs] = FEED.findall(await open_settings(slack, bob))
    mine = await events(bobs)
    assert mine and all(summary == "On duty: Primary on-call (OPS)" for _, _, summary, _ in mine)
    now_start, now_end, _, now_uid = mine[0]
    assert now_start <= app.clock() < now_end, "the present shift is Bob's"

    # Gzip for the apps that take it (most do), the same calendar as plain text for the others.
    status, headers, _ = await get(bobs)
    assert headers["Content-Encoding"] == "gzip" and headers["Vary"] == "Accept-Encoding"
    _, plain, plain_body = await get(bobs, **{"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain and plain["ETag"] != headers["ETag"]
    assert Calendar.from_ical(plain_body).walk("VEVENT")[0]["UID"] == now_uid

    # A calendar app asking again with the ETag it has gets a 304 and no body.
    status, again, body = await get(bobs, **{"If-None-Match": headers["ETag"]})
    assert (status, body) == (304, b"") and again["ETag"] == headers["ETag"]

    # Bob asks for cover for the next hour and Carol takes it: the event moves to Carol's feed.
    await open_rotations(slack, bob)
    await bob.click(Shifts.COVER_OPEN)
    await slack.wait_for(lambda: bob.modal is not None)
    await bob.fill(Shifts.UNTIL, int(app.clock() + HOUR))
    assert await bob.submit() == {}
    [offer] = await slack.wait_for(lambda: dm_with(slack, CAROL, "asks for cover"))
    await carol.click_in_message(offer, Shifts.TAKE)
    await slack.wait_for(lambda: dm_with(slack, CAROL, "Thank you!"))
    [carols] = FEED.findall(await open_settings(slack, carol))
    covered = [e for e in await events(carols) if e[0] <= app.clock() < e[1]]
    assert len(covered) == 1 and covered[0][1] == pytest.approx(app.clock() + HOUR, abs=60)
    assert all(not (s <= app.clock() < e) for s, e, *_ in await events(bobs)), "not Bob's now"
    status, _, _ = await get(bobs, **{"If-None-Match": headers["ETag"]})
    assert status == 200, "the feed changed: no 304"

    # The rotation's feed has Carol in the cover, and the event of Bob's turn is still one event.
    [rotations] = FEED.findall(str(await details(slack, slack.user(ADMIN), rotation_id)))
    everyone = await events(rotations)
    assert [e[2] for e in everyone if e[0] <= app.clock() < e[1]] == ["On duty: Carol Chen (OPS)"]
    assert now_uid in [uid for *_, uid in everyone]

    # Reset link: the old link is a 404 at once, the new one works.
    await open_settings(slack, bob)
    await home_after(slack, bob, bob.click(Calendars.RESET_MINE, confirm=True))
    assert "New calendar link made: the old one stopped working" in bob.text()
    [new] = FEED.findall(bob.text())
    assert new != bobs
    status, _, body = await get(bobs)
    assert status == 404 and b"reset" in body
    assert await events(new)


async def test_the_timeline_page_through_its_link_and_refusals(app, slack, pd):
    rotation_id = await daily_ops(slack, app)
    dave, admin = slack.user(DAVE), slack.user(ADMIN)
    seen = await details(slack, dave, rotation_id)
    url = button_url(seen, Calendars.OPEN_TIMELINE)
    assert Calendars.RESET_ROTATION not in str(seen), "only editors may reset the rotation's link"
    status, headers, body = await get(url)
    page = body.decode()
    assert status == 200 and "Primary on-call (OPS)" in page
    assert all(name in page for name in ("Bob Builder", "Carol Chen", "Dave Doe"))
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer", "the signed link never leaks in a Referer"
    [following] = re.findall(r'href="([^"]+)" rel="next"', page)
    status, _, _ = await get(following.replace("&amp;", "&"))
    assert status == 200, "the next two weeks, signed too"

    # Changed, unsigned or expired: a page that says so, and what to do.
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    for bad in (
        {**query, "rotation": str(rotation_id + 1)},
        {k: v for k, v in query.items() if k != "sig"},
        {},
    ):
        status, _, body = await get(f"{app.url}/timeline?{urlencode(bad)}")
        assert status == 403 and b"not one Round Robin made" in body and b"Open calendar" in body
    await app.travel(DAY + 60)
    status, _, body = await get(url)
    assert status == 410 and b"has expired" in body and b"Open calendar" in body

    # The rotation's own feed link: its editor resets it in Details; the old one is a 404 at once.
    shown = await details(slack, admin, rotation_id)
    [old] = FEED.findall(str(shown))
    await modal_after(slack, admin, admin.click(Calendars.RESET_ROTATION, confirm=True))
    assert "New calendar link made" in str(admin.modal)
    [new] = FEED.findall(str(admin.modal))
    assert new != old and (await get(old))[0] == 404 and await events(new)


async def test_a_pagerduty_bound_rotations_feed_follows_pagerdutys_week(app, slack, pd):
    from tests.e2e.test_rotations_pagerduty import bind_rotation, connect_with_key

    now = time.time()
    change = now + 2 * DAY
    pd.set_shifts("PSPRIM", [("PBOB", now - HOUR, change), ("PCAROL", change, change + DAY)])
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)
    await bind_rotation(slack, admin, app)
    rotation_id = rows(app, "SELECT id FROM rotations WHERE code = 'OPS'")[0][0]
    [link] = FEED.findall(str(await details(slack, admin, rotation_id)))
    found = [(s, e, summary) for s, e, summary, _ in await events(link)]
    assert [summary for *_, summary in found] == ["On duty: Bob Builder (OPS)", "On duty: Carol Chen (OPS)"]
    assert found[0][1] == found[1][0] == pytest.approx(change, abs=1), "PagerDuty's hand-over"
    assert found[1][1] == pytest.approx(change + DAY, abs=1)
    [carols] = FEED.findall(await open_settings(slack, slack.user(CAROL)))
    assert [e[2] for e in await events(carols)] == ["On duty: Ops primary (OPS)"]
