"""The loopback PagerDuty fake, driven over real HTTP the way the app drives PagerDuty.

The OAuth client side is authlib's (grant URI, PKCE challenge, token request bodies), so these tests
also show that a standard client gets through the fake's consent page and token endpoint.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from roundrobin.sim.pagerduty import FakePagerDuty, ManualClock, answer_consent, consent_links

ACCOUNT_KEY = "y_NbAkKc66ryYTWUXYEu"
USER_KEY = "u+bobs-personal-key"
CLIENT_ID = "8e9146fe-669e-4c67-bb38-d82a889b36ef"
CLIENT_SECRET = "pdos_client_secret"
REDIRECT_URI = "http://127.0.0.1:3000/api/integrations/pagerduty/login/callback"
SCOPES = "schedules.read users.read oncalls.read teams.read abilities.read"
HOUR, DAY = 3600, 86400
ACCESS_TOKEN = re.compile(r"pdus\+_0XBPWQQ_[0-9a-f-]{36}")
REFRESH_TOKEN = re.compile(r"pdus\+_1XBPWQQ_[0-9a-f-]{36}")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def pd(clock: ManualClock):
    fake = FakePagerDuty(subdomain="acme", account_id="PACME01", region="us", clock=clock)
    fake.add_user("PALICE1", "Alice Admin", "alice@example.com", role="admin")
    fake.add_user("PBOB001", "Bob Builder", "Bob@Example.com")
    fake.add_user("PCAROL1", "Carol Chief", "carol@example.com")
    fake.add_api_key(ACCOUNT_KEY)
    fake.add_api_key(USER_KEY, user_id="PBOB001")
    fake.add_oauth_app(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI], authorizing_user_id="PALICE1")
    async with fake:
        yield fake


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


@dataclass
class Reply:
    status: int
    headers: Any
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


async def get(
    http: aiohttp.ClientSession,
    pd: FakePagerDuty,
    path: str,
    params: Any = None,
    *,
    key: str | None = ACCOUNT_KEY,
    token: str | None = None,
    authorization: str | None = None,
) -> Reply:
    """GET a REST path with an API key (default), a bearer token, or a raw Authorization header."""
    if authorization is None:
        authorization = f"Bearer {token}" if token else f"Token token={key}" if key else None
    headers = {"Accept": "application/vnd.pagerduty+json;version=2"}
    if authorization is not None:
        headers["Authorization"] = authorization
    async with http.get(pd.url + path, params=params, headers=headers) as response:
        return Reply(response.status, response.headers, await response.text())


async def post_token(http: aiohttp.ClientSession, pd: FakePagerDuty, body: str, **headers: str) -> Reply:
    headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    async with http.post(f"{pd.url}/oauth/token", data=body, headers=headers) as response:
        return Reply(response.status, response.headers, await response.text())


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


# -- OAuth client side (authlib) ----------------------------------------------------------------


@dataclass
class Flow:
    url: str
    verifier: str
    state: str


def start_flow(
    pd: FakePagerDuty, scope: str = SCOPES, redirect_uri: str = REDIRECT_URI, **extra: str
) -> Flow:
    verifier, state = generate_token(48), generate_token(20)
    pkce = {"code_challenge": create_s256_code_challenge(verifier), "code_challenge_method": "S256"}
    url = prepare_grant_uri(
        f"{pd.url}/oauth/authorize", CLIENT_ID, "code", redirect_uri, scope, state, **{**pkce, **extra}
    )
    return Flow(url, verifier, state)


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


async def authorize(http: aiohttp.ClientSession, pd: FakePagerDuty, scope: str = SCOPES) -> tuple[Flow, str]:
    """Consent page → Approve → the code from the redirect back to the app."""
    flow = start_flow(pd, scope)
    location = await answer_consent(http, flow.url)
    params = query_of(location)
    assert location.startswith(REDIRECT_URI + "?")
    assert params["state"] == flow.state
    return flow, params["code"]


async def exchange(
    http: aiohttp.ClientSession,
    pd: FakePagerDuty,
    code: str,
    verifier: str,
    *,
    redirect_uri: str = REDIRECT_URI,
    secret: str = CLIENT_SECRET,
) -> Reply:
    body = prepare_token_request(
        "authorization_code",
        code=code,
        redirect_uri=redirect_uri,
        code_verifier=verifier,
        client_id=CLIENT_ID,
        client_secret=secret,
    )
    return await post_token(http, pd, body)


async def refresh(http: aiohttp.ClientSession, pd: FakePagerDuty, refresh_token: str) -> Reply:
    body = prepare_token_request(
        "refresh_token", refresh_token=refresh_token, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )
    return await post_token(http, pd, body)


async def user_tokens(http: aiohttp.ClientSession, pd: FakePagerDuty, scope: str = SCOPES) -> dict:
    flow, code = await authorize(http, pd, scope)
    reply = await exchange(http, pd, code, flow.verifier)
    assert reply.status == 200, reply.text
    return reply.json()


def assert_oauth_error(reply: Reply, status: int, error: str) -> None:
    assert reply.status == status, reply.text
    assert reply.json()["error"] == error
    assert reply.json()["error_description"]


# -- authentication -----------------------------------------------------------------------------


async def test_token_and_bearer_headers_both_work_and_are_recorded(http, pd):
    tokens = await user_tokens(http, pd)
    pd.reset_requests()

    assert (await get(http, pd, "/abilities")).status == 200
    assert (await get(http, pd, "/abilities", token=tokens["access_token"])).status == 200

    assert [(r.path, r.auth, r.status, r.accept_version) for r in pd.requests] == [
        ("/abilities", "api_key", 200, True),
        ("/abilities", "oauth", 200, True),
    ]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        f"Token {ACCOUNT_KEY}",
        f"token token={ACCOUNT_KEY}",
        f"Token token= {ACCOUNT_KEY}",
        f"Token token={ACCOUNT_KEY} extra",
        f"Bearer {ACCOUNT_KEY}",
        "Token token=not-a-key",
        "Bearer pdus+_0XBPWQQ_00000000-0000-0000-0000-000000000000",
        "Basic dXNlcjpwYXNz",
    ],
)
async def test_malformed_or_unknown_authorization_is_401(http, pd, authorization):
    if authorization is None:
        reply = await get(http, pd, "/users", key=None)  # no Authorization header at all
    else:
        reply = await get(http, pd, "/users", authorization=authorization)

    assert reply.status == 401
    assert reply.json() == {"error": {"message": "Unauthorized", "code": 2006}}


async def test_users_me_depends_on_the_kind_of_credential(http, pd):
    account = await get(http, pd, "/users/me")
    assert account.status == 400
    assert "account-level access token" in account.json()["error"]  # a string, not an object

    assert (await get(http, pd, "/users/me", key=USER_KEY)).json()["user"]["id"] == "PBOB001"
    tokens = await user_tokens(http, pd)
    me = (await get(http, pd, "/users/me", token=tokens["access_token"])).json()["user"]
    assert (me["id"], me["email"]) == ("PALICE1", "alice@example.com")


async def test_a_token_without_the_routes_scope_gets_403(http, pd):
    tokens = await user_tokens(http, pd, scope="schedules.read")

    users = await get(http, pd, "/users", token=tokens["access_token"])
    assert users.status == 403
    assert users.json()["error"]["code"] == 2010
    assert users.json()["error"]["message"] == "Token missing required scopes"
    assert users.json()["error"]["required_scopes"] == "users.read"
    assert (await get(http, pd, "/oncalls", token=tokens["access_token"])).status == 403
    assert (await get(http, pd, "/schedules", token=tokens["access_token"])).status == 200
    assert (await get(http, pd, "/v3/schedules", token=tokens["access_token"])).status == 200
    assert (await get(http, pd, "/users/me", token=tokens["access_token"])).status == 200


# -- pagination ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"limit": "100"}, 200),
        ({"limit": "101"}, 400),
        ({"limit": "0"}, 400),
        ({"limit": "ten"}, 400),
        ({"offset": "-1"}, 400),
        ({"offset": "9900", "limit": "100"}, 200),
        ({"offset": "9901", "limit": "100"}, 400),
    ],
)
async def test_classic_pagination_limits(http, pd, params, status):
    reply = await get(http, pd, "/users", params)

    assert reply.status == status
    if status == 400:
        assert reply.json()["error"]["code"] == 2001
        assert reply.json()["error"]["errors"]


async def test_users_paginate_with_more(http, pd):
    for n in range(247):
        pd.add_user(f"PU{n:05}", f"User {n}", f"user{n}@example.com")
    pages, offset = [], 0
    while True:
        body = (await get(http, pd, "/users", {"limit": 100, "offset": offset})).json()
        pages.append(body)
        if not body["more"]:
            break
        offset += 100

    assert [len(page["users"]) for page in pages] == [100, 100, 50]
    assert [page["more"] for page in pages] == [True, True, False]
    assert all(page["total"] is None for page in pages)
    assert len({user["id"] for page in pages for user in page["users"]}) == 250
    default = (await get(http, pd, "/users", {"total": "true"})).json()
    assert (len(default["users"]), default["limit"], default["total"]) == (25, 25, 250)


async def test_users_query_matches_name_or_email_ignoring_case(http, pd):
    by_name = (await get(http, pd, "/users", {"query": "builder"})).json()["users"]
    by_email = (await get(http, pd, "/users", {"query": "CAROL@"})).json()["users"]

    assert [u["id"] for u in by_name] == ["PBOB001"]
    assert [u["id"] for u in by_email] == ["PCAROL1"]
    user = by_name[0]
    assert user["type"] == "user"
    assert user["html_url"] == "https://acme.pagerduty.com/users/PBOB001"
    assert user["self"] == f"{pd.url}/users/PBOB001"
    assert (user["email"], user["role"], user["summary"]) == ("Bob@Example.com", "user", "Bob Builder")


async def test_unknown_user_is_404(http, pd):
    reply = await get(http, pd, "/users/PNOBODY")

    assert reply.status == 404
    assert reply.json() == {"error": {"message": "Not Found", "code": 2100}}


# -- schedules ----------------------------------------------------------------------------------


async def test_shift_based_schedules_are_listed_only_by_v3(http, pd):
    pd.add_schedule("PLAYER1", "Layered")
    pd.add_schedule("PSHIFT1", "Shifty", version=3)

    v2 = (await get(http, pd, "/schedules")).json()
    v3 = (await get(http, pd, "/v3/schedules")).json()

    assert [s["id"] for s in v2["schedules"]] == ["PLAYER1"]
    assert v2["schedules"][0]["type"] == "schedule"
    assert v3 == {
        "schedules": [
            {
                "id": "PSHIFT1",
                "type": "schedule_v3_reference",
                "summary": "Shifty",
                "self": f"{pd.url}/v3/schedules/PSHIFT1",
                "html_url": "https://acme.pagerduty.com/schedules/PSHIFT1",
            }
        ],
        "limit": 100,
        "offset": 0,
        "more": False,
    }
    assert (await get(http, pd, "/v3/schedules", {"limit": 1000})).status == 200
    assert (await get(http, pd, "/v3/schedules", {"limit": 1001})).status == 400


async def test_schedules_query_filters_by_name(http, pd):
    pd.add_schedule("PSCHED1", "Database primary")
    pd.add_schedule("PSCHED2", "Frontend")

    found = (await get(http, pd, "/schedules", {"query": "DATABASE"})).json()["schedules"]

    assert [s["id"] for s in found] == ["PSCHED1"]


async def test_both_schedule_lists_take_query_and_count_only_what_matches(http, pd):
    """What the schedule picker relies on: `query` on /schedules and /v3/schedules matches part of a
    name, ignoring case, and `total=true` counts the matches, not the whole account."""
    for n in range(130):
        pd.add_schedule(f"PL{n:05d}", f"Payments {n} primary")
    pd.add_schedule("PSHIFT1", "Payments follow the sun", version=3)
    pd.add_schedule("PSHIFT2", "Search follow the sun", version=3)

    v2 = (await get(http, pd, "/schedules", {"query": "MENTS 12", "total": "true", "limit": 100})).json()
    v3 = (await get(http, pd, "/v3/schedules", {"query": "payments", "total": "true"})).json()
    everything = (await get(http, pd, "/schedules", {"total": "true", "limit": 1})).json()

    assert [s["name"] for s in v2["schedules"]] == [
        "Payments 12 primary",
        *(f"Payments 12{d} primary" for d in range(10)),
    ]
    assert (v2["total"], v2["more"]) == (11, False)
    assert [s["summary"] for s in v3["schedules"]] == ["Payments follow the sun"] and v3["total"] == 1
    assert (everything["total"], everything["more"]) == (130, True)


async def test_a_refusal_that_lasts_answers_every_request_until_cleared(http, pd):
    pd.add_schedule("PSCHED1", "Database primary")
    pd.fail_next(
        403, path="/schedules/PSCHED1", count=None, body={"error": {"message": "Access Denied", "code": 2010}}
    )

    statuses = [(await get(http, pd, "/schedules/PSCHED1")).status for _ in range(5)]
    listed = (await get(http, pd, "/schedules")).status
    pd.clear_faults()

    assert statuses == [403] * 5 and listed == 200, "only the path it was set for"
    assert (await get(http, pd, "/schedules/PSCHED1")).status == 200


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/schedules/PLAYER1", 200),
        ("/schedules/PSHIFT1", 400),
        ("/schedules/PNOPE01", 404),
        ("/v3/schedules/PSHIFT1", 200),
        ("/v3/schedules/PLAYER1", 400),
        ("/v3/schedules/PNOPE01", 404),
    ],
)
async def test_each_detail_endpoint_serves_only_its_own_kind(http, pd, path, status):
    pd.add_schedule("PLAYER1", "Layered")
    pd.add_schedule("PSHIFT1", "Shifty", version=3)

    assert (await get(http, pd, path)).status == status


async def test_v2_final_schedule_is_cut_at_the_window_unless_overflow(http, pd, clock):
    now = clock.now
    pd.add_schedule("PSCHED1", "Primary", time_zone="America/New_York", user_ids=["PALICE1"])
    pd.set_shifts("PSCHED1", [("PALICE1", now - DAY, now + HOUR), ("PBOB001", now + HOUR, now + DAY)])
    window = {"since": iso(now), "until": iso(now + 2 * HOUR), "time_zone": "UTC"}

    cut = (await get(http, pd, "/schedules/PSCHED1", window)).json()["schedule"]["final_schedule"]
    whole = (await get(http, pd, "/schedules/PSCHED1", {**window, "overflow": "true"})).json()

    assert [(e["user"]["id"], e["start"], e["end"]) for e in cut["rendered_schedule_entries"]] == [
        ("PALICE1", "2026-01-05T08:00:00Z", "2026-01-05T09:00:00Z"),
        ("PBOB001", "2026-01-05T09:00:00Z", "2026-01-05T10:00:00Z"),
    ]
    assert cut["rendered_coverage_percentage"] == 100
    entries = whole["schedule"]["final_schedule"]["rendered_schedule_entries"]
    assert [(e["start"], e["end"]) for e in entries] == [
        ("2026-01-04T08:00:00Z", "2026-01-05T09:00:00Z"),
        ("2026-01-05T09:00:00Z", "2026-01-06T08:00:00Z"),
    ]
    local = (await get(http, pd, "/schedules/PSCHED1", {"since": iso(now), "until": iso(now + HOUR)})).json()
    assert (
        local["schedule"]["final_schedule"]["rendered_schedule_entries"][0]["start"]
        == "2026-01-05T03:00:00-05:00"
    )


async def test_v2_schedules_take_one_user_at_a_time(pd, clock):
    pd.add_schedule("PSCHED1", "Primary")

    with pytest.raises(ValueError):
        pd.set_shifts("PSCHED1", [(["PALICE1", "PBOB001"], clock.now, clock.now + HOUR)])
    with pytest.raises(ValueError):
        pd.set_shifts("PSCHED1", [("PALICE1", 0, clock.now + HOUR), ("PBOB001", clock.now, clock.now + DAY)])


async def test_v3_final_schedule_has_concurrent_users_and_empty_gaps(http, pd, clock):
    now = clock.now
    pd.add_schedule("PSHIFT1", "Shifty", version=3)
    pd.set_shifts(
        "PSHIFT1", [(["PALICE1", "PBOB001"], now, now + HOUR), ("PCAROL1", now + HOUR / 2, now + HOUR)]
    )
    params = {"since": iso(now), "until": iso(now + 2 * HOUR), "include[]": "final_schedule"}

    without = (await get(http, pd, "/v3/schedules/PSHIFT1", {"since": iso(now)})).json()["schedule"]
    schedule = (await get(http, pd, "/v3/schedules/PSHIFT1", params)).json()["schedule"]

    assert "final_schedule" not in without
    final = schedule["final_schedule"]
    assert (schedule["type"], final["type"], final["rendered_coverage_percentage"]) == (
        "schedule_v3",
        "final_schedule",
        50,
    )
    rows = [(a["start_time"], a["end_time"], a["member"]) for a in final["computed_shift_assignments"]]
    assert rows == [
        ("2026-01-05T08:00:00Z", "2026-01-05T09:00:00Z", {"type": "user_member", "user_id": "PALICE1"}),
        ("2026-01-05T08:00:00Z", "2026-01-05T09:00:00Z", {"type": "user_member", "user_id": "PBOB001"}),
        ("2026-01-05T08:30:00Z", "2026-01-05T09:00:00Z", {"type": "user_member", "user_id": "PCAROL1"}),
        ("2026-01-05T09:00:00Z", "2026-01-05T10:00:00Z", {"type": "empty_member"}),
    ]


async def test_a_removed_schedule_is_gone(http, pd):
    pd.add_schedule("PSCHED1", "Primary", escalation_policy_ids=["PEPOLCY"])
    pd.set_on_call("PSCHED1", "PALICE1")
    pd.remove_schedule("PSCHED1")

    assert (await get(http, pd, "/schedules")).json()["schedules"] == []
    assert (await get(http, pd, "/schedules/PSCHED1")).status == 404
    oncalls = await get(http, pd, "/oncalls", {"schedule_ids[]": "PSCHED1"})
    assert (oncalls.status, oncalls.json()["oncalls"]) == (200, [])


# -- on-calls -----------------------------------------------------------------------------------


def oncall_rows(body: dict) -> list[tuple]:
    return [
        (
            row["escalation_policy"]["id"],
            row["escalation_level"],
            row["schedule"] and row["schedule"]["id"],
            row["user"]["id"],
            row["start"],
            row["end"],
        )
        for row in body["oncalls"]
    ]


@pytest.fixture
def two_policies(pd, clock):
    """PPRIMRY is level 1 of PEPENGR and levels 1 and 2 of PEPOPS1; Carol is PEPENGR's level 2."""
    pd.add_schedule("PPRIMRY", "Primary")
    pd.add_escalation_policy("PEPENGR", "Engineering", schedule_ids=["PPRIMRY"], user_ids=["PCAROL1"])
    pd.add_escalation_policy("PEPOPS1", "Operations", schedule_ids=["PPRIMRY", "PPRIMRY"])
    pd.set_on_call("PPRIMRY", "PALICE1", until=clock.now + DAY)


