"""The on-call load report over a real database: duty the services recorded, covers, answered
requests; covers offered least-loaded first; and the Load tab within Slack's limits."""

from __future__ import annotations

import pytest

from roundrobin.rotations.load import LoadPage, PersonLoad, RotationLoad, Split
from roundrobin.rotations.load_report import LoadReports
from roundrobin.sim.slack.blockkit import view_problems
from roundrobin.slack.views.home import HomeState, home_view
from roundrobin.slack.views.load import PAGE_SIZE, LoadView, load_blocks
from tests.unit.test_shifts import Clock, daily

HOUR = 3600


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def services(db, clock):
    from roundrobin.access import Access
    from roundrobin.signals import Signals
    from tests.support import Rotations
    from tests.unit.test_rotation_service import Roles, Workspace

    return Rotations(db, Access(db, Roles(), ()), Workspace(), Signals.new(), clock=clock)


async def test_recorded_duty_covers_and_answers_make_the_report_and_the_cover_order(services, db, clock):
    # 20:40 in London, whatever the time of day the test runs: the third Rotate comes after the
    # rotation's own 09:00 hand-over fell due (the turn order goes on from there).
    clock.now = 1_796_676_000.0  # Mon 7 Dec 2026 20:40 UTC
    r = await daily(services)  # U1, U2, U3; U1 on duty from now
    for hours, who in ((2, "U2"), (10, "U3"), (1, "U2")):
        clock.now += hours * HOUR
        change = await services.duty.rotate(r.id, "U9")
        assert change.rotation.on_duty == (who,)
    clock.now += 1 * HOUR

    # U2 asks for cover: U3 (1 h) is asked before U1 (2 h), though U1 comes first in turn.
    hours = await services.shifts.hours_on_duty(r)
    assert (round(hours["U1"]), round(hours["U2"]), round(hours["U3"])) == (2, 11, 1)
    request = await services.shifts.request_cover(r.id, "U2", clock.now, clock.now + 2 * HOUR)
    assert request.offered_to == ("U3", "U1")
    await services.shifts.take_cover(request.id, "U3")
    clock.now += 2 * HOUR
    await db.execute(
        """INSERT INTO requests (rotation_id, code, channel_id, thread_ts, requester, text, state, acked_by,
               created_at, expires_at, closed_at) VALUES (?, 'OPS', 'C1', '1.1', 'U7', 'help', 'acked', 'U2', ?, ?, ?)""",
        (r.id, clock.now - 60, clock.now + 600, clock.now - 30),
    )

    page = await LoadReports(db, clock).page(30, 0, 20)
    [ops] = page.rotations
    people = {p.person: p for p in ops.people}
    assert round(people["U2"].split.hours) == 11 and people["U2"].covers_taken == 1
    assert round(people["U3"].split.hours) == 3 and people["U3"].covers_given == 1
    assert people["U3"].hand_overs == 2, "their turn, then the cover"
    assert people["U2"].answered == 1 and round(people["U1"].split.hours) == 2
    assert [p.person for p in ops.people][0] == "U2", "most hours first"


async def test_pages_of_rotations(services, db, clock):
    for code in ("AAA", "BBB", "CCC"):
        await daily(services, name=f"Rotation {code}", code=code)
    reports = LoadReports(db, clock)
    first, last = await reports.page(90, 0, 2), await reports.page(90, 7, 2)
    assert (first.pages, [r.code for r in first.rotations]) == (2, ["AAA", "BBB"])
    assert (last.page, [r.code for r in last.rotations]) == (1, ["CCC"]), "a page past the end is the last"
    assert (await reports.page(45, 0, 2)).days == 30, "a period it does not offer is the first"


def test_a_full_page_of_big_rotations_fits_slack():
    people = tuple(PersonLoad(f"U{i:03}", Split(i, i / 3, i / 4), 3, 1, 2, 4) for i in range(200))
    rotations = tuple(RotationLoad(i, f"Rotation & <{i}>" * 5, f"R{i}", people) for i in range(PAGE_SIZE))
    page = LoadPage(30, 0, 30 * 86400, rotations, {p.person: "Ünïcode ```Name " * 4 for p in people}, 3, 9)
    view = home_view(
        HomeState(tab="load", load_blocks=tuple(load_blocks(LoadView(page, "https://rr/load.csv"))))
    )
    assert len(view["blocks"]) <= 100
    assert view_problems(view) == []
    text = str(view)
    assert "…and 170 more: the CSV has everyone." in text
    table = next(
        b["text"]["text"] for b in view["blocks"] if b.get("text", {}).get("text", "").startswith("```")
    )
    assert table.startswith("```Person") and table.count("```") == 2, "names cannot close the code block"
    assert "Page 4 of 9" in text and "load.page.previous" in text and "load.page.next" in text
