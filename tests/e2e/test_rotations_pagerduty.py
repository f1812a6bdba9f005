"""Walkthroughs: rotations bound to PagerDuty schedules follow them, through failures, until disconnect,
hand over at PagerDuty's own time, and every exchange with PagerDuty keeps to its OpenAPI document."""

import asyncio
import math
import sqlite3
import time

import pytest

from roundrobin.sim.pagerduty import FakePagerDuty
from roundrobin.sim.pagerduty.scenarios import AccountShape, seed_account
from roundrobin.slack.ids import PagerDuty, Rotations
from roundrobin.slack.views.rotation_modals import every
from tests.contract.checker import ContractChecker
from tests.e2e.conftest import ADMIN, API_KEY, BOB, CAROL, DAVE, OPS, seed_pagerduty
from tests.e2e.steps import home_after, modal_after, open_settings, told

pytestmark = pytest.mark.e2e
HOUR = 3600


@pytest.fixture
async def pd():
    """The organisation of conftest's PagerDuty, in contract mode: leaving it fails the test if any
    request the app sent, or any answer it got, did not conform to PagerDuty's OpenAPI document."""
    fake = seed_pagerduty(FakePagerDuty(subdomain="acme", contract=ContractChecker.default()))
    async with fake:
        yield fake


def rows(app, sql, *params):
    with sqlite3.connect(app.db_path) as db:
        return db.execute(sql, params).fetchall()


async def connect_with_key(slack, admin, pd, app) -> None:
    await open_settings(slack, admin)
    await modal_after(slack, admin, admin.click(PagerDuty.CONNECT))
    await admin.fill(PagerDuty.API_KEY_INPUT, API_KEY)
    await home_after(slack, admin, admin.submit())
    await slack.wait_for(lambda: "pagerduty sync" in app.log_text(), description="the first sync")


async def settings_tab(slack, admin) -> str:
    """The Settings tab, once it stays: the live App Home republishes a page about a second after a
    change, and a refresh begun before the click on Settings can land after it."""
    for _ in range(5):
        await open_settings(slack, admin)
        await asyncio.sleep(0.5)
        if "*Integrations*" in admin.text():
            return admin.text()
    raise AssertionError(f"the Settings tab kept being covered by refreshes:\n{admin.text()}")


async def sync_now(slack, admin, timeout: float = 5.0) -> str:
    await settings_tab(slack, admin)
    # A large sync may hold up even the first refresh ("Syncing…"): the same patience for both.
    await home_after(slack, admin, admin.click(PagerDuty.SYNC_NOW), timeout=max(5.0, timeout))
    await slack.wait_for(
        lambda: "Sync finished" in admin.text() or "Sync failed" in admin.text(),
        timeout=timeout,
        description="the sync to finish",
    )
    from roundrobin.slack.ids import Home

    return await home_after(slack, admin, admin.click(Home.TAB_ROTATIONS))


async def open_rotations(slack, user) -> str:
    from roundrobin.slack.ids import Home

    await user.open_home()
    return await home_after(slack, user, user.click(Home.TAB_ROTATIONS))


async def bind_rotation(
    slack,
    admin,
    app,
    name="Ops primary",
    code="OPS",
    search="prim",
    schedule="Ops Primary",
    handle="ops-primary",
) -> str:
    """Create rotation › Source: PagerDuty › pick "Ops Primary" › channels and a new group › Create."""
    await open_rotations(slack, admin)
    await modal_after(slack, admin, admin.click(Rotations.CREATE))
    await admin.fill(Rotations.NAME, name)
    await admin.fill(Rotations.CODE, code)
    modal = await modal_after(slack, admin, admin.fill(Rotations.SOURCE, "pagerduty"))
    assert "PagerDuty schedule" in admin.text(modal)
    interval = int(app.env["SYNC_INTERVAL_SECONDS"])
    assert f"synced {every(interval)}." in admin.text(modal), "the interval this server really syncs at"
    with pytest.raises(LookupError):
        admin.find(Rotations.MEMBERS)  # members come from PagerDuty
    options = await admin.suggest(Rotations.PD_SCHEDULE, search)
    assert [o["text"]["text"] for o in options] == [schedule]
    await admin.fill(Rotations.PD_SCHEDULE, options[0])
    await admin.fill(Rotations.CHANNELS, [OPS])
    await admin.fill(Rotations.NEW_GROUP, handle)
    assert await admin.submit() == {}
    await slack.wait_for(
        lambda: rows(app, "SELECT COUNT(*) FROM rotation_members WHERE on_duty = 1")[0][0] == 1
    )
    return await open_rotations(slack, admin)


def group(slack, handle="ops-primary") -> dict:
    return next(g for g in slack.usergroups.values() if g["handle"] == handle)