async def test_oncalls_repeat_a_shift_per_policy_level_and_list_permanent_targets(http, pd, two_policies):
    body = (await get(http, pd, "/oncalls")).json()

    shift = ("2026-01-05T08:00:00Z", "2026-01-06T08:00:00Z")
    assert oncall_rows(body) == [
        ("PEPENGR", 1, "PPRIMRY", "PALICE1", *shift),
        ("PEPENGR", 2, None, "PCAROL1", None, None),
        ("PEPOPS1", 1, "PPRIMRY", "PALICE1", *shift),
        ("PEPOPS1", 2, "PPRIMRY", "PALICE1", *shift),
    ]
    assert body["oncalls"][0]["schedule"]["type"] == "schedule_reference"
    assert body["oncalls"][0]["user"]["type"] == "user_reference"


async def test_oncalls_schedule_filter_leaves_out_permanent_rows_unless_null_is_asked(http, pd, two_policies):
    only = (await get(http, pd, "/oncalls", [("schedule_ids[]", "PPRIMRY")])).json()
    with_null = (
        await get(http, pd, "/oncalls", [("schedule_ids[]", "PPRIMRY"), ("schedule_ids[]", "null")])
    ).json()
    by_policy = (await get(http, pd, "/oncalls", {"escalation_policy_ids[]": "PEPOPS1"})).json()
    by_user = (await get(http, pd, "/oncalls", {"user_ids[]": "PCAROL1"})).json()

    assert [row[3] for row in oncall_rows(only)] == ["PALICE1"] * 3
    assert len(oncall_rows(with_null)) == 4
    assert {row[0] for row in oncall_rows(by_policy)} == {"PEPOPS1"}
    assert [row[:4] for row in oncall_rows(by_user)] == [("PEPENGR", 2, None, "PCAROL1")]


