"""The contract checker is strict: it catches what PagerDuty's document forbids, in requests and in
answers, and each known gap forgives only its own case."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from roundrobin.sim.pagerduty import FakePagerDuty, ManualClock
from tests.contract.checker import ContractChecker, default_spec_path, load_spec
from tests.contract.gaps import KNOWN_GAPS, location_matches

KEY = "y_NbAkKc66ryYTWUXYEu"
VERSION_2 = "application/vnd.pagerduty+json;version=2"
HEADERS = {"Authorization": f"Token token={KEY}", "Accept": VERSION_2}
USER_REF = {"id": "PALICE1", "type": "user_reference", "summary": "Alice", "self": None, "html_url": None}
POLICY_REF = {
    "id": "PEPOL01",
    "type": "escalation_policy_reference",
    "summary": "Ops",
    "self": None,
    "html_url": None,
}
SCHEDULE_REF = {
    "id": "PSCHED1",
    "type": "schedule_reference",
    "summary": "Primary",
    "self": None,
    "html_url": None,
}
SHIFT = {"start": "2026-01-05T08:00:00Z", "end": "2026-01-06T08:00:00Z"}


@pytest.fixture
async def pd():
    """Contract mode, stopped without the exit check: these tests provoke violations on purpose."""
    fake = FakePagerDuty(clock=ManualClock(), contract=ContractChecker.default())
    fake.add_user("PALICE1", "Alice", "alice@example.com")
    fake.add_api_key(KEY)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def get(
    http: aiohttp.ClientSession, pd: FakePagerDuty, path: str, params: Any = (), **headers: str
) -> int:
    async with http.get(pd.url + path, params=params, headers={**HEADERS, **headers}) as response:
        return response.status


def found(pd: FakePagerDuty) -> list[tuple[str, str, str]]:
    return [(v.phase, v.location, v.keyword) for v in pd.contract_violations]


# -- requests -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "headers", "expected"),
    [
        ([("limit", "100")], {}, []),
        ([], {"Accept": "*/*"}, [("request", "header/Accept", "default")]),
        (
            [],
            {"Accept": "application/vnd.pagerduty+json;version=1"},
            [("request", "header/Accept", "default")],
        ),
        ([], {"Content-Type": "text/plain"}, [("request", "header/Content-Type", "enum")]),
        ([("schedule_ids", "PSCHED1")], {}, [("request", "query/schedule_ids", "unknown-parameter")]),
        ([("include[]", "teams")], {}, [("request", "query/include[]", "enum")]),
        (
            [("schedule_ids[]", "P1"), ("schedule_ids[]", "P1")],
            {},
            [("request", "query/schedule_ids[]", "uniqueItems")],
        ),
        ([("since", "yesterday")], {}, [("request", "query/since", "format")]),
        ([("earliest", "maybe")], {}, [("request", "query/earliest", "ParameterValidationError")]),
    ],
)
async def test_requests_pagerduty_would_not_take_as_meant_are_caught(http, pd, params, headers, expected):
    await get(http, pd, "/oncalls", params, **headers)

    assert found(pd) == expected


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({**SHIFT, "user": {"id": "PALICE1", "type": "user_reference"}}, []),  # the reference gap
        (
            {"start": SHIFT["start"], "user": {"id": "PALICE1", "type": "user_reference"}},
            [("request", "body/overrides/0", "required")],
        ),
        (
            {**SHIFT, "user": {"id": "PALICE1", "type": "user"}},
            [("request", "body/overrides/0/user/type", "enum")],
        ),
        (
            {**SHIFT, "user": USER_REF},
            [
                ("request", "body/overrides/0/user/summary", "readOnly"),
                ("request", "body/overrides/0/user/self", "readOnly"),
                ("request", "body/overrides/0/user/html_url", "readOnly"),
            ],
        ),
    ],
)
async def test_an_override_body_is_checked_and_only_a_references_id_and_type_are_forgiven(
    http, pd, override, expected
):
    pd.add_schedule("PSCHED1", "Primary", user_ids=["PALICE1"])
    headers = {**HEADERS, "Content-Type": "application/json"}
    body = {"overrides": [override]}
    async with http.post(pd.url + "/schedules/PSCHED1/overrides", json=body, headers=headers) as response:
        assert response.status == 403  # a read-only key; the request is checked all the same

    assert sorted(found(pd)) == sorted(expected)


async def test_a_path_pagerduty_does_not_have_is_caught(http, pd):
    assert await get(http, pd, "/schedule") == 404

    assert found(pd) == [("request", "path", "path")]


async def test_queued_faults_and_identity_routes_are_not_checked_but_their_requests_are(http, pd):
    pd.fail_next(502, body="<html>bad gateway</html>")
    await get(http, pd, "/oncalls", [("schedule_ids", "P1")])
    async with http.get(pd.url + "/global/oauth/anonymous/jwks") as response:
        assert response.status == 200

    assert found(pd) == [("request", "query/schedule_ids", "unknown-parameter")]


async def test_leaving_a_fake_with_violations_fails_and_a_fake_without_contract_mode_has_none(http):
    fake = FakePagerDuty(contract=ContractChecker.default())
    fake.add_api_key(KEY)
    with pytest.raises(
        AssertionError,
        match=r"(?s)1 PagerDuty contract violation.*GET /oncalls request at query/schedule_ids",
    ):
        async with fake:
            await get(http, fake, "/oncalls", [("schedule_ids", "P1")])
    with pytest.raises(RuntimeError, match=r"contract=ContractChecker\.default\(\)"):
        FakePagerDuty().contract_violations  # noqa: B018


# -- answers: a canned server behind the same checker -------------------------------------------


@pytest.fixture
def checker() -> ContractChecker:
    return ContractChecker(load_spec(default_spec_path()))


async def answer(checker: ContractChecker, path: str, params: Any, status: int, body: Any) -> list[tuple]:
    """Serve `body` at `path` behind the checker; what it found in the answer, and what it forgave."""

    async def canned(request: web.Request) -> web.Response:
        if isinstance(body, str):
            return web.Response(text=body, status=status, content_type="text/html")
        return web.json_response(body, status=status)

    app = web.Application(middlewares=[checker.middleware])
    for template in ("/oncalls", "/v3/schedules", "/v3/schedules/{id}", "/users/{id}"):
        app.router.add_get(template, canned)
    async with TestClient(TestServer(app)) as client:
        response = await client.get(path, params=params, headers=HEADERS)
        assert response.status == status
    return [(v.location, v.keyword) for v in checker.violations if v.phase == "response"]


def oncalls(*rows: dict) -> dict:
    return {"oncalls": list(rows), "limit": 25, "offset": 0, "more": False, "total": None}


def row(**fields: Any) -> dict:
    return {
        "escalation_policy": POLICY_REF,
        "escalation_level": 1,
        "schedule": SCHEDULE_REF,
        "user": USER_REF,
        **SHIFT,
        **fields,
    }


FULL_USER = {**USER_REF, "type": "user", "name": "Alice", "email": "alice@example.com"}


@pytest.mark.parametrize(
    ("params", "body", "expected", "forgiven"),
    [
        ([], oncalls(row()), [], []),
        (
            [],
            oncalls(row(schedule=None, start=None, end=None)),
            [],
            ["permanent-oncall-schedule", "permanent-oncall-times", "oncall-without-end"],
        ),
        ([], oncalls(row(start=None)), [("body/oncalls/0/start", "type")] * 2, []),
        ([], oncalls(row(schedule=None)), [("body/oncalls/0/schedule", "oneOf")], []),
        ([("include[]", "users")], oncalls(row(user=FULL_USER)), [], ["oncall-include-users"]),
        ([], oncalls(row(user=FULL_USER)), [("body/oncalls/0/user/type", "enum")], []),
        (
            [("include[]", "users")],
            oncalls(row(user={**FULL_USER, "email": None})),
            [("body/oncalls/0/user/type", "enum")],
            [],
        ),
        ([], {"oncalls": [row()], "more": "no"}, [("body/more", "type")], []),
    ],
)
async def test_oncall_answers_are_checked_and_gaps_forgive_only_their_case(
    checker, params, body, expected, forgiven
):
    assert await answer(checker, "/oncalls", params, 200, body) == expected
    assert (
        list(dict.fromkeys(name for name, _ in checker.forgiven if name != "content-type-on-get")) == forgiven
    )


@pytest.mark.parametrize(
    ("path", "status", "body", "expected"),
    [
        (
            "/v3/schedules/PSCHED1",
            400,
            {"error": {"message": "Invalid Request", "code": 2001, "errors": {"schedule": ["x"]}}},
            [],
        ),
        (
            "/v3/schedules/PSCHED1",
            400,
            {"error": {"message": "Invalid Input Provided", "code": 2001, "errors": ["x"]}},
            [("status", "status")],
        ),
        (
            "/v3/schedules/PSCHED1",
            409,
            {"error": {"message": "Conflict", "code": 2001}},
            [("status", "status")],
        ),
        ("/v3/schedules", 429, {"error": {"message": "Rate Limit Exceeded", "code": 2020}}, []),
        ("/v3/schedules", 429, "<html>slow down</html>", [("status", "status")]),
        ("/users/PALICE1", 401, "<html>401 Unauthorized</html>", []),
        ("/users/PALICE1", 404, "<html>Not Found</html>", [("media-type", "media-type")]),
        (
            "/users/PALICE1",
            200,
            {"user": {**FULL_USER, "email": "nope"}},
            [("body/user/email", "format"), ("body/user/email", "minLength")],
        ),
    ],
)
async def test_error_answers_outside_the_document_are_caught_unless_a_gap_explains_them(
    checker, path, status, body, expected
):
    assert await answer(checker, path, [], status, body) == expected


# -- the gaps themselves ------------------------------------------------------------------------


def test_every_known_gap_is_named_once_explained_and_points_at_a_real_operation():
    document = load_spec(default_spec_path()).document
    names = [gap.name for gap in KNOWN_GAPS]

    assert len(names) == len(set(names))
    for gap in KNOWN_GAPS:
        assert len(gap.reason) > 60, gap.name
        assert gap.phase in ("request", "response"), gap.name
        if gap.operation != "*":
            method, path = gap.operation.split(" ", 1)
            assert method.lower() in document["paths"][path], gap.name


@pytest.mark.parametrize(
    ("pattern", "location", "matches"),
    [
        ("body/oncalls/*/start", "body/oncalls/12/start", True),
        ("body/oncalls/*/start", "body/oncalls/12/end", False),
        ("body/oncalls/*/start", "body/oncalls/start", False),
        ("body/schedule/**/end", "body/schedule/final_schedule/rendered_schedule_entries/0/end", True),
        ("body/schedule/**/end", "body/schedule/end", True),
        ("status", "status", True),
        ("header/Content-Type", "header/Accept", False),
    ],
)
def test_locations_match_segment_by_segment(pattern, location, matches):
    assert location_matches(pattern, location) is matches
