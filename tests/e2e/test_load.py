"""The App Home's Load tab and its CSV (issue 19): a seeded fortnight of recorded duty, split into
nights and weekends in each person's own Slack time zone, seen in Slack and fetched over HTTP."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp
import pytest

from roundrobin.slack.ids import Home, LoadIds
from tests.e2e.conftest import ADMIN, BOB, CAROL, DAVE, OPS
from tests.e2e.steps import create_rotation, home_after, rows

pytestmark = pytest.mark.e2e
HOUR, DAY = 3600.0, 86400.0


@pytest.fixture
async def slack(slack):
    """Bob keeps UTC, Carol lives in Tokyo (UTC+9, no DST), Dave in London (as Slack says)."""
    slack.workspace.users[BOB].tz = "Africa/Abidjan"
    slack.workspace.users[CAROL].tz = "Asia/Tokyo"
    return slack


def seed_fortnight(app, rotation_id: int) -> float:
    """Bob on duty a week from a Monday 09:00 UTC, then Carol a week, then Dave a day, then nobody:
    recorded as the app records duty changes. Returns when it began."""
    now = datetime.fromtimestamp(app.clock(), UTC)
    start_day = (now - timedelta(days=20)).date()
    monday = start_day - timedelta(days=start_day.weekday())
    begin = datetime(monday.year, monday.month, monday.day, 9, tzinfo=UTC).timestamp()
    changes = [(begin, [BOB]), (begin + 7 * DAY, [CAROL]), (begin + 14 * DAY, [DAVE]), (begin + 15 * DAY, [])]
    with sqlite3.connect(app.db_path) as db:
        before: list[str] = []
        for at, after in changes:
            detail = json.dumps({"after": after, "before": before, "reason": "handoff"}, sort_keys=True)
            db.execute(
                "INSERT INTO events (at, kind, rotation_id, actor, detail) VALUES (?, 'duty.changed', ?, NULL, ?)",
                (at, rotation_id, detail),
            )
            before = after
    return begin


def person_row(text: str, name: str) -> tuple[float, float, float, int]:
    """(hours, nights, weekends, hand-overs) from a person's row of the Load table."""
    match = re.search(rf"{name}\s+[█░]+\s+([\d.]+)h\s+([\d.]+)\s+([\d.]+)\s+(\d+)", text)
    assert match, f"no row for {name} in:\n{text}"
    hours, night, weekend, hand_overs = match.groups()
    return float(hours), float(night), float(weekend), int(hand_overs)


async def test_the_load_tab_splits_a_seeded_fortnight_and_its_csv_comes_over_http(app, slack, pd):
    admin = slack.user(ADMIN)
    assert await create_rotation(slack, admin, members=(BOB, CAROL, DAVE), channels=[OPS]) == {}
    rotation_id = rows(app, "SELECT id FROM rotations WHERE code = 'OPS'")[0][0]
    seed_fortnight(app, rotation_id)

    text = await home_after(slack, admin, admin.click(Home.TAB_LOAD))
    assert "On-call load* over the last 30 days" in text
    assert "*Primary on-call* `OPS`" in text
    # Bob: a week in UTC, 7 nights of 9 hours and a whole weekend. Carol: the same week in Tokyo's
    # wall clock, so her nights and weekend are Tokyo's. Dave: a Monday to Tuesday, one night.
    # Bob came on duty twice: in the fortnight, and when the rotation was made a moment ago.
    assert person_row(text, "Bob Builder") == (168.0, 63.0, 48.0, 2)
    assert person_row(text, "Carol Chen") == (168.0, 63.0, 48.0, 1)
    assert person_row(text, "Dave Doe") == (24.0, 9.0, 0.0, 1)
    assert "360 h on duty, 135 h at night, 96 h on weekends and holidays" in text

    # The 90-day switch shows the same fortnight over the longer period.
    text = await home_after(slack, admin, admin.click(LoadIds.PERIOD_90))
    assert "over the last 90 days" in text and person_row(text, "Dave Doe") == (24.0, 9.0, 0.0, 1)

    # The CSV, fetched over HTTP through the signed link on the tab.
    url = await admin.click(LoadIds.CSV)
    assert url.startswith(app.url + "/load.csv?")
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/csv")
            assert "attachment" in response.headers["Content-Disposition"]
            table = list(csv.DictReader(io.StringIO(await response.text())))
        by_person = {r["person"]: r for r in table if r["code"] == "OPS"}
        assert {
            k: by_person[CAROL][k] for k in ("name", "hours", "night_hours", "weekend_holiday_hours")
        } == {
            "name": "Carol Chen",
            "hours": "168.0",
            "night_hours": "63.0",
            "weekend_holiday_hours": "48.0",
        }
        assert by_person[DAVE]["hand_overs"] == "1"

        # A link changed by hand (30 days asked of a 90-day link) is refused, with a page that says so.
        parts = dict(parse_qsl(urlsplit(url).query))
        forged = f"{app.url}/load.csv?{urlencode({**parts, 'days': '30'})}"
        async with http.get(forged) as response:
            assert response.status == 403
            assert "not one Round Robin made" in await response.text()
        async with http.get(f"{app.url}/load.csv?days=30") as response:
            assert response.status == 403

        # A day later the link has expired.
        await app.travel(DAY + 60)
        async with http.get(url) as response:
            assert response.status == 410
            assert "expired" in await response.text()