async def test_oncalls_include_full_users_with_emails(http, pd, two_policies):
    params = [("include[]", "users"), ("include[]", "schedules"), ("include[]", "escalation_policies")]
    rows = (await get(http, pd, "/oncalls", params)).json()["oncalls"]

    assert {row["user"]["email"] for row in rows} == {"alice@example.com", "carol@example.com"}
    assert rows[0]["user"]["type"] == "user"
    assert rows[0]["schedule"]["type"] == "schedule"
    assert rows[0]["escalation_policy"]["escalation_rules"][0]["targets"][0]["id"] == "PPRIMRY"


async def test_oncalls_pages_are_stable(http, pd, two_policies):
    everything = oncall_rows((await get(http, pd, "/oncalls")).json())
    pages = [(await get(http, pd, "/oncalls", {"limit": 3, "offset": offset})).json() for offset in (0, 3)]

    assert oncall_rows(pages[0]) + oncall_rows(pages[1]) == everything
    assert [page["more"] for page in pages] == [True, False]


async def test_oncalls_for_a_shift_based_schedule_list_every_concurrent_user(http, pd, clock):
    pd.add_schedule("PSHIFT1", "Shifty", version=3, escalation_policy_ids=["PEPSHFT"])
    pd.set_shifts("PSHIFT1", [(["PALICE1", "PBOB001"], clock.now - HOUR, clock.now + HOUR)])

    rows = (await get(http, pd, "/oncalls", {"include[]": "users"})).json()["oncalls"]

    assert sorted(row["user"]["email"] for row in rows) == ["Bob@Example.com", "alice@example.com"]
    assert {row["schedule"]["type"] for row in rows} == {"schedule_v3_reference"}
    assert rows[0]["schedule"]["self"] == f"{pd.url}/v3/schedules/PSHIFT1"


