"""The fake PagerDuty's schedule overrides (POST /schedules/{id}/overrides), in contract mode: a key
with write access creates them and the schedule then shows them; a read-only key is refused with
403 as PagerDuty refuses it; each override in a list is answered on its own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from roundrobin.pagerduty.client import PagerDutyClient, PagerDutyScopeError, StaticApiKey
from roundrobin.sim.pagerduty import FakePagerDuty, ManualClock
from tests.contract.checker import ContractChecker

READ_ONLY, WRITER = "u+read-only-key-0001", "u+full-access-key-02"
HOUR = 3600


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def pd(clock):
    fake = FakePagerDuty(clock=clock, contract=ContractChecker.default())
    fake.add_user("PANN", "Ann", "ann@corp.example")
    fake.add_user("PBEN", "Ben", "ben@corp.example")
    fake.add_schedule("PSOPS", "Ops", user_ids=["PANN", "PBEN"], escalation_policy_ids=["PEOPS"])
    fake.set_on_call("PSOPS", "PANN")
    fake.add_api_key(READ_ONLY)
    fake.add_api_key(WRITER, read_only=False)
    async with fake:  # leaving it fails the test on any contract violation
        yield fake


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


def client(http, pd, key: str) -> PagerDutyClient:
    return PagerDutyClient(http, pd.url, StaticApiKey(key), max_retries=0)


def override(user: str, start: float, end: float) -> dict[str, Any]:
    return {"start": iso(start), "end": iso(end), "user": {"id": user, "type": "user_reference"}}


async def on_call(http, pd, since: float, until: float) -> list[tuple[str, str]]:
    body = await client(http, pd, READ_ONLY).get(
        "/oncalls", [("schedule_ids[]", "PSOPS"), ("since", iso(since)), ("until", iso(until))]
    )
    return sorted({(r["user"]["id"], r["start"]) for r in body["oncalls"]})


async def test_a_key_with_write_access_creates_an_override_the_schedule_then_shows(http, pd, clock):
    now = clock.now
    answer = await client(http, pd, WRITER).post(
        "/schedules/PSOPS/overrides", {"overrides": [override("PBEN", now, now + 2 * HOUR)]}
    )
    [made] = answer
    assert made["status"] == 201 and made["override"]["user"]["id"] == "PBEN" and made["override"]["id"]
    assert [(o.user_id, o.start, o.end) for o in pd.directory.overrides["PSOPS"]] == [
        ("PBEN", now, now + 2 * HOUR)
    ]
    assert (await on_call(http, pd, now + 60, now + 120))[0][0] == "PBEN"
    final = await client(http, pd, READ_ONLY).get(
        "/schedules/PSOPS", [("since", iso(now)), ("until", iso(now + 3 * HOUR))]
    )
    entries = final["schedule"]["final_schedule"]["rendered_schedule_entries"]
    assert [e["user"]["id"] for e in entries] == ["PBEN", "PANN"], "Ann again after the override"


async def test_a_read_only_key_is_refused_and_nothing_changes(http, pd, clock):
    now = clock.now
    with pytest.raises(PagerDutyScopeError, match="403.*Access Denied"):
        await client(http, pd, READ_ONLY).post(
            "/schedules/PSOPS/overrides", {"overrides": [override("PBEN", now, now + HOUR)]}
        )
    assert pd.directory.overrides["PSOPS"] == []
    assert (await on_call(http, pd, now + 60, now + 120))[0][0] == "PANN"


async def test_each_override_in_a_list_is_answered_on_its_own(http, pd, clock):
    now = clock.now
    answer = await client(http, pd, WRITER).post(
        "/schedules/PSOPS/overrides",
        {
            "overrides": [
                override("PBEN", now, now + HOUR),
                override("PNOBODY", now, now + HOUR),
                override("PBEN", now, now),
            ]
        },
    )
    assert [a["status"] for a in answer] == [201, 400, 400]
    assert answer[2]["errors"] == ["Override must end after its start"]
    assert len(pd.directory.overrides["PSOPS"]) == 1
