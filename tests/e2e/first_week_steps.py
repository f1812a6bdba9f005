"""Steps for the first-week walkthroughs (issue 9): PagerDuty connected, rotations of every kind."""

from __future__ import annotations

from roundrobin.sim.pagerduty import FakePagerDuty
from roundrobin.sim.slack import FakeSlack, SlackUser
from roundrobin.slack.ids import Home, MenuChoice, PagerDuty, Rotations
from tests.e2e.conftest import API_KEY
from tests.e2e.steps import home_after, modal_after, rows


async def connect_with_key(slack: FakeSlack, admin: SlackUser, app) -> None:
    await settings_tab(slack, admin, "Connect")
    await modal_after(slack, admin, admin.click(PagerDuty.CONNECT))
    await admin.fill(PagerDuty.API_KEY_INPUT, API_KEY)
    await admin.submit()
    await slack.wait_for(lambda: "pagerduty sync" in app.log_text(), description="the first sync")


async def _tab(slack: FakeSlack, user: SlackUser, tab: str, showing: str) -> str:
    """A tab of the App Home once it shows `showing`. A refresh begun before the click may land after
    it, and the app may still be finishing what was just done: click the tab again, as a person would."""
    for _ in range(4):
        await user.open_home()
        await home_after(slack, user, user.click(tab))
        try:
            return await slack.wait_for(lambda: showing in user.text() and user.text(), timeout=2.5)
        except TimeoutError:
            continue
    raise AssertionError(f"the App Home never showed {showing!r}:\n{user.text()}")


async def settings_tab(slack: FakeSlack, user: SlackUser, showing: str = "Integrations") -> str:
    return await _tab(slack, user, Home.TAB_SETTINGS, showing)


async def sync_now(slack: FakeSlack, admin: SlackUser) -> str:
    """Settings › Sync now; returns the notice it ends with."""
    await settings_tab(slack, admin, "Sync now")
    await admin.click(PagerDuty.SYNC_NOW)
    return await slack.wait_for(
        lambda: next(
            (line for line in admin.text().splitlines() if "Sync finished" in line or "Sync failed" in line),
            None,
        ),
        timeout=10,
        description="the sync to finish",
    )


async def rotations_tab(slack: FakeSlack, user: SlackUser, showing: str = "Create rotation") -> str:
    return await _tab(slack, user, Home.TAB_ROTATIONS, showing)


async def bind(
    slack: FakeSlack,
    admin: SlackUser,
    app,
    name: str = "Ops primary",
    code: str = "OPS",
    search: str = "prim",
    channels: tuple[str, ...] = (),
    new_group: str | None = None,
) -> int:
    """Create rotation › Source: PagerDuty › a schedule; returns the rotation's id once someone is on duty."""
    await rotations_tab(slack, admin)
    await modal_after(slack, admin, admin.click(Rotations.CREATE))
    await admin.fill(Rotations.NAME, name)
    await admin.fill(Rotations.CODE, code)
    await modal_after(slack, admin, admin.fill(Rotations.SOURCE, "pagerduty"))
    [schedule] = await admin.suggest(Rotations.PD_SCHEDULE, search)
    await admin.fill(Rotations.PD_SCHEDULE, schedule)
    if channels:
        await admin.fill(Rotations.CHANNELS, list(channels))
    if new_group:
        await admin.fill(Rotations.NEW_GROUP, new_group)
    assert await admin.submit() == {}
    [(rotation_id,)] = rows(app, "SELECT id FROM rotations WHERE code = ?", code)
    await slack.wait_for(
        lambda: rows(
            app, "SELECT 1 FROM rotation_members WHERE rotation_id = ? AND on_duty = 1", rotation_id
        ),
        description="PagerDuty's on-call person on duty",
    )
    return rotation_id


async def menu(slack: FakeSlack, user: SlackUser, choice: MenuChoice, rotation_id: int) -> dict:
    """Pick `choice` in the rotation's menu on the App Home; returns the modal it opens."""
    return await modal_after(slack, user, user.click(Rotations.MENU, option=f"{choice}:{rotation_id}"))


def rotation_id_of(app, code: str) -> int:
    [(rotation_id,)] = rows(app, "SELECT id FROM rotations WHERE code = ?", code)
    return rotation_id


def pagerduty_people(pd: FakePagerDuty) -> None:
    """Priya is in PagerDuty only: no Slack account has her email."""
    pd.add_user("PPRIYA", "Priya Patel", "priya@corp.example")