async def test_oncalls_time_window(http, pd, clock):
    now = clock.now
    pd.add_schedule("PSCHED1", "Primary", escalation_policy_ids=["PEPOLCY"])
    pd.set_shifts(
        "PSCHED1", [("PALICE1", now + DAY, now + 2 * DAY), ("PBOB001", now + 100 * DAY, now + 101 * DAY)]
    )

    default = (await get(http, pd, "/oncalls")).json()["oncalls"]
    ahead = (await get(http, pd, "/oncalls", {"since": iso(now), "until": iso(now + 120 * DAY)})).json()
    backwards = await get(http, pd, "/oncalls", {"since": iso(now), "until": iso(now - 1)})
    garbage = await get(http, pd, "/oncalls", {"since": "yesterday"})

    assert default == []  # since and until default to now
    assert [row["user"]["id"] for row in ahead["oncalls"]] == ["PALICE1"]  # 90 days ahead at most
    assert (backwards.status, backwards.json()["error"]["code"]) == (400, 2005)
    assert (garbage.status, garbage.json()["error"]["code"]) == (400, 2004)


async def test_oncalls_earliest_keeps_the_first_shift_per_policy_level_and_user(http, pd, clock):
    start = datetime.fromtimestamp(clock.now, UTC)
    pd.add_schedule("PSCHED1", "Primary", escalation_policy_ids=["PEPOLCY"])
    pd.set_shifts(
        "PSCHED1",
        [
            ("PALICE1", start + timedelta(days=1), start + timedelta(days=2)),
            ("PBOB001", start + timedelta(days=2), start + timedelta(days=3)),
            ("PALICE1", start + timedelta(days=3), start + timedelta(days=4)),
        ],
    )
    window = {"since": iso(clock.now), "until": iso(clock.now + 7 * DAY)}

    every = (await get(http, pd, "/oncalls", window)).json()
    earliest = (await get(http, pd, "/oncalls", {**window, "earliest": "true"})).json()

    assert [row[3:5] for row in oncall_rows(every)] == [
        ("PALICE1", "2026-01-06T08:00:00Z"),
        ("PBOB001", "2026-01-07T08:00:00Z"),
        ("PALICE1", "2026-01-08T08:00:00Z"),
    ]
    assert [row[3:5] for row in oncall_rows(earliest)] == [
        ("PALICE1", "2026-01-06T08:00:00Z"),
        ("PBOB001", "2026-01-07T08:00:00Z"),
    ]


