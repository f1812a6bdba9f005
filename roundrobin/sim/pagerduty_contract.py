"""Contract mode of the fake PagerDuty: each REST exchange checked against PagerDuty's OpenAPI document.

`FakePagerDuty(validate_contract=True)` puts `ContractChecker.middleware` in front of the routes. It
checks every request the client sends and every answer the fake gives against the official document
(PagerDuty/api-schema `openapiv3.json`, kept in shared/reference/) with openapi-core, and records what
does not conform as a `ContractViolation`. The identity endpoints (/oauth/..., not in the REST
document) and answers a test queued on purpose (`fail_next`, `rate_limit_next`, `outage`) are not
checked; the requests behind those answers still are.

On top of openapi-core, two checks OpenAPI tools are told to skip (OpenAPI 3.0, Parameter Object:
header parameters named Accept, Content-Type or Authorization "SHALL be ignored"), because PagerDuty
does list them as required and means it for Accept: the headers' values, and query parameters that
the operation does not declare (PagerDuty ignores them silently, so a typo like `schedule_ids=`
would quietly return every schedule).

Where the document disagrees with the live API as PagerDuty documents it elsewhere, one entry of
`KNOWN_GAPS` forgives exactly that difference, with its condition and its source. Nothing else is
forgiven, and no route is exempt.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aiohttp import web
from jsonschema.exceptions import ValidationError as SchemaError
from multidict import MultiMapping
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.validation.request.exceptions import ParameterValidationError, SecurityValidationError
from openapi_core.validation.schemas import oas30_read_schema_validators_factory

from roundrobin.sim.pagerduty_gate import FAULT_ANSWER, Handler, is_identity, route_template

SPEC_NAME = "pagerduty-openapi-v3.json"
SPEC_SERVER = "https://api.pagerduty.com"  # the document's only server; the fake's own URL is loopback
SKIPPED_HEADERS = frozenset({"accept", "content-type", "authorization"})


def default_spec_path() -> Path:
    """shared/reference/pagerduty-openapi-v3.json beside the repository (the work tree, or CI's clone)."""
    here = Path(__file__).resolve()
    for folder in here.parents:
        candidate = folder / "shared" / "reference" / SPEC_NAME
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"{SPEC_NAME} not found in a shared/reference/ folder above {here.parent}; "
        "pass FakePagerDuty(openapi_spec=...) with its path"
    )


@functools.cache
def load_spec(path: Path) -> Spec:
    """The document at `path`, parsed once per process (it is 2.7 MB)."""
    with path.open(encoding="utf-8") as file:
        return Spec(json.load(file))


class Spec:
    """PagerDuty's OpenAPI document: openapi-core's validators plus lookups of its raw operations."""

    def __init__(self, document: dict) -> None:
        self.document = document
        # The document is PagerDuty's, not ours: validating the document itself is their CI's job.
        self.api = OpenAPI.from_dict(document, config=Config(spec_validator_cls=None))

    def operation(self, method: str, template: str) -> dict | None:
        return self.document["paths"].get(template, {}).get(method.lower())

    def parameters(self, operation: dict) -> Iterator[dict]:
        for parameter in operation.get("parameters", []):
            yield self.resolve(parameter)

    def resolve(self, node: dict) -> dict:
        while "$ref" in node:
            node = self.at(node["$ref"])
        return node

    def at(self, pointer: str) -> dict:
        node: Any = self.document
        for part in pointer.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def conforms(self, value: Any, schema_name: str) -> bool:
        """Whether `value` is valid against components/schemas/<schema_name> (a "#/..." pointer also works)."""
        return not any(self._validator(schema_name).iter_errors(value))

    @functools.cache  # noqa: B019 - one Spec per document for the whole process (load_spec caches it)
    def _validator(self, schema_name: str) -> Any:
        pointer = schema_name if schema_name.startswith("#/") else f"#/components/schemas/{schema_name}"
        schema = self.api.spec
        for part in pointer.removeprefix("#/").split("/"):
            schema = schema / part.replace("~1", "/").replace("~0", "~")
        return oas30_read_schema_validators_factory.create(self.api.spec, schema).validator


