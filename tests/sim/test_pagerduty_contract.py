"""The app's PagerDuty client against the fake in contract mode: every exchange as PagerDuty's OpenAPI
document says, apart from the known gaps (each named, with its reason, in tests/contract/gaps.py).

The first half drives `roundrobin.pagerduty.client.PagerDutyClient` through every call the app makes
(connection.py, sync.py) and every call the coming sync will make, with the parameters they send,
and checks which known gaps each one meets. The second half shows the checker is strict: what it
must catch, it catches, and a known gap forgives only its own case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from roundrobin.pagerduty.client import PagerDutyClient, PagerDutyRequestError, StaticApiKey
from roundrobin.sim.pagerduty import FakePagerDuty, ManualClock, answer_consent
from roundrobin.sim.pagerduty.scenarios import SHIFT_BASED, AccountShape, SeededAccount, seed_account
from tests.contract.checker import ContractChecker

ACCOUNT_KEY, USER_KEY = "y_NbAkKc66ryYTWUXYEu", "u+personal-key-of-the-first-user"
CLIENT_ID, CLIENT_SECRET = "8e9146fe-669e-4c67-bb38-d82a889b36ef", "pdos_client_secret"
REDIRECT_URI = "http://127.0.0.1:3000/api/integrations/pagerduty/login/callback"
DAY = 86400
VERSION_2 = "application/vnd.pagerduty+json;version=2"
# Two pages of users and of schedules, every kind of schedule, some in no escalation policy.
SHAPE = AccountShape(schedules=130, people=140, shift_based_share=0.05, hourly_schedules=2)

GET = frozenset({"content-type-on-get"})  # the app's client sends no Content-Type on a GET
USERS = GET | {"oncall-include-users"}
V3 = frozenset()  # the v3 operations list no Accept or Content-Type header
PERMANENT = frozenset({"permanent-oncall-times", "oncall-without-end", "permanent-oncall-schedule"})


def iso(epoch: float) -> str:
    """Times as sync.py writes them: UTC, whole seconds, Z."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def pd(clock):
    """The fake in contract mode; leaving it fails the test if any violation was recorded."""
    fake = FakePagerDuty(clock=clock, contract=ContractChecker.default())
    async with fake:
        yield fake


@pytest.fixture
def account(pd) -> SeededAccount:
    """A realistic account, plus a manager every level-2 page reaches directly (a permanent on-call)."""
    account = seed_account(pd, SHAPE)
    pd.add_user("PMANAGR", "Mona Manager", "mona@corp.example", "Europe/Berlin", role="admin")
    pd.add_escalation_policy("PEDIRCT", "Managers", schedule_ids=account.routed[:1], user_ids=["PMANAGR"])
    pd.add_api_key(ACCOUNT_KEY)
    pd.add_api_key(USER_KEY, user_id=account.people[0].id)
    pd.add_oauth_app(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI], authorizing_user_id=account.people[1].id)
    return account


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


def client_for(http: aiohttp.ClientSession, pd: FakePagerDuty, key: str = ACCOUNT_KEY) -> PagerDutyClient:
    return PagerDutyClient(http, pd.url, StaticApiKey(key), max_retries=0, max_rate_limit_wait=0)


# -- the calls ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One way the app calls PagerDuty, and the known gaps (by name) it is expected to meet."""

    path: str
    params: tuple[tuple[str, str | int], ...] = ()
    gaps: frozenset[str] = GET
    paginate: str | None = None  # the list's key, when the app pages through it with client.paginate
    refused: bool = False  # PagerDuty answers 400, and the app relies on that


def week(now: float, days: int = 7) -> tuple[tuple[str, str], ...]:
    return (("since", iso(now)), ("until", iso(now + days * DAY)))


def unrouted_layered(account: SeededAccount) -> str:
    return next(s for s in account.unrouted if account.kinds[s] != SHIFT_BASED)


CallFor = Callable[[SeededAccount, float], Call]