async def test_oncalls_follow_changes_between_requests(http, pd, clock):
    pd.add_schedule("PSCHED1", "Primary", escalation_policy_ids=["PEPOLCY"])
    pd.set_on_call("PSCHED1", "PALICE1", until=clock.now + HOUR)
    before = (await get(http, pd, "/oncalls")).json()

    pd.set_on_call("PSCHED1", "PBOB001")
    handed_over = (await get(http, pd, "/oncalls")).json()
    clock.advance(8 * DAY)
    nobody = (await get(http, pd, "/oncalls")).json()

    assert [row[3] for row in oncall_rows(before)] == ["PALICE1"]
    assert [row[3] for row in oncall_rows(handed_over)] == ["PBOB001"]
    assert nobody["oncalls"] == []


# -- faults and limits --------------------------------------------------------------------------


async def test_rate_limit_next_answers_pagerdutys_429(http, pd):
    pd.rate_limit_next(reset=7)

    limited = await get(http, pd, "/schedules")
    after = await get(http, pd, "/schedules")

    assert limited.status == 429
    assert limited.json() == {"error": {"message": "Rate Limit Exceeded", "code": 2020}}
    assert (
        limited.headers["ratelimit-limit"],
        limited.headers["ratelimit-remaining"],
        limited.headers["ratelimit-reset"],
    ) == ("960", "0", "7")
    assert "Retry-After" not in limited.headers
    assert after.status == 200