async def test_bind_then_follow_who_is_on_call(app, slack, pd):
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)
    text = await bind_rotation(slack, admin, app)
    assert "PagerDuty: Ops Primary" in text and "On duty: <@U0BOB>" in text
    assert "2 of 3 linked to Slack" in text  # Jane has no Slack account
    await slack.wait_for(lambda: group(slack)["users"] == [BOB])
    await slack.wait_for(lambda: any(m["channel"] == OPS and "<@U0BOB>" in m["text"] for m in slack.messages))

    pd.set_on_call("PSPRIM", "PCAROL")
    text = await sync_now(slack, admin)
    assert "On duty: <@U0CAROL>" in text
    await slack.wait_for(lambda: group(slack)["users"] == [CAROL])
    await slack.wait_for(
        lambda: any(m["channel"] == OPS and "<@U0CAROL>" in m["text"] for m in slack.messages)
    )

    # nothing changed in PagerDuty: no Slack writes at all
    writes = len([c for c in slack.calls if c[0] in ("chat.postMessage", "usergroups.users.update")])
    await sync_now(slack, admin)
    assert len([c for c in slack.calls if c[0] in ("chat.postMessage", "usergroups.users.update")]) == writes


async def test_an_unmatched_person_on_call_is_listed_then_linked_by_hand(app, slack, pd):
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)
    await bind_rotation(slack, admin, app)
    pd.set_on_call("PSPRIM", "PJANE")
    text = await sync_now(slack, admin)
    # PagerDuty has Jane on call and Slack does not know her: she is named, nobody is said to be off
    assert "On call in PagerDuty: Jane Roe (jane@corp.example)" in text and "not linked to Slack" in text
    assert "Nobody is on duty" not in text
    await slack.wait_for(lambda: group(slack)["enabled"] is False)

    rotation_id = rows(app, "SELECT id FROM rotations")[0][0]
    details = await modal_after(slack, admin, admin.click(Rotations.MENU, option=f"details:{rotation_id}"))
    assert "Jane Roe" in admin.text(details) and "not found in Slack" in admin.text(details)
    assert (
        "Upcoming shifts" in admin.text(details)
        and "Jane Roe" in admin.text(details).split("Upcoming shifts")[1]
    )
    await modal_after(slack, admin, admin.click(Rotations.LINK, value="PJANE"))
    await admin.fill(Rotations.SLACK_USER, DAVE)
    await admin.submit()
    await slack.wait_for(
        lambda: rows(app, "SELECT slack_user_id FROM rotation_members WHERE on_duty = 1") == [(DAVE,)]
    )
    await slack.wait_for(lambda: group(slack)["enabled"] is True and group(slack)["users"] == [DAVE])
    text = await open_rotations(slack, admin)
    assert "On duty: <@U0DAVE>" in text and "3 of 3 linked" in text


async def test_several_people_on_call_at_once(app, slack, pd):
    pd.add_schedule("PSV3", "Follow the sun", version=3, escalation_policy_ids=["PEOPS"])
    pd.set_on_call("PSV3", ["PBOB", "PCAROL"])
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)
    await open_rotations(slack, admin)
    await modal_after(slack, admin, admin.click(Rotations.CREATE))
    await admin.fill(Rotations.NAME, "Sun")
    await admin.fill(Rotations.CODE, "SUN")
    await modal_after(slack, admin, admin.fill(Rotations.SOURCE, "pagerduty"))
    [option] = await admin.suggest(Rotations.PD_SCHEDULE, "sun")
    assert option["text"]["text"] == "Follow the sun (shift-based)"
    await admin.fill(Rotations.PD_SCHEDULE, option)
    assert await admin.submit() == {}
    await slack.wait_for(lambda: len(rows(app, "SELECT 1 FROM rotation_members WHERE on_duty = 1")) == 2)
    assert "On duty: <@U0BOB>, <@U0CAROL>" in await open_rotations(slack, admin)