APP_CALLS: dict[str, CallFor] = {
    # connection.py
    "key check: /users?limit=1": lambda a, now: Call("/users", (("limit", 1),)),
    # sync.py
    "every user, paged": lambda a, now: Call("/users", paginate="users"),
    "one newcomer: /users/{id}": lambda a, now: Call(f"/users/{a.people[7].id}"),
    # search.py: the schedule picker, one page of each list
    "the picker's search of layer-based schedules": lambda a, now: Call(
        "/schedules", (("query", "payments 1"), ("limit", 100), ("offset", 0))
    ),
    "the picker's search of shift-based schedules": lambda a, now: Call(
        "/v3/schedules", (("query", "payments 1"), ("limit", 100), ("offset", 0)), V3
    ),
    # the census: how many schedules, listed only when few
    "how many layer-based schedules": lambda a, now: Call(
        "/schedules", (("limit", 100), ("offset", 0), ("total", "true"))
    ),
    "how many shift-based schedules": lambda a, now: Call(
        "/v3/schedules", (("limit", 100), ("offset", 0), ("total", "true")), V3
    ),
    "the rest of a few layer-based schedules": lambda a, now: Call(
        "/schedules", (("limit", 100), ("offset", 100))
    ),
    "the rest of a few shift-based schedules, 1000 a page": lambda a, now: Call(
        "/v3/schedules", (("limit", 1000), ("offset", 100)), V3
    ),
    "the poll: on call now and a minute on, with the people": lambda a, now: Call(
        "/oncalls",
        (
            *(("schedule_ids[]", s) for s in a.routed[:100]),
            ("include[]", "users"),
            ("since", iso(now)),
            ("until", iso(now + 75)),
            ("time_zone", "UTC"),
        ),
        USERS,
        "oncalls",
    ),
    "on-calls of 100 bound schedules, a week ahead": lambda a, now: Call(
        "/oncalls",
        (
            *(("schedule_ids[]", s) for s in a.schedule_ids[:100]),
            ("include[]", "users"),
            *week(now),
            ("time_zone", "UTC"),
        ),
        USERS,
        "oncalls",
    ),
}

COMING_SYNC_CALLS: dict[str, CallFor] = {
    "on call now (no window)": lambda a, now: Call(
        "/oncalls", (("include[]", "users"), ("time_zone", "UTC")), USERS | PERMANENT, "oncalls"
    ),
    "on call now, earliest=true": lambda a, now: Call(
        "/oncalls",
        (("include[]", "users"), ("earliest", "true"), ("time_zone", "UTC")),
        USERS | PERMANENT,
        "oncalls",
    ),
    "next on call per level in the week, earliest=true": lambda a, now: Call(
        "/oncalls", (("earliest", "true"), *week(now), ("time_zone", "UTC")), GET | PERMANENT, "oncalls"
    ),
    "a week of some schedules, in a batch": lambda a, now: Call(
        "/oncalls",
        (*(("schedule_ids[]", s) for s in a.routed[:20]), *week(now), ("time_zone", "UTC")),
        paginate="oncalls",
    ),
    "on call by escalation policy": lambda a, now: Call(
        "/oncalls",
        (*(("escalation_policy_ids[]", p) for p in list(a.policies)[:3]), ("include[]", "users")),
        USERS,
        "oncalls",
    ),
    "unrouted layer-based schedule, a week, overflow": lambda a, now: Call(
        f"/schedules/{unrouted_layered(a)}", (*week(now), ("time_zone", "UTC"), ("overflow", "true"))
    ),
    "unrouted layer-based schedule, now to now+1s": lambda a, now: Call(
        f"/schedules/{unrouted_layered(a)}", (("since", iso(now)), ("until", iso(now + 1)))
    ),
    "layer-based schedule as PagerDuty's upgrade guide asks for it": lambda a, now: Call(
        f"/schedules/{unrouted_layered(a)}",
        (*week(now), ("include[]", "final_schedule")),
        GET | {"v2-detail-include-final-schedule"},
    ),
    "shift-based schedule, a week": lambda a, now: Call(
        f"/v3/schedules/{a.of_kind(SHIFT_BASED)[0]}",
        (("include[]", "final_schedule"), *week(now), ("time_zone", "UTC")),
        V3,
    ),
    "v3 first, for a schedule not upgraded: 400": lambda a, now: Call(
        f"/v3/schedules/{unrouted_layered(a)}",
        (("include[]", "final_schedule"), *week(now)),
        V3 | {"v3-detail-not-upgraded"},
        refused=True,
    ),
    "the last page under the 10,000 cap": lambda a, now: Call("/oncalls", (("offset", 9900), ("limit", 100))),
    "a page past the 10,000 cap: 400": lambda a, now: Call(
        "/oncalls", (("offset", 9901), ("limit", 100)), refused=True
    ),
}


