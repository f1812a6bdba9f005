"""Where PagerDuty's OpenAPI document and its live API part ways, and what an exchange looks like.

Each `KnownGap` forgives one documented difference between the official document (PagerDuty/api-schema
`openapiv3.json`) and the API as PagerDuty describes it elsewhere (developer docs, the upgrade guide,
the document's own descriptions, official client fixtures), or as it has been seen to answer. A gap
names its operation, the phase (request or answer), the location it applies to, the condition under
which it applies, and its source. Where the live API swaps a reference for a full object, the gap
forgives the swap only if the full object is itself valid against the document.

Used by checker.ContractChecker; add a gap here only with a source, never to silence a
route.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from multidict import MultiMapping

if TYPE_CHECKING:
    from tests.contract.checker import Spec


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


# -- the gaps ----------------------------------------------------------------------------------


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
        lambda v, x: v.instance is None and x.at(_parent(v.location)).get("schedule") is None,
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
        lambda v, x: v.instance is None and x.at(_parent(v.location)).get("start") is None,
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
        "reference-in-a-request-body",
        "POST /schedules/{id}/overrides",
        "request",
        "body/overrides/*/user/*",
        lambda v, x: v.keyword == "readOnly" and v.location.rsplit("/", 1)[1] in ("id", "type"),
        "A reference (Reference: `required: [type, id]`) inherits Tag's `readOnly: true` on id and "
        "type, so no request could name a user; the operation's own request example sends "
        '`"user": {"id": "PEYSGVA", "type": "user_reference"}`, and its description says each '
        "override is for a specific user. Only a reference's id and type are forgiven.",
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
