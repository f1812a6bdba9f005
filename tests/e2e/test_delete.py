"""Delete… works for every kind of rotation: manual, timed, PagerDuty-bound and reverted to Manual,
with and without an on-duty group and channels (issue 9 §1). Its pending Slack work goes with it."""

import asyncio
import sqlite3

import pytest

from roundrobin.slack.ids import MenuChoice, PagerDuty, Rotations
from tests.e2e.conftest import ADMIN, BOB, CAROL, DAVE, OPS
from tests.e2e.first_week_steps import (
    bind,
    connect_with_key,
    menu,
    rotation_id_of,
    rotations_tab,
    settings_tab,
)
from tests.e2e.steps import create_rotation, modal_after, rows, told

pytestmark = pytest.mark.e2e


async def make(kind: str, slack, admin, app, notify: bool) -> int:
    """A rotation of this kind; `notify`: it tells #ops and keeps the group @first-week."""
    extra = {"channels": [OPS], "new_group": "first-week"} if notify else {}
    if kind in ("bound", "reverted"):
        await connect_with_key(slack, admin, app)
        rotation_id = await bind(
            slack, admin, app, channels=(OPS,) if notify else (), new_group="first-week" if notify else None
        )
        if kind == "reverted":
            await settings_tab(slack, admin, "Disconnect")
            await admin.click(PagerDuty.DISCONNECT, confirm=True)
            await slack.wait_for(lambda: rows(app, "SELECT source FROM rotations") == [("manual",)])
        return rotation_id
    if kind == "manual":
        assert await create_rotation(slack, admin, members=(BOB, CAROL, DAVE), **extra) == {}
        return rotation_id_of(app, "OPS")
    await admin.open_home()
    await modal_after(slack, admin, admin.click(Rotations.CREATE))
    await admin.fill(Rotations.NAME, "Primary on-call")
    await admin.fill(Rotations.CODE, "OPS")
    await admin.fill(Rotations.MEMBERS, [BOB, CAROL])
    await modal_after(slack, admin, admin.fill(Rotations.KIND, "daily"))
    for action_id, value in extra.items():
        await admin.fill(getattr(Rotations, action_id.upper()), value)
    assert await admin.submit() == {}
    return rotation_id_of(app, "OPS")


@pytest.mark.parametrize("notify", [False, True], ids=["alone", "with-group-and-channel"])
@pytest.mark.parametrize("kind", ["manual", "timed", "bound", "reverted"])
async def test_delete_every_kind_of_rotation(app, slack, pd, kind, notify):
    admin = slack.user(ADMIN)
    rotation_id = await make(kind, slack, admin, app, notify)
    [(name, code)] = rows(app, "SELECT name, code FROM rotations WHERE id = ?", rotation_id)
    await rotations_tab(slack, admin, showing=name)

    modal = await menu(slack, admin, MenuChoice.DELETE, rotation_id)
    words = admin.text(modal)
    assert f"Delete *{name}* (`{code}`)?" in words and "This cannot be undone." in words
    if notify:
        [group_id] = [g["id"] for g in slack.usergroups.values() if g["handle"] == "first-week"]
        assert f"The user group <!subteam^{group_id}> stays in Slack" in words
    posted = len(told(slack, OPS))
    await admin.submit()
    await slack.wait_for(lambda: f"Deleted {name} ({code})." in admin.text(), description="the notice")

    for table in ("rotations", "rotation_members", "slack_outbox", "usergroup_sync"):
        column = "id" if table == "rotations" else "rotation_id"
        assert rows(app, f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", rotation_id) == [(0,)], table
    assert rows(app, "SELECT COUNT(*) FROM events WHERE kind = 'rotation.deleted'") == [(1,)]
    assert "listener failed" not in app.log_text()
    await asyncio.sleep(2.5)  # longer than an announcement waits: what was pending was dropped
    assert len(told(slack, OPS)) == posted, "nothing is announced for a deleted rotation"
    if notify:
        assert any(g["handle"] == "first-week" for g in slack.usergroups.values()), "the group stays in Slack"
    assert name not in await rotations_tab(slack, admin, showing="0 rotations")


async def test_delete_a_rotation_whose_group_handle_was_never_learned(app, slack, pd):
    """Rotations from before handles were kept have a group id and no handle: Delete still works."""
    admin = slack.user(ADMIN)
    assert await create_rotation(slack, admin, new_group="first-week") == {}
    rotation_id = rotation_id_of(app, "OPS")
    await slack.wait_for(
        lambda: rows(app, "SELECT usergroup_id FROM rotations")[0][0], description="the group made"
    )
    with sqlite3.connect(app.db_path) as db:
        db.execute("UPDATE rotations SET usergroup_handle = NULL")
    await rotations_tab(slack, admin, showing="Primary on-call")
    modal = await menu(slack, admin, MenuChoice.DELETE, rotation_id)
    assert "The user group <!subteam^" in admin.text(modal)
    await admin.submit()
    await slack.wait_for(lambda: "Deleted Primary on-call (OPS)." in admin.text())
    assert rows(app, "SELECT COUNT(*) FROM rotations") == [(0,)]
