"""Contract mode of the fake PagerDuty: each REST exchange checked against PagerDuty's OpenAPI document.

`FakePagerDuty(contract=ContractChecker.default())` puts `ContractChecker.middleware` in front of the routes. It
checks every request the client sends and every answer the fake gives against the official document
(PagerDuty/api-schema `openapiv3.json`; the part the fake serves is kept in the repository, see
openapi_subset.py) with openapi-core, and records
what does not conform as a `ContractViolation`. Not checked: the identity endpoints (/oauth/...,
which are not in the REST document) and answers a test queued on purpose (`fail_next`,
`rate_limit_next`, `outage`); the requests behind those answers still are.

Two checks are added to openapi-core's:
- The Accept and Content-Type headers. PagerDuty lists both as required on its v2 operations, but
  OpenAPI 3.0 tells tools to ignore header parameters of those names, so openapi-core does not
  notice them missing. Accept is the one that matters (`application/vnd.pagerduty+json;version=2`).
- Query parameters the operation does not declare. PagerDuty ignores them silently, so a typo such
  as `schedule_ids=` (no brackets) would quietly answer for every schedule.

Where the document disagrees with the live API, a `KnownGap` (gaps.py) forgives
exactly that difference; nothing else is forgiven, and no route is exempt.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp import web
from jsonschema.exceptions import ValidationError as SchemaError
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.validation.request.exceptions import ParameterValidationError, SecurityValidationError
from openapi_core.validation.schemas import oas30_read_schema_validators_factory

from roundrobin.sim.pagerduty.gate import FAULT_ANSWER, Handler, is_identity, route_template
from tests.contract.gaps import KNOWN_GAPS, ContractViolation, Exchange, KnownGap
from tests.contract.openapi_subset import SUBSET

SPEC_NAME = "pagerduty-openapi-v3.json"
SPEC_SERVER = "https://api.pagerduty.com"  # the document's only server; the fake's own URL is loopback
SKIPPED_HEADERS = frozenset({"accept", "content-type", "authorization"})


def default_spec_path() -> Path:
    """The operations the fake serves, cut from PagerDuty's document and kept in the repository
    (openapi_subset.py), so the checks run the same on every machine."""
    return SUBSET


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


# -- the checker -------------------------------------------------------------------------------


class ContractChecker:
    """Validates REST exchanges against the document and keeps what did not conform."""

    def __init__(self, spec: Spec, gaps: tuple[KnownGap, ...] = KNOWN_GAPS) -> None:
        self.spec = spec
        self.gaps = gaps
        self.violations: list[ContractViolation] = []
        self.forgiven: list[tuple[str, ContractViolation]] = []  # (gap name, what it forgave)

    @classmethod
    def default(cls) -> ContractChecker:
        """A checker against the vendored subset of PagerDuty's document (see default_spec_path)."""
        return cls(load_spec(default_spec_path()))

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Check the request, let the inner layers answer, check the answer (unless a test queued it)."""
        if is_identity(request.path):
            return await handler(request)
        exchange = Exchange(_operation(request), request.query, request.headers, self.spec)
        body = await request.read() if request.body_exists else None  # aiohttp keeps it for the route
        self._keep(self.request_violations(request, exchange, body), exchange)
        response = await handler(request)
        if isinstance(response, web.Response) and not request.get(FAULT_ANSWER):
            answered = replace(exchange, status=response.status, body=_json(response))
            self._keep(self.response_violations(request, response, answered), answered)
        return response

    def request_violations(
        self, request: web.Request, exchange: Exchange, body: bytes | None = None
    ) -> Iterator[ContractViolation]:
        spec_request = _SpecRequest(request, body)
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

    def __init__(self, request: web.Request, body: bytes | None = None) -> None:
        self.parameters = RequestParameters(
            query=request.query, header=request.headers, cookie=request.cookies
        )
        self.host_url = SPEC_SERVER
        self.path = request.path
        self.method = request.method.lower()
        self.body: bytes | None = body  # a write's JSON body (overrides), checked against its schema
        self.content_type = request.content_type if request.body_exists else ""


class _SpecResponse:
    def __init__(self, response: web.Response) -> None:
        self.status_code = response.status
        self.content_type = response.content_type or ""
        self.headers = response.headers
        body = response.body
        self.data = body if isinstance(body, bytes) else b""