# -- what was exchanged, and what did not conform ----------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """One REST request and (once answered) its response, as the known gaps see them."""

    operation: str  # "GET /schedules/{id}": the method and the route template
    query: MultiMapping[str]
    headers: Mapping[str, str]
    spec: Spec
    status: int | None = None
    body: Any = None  # the response's JSON, None when it is not JSON

    def includes(self, name: str) -> bool:
        return name in self.query.getall("include[]", [])

    def asked(self, name: str) -> bool:
        return bool(self.query.get(name))

    def at(self, location: str) -> Any:
        """The response value at a violation location such as "body/oncalls/0/user"."""
        node = self.body
        for part in location.split("/")[1:]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    def conforms(self, location: str, schema_name: str) -> bool:
        return self.spec.conforms(self.at(location), schema_name)


@dataclass(frozen=True)
class ContractViolation:
    """Something in an exchange that PagerDuty's OpenAPI document does not allow."""

    operation: str  # "GET /oncalls", or the method and raw path when the document has no such path
    phase: str  # "request" or "response"
    location: str  # "query/since", "header/Accept", "body/oncalls/0/start", "status", "media-type", "path"
    keyword: str  # the JSON Schema keyword that failed ("type", "enum", ...), or the kind of check
    message: str
    status: int | None = None
    instance: Any = field(default=None, compare=False, repr=False)  # the offending value

    def __str__(self) -> str:
        status = f" {self.status}" if self.status is not None else ""
        return f"{self.operation} {self.phase}{status} at {self.location}: {self.message}"


@dataclass(frozen=True)
class KnownGap:
    """One place where the official document and the live API part ways, and why we side with the API.

    It forgives a violation only on its operation (or every operation, "*"), in its phase, at a
    location matching `location` ("*" is one path segment, "**" any number), and when `when` holds."""

    name: str
    operation: str
    phase: str
    location: str
    when: Callable[[ContractViolation, Exchange], bool]
    reason: str

    def forgives(self, violation: ContractViolation, exchange: Exchange) -> bool:
        return (
            self.operation in ("*", violation.operation)
            and self.phase == violation.phase
            and location_matches(self.location, violation.location)
            and self.when(violation, exchange)
        )


def location_matches(pattern: str, location: str) -> bool:
    """Segment-wise glob: "*" matches one segment, "**" zero or more."""

    def match(pat: list[str], loc: list[str]) -> bool:
        if not pat:
            return not loc
        if pat[0] == "**":
            return any(match(pat[1:], loc[i:]) for i in range(len(loc) + 1))
        return bool(loc) and pat[0] in ("*", loc[0]) and match(pat[1:], loc[1:])

    return match(pattern.split("/"), location.split("/"))


def _parent(location: str) -> str:
    return location.rsplit("/", 1)[0]


ERROR_BODY = "#/components/responses/Conflict/content/application~1json/schema"  # the v2 error object


def _is_error_body(exchange: Exchange, schema: str = ERROR_BODY) -> bool:
    return isinstance(exchange.body, dict) and exchange.spec.conforms(exchange.body, schema)


