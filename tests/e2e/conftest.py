"""End-to-end fixtures: the loopback fakes, a small organisation, and the real app pointed at them."""

from __future__ import annotations

import pytest

from roundrobin.config import CALLBACK_PATH
from roundrobin.sim.pagerduty import FakePagerDuty
from roundrobin.sim.slack import FakeSlack
from tests.e2e.harness import APP_TOKEN, BOT_TOKEN, AppProcess, InProcessApp, TravelClock

ADMIN, BOB, CAROL, DAVE = "U0ADMIN", "U0BOB", "U0CAROL", "U0DAVE"
OPS, GENERAL = "C0OPS", "C0GENERAL"
API_KEY = "u+pdReadOnlyKeyAbcd"
CLIENT_ID, CLIENT_SECRET = "9f2c1a4e-6b1d-4c55-9a77-client", "s3cret-client-value-Zx9"


@pytest.fixture
async def slack():
    fake = FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN, team_id="T0ACME", app_id="A0RR")
    fake.add_user(ADMIN, "alice", "Alice Admin", "alice@corp.example", is_admin=True)
    fake.add_user(BOB, "bob", "Bob Builder", "bob@corp.example")
    fake.add_user(CAROL, "carol", "Carol Chen", "Carol@Corp.example")
    fake.add_user(DAVE, "dave", "Dave Doe", "dave@corp.example")
    fake.add_channel(OPS, "ops", bot_is_member=True, members=[ADMIN, BOB, CAROL])
    fake.add_channel(GENERAL, "general", bot_is_member=True, members=[ADMIN, BOB, CAROL, DAVE])
    await fake.start()
    yield fake
    await fake.stop()


def seed_pagerduty(fake: FakePagerDuty) -> FakePagerDuty:
    """The organisation's PagerDuty: four people, two schedules in one escalation policy, a key."""
    fake.add_user("PALICE", "Alice Admin", "alice@corp.example")
    fake.add_user("PBOB", "Bob Builder", "bob@corp.example")
    fake.add_user("PCAROL", "Carol Chen", "carol@corp.example")
    fake.add_user("PJANE", "Jane Roe", "jane@corp.example")
    fake.add_schedule(
        "PSPRIM", "Ops Primary", user_ids=["PBOB", "PCAROL", "PJANE"], escalation_policy_ids=["PEOPS"]
    )
    fake.add_schedule("PSSEC", "Ops Secondary", user_ids=["PALICE"], escalation_policy_ids=["PEOPS"])
    fake.set_on_call("PSPRIM", "PBOB")
    fake.set_on_call("PSSEC", "PALICE")
    fake.add_api_key(API_KEY, read_only=True)
    return fake


@pytest.fixture
async def pd():
    fake = seed_pagerduty(FakePagerDuty(subdomain="acme"))
    await fake.start()
    yield fake
    await fake.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    process = item.funcargs.get("app") if hasattr(item, "funcargs") else None
    if report.failed and isinstance(process, AppProcess):
        report.sections.append(("app log (last 60 lines)", "\n".join(process.log_text().splitlines()[-60:])))
    return report


@pytest.fixture
def app_settings() -> dict[str, str]:
    """Environment overrides for the app under test (a module can override this fixture)."""
    return {}


@pytest.fixture
async def app(request, tmp_path, slack, pd, app_settings):
    """The real app, in the test's event loop; as its own process for tests marked `process` (kill -9)."""
    if request.node.get_closest_marker("process"):
        process = AppProcess(tmp_path, slack.api_url, pd.url, **app_settings)
    else:
        process = InProcessApp(tmp_path, slack.api_url, pd.url, clock=TravelClock(), **app_settings)
    pd.add_oauth_app(
        CLIENT_ID, CLIENT_SECRET, redirect_uris=[process.url + CALLBACK_PATH], authorizing_user_id="PALICE"
    )
    await process.start()
    await slack.wait_connected()
    yield process
    code = await process.stop()
    assert code == 0, f"the app did not stop cleanly (exit {code}):\n{process.log_text()[-3000:]}"
    assert "network call inside a database transaction" not in process.log_text(), (
        "the database lock was held while Slack or PagerDuty answered"
    )