async def test_rolling_rate_limit_is_per_credential(http, pd, clock):
    assert pd.rate_limit_per_minute == 960
    pd.rate_limit_per_minute = 3

    statuses = [(await get(http, pd, "/abilities")).status for _ in range(4)]
    other_key = await get(http, pd, "/abilities", key=USER_KEY)
    clock.advance(60)
    later = await get(http, pd, "/abilities")

    assert statuses == [200, 200, 200, 429]
    assert other_key.status == 200
    assert (later.status, later.headers["ratelimit-remaining"]) == (200, "2")


async def test_fail_next_only_hits_matching_paths(http, pd):
    pd.fail_next(status=502, count=2, path="/oncalls", headers={"X-Fault": "yes"})

    users = await get(http, pd, "/users")
    failures = [await get(http, pd, "/oncalls") for _ in range(2)]
    recovered = await get(http, pd, "/oncalls")

    assert users.status == 200
    assert [(r.status, r.headers["X-Fault"]) for r in failures] == [(502, "yes"), (502, "yes")]
    assert recovered.status == 200


async def test_outage_takes_down_rest_but_not_oauth_unless_asked(http, pd):
    pd.outage = True
    rest = await get(http, pd, "/abilities")
    token = await post_token(http, pd, "grant_type=refresh_token")
    pd.identity_outage = True
    identity = await post_token(http, pd, "grant_type=refresh_token")

    assert rest.status == 503
    assert token.status == 401  # reached the token endpoint: no client credentials
    assert identity.status == 503