KNOWN_GAPS: tuple[KnownGap, ...] = (
    KnownGap(
        "content-type-on-get",
        "*",
        "request",
        "header/Content-Type",
        lambda v, x: x.operation.startswith("GET ") and v.keyword == "required",
        "The document lists `Content-Type: application/json` as a required header of every operation, "
        "GETs included. A GET has no body: PagerDuty's docs ask for it on POST/PUT only "
        "(reference/pagerduty-api.md 1.2), and their own GET examples send none (upgrade guide, "
        "docs/REST-API/21-Schedules-v2-to-v3-Upgrade.md, sections 1 and 4).",
    ),
    KnownGap(
        "v2-detail-include-final-schedule",
        "GET /schedules/{id}",
        "request",
        "query/include[]",
        lambda v, x: x.query.getall("include[]", []) == ["final_schedule"],
        "GET /schedules/{id} declares no include[], yet PagerDuty's upgrade guide (section 4, "
        "`layer_based_oncall_users`) sends include[]=final_schedule to it; final_schedule comes back "
        "whenever since/until are set, so the parameter is harmless.",
    ),
    KnownGap(
        "permanent-oncall-times",
        "GET /oncalls",
        "response",
        "body/oncalls/*/start",
        lambda v, x: v.instance is None and x.at(_parent(v.location))["schedule"] is None,
        "Oncall.start is `string, date-time`, not nullable, yet its own description says "
        '"If null, the on-call is a permanent user on-call" (a user targeted directly by an '
        "escalation rule); incidentbot #328 shows such rows from the live API.",
    ),
    KnownGap(
        "oncall-without-end",
        "GET /oncalls",
        "response",
        "body/oncalls/*/end",
        lambda v, x: v.instance is None,
        'Oncall.end is not nullable, yet its description says "If null, the user does not go off-call" '
        "(permanent on-calls, and shifts that never end).",
    ),
    KnownGap(
        "permanent-oncall-schedule",
        "GET /oncalls",
        "response",
        "body/oncalls/*/schedule",
        lambda v, x: v.instance is None and x.at(_parent(v.location))["start"] is None,
        "Oncall.schedule is a oneOf of two references, not nullable, but a permanent on-call (a user "
        "targeted directly) has no schedule: `schedule: null, start: null, end: null` "
        "(incidentbot #328; the schedule_ids[] description's `null` entry selects exactly these).",
    ),
    KnownGap(
        "oncall-include-users",
        "GET /oncalls",
        "response",
        "body/oncalls/*/user/type",
        lambda v, x: x.includes("users") and x.conforms(_parent(v.location), "User"),
        "Oncall.user is a UserReference, but include[]=users swaps it for the full User (with email), "
        "as the Includes doc (13-Includes.md) says of every include[]; the swapped object must then "
        "be a valid User.",
    ),
    KnownGap(
        "oncall-include-escalation-policies",
        "GET /oncalls",
        "response",
        "body/oncalls/*/escalation_policy/type",
        lambda v, x: (
            x.includes("escalation_policies") and x.conforms(_parent(v.location), "EscalationPolicy")
        ),
        "As oncall-include-users, for include[]=escalation_policies: a full, valid EscalationPolicy.",
    ),
    KnownGap(
        "oncall-include-schedules",
        "GET /oncalls",
        "response",
        "body/oncalls/*/schedule",
        lambda v, x: (
            x.includes("schedules")
            and (
                x.conforms(v.location, "Schedule")
                or x.conforms(v.location, "#/components/schemas/ScheduleResponse/properties/schedule")
            )
        ),
        "As oncall-include-users, for include[]=schedules: a full, valid Schedule (or v3 schedule).",
    ),
    KnownGap(
        "coverage-null-without-window",
        "GET /schedules/{id}",
        "response",
        "body/schedule/**/rendered_coverage_percentage",
        lambda v, x: v.instance is None and not (x.asked("since") or x.asked("until")),
        "rendered_coverage_percentage is `number`, not nullable, yet its description says it "
        '"Returns null unless since or until are set".',
    ),
    KnownGap(
        "entry-without-end",
        "GET /schedules/{id}",
        "response",
        "body/schedule/**/rendered_schedule_entries/*/end",
        lambda v, x: v.instance is None,
        'ScheduleLayerEntry.end is not nullable, yet its description says "If null, the entry does not end".',
    ),
    KnownGap(
        "v3-detail-not-upgraded",
        "GET /v3/schedules/{id}",
        "response",
        "status",
        lambda v, x: x.status == 400 and _is_error_body(x, "V3ErrorResponse"),
        "The document lists no 400 for GET /v3/schedules/{id}, but the upgrade guide's detection rule "
        "is exactly that: \"v3 returns 400 when the ID resolves to a schedule that hasn't been "
        'upgraded". The body must still be a V3ErrorResponse.',
    ),
    KnownGap(
        "users-me-account-key",
        "GET /users/me",
        "response",
        "body/error",
        lambda v, x: x.status == 400 and isinstance(v.instance, str),
        "For an account-level key, /users/me answers 400 with `error` as a plain string, not the "
        "error object the document describes (python-pagerduty's test fixture, valid as of "
        "2025-11-14; reference/pagerduty-api.md 2.5).",
    ),
    KnownGap(
        "rate-limited-anywhere",
        "*",
        "response",
        "status",
        lambda v, x: x.status == 429 and _is_error_body(x),
        "Rate limits apply to every REST call per credential (04-Rate-Limits.md), but the document "
        "lists 429 on most operations only (not on /v3/schedules). The body must still be the "
        "error object.",
    ),
    KnownGap(
        "unauthorized-anywhere",
        "*",
        "response",
        "status",
        lambda v, x: x.status == 401,
        "Any REST call can answer 401 for a missing, wrong, expired or revoked credential "
        "(02-Authentication.md), but the document omits 401 on GET /users/me.",
    ),
    KnownGap(
        "unauthorized-not-json",
        "*",
        "response",
        "media-type",
        lambda v, x: x.status == 401,
        "401 bodies are not always JSON: revoked OAuth tokens and bad keys have been answered with "
        "text/html (terraform-provider-pagerduty #1016, #1055; reference/pagerduty-api.md 4).",
    ),
)


