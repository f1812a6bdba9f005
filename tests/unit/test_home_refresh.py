"""A live App Home: one republish per person per burst of changes, only for pages that changed, paced."""

import asyncio

from roundrobin.background import Doorbell
from roundrobin.slack.gateway.home_refresh import HomeRefresh
from roundrobin.slack.gateway.pacing import Pacer, Rate


class Homes:
    """People with their Home open; `changed` are the ones whose page shows something new."""

    def __init__(self, looking: list[str], changed: set[str]):
        self.looking = looking
        self.changed = changed
        self.published: list[str] = []
        self.asked_within: list[float] = []

    def recent(self, within: float) -> list[str]:
        self.asked_within.append(within)
        return list(self.looking)

    async def refresh(self, user_id, wait_turn) -> bool:
        if user_id not in self.changed:
            return False
        await wait_turn()
        self.published.append(user_id)
        self.changed.discard(user_id)
        return True


async def test_a_burst_of_changes_republishes_each_changed_home_once():
    homes = Homes(["U1", "U2", "U3"], {"U1", "U3"})
    bell = Doorbell()
    refresh = HomeRefresh(homes, bell, quiet=0.05, max_delay=1.0)
    await refresh.start()
    try:
        for _ in range(10):  # ten Rotates in quick succession
            bell.ring()
            homes.changed |= {"U1", "U3"}
            await asyncio.sleep(0.01)
        for _ in range(100):
            if len(homes.published) >= 2:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)
        assert sorted(homes.published) == ["U1", "U3"], "once each, and not U2, whose page did not change"
        assert homes.asked_within == [30 * 60.0], "one round, for Homes opened in the last 30 minutes"
    finally:
        await refresh.close()


async def test_a_steady_stream_of_changes_still_shows_within_the_maximum_delay():
    homes = Homes(["U1"], {"U1"})
    bell = Doorbell()
    refresh = HomeRefresh(homes, bell, quiet=0.2, max_delay=0.3)
    await refresh.start()
    try:
        for _ in range(12):  # a change every 0.1 s never lets it settle for 0.2 s
            bell.ring()
            await asyncio.sleep(0.1)
        assert homes.published, "published although the changes kept coming"
    finally:
        await refresh.close()


async def test_republishing_is_paced_within_the_rate_given():
    slept: list[float] = []
    now = [0.0]

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer({"views.publish": (Rate(2, 60.0),)}, clock=lambda: now[0], sleep=sleep)
    homes = Homes(["U1", "U2", "U3"], {"U1", "U2", "U3"})
    refresh = HomeRefresh(homes, Doorbell(), pacer=pacer)
    assert await refresh.refresh_all() == 3
    assert len(slept) == 1 and slept[0] >= 60.0, "the third publish waited for the window to pass"