async def run(client: PagerDutyClient, call: Call) -> None:
    if call.refused:
        with pytest.raises(PagerDutyRequestError, match="HTTP 400"):
            await client.get(call.path, call.params)
    elif call.paginate:
        assert [item async for item in client.paginate(call.path, call.paginate, call.params)]
    else:
        await client.get(call.path, call.params)


def assert_conforms(pd: FakePagerDuty, call: Call) -> None:
    assert [str(v) for v in pd.contract_violations] == []
    assert {name for name, _ in pd.contract_forgiven} == call.gaps
    assert {record.path for record in pd.requests} == {call.path}


@pytest.mark.parametrize("name", list(APP_CALLS))
async def test_every_call_the_app_makes_conforms(pd, account, http, clock, name):
    call = APP_CALLS[name](account, clock.now)

    await run(client_for(http, pd), call)

    assert_conforms(pd, call)


@pytest.mark.parametrize("name", list(COMING_SYNC_CALLS))
async def test_every_call_the_coming_sync_needs_conforms(pd, account, http, clock, name):
    call = COMING_SYNC_CALLS[name](account, clock.now)

    await run(client_for(http, pd), call)

    assert_conforms(pd, call)


async def test_users_me_conforms_for_user_keys_and_oauth_tokens(pd, account, http):
    me_by_key = await client_for(http, pd, USER_KEY).get("/users/me")
    token = await oauth_user_token(http, pd)
    me_by_token = await PagerDutyClient(http, pd.url, BearerToken(token)).get("/users/me")
    with pytest.raises(PagerDutyRequestError, match="account-level access token"):
        await client_for(http, pd).get("/users/me")

    assert (me_by_key["user"]["id"], me_by_token["user"]["id"]) == (
        account.people[0].id,
        account.people[1].id,
    )
    assert pd.contract_violations == []
    assert {name for name, _ in pd.contract_forgiven} == GET | {"users-me-account-key"}


async def test_a_week_of_hourly_schedules_passes_the_cap_unless_the_batch_is_split(http, clock):
    """What the coming sync must respect: 60 hourly schedules make more than 10,000 rows a week."""
    big = FakePagerDuty(clock=clock, contract=ContractChecker.default())
    busy = seed_account(
        big,
        AccountShape(schedules=60, people=80, unrouted_share=0, follow_the_sun_share=0, hourly_schedules=60),
    )
    big.add_api_key(ACCOUNT_KEY)
    big.rate_limit_per_minute = None
    async with big:
        client = client_for(http, big)
        first = await client.get("/oncalls", [*week(clock.now), ("limit", 100), ("total", "true")])
        with pytest.raises(PagerDutyRequestError, match="HTTP 400"):
            await client.get("/oncalls", [*week(clock.now), ("limit", 100), ("offset", 9901)])
        halves = [
            await client.get(
                "/oncalls", [*(("schedule_ids[]", s) for s in part), *week(clock.now), ("total", "true")]
            )
            for part in (busy.routed[:30], busy.routed[30:])
        ]

    assert first["total"] > 10_000
    assert all(half["total"] < 10_000 for half in halves)
    assert sum(half["total"] for half in halves) == first["total"]


# -- OAuth, for /users/me with a user token ----------------------------------------------------


class BearerToken:
    kind = "oauth"

    def __init__(self, token: str) -> None:
        self._token = token

    async def authorization(self, force_refresh: bool = False) -> str:
        return f"Bearer {self._token}"


async def oauth_user_token(http: aiohttp.ClientSession, pd: FakePagerDuty) -> str:
    """Authorization code + PKCE through the consent page, as the app's OAuth login does."""
    verifier, state = generate_token(48), generate_token(20)
    challenge = {"code_challenge": create_s256_code_challenge(verifier), "code_challenge_method": "S256"}
    url = prepare_grant_uri(
        f"{pd.url}/oauth/authorize", CLIENT_ID, "code", REDIRECT_URI, "users.read", state, **challenge
    )
    code = parse_qs(urlsplit(await answer_consent(http, url)).query)["code"][0]
    body = prepare_token_request(
        "authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        code_verifier=verifier,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    async with http.post(f"{pd.url}/oauth/token", data=body, headers=headers) as response:
        return (await response.json())["access_token"]