# -- the checker -------------------------------------------------------------------------------


class ContractChecker:
    """Validates REST exchanges against the document and keeps what did not conform."""

    def __init__(self, spec: Spec, gaps: tuple[KnownGap, ...] = KNOWN_GAPS) -> None:
        self.spec = spec
        self.gaps = gaps
        self.violations: list[ContractViolation] = []
        self.forgiven: list[tuple[str, ContractViolation]] = []  # (gap name, what it forgave)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Check the request, let the inner layers answer, check the answer (unless a test queued it)."""
        if is_identity(request.path):
            return await handler(request)
        exchange = Exchange(_operation(request), request.query, request.headers, self.spec)
        self._keep(self.request_violations(request, exchange), exchange)
        response = await handler(request)
        if isinstance(response, web.Response) and not request.get(FAULT_ANSWER):
            answered = replace(exchange, status=response.status, body=_json(response))
            self._keep(self.response_violations(request, response, answered), answered)
        return response

    def request_violations(self, request: web.Request, exchange: Exchange) -> Iterator[ContractViolation]:
        spec_request = _SpecRequest(request)
        for error in self.spec.api.iter_request_errors(spec_request):
            yield from _flatten(error, exchange.operation, "request", None)
        operation = self.spec.operation(request.method, route_template(request))
        if operation is not None:
            yield from self._header_and_query_violations(request, operation, exchange.operation)

    def response_violations(
        self, request: web.Request, response: web.Response, exchange: Exchange
    ) -> Iterator[ContractViolation]:
        errors = self.spec.api.iter_response_errors(_SpecRequest(request), _SpecResponse(response))
        for error in errors:
            if isinstance(error, PathError):
                continue  # already reported for the request
            yield from _flatten(error, exchange.operation, "response", response.status)

    def _header_and_query_violations(
        self, request: web.Request, operation: dict, name: str
    ) -> Iterator[ContractViolation]:
        declared = set()
        for parameter in self.spec.parameters(operation):
            if parameter["in"] == "query":
                declared.add(parameter["name"])
            if parameter["in"] != "header" or parameter["name"].lower() not in SKIPPED_HEADERS:
                continue
            yield from _header_violations(request, parameter, name)
        for key in dict.fromkeys(request.query):
            if key not in declared:
                yield ContractViolation(
                    name,
                    "request",
                    f"query/{key}",
                    "unknown-parameter",
                    f"{key!r} is not a parameter of this operation; PagerDuty ignores it silently",
                    instance=request.query.getall(key),
                )

    def _keep(self, violations: Iterator[ContractViolation], exchange: Exchange) -> None:
        for violation in violations:
            gap = next((g for g in self.gaps if g.forgives(violation, exchange)), None)
            if gap is None:
                self.violations.append(violation)
            else:
                self.forgiven.append((gap.name, violation))


