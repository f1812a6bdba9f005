"""Small steps shared by the walkthroughs: act, then wait for what a person would see next."""

from __future__ import annotations

import asyncio
import sqlite3

from roundrobin.sim.slack import FakeSlack, SlackUser
from roundrobin.slack.ids import Home, Rotations
from tests.e2e.conftest import BOB, CAROL


async def home_after(slack: FakeSlack, user: SlackUser, action, timeout: float = 5.0) -> str:
    """Do `action` (an awaitable), wait for the app to publish this person's home again; its text."""
    counts = slack.workspace.views.publish_counts
    before = counts[user.id]
    await action
    await slack.wait_for(
        lambda: counts[user.id] > before,
        timeout=timeout,
        description=f"the app to refresh {user.id}'s App Home",
    )
    # A live refresh of the Home may land just before the publish this action caused: wait until
    # the publishes settle, as a person would look once the page stops changing.
    for _ in range(20):
        seen = counts[user.id]
        await asyncio.sleep(0.1)
        if counts[user.id] == seen:
            break
    return user.text()


async def modal_after(slack: FakeSlack, user: SlackUser, action, timeout: float = 5.0) -> dict:
    """Do `action`, then wait for a new (or changed) modal on top of this person's stack."""
    before = (user.modal or {}).get("hash")
    await action
    await slack.wait_for(
        lambda: user.modal is not None and user.modal.get("hash") != before,
        timeout=timeout,
        description=f"a modal for {user.id}",
    )
    return user.modal


async def open_settings(slack: FakeSlack, user: SlackUser) -> str:
    from roundrobin.slack.ids import Home

    await user.open_home()
    return await home_after(slack, user, user.click(Home.TAB_SETTINGS))


def forged_click(slack: FakeSlack, user: SlackUser, element: dict):
    """A block_actions for an element this person's App Home does not show them (a forged click)."""
    return slack.forge(
        user.id,
        "block_actions",
        container={"type": "view", "view_id": user.home["id"]},
        view=user.home,
        actions=[{"block_id": "forged", "action_ts": "1.2", **element}],
    )


def rows(app, sql, *params) -> list[tuple]:
    """Rows of the app's database, read the way an operator would (sqlite3 on the file)."""
    with sqlite3.connect(app.db_path) as db:
        return db.execute(sql, params).fetchall()


async def create_rotation(
    slack: FakeSlack, user: SlackUser, name="Primary on-call", code="ops", members=(BOB, CAROL), **extra
) -> dict:
    """App Home › Create rotation › fill the form › Create; returns the submission's ack."""
    await user.open_home()
    await modal_after(slack, user, user.click(Rotations.CREATE))
    await user.fill(Rotations.NAME, name)
    await user.fill(Rotations.CODE, code)
    await user.fill(Rotations.MEMBERS, list(members))
    for action_id, value in extra.items():
        await user.fill(getattr(Rotations, action_id.upper()), value)
    return await user.submit()


async def open_rotations(slack: FakeSlack, user: SlackUser) -> str:
    await user.open_home()
    return await home_after(slack, user, user.click(Home.TAB_ROTATIONS))


def group_of(slack: FakeSlack, handle: str) -> dict:
    """The user group with this handle as Slack holds it (a new one is made just after the rotation
    is saved: until then, an empty stand-in that no wait is satisfied by)."""
    return next(
        (g for g in slack.usergroups.values() if g["handle"] == handle),
        {"handle": handle, "users": None, "enabled": None, "id": None},
    )


def told(slack: FakeSlack, channel: str, *words: str) -> list[dict]:
    """The bot's messages in `channel` whose text holds every one of `words`."""
    return [m for m in slack.messages if m["channel"] == channel and all(w in m["text"] for w in words)]
