"""What the fake says about who is on call, checked against PagerDuty's documented rules (and, since
the fake runs in contract mode here, against its OpenAPI document on every exchange).

The rules a sync that reads "on call now" from GET /oncalls and follows the other schedules through
GET /schedules/{id} depends on: who /oncalls leaves out, what its defaults mean, what a row spans,
how windows default, and where the 10,000 offset+limit cap bites.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from roundrobin.sim.pagerduty import FakePagerDuty, ManualClock
from tests.contract.checker import ContractChecker

KEY, TOKYO_KEY = "y_NbAkKc66ryYTWUXYEu", "u+key-of-someone-in-tokyo"
HEADERS = {"Accept": "application/vnd.pagerduty+json;version=2"}
HOUR, DAY = 3600, 86400


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()  # 2026-01-05T08:00:00Z


@pytest.fixture
async def pd(clock):
    fake = FakePagerDuty(clock=clock, contract=ContractChecker.default())
    fake.add_user("PALICE1", "Alice", "alice@example.com")
    fake.add_user("PBOB001", "Bob", "bob@example.com")
    fake.add_user("PKENJI1", "Kenji", "kenji@example.com", time_zone="Asia/Tokyo")
    fake.add_api_key(KEY)
    fake.add_api_key(TOKYO_KEY, user_id="PKENJI1")
    async with fake:
        yield fake


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def get(
    http: aiohttp.ClientSession, pd: FakePagerDuty, path: str, params: Any = (), key: str = KEY
) -> Any:
    """The JSON of a GET that must succeed."""
    headers = {**HEADERS, "Authorization": f"Token token={key}"}
    async with http.get(pd.url + path, params=params, headers=headers) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def refused(http: aiohttp.ClientSession, pd: FakePagerDuty, path: str, params: Any) -> dict:
    """The error object of a GET that PagerDuty answers with 400."""
    headers = {**HEADERS, "Authorization": f"Token token={KEY}"}
    async with http.get(pd.url + path, params=params, headers=headers) as response:
        assert response.status == 400, await response.text()
        return (await response.json())["error"]


def rows(body: dict) -> list[tuple]:
    """(schedule, user, start, end) of each /oncalls row."""
    return [
        (r["schedule"] and r["schedule"]["id"], r["user"]["id"], r["start"], r["end"])
        for r in body["oncalls"]
    ]


# -- who /oncalls leaves out --------------------------------------------------------------------


async def test_a_schedule_in_no_escalation_policy_is_never_in_oncalls_but_its_final_schedule_is(
    http, pd, clock
):
    pd.add_schedule("PROUTED", "Routed", escalation_policy_ids=["PEPOLCY"])
    pd.add_schedule("PLOOSE1", "Loose", user_ids=["PBOB001"])
    pd.set_on_call("PROUTED", "PALICE1")
    pd.set_on_call("PLOOSE1", "PBOB001")
    week = {"since": iso(clock.now), "until": iso(clock.now + 7 * DAY)}

    now = await get(http, pd, "/oncalls")
    ahead = await get(http, pd, "/oncalls", week)
    asked = await get(http, pd, "/oncalls", {**week, "schedule_ids[]": "PLOOSE1"})
    listed = (await get(http, pd, "/schedules"))["schedules"]
    final = (await get(http, pd, "/schedules/PLOOSE1", week))["schedule"]["final_schedule"]

    assert {row[0] for row in rows(now) + rows(ahead)} == {"PROUTED"}
    assert asked["oncalls"] == []
    assert {s["id"]: [p["id"] for p in s["escalation_policies"]] for s in listed} == {
        "PROUTED": ["PEPOLCY"],
        "PLOOSE1": [],
    }
    assert [e["user"]["id"] for e in final["rendered_schedule_entries"]] == ["PBOB001"]


async def test_schedules_name_every_policy_that_uses_them_once_in_list_and_detail(http, pd):
    pd.add_schedule("PLAYER1", "Layered", escalation_policy_ids=["PEPOLC1", "PEPOLC1", "PEPOLC2"])
    pd.add_schedule("PSHIFT1", "Shifty", version=3, escalation_policy_ids=["PEPOLC2"])

    listed = (await get(http, pd, "/schedules"))["schedules"][0]
    detail = (await get(http, pd, "/schedules/PLAYER1"))["schedule"]
    v3 = (await get(http, pd, "/v3/schedules/PSHIFT1"))["schedule"]

    assert [p["id"] for p in listed["escalation_policies"]] == ["PEPOLC1", "PEPOLC2"]
    assert detail["escalation_policies"] == listed["escalation_policies"]
    assert [(p["id"], p["type"]) for p in v3["escalation_policies"]] == [
        ("PEPOLC2", "escalation_policy_reference")
    ]


# -- what a row of /oncalls is ------------------------------------------------------------------


async def test_without_since_and_until_oncalls_answers_now_with_whole_shifts(http, pd, clock):
    now = clock.now
    pd.add_schedule("PSCHED1", "Primary", escalation_policy_ids=["PEPOLCY"])
    pd.set_shifts("PSCHED1", [("PALICE1", now - DAY, now + HOUR), ("PBOB001", now + HOUR, now + DAY)])

    current = await get(http, pd, "/oncalls")
    earliest = await get(http, pd, "/oncalls", {"earliest": "true"})
    until_only = await get(http, pd, "/oncalls", {"until": iso(now + 2 * HOUR)})
    error = await refused(http, pd, "/oncalls", {"since": iso(now + HOUR)})  # until defaults to now

    assert rows(current) == [("PSCHED1", "PALICE1", "2026-01-04T08:00:00Z", "2026-01-05T09:00:00Z")]
    assert earliest == current
    assert [row[1] for row in rows(until_only)] == ["PALICE1", "PBOB001"]
    assert (error["code"], error["message"]) == (2005, "Invalid Query Date Range")


async def test_back_to_back_shifts_of_one_person_are_one_oncall(http, pd, clock):
    """ "An on-call represents a contiguous unit of time for which a User will be on call" (spec)."""
    now = clock.now
    pd.add_schedule("PSCHED1", "Primary", escalation_policy_ids=["PEPOLCY"])
    pd.set_shifts(
        "PSCHED1",
        [
            ("PALICE1", now, now + DAY),
            ("PALICE1", now + DAY, now + 2 * DAY),
            ("PBOB001", now + 2 * DAY, now + 3 * DAY),
        ],
    )
    week = {"since": iso(now), "until": iso(now + 7 * DAY)}

    oncalls = await get(http, pd, "/oncalls", week)
    entries = (await get(http, pd, "/schedules/PSCHED1", week))["schedule"]["final_schedule"]

    assert [row[1:] for row in rows(oncalls)] == [
        ("PALICE1", "2026-01-05T08:00:00Z", "2026-01-07T08:00:00Z"),
        ("PBOB001", "2026-01-07T08:00:00Z", "2026-01-08T08:00:00Z"),
    ]
    assert len(entries["rendered_schedule_entries"]) == 3  # the final schedule keeps each turn


async def test_rows_come_per_policy_level_and_filters_intersect(http, pd, clock):
    pd.add_schedule("PPRIMRY", "Primary")
    pd.add_schedule("PSECOND", "Secondary")
    pd.add_escalation_policy("PEPOLC1", "Ops", schedule_ids=["PPRIMRY", "PSECOND"])
    pd.add_escalation_policy("PEPOLC2", "Ops too", schedule_ids=["PPRIMRY"])
    pd.set_on_call("PPRIMRY", "PALICE1")
    pd.set_on_call("PSECOND", "PBOB001")

    every = (await get(http, pd, "/oncalls"))["oncalls"]
    both = await get(
        http, pd, "/oncalls", {"escalation_policy_ids[]": "PEPOLC1", "schedule_ids[]": "PPRIMRY"}
    )

    assert [(r["escalation_policy"]["id"], r["escalation_level"], r["user"]["id"]) for r in every] == [
        ("PEPOLC1", 1, "PALICE1"),
        ("PEPOLC1", 2, "PBOB001"),
        ("PEPOLC2", 1, "PALICE1"),
    ]
    assert [(r["escalation_policy"]["id"], r["user"]["id"]) for r in both["oncalls"]] == [
        ("PEPOLC1", "PALICE1")
    ]


async def test_oncall_times_follow_time_zone_else_the_accounts(http, pd, clock):
    pd.add_schedule("PSCHED1", "Primary", time_zone="Asia/Tokyo", escalation_policy_ids=["PEPOLCY"])
    pd.set_shifts("PSCHED1", [("PALICE1", clock.now - HOUR, clock.now + HOUR)])

    default = rows(await get(http, pd, "/oncalls"))[0]
    new_york = rows(await get(http, pd, "/oncalls", {"time_zone": "America/New_York"}))[0]

    assert default[2:] == ("2026-01-05T07:00:00Z", "2026-01-05T09:00:00Z")  # the account's UTC
    assert new_york[2:] == ("2026-01-05T02:00:00-05:00", "2026-01-05T04:00:00-05:00")


# -- schedule windows ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "window"),
    [
        ({"since": "2026-01-05T00:00:00Z"}, ("2026-01-05T00:00:00Z", "2026-01-19T00:00:00Z")),
        ({"until": "2026-01-05T00:00:00Z"}, ("2025-12-22T00:00:00Z", "2026-01-05T00:00:00Z")),
    ],
)
async def test_a_schedule_window_defaults_to_two_weeks_from_the_end_given(http, pd, clock, params, window):
    pd.add_schedule("PSCHED1", "Primary")
    pd.set_shifts("PSCHED1", [("PALICE1", clock.now - 60 * DAY, None)])

    final = (await get(http, pd, "/schedules/PSCHED1", {**params, "time_zone": "UTC"}))["schedule"][
        "final_schedule"
    ]

    entry = final["rendered_schedule_entries"][0]
    assert (entry["start"], entry["end"]) == window
    assert final["rendered_coverage_percentage"] == 100


async def test_without_a_window_a_final_schedule_is_empty_with_null_coverage(http, pd, clock):
    pd.add_schedule("PSCHED1", "Primary")
    pd.set_on_call("PSCHED1", "PALICE1")

    schedule = (await get(http, pd, "/schedules/PSCHED1"))["schedule"]

    assert schedule["final_schedule"] == {
        "name": "Final Schedule",
        "rendered_schedule_entries": [],
        "rendered_coverage_percentage": None,
    }
    assert schedule["schedule_layers"][0]["rotation_turn_length_seconds"] == 7 * DAY


async def test_a_v3_final_schedule_needs_both_the_include_and_a_window(http, pd, clock):
    pd.add_schedule("PSHIFT1", "Shifty", version=3)
    pd.set_shifts("PSHIFT1", [(["PALICE1", "PBOB001"], clock.now - HOUR, clock.now + HOUR)])
    window = {"since": iso(clock.now), "until": iso(clock.now + 1)}

    no_include = (await get(http, pd, "/v3/schedules/PSHIFT1", window))["schedule"]
    no_window = (await get(http, pd, "/v3/schedules/PSHIFT1", {"include[]": "final_schedule"}))["schedule"]
    both = (await get(http, pd, "/v3/schedules/PSHIFT1", {**window, "include[]": "final_schedule"}))[
        "schedule"
    ]

    assert "final_schedule" not in no_include and "final_schedule" not in no_window
    assignments = both["final_schedule"]["computed_shift_assignments"]
    assert [a["member"]["user_id"] for a in assignments] == ["PALICE1", "PBOB001"]  # both on call now


async def test_the_schedule_list_renders_in_the_callers_time_zone(http, pd, clock):
    pd.add_schedule("PSCHED1", "Primary")
    pd.set_on_call("PSCHED1", "PALICE1")
    params = {"include[]": "final_schedule", "since": iso(clock.now), "until": iso(clock.now + HOUR)}

    account_key = (await get(http, pd, "/schedules", params))["schedules"][0]["final_schedule"]
    kenjis_key = (await get(http, pd, "/schedules", params, key=TOKYO_KEY))["schedules"][0]["final_schedule"]

    assert account_key["rendered_schedule_entries"][0]["start"] == "2026-01-05T08:00:00Z"
    assert kenjis_key["rendered_schedule_entries"][0]["start"] == "2026-01-05T17:00:00+09:00"


# -- the 10,000 cap, and counting requests ------------------------------------------------------


@pytest.mark.parametrize("path", ["/oncalls", "/schedules", "/users"])
async def test_offset_plus_limit_past_10000_is_a_400_on_every_classic_list(http, pd, path):
    last = await get(http, pd, path, {"offset": 9900, "limit": 100})
    error = await refused(http, pd, path, {"offset": 9901, "limit": 100})
    also = await refused(http, pd, path, {"offset": 10000})  # the default limit, 25, counts too

    assert (last["offset"], last["limit"], last["more"]) == (9900, 100, False)
    assert error["code"] == 2001 and "10000" in error["errors"][0]
    assert also["code"] == 2001


async def test_requests_are_counted_per_endpoint(http, pd):
    pd.add_schedule("PSCHED1", "Primary")
    await get(http, pd, "/schedules")
    await get(http, pd, "/schedules/PSCHED1")
    await get(http, pd, "/schedules/PSCHED1", {"since": iso(0)})
    await get(http, pd, "/oncalls")
    async with http.get(pd.url + "/global/oauth/anonymous/jwks") as response:
        assert response.status == 200

    assert pd.request_counts() == Counter({"GET /schedules/{id}": 2, "GET /schedules": 1, "GET /oncalls": 1})
    assert pd.request_counts(rest_only=False)["GET /global/oauth/anonymous/jwks"] == 1
    pd.reset_requests()
    assert pd.request_counts() == Counter()


async def test_an_override_takes_a_window_out_of_the_rotation_and_leaves_the_rest(http, pd, clock):
    now = clock.now
    pd.add_schedule("PSCHED1", "Primary", escalation_policy_ids=["PEPOLCY"])
    pd.add_schedule("PSHIFT1", "Shifty", version=3)
    pd.set_shifts("PSCHED1", [("PALICE1", now - HOUR, now + DAY), ("PKENJI1", now + DAY, now + 2 * DAY)])

    pd.add_override("PSCHED1", "PBOB001", now, now + 2 * HOUR)

    oncall = rows(await get(http, pd, "/oncalls"))
    window = {"since": iso(now - HOUR), "until": iso(now + 2 * DAY), "time_zone": "UTC"}
    entries = (await get(http, pd, "/schedules/PSCHED1", window))["schedule"]["final_schedule"]
    assert oncall == [("PSCHED1", "PBOB001", "2026-01-05T08:00:00Z", "2026-01-05T10:00:00Z")]
    assert [(e["user"]["id"], e["start"], e["end"]) for e in entries["rendered_schedule_entries"]] == [
        ("PALICE1", "2026-01-05T07:00:00Z", "2026-01-05T08:00:00Z"),
        ("PBOB001", "2026-01-05T08:00:00Z", "2026-01-05T10:00:00Z"),
        ("PALICE1", "2026-01-05T10:00:00Z", "2026-01-06T08:00:00Z"),
        ("PKENJI1", "2026-01-06T08:00:00Z", "2026-01-07T08:00:00Z"),
    ]
    with pytest.raises(ValueError, match="shift-based"):
        pd.add_override("PSHIFT1", "PBOB001", now, now + HOUR)
