"""Walkthroughs on the largest PagerDuty accounts: 10,002 schedules, more than PagerDuty pages
through in one list. A schedule near the end is found by typing its name and bound; a read that
PagerDuty keeps refusing shows on the card and in /healthz once, and is not repeated every interval
while the poll goes on."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from roundrobin.sim.pagerduty import FakePagerDuty
from roundrobin.sim.pagerduty.scenarios import AccountShape, SeededAccount, seed_account
from roundrobin.slack.ids import PagerDuty, Rotations
from tests.contract.checker import ContractChecker
from tests.e2e.conftest import ADMIN, OPS, seed_pagerduty
from tests.e2e.steps import home_after, modal_after, rows
from tests.e2e.test_rotations_pagerduty import bind_rotation, connect_with_key, open_rotations, settings_tab

pytestmark = pytest.mark.e2e
DENIED = {"error": {"message": "Access Denied", "code": 2010}}


@pytest.fixture
async def account_pd():
    """The organisation's PagerDuty (conftest) and 10,000 schedules more, in contract mode."""
    fake = seed_pagerduty(FakePagerDuty(subdomain="acme", contract=ContractChecker.default()))
    account = seed_account(fake, AccountShape(schedules=10_000, people=500))
    async with fake:
        yield fake, account


@pytest.fixture
async def pd(account_pd):
    return account_pd[0]


@pytest.fixture
def account(account_pd) -> SeededAccount:
    return account_pd[1]


def slack_people_of(slack, account: SeededAccount, schedule_id: str) -> None:
    """The schedule's people have Slack accounts with the same emails."""
    people = {p.id: p for p in account.people}
    for pd_id in account.members[schedule_id]:
        person = people[pd_id]
        slack.add_user(f"U{pd_id}", pd_id.lower(), person.name, person.email)


def searches(pd) -> list:
    return [r for r in pd.requests if r.path in ("/schedules", "/v3/schedules") and "query" in r.query]


async def type_and_bind(slack, admin, app, name: str, code: str) -> list[list[str]]:
    """Create rotation › Source: PagerDuty › type the schedule's name a key at a time › pick it ›
    Create; returns the options offered after each key."""
    await open_rotations(slack, admin)
    await modal_after(slack, admin, admin.click(Rotations.CREATE))
    await admin.fill(Rotations.NAME, f"{name} rota")
    await admin.fill(Rotations.CODE, code)
    await modal_after(slack, admin, admin.fill(Rotations.SOURCE, "pagerduty"))
    offered = []
    for n in range(1, len(name) + 1):
        offered.append([o["text"]["text"] for o in await admin.suggest(Rotations.PD_SCHEDULE, name[:n])])
    [option] = [o for o in await admin.suggest(Rotations.PD_SCHEDULE, name) if o["text"]["text"] == name]
    await admin.fill(Rotations.PD_SCHEDULE, option)
    await admin.fill(Rotations.CHANNELS, [OPS])
    assert await admin.submit() == {}
    return offered


async def test_a_schedule_near_the_end_of_10002_is_found_by_typing_its_name_and_bound(
    app, slack, pd, account
):
    target = account.schedule_ids[-1]  # the last of 10,002: past any list PagerDuty pages through
    name = pd.directory.schedules[target].name
    slack_people_of(slack, account, target)
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)
    pd.reset_requests()

    offered = await type_and_bind(slack, admin, app, name, "END")

    assert offered[-1] == [name], "the full name finds exactly that schedule"
    assert len(offered[0]) == 100, "one letter: the first 100 matches, no more"
    asked = searches(pd)
    assert len(asked) < len(name), "typing on asks nothing once the matches fit in one page"
    assert all(r.query.get("offset", ["0"]) == ["0"] for r in pd.requests if r.path == "/schedules")
    await slack.wait_for(
        lambda: rows(app, "SELECT COUNT(*) FROM rotation_members WHERE on_duty = 1")[0][0] == 1, timeout=10
    )
    text = await open_rotations(slack, admin)
    assert f"PagerDuty: {name}" in text and "On duty: <@U" in text
    assert all(r.status == 200 for r in pd.requests), "nothing refused: no list paged past 10,000"
    acks = [a.seconds for a in slack.acks if a.type == "interactive" and a.payload and "options" in a.payload]
    assert acks and max(acks) < 2.0, "every key answered well within Slack's 3 seconds"

    settings = await settings_tab(slack, admin)
    assert "10,002 schedules" in settings and "1 bound rotation" in settings


@pytest.mark.parametrize("app_settings", [{"SYNC_INTERVAL_SECONDS": "2"}])
async def test_a_read_pagerduty_keeps_refusing_shows_once_and_the_poll_goes_on(app, slack, pd, account):
    target = account.unrouted[-1]  # in no escalation policy: read from its own page
    name = pd.directory.schedules[target].name
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)
    await bind_rotation(slack, admin, app, search="Ops Primary")  # polled every interval
    pd.fail_next(403, path=f"/schedules/{target}", count=None, body=DENIED)  # until someone fixes it

    await type_and_bind(slack, admin, app, name, "DESK")
    await slack.wait_for(lambda: "pagerduty read failing" in app.log_text(), timeout=10)
    pd.reset_requests()
    started = time.time()
    card = await settings_tab(slack, admin)
    await asyncio.sleep(max(0.0, started + 20 - time.time()))  # ten intervals

    refused = [r for r in pd.requests if r.path == f"/schedules/{target}"]
    assert refused == [], "asked once, when it was bound; not again every interval"
    assert app.log_text().count("pagerduty read failing") == 1
    per_interval = [
        len([r for r in pd.requests if started + 2 * n <= r.at < started + 2 * (n + 1)]) for n in range(10)
    ]
    assert max(per_interval) <= 2 and sum(per_interval) >= 8, (
        f"flat: the poll, once an interval {per_interval}"
    )
    assert {r.path for r in pd.requests} == {"/oncalls"}, "the poll of the bound schedules goes on"

    for shown in (card, await settings_tab(slack, admin)):  # the same warning, ten intervals apart
        assert f"cannot read the week ahead of {name}, which {name} rota (DESK) follows*" in shown
        assert "HTTP 403" in shown and "tried once" in shown and "What to do:" in shown
    async with aiohttp.ClientSession() as http, http.get(app.url + "/healthz") as r:
        body = await r.json()
    assert r.status == 503 and body["problems"] == ["pagerduty"]
    assert body["pagerduty"]["reads"]["parts"] == ["schedules"] and body["pagerduty"]["sync"] == "ok"
    assert "Access Denied" not in str(body), "no third-party text to anonymous callers"

    pd.clear_faults()  # someone gave the key access; Sync now tries again at once
    await home_after(slack, admin, admin.click(PagerDuty.SYNC_NOW))
    await slack.wait_for(lambda: "Sync finished" in admin.text(), timeout=10)
    assert "cannot read" not in await settings_tab(slack, admin)
    async with aiohttp.ClientSession() as http, http.get(app.url + "/healthz") as r:
        assert r.status == 200
