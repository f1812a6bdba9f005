"""GET /metrics (METRICS_ENABLED=true): Prometheus' text format, read back with prometheus_client's own
parser, whose counters move with the work the app does; a 404 when it is not enabled."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from roundrobin.slack.ids import MenuChoice, Rotations
from tests.e2e.conftest import ADMIN, BOB, CAROL, OPS
from tests.e2e.first_week_steps import connect_with_key, sync_now
from tests.e2e.steps import create_rotation, home_after, rows, told

pytestmark = pytest.mark.e2e

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def app_settings() -> dict[str, str]:
    return {"METRICS_ENABLED": "true"}


async def scrape(app) -> Samples:
    async with aiohttp.ClientSession() as http, http.get(app.url + "/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = await response.text()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape_until(app, holds: Callable[[Samples], bool], timeout: float = 10.0) -> Samples:
    """Scrape as Prometheus would, until what it shows holds."""
    async with asyncio.timeout(timeout):
        while True:
            samples = await scrape(app)
            if holds(samples):
                return samples
            await asyncio.sleep(0.1)


async def rotate(slack, app, user) -> None:
    """Rotate from the card's menu (the revision it was drawn with, as the menu carries it)."""
    rotation_id, rev = rows(app, "SELECT id, duty_rev FROM rotations")[0]
    await home_after(
        slack, user, user.click(Rotations.MENU, option=f"{MenuChoice.ROTATE}:{rotation_id}:{rev}")
    )


async def test_counters_move_with_the_work(app, slack, pd):
    admin = slack.user(ADMIN)
    assert await create_rotation(slack, admin, channels=[OPS]) == {}
    await slack.wait_for(lambda: told(slack, OPS, f"<@{BOB}>"))
    before = await scrape(app)
    assert value(before, "roundrobin_duty_changes_total", reason="created") == 1
    assert value(before, "roundrobin_socket_mode_connections_total") == 1
    assert value(before, "roundrobin_socket_mode_reconnects_total") == 0
    # Reads and Socket Mode's own call are told apart from writes, and are not writes.
    assert value(before, "roundrobin_slack_requests_total", method="auth.test", kind="read") >= 1
    assert (
        value(before, "roundrobin_slack_requests_total", method="apps.connections.open", kind="connect") >= 1
    )
    assert value(before, "roundrobin_slack_writes_total", method="auth.test") == 0

    # A rotation rotated: one duty change, its reason; the channel told (a Slack write); Homes published.
    await rotate(slack, app, admin)
    await slack.wait_for(lambda: told(slack, OPS, f"<@{CAROL}>", "on duty now"))
    after = await scrape_until(
        app,
        lambda s: (
            value(s, "roundrobin_slack_writes_total", method="chat.postMessage")
            > value(before, "roundrobin_slack_writes_total", method="chat.postMessage")
        ),
    )
    assert value(after, "roundrobin_duty_changes_total", reason="rotated") == 1
    assert value(after, "roundrobin_duty_changes_total", reason="created") == 1
    assert value(after, "roundrobin_app_home_publishes_total", outcome="ok") > value(
        before, "roundrobin_app_home_publishes_total", outcome="ok"
    )
    assert value(after, "roundrobin_slack_rate_limited_total", method="chat.postMessage") == 0

    # Slack answers 429 once: counted, and the message still goes out after Retry-After.
    bob_told = len(told(slack, OPS, f"<@{BOB}>", "on duty now"))
    slack.fail_next("chat.postMessage")
    await rotate(slack, app, admin)
    await slack.wait_for(lambda: len(told(slack, OPS, f"<@{BOB}>", "on duty now")) > bob_told, timeout=10)
    latest = await scrape_until(
        app, lambda s: value(s, "roundrobin_slack_rate_limited_total", method="chat.postMessage") == 1
    )
    assert value(latest, "roundrobin_duty_changes_total", reason="rotated") == 2
    assert slack.rate_limited["chat.postMessage"] == 1  # the fake agrees: exactly one 429 was served


async def test_backlog_gauges_and_socket_mode_reconnects(app, slack, pd):
    admin = slack.user(ADMIN)
    assert await create_rotation(slack, admin, channels=[OPS]) == {}
    await slack.wait_for(lambda: told(slack, OPS, f"<@{BOB}>"))
    idle = await scrape_until(app, lambda s: value(s, "roundrobin_slack_backlog_items") == 0)
    assert value(idle, "roundrobin_slack_backlog_oldest_age_seconds") == 0
    assert value(idle, "roundrobin_database_size_bytes") > 0

    # Slack's chat.postMessage is down: the announcement waits in the backlog, and ages.
    slack.outage(60, ["chat.postMessage"])
    await rotate(slack, app, admin)
    waiting = await scrape_until(
        app,
        lambda s: (
            value(s, "roundrobin_slack_backlog_items") >= 1
            and value(s, "roundrobin_slack_backlog_oldest_age_seconds") > 0
        ),
    )
    assert value(waiting, "roundrobin_slack_backlog_items") == 1
    slack.end_outage()
    await slack.wait_for(lambda: told(slack, OPS, f"<@{CAROL}>", "on duty now"), timeout=15)
    await scrape_until(app, lambda s: value(s, "roundrobin_slack_backlog_items") == 0)

    # Slack asks for a fresh connection: the app reconnects, and it is counted.
    await slack.disconnect()
    reconnected = await scrape_until(app, lambda s: value(s, "roundrobin_socket_mode_reconnects_total") == 1)
    assert value(reconnected, "roundrobin_socket_mode_connections_total") == 2


async def test_pagerduty_sync_requests_and_budget(app, slack, pd):
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, app)
    first = await scrape_until(
        app, lambda s: value(s, "roundrobin_pagerduty_sync_runs_total", kind="soon") >= 1
    )
    assert value(first, "roundrobin_pagerduty_requests_total", outcome="ok") > 0
    assert value(first, "roundrobin_pagerduty_budget_per_minute") == 96
    assert value(first, "roundrobin_pagerduty_sync_failures_total", kind="soon") == 0

    # PagerDuty answers 429 once during Sync now: the client waits ratelimit-reset, the sync succeeds.
    pd.rate_limit_next(reset=1)
    assert "Sync finished" in await sync_now(slack, admin)
    synced = await scrape(app)
    assert value(synced, "roundrobin_pagerduty_requests_total", outcome="rate_limited") == 1
    assert value(synced, "roundrobin_pagerduty_sync_runs_total", kind="sync_now") == 1
    assert value(synced, "roundrobin_pagerduty_sync_duration_seconds_count", kind="sync_now") == 1
    # The credit: at most one interval's worth (SYNC_INTERVAL_SECONDS=3600 here), less what was spent.
    assert 0 < value(synced, "roundrobin_pagerduty_budget_credit") < 96 * 3600 / 60


@pytest.mark.parametrize("app_settings", [{}])
async def test_metrics_are_a_404_unless_enabled(app, slack, pd):
    async with aiohttp.ClientSession() as http:
        async with http.get(app.url + "/metrics") as response:
            assert response.status == 404
        async with http.get(app.url + "/healthz") as response:
            assert response.status == 200