async def test_a_429_waits_and_an_outage_keeps_the_last_known_state(app, slack, pd):
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)
    await bind_rotation(slack, admin, app)

    pd.rate_limit_next(reset=1)
    pd.set_on_call("PSPRIM", "PCAROL")
    text = await sync_now(slack, admin)
    assert "On duty: <@U0CAROL>" in text
    assert any(r.status == 429 for r in pd.requests)

    await slack.wait_for(lambda: group(slack)["users"] == [CAROL])
    await slack.wait_for(
        lambda: any(m["channel"] == OPS and "<@U0CAROL>" in m["text"] for m in slack.messages)
    )
    pd.outage = True
    pd.set_on_call("PSPRIM", "PBOB")
    writes = len([c for c in slack.calls if c[0] in ("chat.postMessage", "usergroups.users.update")])
    text = await sync_now(slack, admin, timeout=20)  # PagerDuty's 503s are retried with backoff first
    assert "On duty: <@U0CAROL>" in text, "no flapping while PagerDuty is down"
    settings = await settings_tab(slack, admin)
    assert "PagerDuty had a problem (HTTP 503)" in settings and "Last good sync" in settings
    assert "last known on-call state is kept" in settings
    assert len([c for c in slack.calls if c[0] in ("chat.postMessage", "usergroups.users.update")]) == writes

    pd.outage = False
    text = await sync_now(slack, admin)
    assert "On duty: <@U0BOB>" in text
    assert ":warning:" not in await settings_tab(slack, admin)


async def test_a_deleted_schedule_is_flagged_and_nothing_reverts_silently(app, slack, pd):
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)
    await bind_rotation(slack, admin, app)
    pd.remove_schedule("PSPRIM")
    text = await sync_now(slack, admin)
    assert "Schedule not found in PagerDuty" in text and "On duty: <@U0BOB>" in text
    assert rows(app, "SELECT source FROM rotations") == [("pagerduty",)]


async def test_a_deleted_key_marks_the_connection_for_attention(app, slack, pd):
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)
    pd.delete_api_key(API_KEY)
    await settings_tab(slack, admin)
    await home_after(slack, admin, admin.click(PagerDuty.SYNC_NOW))
    text = await settings_tab(slack, admin)
    assert "Needs re-authorisation" in text and "rejected the stored API key" in text


async def test_disconnect_reverts_bound_rotations_to_manual_and_tells_their_channels(app, slack, pd):
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)
    await bind_rotation(slack, admin, app)
    before = rows(app, "SELECT slack_user_id, on_duty FROM rotation_members ORDER BY position")
    await settings_tab(slack, admin)
    text = await home_after(slack, admin, admin.click(PagerDuty.DISCONNECT, confirm=True))
    assert "1 PagerDuty-bound rotation reverted to Manual" in text
    assert rows(app, "SELECT source, pd_schedule_id FROM rotations") == [("manual", None)]
    assert rows(app, "SELECT slack_user_id, on_duty FROM rotation_members ORDER BY position") == before
    await slack.wait_for(
        lambda: any(
            m["channel"] == OPS and "no longer follows PagerDuty" in m["text"] for m in slack.messages
        )
    )
    text = await open_rotations(slack, admin)
    assert "On duty: <@U0BOB>" in text and "PagerDuty:" not in text


# -- PagerDuty as it really is -----------------------------------------------------------------


async def when(predicate, timeout: float) -> float:
    """The time `predicate` first holds (looked at every 20 ms), for hand-over lags."""
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            raise AssertionError(f"not within {timeout} s")
        await asyncio.sleep(0.02)
    return time.time()


def oncall_pages(pd) -> list:
    return [r for r in pd.requests if r.path == "/oncalls"]


async def test_a_schedule_no_escalation_policy_uses_is_followed(app, slack, pd):
    now = time.time()
    pd.add_schedule("PSDESK", "Support Desk", user_ids=["PCAROL", "PBOB"])  # kept only for Slack
    pd.set_shifts(
        "PSDESK", [("PCAROL", now - HOUR, now + 3 * HOUR), ("PBOB", now + 3 * HOUR, now + 27 * HOUR)]
    )
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)

    text = await bind_rotation(
        slack,
        admin,
        app,
        name="Support desk",
        code="DESK",
        search="desk",
        schedule="Support Desk",
        handle="desk",
    )

    assert "On duty: <@U0CAROL>" in text and "Next: <@U0BOB>" in text
    assert "Follows the schedule's final layers: no escalation policy uses it" in text
    await slack.wait_for(lambda: group(slack, "desk")["users"] == [CAROL])
    await slack.wait_for(lambda: told(slack, OPS, "<@U0CAROL>"))
    assert all("PSDESK" not in str(r.query) for r in oncall_pages(pd)), "never asked of /oncalls"
    assert any(r.path == "/schedules/PSDESK" and r.status == 200 for r in pd.requests)