async def test_revoked_tokens_get_a_401_that_is_not_json(http, pd):
    tokens = await user_tokens(http, pd)
    pd.revoke_tokens()

    reply = await get(http, pd, "/abilities", token=tokens["access_token"])

    assert reply.status == 401
    assert reply.headers["Content-Type"].startswith("text/html")
    with pytest.raises(json.JSONDecodeError):
        reply.json()
    assert_oauth_error(await refresh(http, pd, tokens["refresh_token"]), 400, "invalid_grant")


async def test_expired_access_tokens_get_401_and_refresh_still_works(http, pd, clock):
    pd.access_token_ttl = 60
    tokens = await user_tokens(http, pd)
    assert tokens["expires_in"] == 60
    clock.advance(61)

    expired = await get(http, pd, "/abilities", token=tokens["access_token"])
    renewed = await refresh(http, pd, tokens["refresh_token"])

    assert (expired.status, expired.json()["error"]["code"]) == (401, 2006)
    assert renewed.status == 200
    assert (await get(http, pd, "/abilities", token=renewed.json()["access_token"])).status == 200


# -- OAuth: the authorization code flow ---------------------------------------------------------


async def test_authorization_code_flow(http, pd, clock):
    flow = start_flow(pd)
    async with http.get(flow.url) as response:
        page = await response.text()
    assert "Round Robin wants to access your PagerDuty account acme as Alice Admin" in page
    for scope in SCOPES.split():
        assert f"<code>{scope}</code></li>" in page  # each scope named, after what it allows in words
    assert "<li>See your schedules<code>schedules.read</code></li>" in page

    async with http.get(pd.url + consent_links(page)["approve"], allow_redirects=False) as response:
        assert response.status == 302
        location = response.headers["Location"]
    params = query_of(location)
    assert location.startswith(REDIRECT_URI + "?")
    assert params["state"] == flow.state

    reply = await exchange(http, pd, params["code"], flow.verifier)
    assert reply.status == 200, reply.text
    assert reply.headers["Cache-Control"] == "no-store"
    tokens = reply.json()
    assert ACCESS_TOKEN.fullmatch(tokens["access_token"])
    assert REFRESH_TOKEN.fullmatch(tokens["refresh_token"])
    assert (tokens["token_type"], tokens["expires_in"]) == ("bearer", 86400)
    assert tokens["scope"] == "openid abilities.read oncalls.read schedules.read teams.read users.read"
    info = pd.token_info(tokens["access_token"])
    assert (info.user_id, info.client_id, info.expires_at) == ("PALICE1", CLIENT_ID, clock.now + 86400)
    assert pd.issued_tokens == [info]


