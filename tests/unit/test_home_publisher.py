"""HomePublisher keeps each person's place and what they were shown, and republishes only what changed."""

from types import SimpleNamespace

from roundrobin.sim.pagerduty import ManualClock
from roundrobin.slack.gateway.home_publisher import HomePublisher
from roundrobin.slack.views.blocks import section
from roundrobin.slack.views.settings import SyncSummary


class Client:
    def __init__(self):
        self.published: list[tuple[str, dict]] = []

    async def views_publish(self, user_id: str, view: dict) -> None:
        self.published.append((user_id, view))


class Access:
    async def can_manage(self, user_id: str) -> bool:
        return False


class Rotations:
    """The rotations page each person would see now."""

    def __init__(self):
        self.on_duty = "<@U0BOB>"
        self.pages: list[tuple[str, int]] = []

    async def __call__(self, user_id: str, page: int, can_manage: bool):
        self.pages.append((user_id, page))
        return [section(f"Ops · On duty: {self.on_duty} · page {page}")]


async def no_wait() -> None:
    return None


def publisher(client, rotations, clock) -> HomePublisher:
    return HomePublisher(
        client, None, None, None, Access(), (), rotations_section=rotations, sync_summary=None, clock=clock
    )


def shown(client: Client) -> str:
    return str(client.published[-1][1]["blocks"])


async def test_a_home_is_republished_at_its_place_only_when_its_page_changed():
    client, rotations, clock = Client(), Rotations(), ManualClock(1_800_000_000.0)
    home = publisher(client, rotations, clock)
    await home.publish("U1", tab="rotations", page=2, notice="Rotated.")
    assert home.recent(1800) == ["U1"]
    assert not await home.refresh("U1", no_wait), "nothing changed on page 2"
    rotations.on_duty = "<@U0CAROL>"
    assert await home.refresh("U1", no_wait)
    assert "On duty: <@U0CAROL> · page 2" in shown(client) and "Rotated." not in shown(client)
    assert not await home.refresh("U1", no_wait), "already shown"
    assert len(client.published) == 2


async def test_homes_not_looked_at_for_30_minutes_are_forgotten_and_refreshes_do_not_count():
    client, rotations, clock = Client(), Rotations(), ManualClock(1_800_000_000.0)
    home = publisher(client, rotations, clock)
    await home.publish("U1")
    clock.now += 20 * 60
    rotations.on_duty = "<@U0CAROL>"
    assert await home.refresh("U1", no_wait)
    clock.now += 11 * 60  # 31 minutes after U1 last opened it; the refresh did not count as a look
    assert home.recent(30 * 60) == []
    rotations.on_duty = "<@U0DAVE>"
    assert not await home.refresh("U1", no_wait)


class NotConnected:
    async def current(self):
        return None

    async def pending_login(self):
        return None


async def test_the_settings_tab_is_not_republished_for_duty_changes(db):
    client, rotations, clock = Client(), Rotations(), ManualClock(1_800_000_000.0)

    async def summary():
        return SyncSummary()

    home = HomePublisher(
        client,
        db,
        SimpleNamespace(scopes={"users:read.email"}),
        NotConnected(),
        Access(),
        (),
        rotations_section=rotations,
        sync_summary=summary,
        clock=clock,
    )
    await home.publish("U1", tab="settings")
    assert "Integrations" in shown(client)
    rotations.on_duty = "<@U0CAROL>"
    assert not await home.refresh("U1", no_wait)
    assert len(client.published) == 1


async def test_the_publish_waits_its_turn_and_a_publish_meanwhile_wins():
    client, rotations, clock = Client(), Rotations(), ManualClock(1_800_000_000.0)
    home = publisher(client, rotations, clock)
    await home.publish("U1")
    rotations.on_duty = "<@U0CAROL>"

    async def person_clicks_meanwhile() -> None:
        await home.publish("U1", notice="Their own click")

    assert not await home.refresh("U1", person_clicks_meanwhile), "their own publish showed it already"
    assert "Their own click" in shown(client)