@pytest.mark.parametrize("app_settings", [{"SYNC_INTERVAL_SECONDS": "60"}])
async def test_a_planned_hand_over_reaches_slack_within_5_s_of_its_boundary(app, slack, pd):
    boundary = math.ceil(time.time()) + 20
    pd.set_shifts("PSPRIM", [("PBOB", boundary - HOUR, boundary), ("PCAROL", boundary, boundary + 24 * HOUR)])
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)
    text = await bind_rotation(slack, admin, app)  # binding reads the week ahead: the hand-over is planned
    assert "On duty: <@U0BOB>" in text and "Next: <@U0CAROL>" in text
    [announced] = await slack.wait_for(lambda: told(slack, OPS, "<@U0BOB>"))
    assert "Next: <@U0CAROL>" in str(announced["blocks"])
    assert time.time() < boundary - 5, "the setup took too long to measure the hand-over"

    group_at = await when(lambda: group(slack)["users"] == [CAROL], timeout=boundary + 10 - time.time())
    told_at = await when(lambda: told(slack, OPS, "<@U0CAROL>"), timeout=boundary + 10 - time.time())

    assert boundary <= group_at <= boundary + 5 and boundary <= told_at <= boundary + 5
    asked = [r for r in pd.requests if boundary - 1 <= r.at <= told_at]
    assert asked == [], "handed over from the stored plan, not found by a poll (polls are 60 s apart)"
    assert "On duty: <@U0CAROL>" in await open_rotations(slack, admin)


@pytest.mark.parametrize("app_settings", [{"SYNC_INTERVAL_SECONDS": "10"}])
async def test_an_override_created_in_pagerduty_lands_within_one_interval(app, slack, pd):
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)
    await bind_rotation(slack, admin, app)
    await slack.wait_for(lambda: told(slack, OPS, "<@U0BOB>"))

    created = time.time()
    pd.add_override("PSPRIM", "PCAROL", created, created + 2 * HOUR)  # "I'll take it for two hours"
    group_at = await when(lambda: group(slack)["users"] == [CAROL], timeout=20)
    told_at = await when(lambda: told(slack, OPS, "<@U0CAROL>"), timeout=20)

    # One interval for the next poll, a second for it to run; a channel message also waits 2 s for
    # a burst of changes to settle.
    assert group_at - created <= 10 + 1 and told_at - created <= 10 + 1 + 2.5
    assert {r.path for r in pd.requests if created <= r.at <= group_at} == {"/oncalls"}, "a poll found it"
    text = await open_rotations(slack, admin)
    assert "On duty: <@U0CAROL>" in text and "Next: <@U0BOB>" in text


async def test_rr_who_names_who_is_next_and_from_when(app, slack, pd):
    now = time.time()
    change = int(now) + 2 * HOUR
    pd.set_shifts("PSPRIM", [("PBOB", now - HOUR, change), ("PCAROL", change, change + 24 * HOUR)])
    admin, dave = slack.user(ADMIN), slack.user(DAVE)
    await connect_with_key(slack, admin, pd, app)
    await bind_rotation(slack, admin, app)

    reply = (await dave.command("who OPS"))["text"]

    assert "On duty: <@U0BOB>" in reply
    assert f"Next: <@U0CAROL> from <!date^{change}^" in reply


async def test_hourly_shifts_over_150_schedules_sync_without_hitting_the_cap(app, slack, pd):
    """150 schedules handing over every hour: about 25,000 on-call rows a week, which one /oncalls
    batch of 100 schedules cannot page through (offset + limit <= 10,000)."""
    account = seed_account(
        pd,
        AccountShape(
            schedules=150, people=40, unrouted_share=0, follow_the_sun_share=0, hourly_schedules=150
        ),
    )
    for person in account.people:
        slack.add_user(f"U{person.id}", person.id.lower(), person.name, person.email)
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)
    await bind_rotation(slack, admin, app, search="Ops Primary")
    with sqlite3.connect(app.db_path) as db:  # 150 more bound rotations, as 150 Create forms would leave them
        db.executemany(
            "INSERT INTO rotations (name, code, created_by, created_at, updated_at, source, pd_schedule_id) "
            "VALUES (?, ?, ?, 0, 0, 'pagerduty', ?)",
            [(f"Hourly {n}", f"H{n:03d}", ADMIN, s) for n, s in enumerate(account.schedule_ids)],
        )
        db.execute(  # the schedules each follows (its first is also rotations.pd_schedule_id)
            "INSERT INTO rotation_schedules (rotation_id, position, schedule_id) SELECT id, 0, pd_schedule_id "
            "FROM rotations WHERE code LIKE 'H%'"
        )
    pd.reset_requests()

    await sync_now(slack, admin, timeout=120)

    assert ":warning:" not in await settings_tab(slack, admin)
    assert all(r.status == 200 for r in pd.requests)
    assert max(int(r.query["offset"][0]) + int(r.query["limit"][0]) for r in oncall_pages(pd)) <= 10_000
    assert "pagerduty on-call batch split" in app.log_text()
    on_duty = rows(app, "SELECT COUNT(DISTINCT rotation_id) FROM rotation_members WHERE on_duty = 1")
    assert on_duty == [(151,)], "every bound rotation has its person on duty"