def _header_violations(request: web.Request, parameter: dict, operation: str) -> Iterator[ContractViolation]:
    """Accept and Content-Type, which openapi-core skips when absent and, without an enum, when wrong."""
    name, schema = parameter["name"], parameter.get("schema", {})
    sent = request.headers.get(name)
    location = f"header/{name}"
    if sent is None:
        if parameter.get("required"):
            yield ContractViolation(
                operation, "request", location, "required", f"the {name} header is required"
            )
        return
    expected = schema.get("default")
    if "enum" in schema or expected is None:
        return  # openapi-core checks a header it can see against an enum
    if expected not in (value.strip().replace(" ", "") for value in sent.split(",")):
        yield ContractViolation(
            operation, "request", location, "default", f"{name}: {sent!r} is not {expected!r}", instance=sent
        )


def _flatten(error: Exception, operation: str, phase: str, status: int | None) -> Iterator[ContractViolation]:
    """openapi-core's error, cause chain and JSON Schema errors → one violation per failed check."""
    where = _where(error)
    schema_errors = _schema_errors(error)
    if not schema_errors:
        yield ContractViolation(operation, phase, where, _kind(error), _message(error), status)
        return
    prefix = "body" if where == "body" else where
    for schema_error in schema_errors:
        path = "/".join(str(part) for part in schema_error.absolute_path)
        location = f"{prefix}/{path}" if path else prefix
        yield ContractViolation(
            operation,
            phase,
            location,
            str(schema_error.validator),
            schema_error.message,
            status,
            schema_error.instance,
        )


def _where(error: Exception) -> str:
    if _caused_by(error, MediaTypeNotFound):
        return "media-type"
    if isinstance(error, ParameterValidationError):
        return f"{error.location}/{error.name}"
    if isinstance(error, SecurityValidationError):
        return "header/Authorization"
    if isinstance(error, PathError):
        return "path"
    if isinstance(error, ResponseNotFound):
        return "status"
    return "body"


def _caused_by(error: BaseException | None, kind: type[Exception]) -> bool:
    while error is not None:
        if isinstance(error, kind):
            return True
        error = error.__cause__ or error.__context__
    return False


def _kind(error: Exception) -> str:
    return {"status": "status", "media-type": "media-type", "path": "path"}.get(
        _where(error), type(error).__name__
    )


def _message(error: Exception) -> str:
    cause = error.__cause__
    return f"{error}: {cause}" if cause is not None and str(cause) not in str(error) else str(error)


def _schema_errors(error: BaseException | None) -> tuple[SchemaError, ...]:
    while error is not None:
        found = getattr(error, "schema_errors", None)
        if found:
            return tuple(found)
        error = error.__cause__ or error.__context__
    return ()


def _operation(request: web.Request) -> str:
    return f"{request.method} {route_template(request)}"


def _json(response: web.Response) -> Any:
    if response.content_type != "application/json" or not isinstance(response.body, bytes):
        return None
    try:
        return json.loads(response.body)
    except ValueError:
        return None


class _SpecRequest:
    """An aiohttp request as openapi-core reads it, addressed to the document's own server."""

    def __init__(self, request: web.Request) -> None:
        self.parameters = RequestParameters(
            query=request.query, header=request.headers, cookie=request.cookies
        )
        self.host_url = SPEC_SERVER
        self.path = request.path
        self.method = request.method.lower()
        self.body: bytes | None = None  # the REST calls checked here are GETs
        self.content_type = request.content_type if request.body_exists else ""


class _SpecResponse:
    def __init__(self, response: web.Response) -> None:
        self.status_code = response.status
        self.content_type = response.content_type or ""
        self.headers = response.headers
        body = response.body
        self.data = body if isinstance(body, bytes) else b""
