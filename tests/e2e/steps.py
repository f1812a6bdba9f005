"""Small steps shared by the walkthroughs: act, then wait for what a person would see next."""

from __future__ import annotations

from roundrobin.sim.slack import FakeSlack
from roundrobin.sim.slack_user import SlackUser


async def home_after(slack: FakeSlack, user: SlackUser, action, timeout: float = 5.0) -> str:
    """Do `action` (an awaitable), wait for the app to publish this person's home again; its text."""
    before = slack.workspace.views.publish_counts[user.id]
    await action
    await slack.wait_for(
        lambda: slack.workspace.views.publish_counts[user.id] > before,
        timeout=timeout,
        description=f"the app to refresh {user.id}'s App Home",
    )
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