async def test_the_id_token_is_a_signed_jwt_naming_the_account(http, pd, clock):
    tokens = await user_tokens(http, pd)
    header, claims, signature = (
        base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)) for part in tokens["id_token"].split(".")
    )
    async with http.get(f"{pd.url}/global/oauth/anonymous/.well-known/openid-configuration") as response:
        discovery = await response.json()
    async with http.get(discovery["jwks_uri"]) as response:
        (jwk,) = (await response.json())["keys"]

    def number(value: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")

    public_key = rsa.RSAPublicNumbers(number(jwk["e"]), number(jwk["n"])).public_key()
    signed = tokens["id_token"].rsplit(".", 1)[0].encode()
    public_key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
    claims = json.loads(claims)
    assert json.loads(header)["alg"] == "RS256"
    assert claims["aud"] == ["https://api.pagerduty.com", CLIENT_ID]
    assert claims["iss"] == discovery["issuer"]
    assert (claims["sub"], claims["user_id"], claims["account_id"]) == ("PALICE1", "PALICE1", "PACME01")
    assert (claims["subdomain"], claims["region"]) == ("acme", "UnitedStates")
    assert claims["delegation_id"] == pd.token_info(tokens["access_token"]).delegation_id
    assert claims["iat"] == int(clock.now) < claims["exp"]


async def test_a_wrong_code_verifier_is_invalid_grant(http, pd):
    flow, code = await authorize(http, pd)

    reply = await exchange(http, pd, code, generate_token(48))

    assert_oauth_error(reply, 400, "invalid_grant")
    assert (await exchange(http, pd, code, flow.verifier)).status == 200  # a failed try does not burn it


async def test_a_wrong_client_secret_is_invalid_client(http, pd):
    flow, code = await authorize(http, pd)

    assert_oauth_error(await exchange(http, pd, code, flow.verifier, secret="guess"), 401, "invalid_client")


async def test_client_secret_may_come_by_http_basic(http, pd):
    flow, code = await authorize(http, pd)
    body = prepare_token_request(
        "authorization_code", code=code, redirect_uri=REDIRECT_URI, code_verifier=flow.verifier
    )
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()

    assert (await post_token(http, pd, body, Authorization=f"Basic {basic}")).status == 200


async def test_the_redirect_uri_must_match_the_authorize_request(http, pd):
    flow, code = await authorize(http, pd)

    reply = await exchange(http, pd, code, flow.verifier, redirect_uri=REDIRECT_URI + "/elsewhere")

    assert_oauth_error(reply, 400, "invalid_grant")


@pytest.mark.parametrize(("wait", "status"), [(29, 200), (31, 400)])
async def test_codes_live_30_seconds(http, pd, clock, wait, status):
    flow, code = await authorize(http, pd)
    clock.advance(wait)

    reply = await exchange(http, pd, code, flow.verifier)

    assert reply.status == status
    if status == 400:
        assert reply.json()["error"] == "invalid_grant"


async def test_a_replayed_code_is_refused_and_revokes_what_it_bought(http, pd):
    flow, code = await authorize(http, pd)
    first = await exchange(http, pd, code, flow.verifier)
    assert first.status == 200

    replay = await exchange(http, pd, code, flow.verifier)

    assert_oauth_error(replay, 400, "invalid_grant")
    assert (await get(http, pd, "/abilities", token=first.json()["access_token"])).status == 401


async def test_refresh_tokens_rotate(http, pd):
    tokens = await user_tokens(http, pd)

    renewed = await refresh(http, pd, tokens["refresh_token"])
    reused = await refresh(http, pd, tokens["refresh_token"])

    assert renewed.status == 200
    new = renewed.json()
    assert new["refresh_token"] != tokens["refresh_token"]
    assert new["access_token"] != tokens["access_token"]
    assert new["scope"] == tokens["scope"]
    assert "id_token" not in new
    assert_oauth_error(reused, 400, "invalid_grant")
    assert (await refresh(http, pd, new["refresh_token"])).status == 200
    assert (await get(http, pd, "/schedules", token=new["access_token"])).status == 200


async def test_deny_redirects_back_with_access_denied(http, pd):
    flow = start_flow(pd)

    location = await answer_consent(http, flow.url, approve=False)

    assert query_of(location) == {
        "error": "access_denied",
        "error_description": "The resource owner or authorization server denied the request.",
        "state": flow.state,
    }
    assert "error_description=The+resource+owner" in location


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"redirect_uri": "https://evil.example/callback"}, "redirect_uri"),
        ({"client_id": "someone-else"}, "client_id"),
        ({"code_challenge_method": "plain"}, "S256"),
        ({"code_challenge": None, "code_challenge_method": None}, "S256"),
        ({"scope": None}, "scope"),
    ],
)
async def test_bad_authorize_requests_show_an_error_page_instead_of_redirecting(http, pd, overrides, message):
    params = query_of(start_flow(pd).url)
    params.update(overrides)
    params = {key: value for key, value in params.items() if value is not None}

    async with http.get(f"{pd.url}/oauth/authorize", params=params, allow_redirects=False) as response:
        page = await response.text()

    assert response.status == 400
    assert "Location" not in response.headers
    assert message in page
    assert consent_links(page) == {}


async def test_scopes_the_app_lacks_are_silently_dropped(http, pd):
    tokens = await user_tokens(http, pd, scope="incidents.write services.read")

    assert tokens["scope"] == "openid"
    assert (await get(http, pd, "/schedules", token=tokens["access_token"])).status == 403


async def test_client_credentials_give_an_app_token_for_the_account(http, pd):
    def body(scope: str) -> str:
        return prepare_token_request(
            "client_credentials", scope=scope, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
        )

    good = await post_token(http, pd, body("as_account-us.acme schedules.read"))
    no_account = await post_token(http, pd, body("schedules.read"))
    too_much = await post_token(http, pd, body("as_account-us.acme incidents.write"))

    assert good.status == 200
    assert "refresh_token" not in good.json()
    token = good.json()["access_token"]
    assert (await get(http, pd, "/schedules", token=token)).status == 200
    assert (await get(http, pd, "/users/me", token=token)).status == 400
    assert_oauth_error(no_account, 400, "invalid_request")
    assert_oauth_error(too_much, 400, "invalid_request")


async def test_unsupported_grant_and_wrong_content_type(http, pd):
    password = prepare_token_request("password", client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    async with http.post(f"{pd.url}/oauth/token", json={"grant_type": "refresh_token"}) as response:
        as_json = Reply(response.status, response.headers, await response.text())

    assert_oauth_error(await post_token(http, pd, password), 400, "unsupported_grant_type")
    assert_oauth_error(as_json, 400, "invalid_request")
