"""Walkthroughs: rotations bound to PagerDuty schedules follow them, through failures, until disconnect."""

import sqlite3

import pytest

from roundrobin.slack.ids import PagerDuty, Rotations
from tests.e2e.conftest import ADMIN, API_KEY, BOB, CAROL, DAVE, OPS
from tests.e2e.steps import home_after, modal_after, open_settings

pytestmark = pytest.mark.e2e


def rows(app, sql, *params):
    with sqlite3.connect(app.db_path) as db:
        return db.execute(sql, params).fetchall()


async def connect_with_key(slack, admin, pd, app) -> None:
    await open_settings(slack, admin)
    await modal_after(slack, admin, admin.click(PagerDuty.CONNECT))
    await admin.fill(PagerDuty.API_KEY_INPUT, API_KEY)
    await home_after(slack, admin, admin.submit())
    await slack.wait_for(lambda: "pagerduty sync" in app.log_text(), description="the first sync")


async def sync_now(slack, admin) -> str:
    await open_settings(slack, admin)
    await home_after(slack, admin, admin.click(PagerDuty.SYNC_NOW))
    await slack.wait_for(
        lambda: "Sync finished" in admin.text() or "Sync failed" in admin.text(),
        description="the sync to finish",
    )
    from roundrobin.slack.ids import Home

    return await home_after(slack, admin, admin.click(Home.TAB_ROTATIONS))


async def open_rotations(slack, user) -> str:
    from roundrobin.slack.ids import Home

    await user.open_home()
    return await home_after(slack, user, user.click(Home.TAB_ROTATIONS))


async def bind_rotation(slack, admin, app) -> str:
    """Create rotation › Source: PagerDuty › pick "Ops Primary" › channels and a new group › Create."""
    await open_rotations(slack, admin)
    await modal_after(slack, admin, admin.click(Rotations.CREATE))
    await admin.fill(Rotations.NAME, "Ops primary")
    await admin.fill(Rotations.CODE, "OPS")
    modal = await modal_after(slack, admin, admin.fill(Rotations.SOURCE, "pagerduty"))
    assert "PagerDuty schedule" in admin.text(modal)
    with pytest.raises(LookupError):
        admin.find(Rotations.MEMBERS)  # members come from PagerDuty
    options = await admin.suggest(Rotations.PD_SCHEDULE, "prim")
    assert [o["text"]["text"] for o in options] == ["Ops Primary"]
    await admin.fill(Rotations.PD_SCHEDULE, options[0])
    await admin.fill(Rotations.CHANNELS, [OPS])
    await admin.fill(Rotations.NEW_GROUP, "ops-primary")
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
    assert "On call in PagerDuty, not found in Slack: jane@corp.example" in text
    assert "Nobody is on duty" in text
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
    text = await sync_now(slack, admin)
    assert "On duty: <@U0CAROL>" in text, "no flapping while PagerDuty is down"
    settings = await open_settings(slack, admin)
    assert "PagerDuty had a problem (HTTP 503)" in settings and "Last good sync" in settings
    assert "last known on-call state is kept" in settings
    assert len([c for c in slack.calls if c[0] in ("chat.postMessage", "usergroups.users.update")]) == writes

    pd.outage = False
    text = await sync_now(slack, admin)
    assert "On duty: <@U0BOB>" in text
    assert ":warning:" not in await open_settings(slack, admin)


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
    await open_settings(slack, admin)
    await home_after(slack, admin, admin.click(PagerDuty.SYNC_NOW))
    text = await open_settings(slack, admin)
    assert "Needs re-authorisation" in text and "rejected the stored API key" in text


async def test_disconnect_reverts_bound_rotations_to_manual_and_tells_their_channels(app, slack, pd):
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)
    await bind_rotation(slack, admin, app)
    before = rows(app, "SELECT slack_user_id, on_duty FROM rotation_members ORDER BY position")
    await open_settings(slack, admin)
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
