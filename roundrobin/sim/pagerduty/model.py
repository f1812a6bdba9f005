"""The account behind the fake PagerDuty: users, schedules, shifts, escalation policies, on-call rows.

Plain data and queries, no HTTP. Times are Unix seconds (floats) everywhere inside; the REST layer
renders them as ISO 8601 in the zone the caller asked for.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

Clock = Callable[[], float]
Instant = float | int | datetime

REGIONS = {"us": "UnitedStates", "eu": "Europe"}
REGION_API_URLS = {"us": "https://api.pagerduty.com", "eu": "https://api.eu.pagerduty.com"}
ONCALL_HORIZON = 90 * 86400  # "On-call shifts are limited to 90 days in the future" (GET /oncalls)
DEFAULT_ABILITIES = ("teams", "read_only_users", "service_support_hours", "urgencies")


@dataclass(frozen=True)
class Account:
    """Who the fake is: the PagerDuty account every credential belongs to, and its clock."""

    subdomain: str
    account_id: str
    region: str
    time_zone: str
    clock: Clock

    def __post_init__(self) -> None:
        if self.region not in REGIONS:
            raise ValueError(f"region must be one of {sorted(REGIONS)}, not {self.region!r}")
        ZoneInfo(self.time_zone)  # fail at construction, not on the first request

    def now(self) -> float:
        return float(self.clock())

    @property
    def web_url(self) -> str:
        """Base of html_url links: https://acme.pagerduty.com (or acme.eu.pagerduty.com)."""
        host = "pagerduty.com" if self.region == "us" else "eu.pagerduty.com"
        return f"https://{self.subdomain}.{host}"


def to_epoch(value: Instant) -> float:
    """Unix seconds from seconds or an aware datetime; naive datetimes are ambiguous, so refused."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give it a tzinfo")
        return value.timestamp()
    return float(value)


def render_time(epoch: float, zone: ZoneInfo) -> str:
    """ISO 8601 with the zone's offset, whole seconds; UTC is written with Z, as PagerDuty does."""
    text = datetime.fromtimestamp(epoch, zone).isoformat(timespec="seconds")
    if zone.key in ("UTC", "Etc/UTC") and text.endswith("+00:00"):
        return text[:-6] + "Z"
    return text


@dataclass
class User:
    id: str
    name: str
    email: str
    time_zone: str = "UTC"
    role: str = "user"
    job_title: str = ""


@dataclass(frozen=True)
class Shift:
    """Users on call together over [start, end); end None means the shift never ends."""

    user_ids: tuple[str, ...]
    start: float
    end: float | None = None

    @property
    def stop(self) -> float:
        return math.inf if self.end is None else self.end

    def overlaps(self, since: float, until: float) -> bool:
        """Overlap with [since, until); an empty window (until <= since) asks about the instant since."""
        if until <= since:
            return self.start <= since < self.stop
        return self.start < until and since < self.stop


@dataclass
class Schedule:
    id: str
    name: str
    time_zone: str = "UTC"
    version: int = 2  # 2: layer-based (/schedules); 3: shift-based (/v3/schedules)
    user_ids: list[str] = field(default_factory=list)
    description: str = ""
    shifts: list[Shift] = field(default_factory=list)  # sorted by start
    turn_length: int | None = None  # seconds per turn of the rotation; None: the first shift's length
    _spans: tuple[list[Shift], list[Shift]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def shift_based(self) -> bool:
        return self.version == 3

    def shifts_between(self, since: float, until: float) -> list[Shift]:
        return [shift for shift in self.shifts if shift.overlaps(since, until)]

    def oncall_spans_between(self, since: float, until: float) -> list[Shift]:
        """What GET /oncalls reports: "a contiguous unit of time for which a User will be on call"
        (the spec's Oncall description), so back-to-back shifts of one user are one span."""
        if self._spans is None or self._spans[0] is not self.shifts:
            self._spans = (self.shifts, _contiguous_spans(self.shifts))
        return [span for span in self._spans[1] if span.overlaps(since, until)]

    def rotation_turn(self) -> int:
        """Seconds per turn, for the layer and event shapes: as set, else the first bounded shift's."""
        if self.turn_length is not None:
            return self.turn_length
        bounded = next((shift for shift in self.shifts if shift.end is not None), None)
        return int(bounded.end - bounded.start) if bounded and bounded.end else 7 * 86400

    def member_ids(self) -> list[str]:
        """Everyone on the schedule: its configured members, then anyone who holds a shift."""
        seen = dict.fromkeys(self.user_ids)
        for shift in self.shifts:
            seen.update(dict.fromkeys(shift.user_ids))
        return list(seen)


@dataclass(frozen=True)
class Override:
    """A v2 schedule override as PagerDuty stores it: who is on call over [start, end) instead."""

    id: str
    schedule_id: str
    user_id: str
    start: float
    end: float


@dataclass
class EscalationRule:
    level: int
    schedule_ids: list[str] = field(default_factory=list)
    user_ids: list[str] = field(default_factory=list)


@dataclass
class EscalationPolicy:
    id: str
    name: str
    rules: list[EscalationRule] = field(default_factory=list)

    def add_rule(self, schedule_ids: Sequence[str] = (), user_ids: Sequence[str] = ()) -> EscalationRule:
        rule = EscalationRule(len(self.rules) + 1, list(schedule_ids), list(user_ids))
        self.rules.append(rule)
        return rule


@dataclass(frozen=True)
class OnCall:
    """One row of GET /oncalls. schedule_id None (with start/end None) is a permanent on-call."""

    user_id: str
    policy_id: str
    level: int
    schedule_id: str | None
    start: float | None
    end: float | None

    @property
    def since(self) -> float:
        """Start for ordering: a permanent on-call began before anything else."""
        return -math.inf if self.start is None else self.start

    def sort_key(self) -> tuple:
        return (self.policy_id, self.level, self.schedule_id or "", self.since, self.user_id)


@dataclass(frozen=True)
class OnCallQuery:
    """Filters of GET /oncalls; None means "not filtered"."""

    since: float
    until: float
    schedule_ids: frozenset[str] | None = None
    include_permanent: bool = True
    policy_ids: frozenset[str] | None = None
    user_ids: frozenset[str] | None = None
    earliest: bool = False


class Directory:
    """Users, schedules and escalation policies of the account, indexed for the REST queries.

    Change it through its methods: they keep the placement index and the /oncalls cache current."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.users: dict[str, User] = {}
        self.schedules: dict[str, Schedule] = {}
        self.policies: dict[str, EscalationPolicy] = {}
        self.abilities: list[str] = list(DEFAULT_ABILITIES)
        # schedule id -> [(policy id, level)]: /oncalls walks only the placements it is asked about
        self._placements: dict[str, list[tuple[str, int]]] = defaultdict(list)
        # Paging through /oncalls asks the same question once per page: answer it once per change.
        self._version = 0
        self._last_oncalls: tuple[tuple, list[OnCall]] | None = None
        self.overrides: dict[str, list[Override]] = defaultdict(list)  # schedule id -> as created

    # -- building the account ------------------------------------------------------------------

    def add_user(self, user: User) -> User:
        self.users[user.id] = user
        return user

    def add_schedule(self, schedule: Schedule) -> Schedule:
        if schedule.version not in (2, 3):
            raise ValueError(f"schedule version must be 2 or 3, not {schedule.version!r}")
        ZoneInfo(schedule.time_zone)
        self._require_users(schedule.user_ids)
        self.schedules[schedule.id] = schedule
        return schedule

    def remove_schedule(self, schedule_id: str) -> None:
        """Delete a schedule; like PagerDuty, it also leaves every escalation rule that targeted it."""
        del self.schedules[schedule_id]
        self._version += 1
        for policy_id, level in self._placements.pop(schedule_id, []):
            rule = self.policies[policy_id].rules[level - 1]
            rule.schedule_ids = [sid for sid in rule.schedule_ids if sid != schedule_id]

    def add_policy(self, policy: EscalationPolicy) -> EscalationPolicy:
        for rule in policy.rules:
            self._require_schedules(rule.schedule_ids)
            self._require_users(rule.user_ids)
        self.policies[policy.id] = policy
        self._version += 1
        for rule in policy.rules:
            self._index_rule(policy.id, rule)
        return policy

    def attach(self, policy_id: str, schedule_id: str) -> None:
        """Add a level targeting the schedule to a policy (created, named after its id, if new)."""
        policy = self.policies.get(policy_id) or self.add_policy(EscalationPolicy(policy_id, policy_id))
        self._index_rule(policy_id, policy.add_rule(schedule_ids=[schedule_id]))

    def set_shifts(self, schedule_id: str, shifts: Iterable[Shift]) -> None:
        schedule = self.schedules[schedule_id]
        ordered = sorted(shifts, key=lambda shift: shift.start)
        for shift in ordered:
            self._require_users(shift.user_ids)
            if shift.end is not None and shift.end <= shift.start:
                raise ValueError(f"shift ends before it starts: {shift}")
        if not schedule.shift_based:
            _check_one_at_a_time(schedule_id, ordered)
        schedule.shifts = ordered
        self._version += 1

    def override(self, schedule_id: str, user_id: str, start: float, end: float) -> Override:
        """A v2 override: `user_id` on call over [start, end), the shifts around it cut to fit (the
        final schedule and /oncalls show it; the last created wins where overrides overlap)."""
        schedule = self.schedules[schedule_id]
        if schedule.shift_based:
            raise ValueError(f"{schedule_id} is shift-based: v3 overrides replace one member, not modelled")
        if end <= start:
            raise ValueError("an override ends after it starts")
        kept = [piece for shift in schedule.shifts for piece in _outside(shift, start, end)]
        self.set_shifts(schedule_id, [*kept, Shift((user_id,), start, end)])
        made = Override(
            f"Q{len(self.overrides[schedule_id]) + 1:06d}{schedule_id}", schedule_id, user_id, start, end
        )
        self.overrides[schedule_id].append(made)
        return made

    # -- queries -------------------------------------------------------------------------------

    def search_users(self, query: str | None) -> list[User]:
        """Users whose name or email contains the query, case-insensitively, in insertion order."""
        users = list(self.users.values())
        if not query:
            return users
        needle = query.casefold()
        return [u for u in users if needle in u.name.casefold() or needle in u.email.casefold()]

    def search_schedules(self, query: str | None, *, shift_based: bool) -> list[Schedule]:
        schedules = [s for s in self.schedules.values() if s.shift_based == shift_based]
        if not query:
            return schedules
        needle = query.casefold()
        return [s for s in schedules if needle in s.name.casefold()]

    def policies_of(self, schedule_id: str) -> list[EscalationPolicy]:
        policy_ids = dict.fromkeys(policy_id for policy_id, _ in self._placements.get(schedule_id, []))
        return [self.policies[policy_id] for policy_id in policy_ids]

    def oncalls(self, query: OnCallQuery) -> list[OnCall]:
        """Rows of GET /oncalls: one per overlapping shift user per (policy, level) that targets it.

        Shifts starting more than 90 days from now are left out, as PagerDuty does."""
        until = min(query.until, self.account.now() + ONCALL_HORIZON)
        key = (query, until, self._version)
        if self._last_oncalls is not None and self._last_oncalls[0] == key:
            return self._last_oncalls[1]
        rows = [*self._scheduled_oncalls(query, until), *self._permanent_oncalls(query)]
        if query.user_ids is not None:
            rows = [row for row in rows if row.user_id in query.user_ids]
        rows.sort(key=OnCall.sort_key)
        rows = _earliest_only(rows) if query.earliest else rows
        self._last_oncalls = (key, rows)
        return rows

    def _scheduled_oncalls(self, query: OnCallQuery, until: float) -> Iterator[OnCall]:
        if query.since > until:  # the window starts past the 90-day horizon
            return
        for schedule_id, policy_id, level in self._placements_for(query):
            for span in self.schedules[schedule_id].oncall_spans_between(query.since, until):
                yield OnCall(span.user_ids[0], policy_id, level, schedule_id, span.start, span.end)

    def _placements_for(self, query: OnCallQuery) -> Iterator[tuple[str, str, int]]:
        schedule_ids = list(self._placements) if query.schedule_ids is None else query.schedule_ids
        for schedule_id in schedule_ids:
            for policy_id, level in self._placements.get(schedule_id, []):
                if query.policy_ids is None or policy_id in query.policy_ids:
                    yield schedule_id, policy_id, level

    def _permanent_oncalls(self, query: OnCallQuery) -> Iterator[OnCall]:
        if not query.include_permanent:
            return
        for policy in self.policies.values():
            if query.policy_ids is not None and policy.id not in query.policy_ids:
                continue
            for rule in policy.rules:
                for user_id in rule.user_ids:
                    yield OnCall(user_id, policy.id, rule.level, None, None, None)

    # -- helpers -------------------------------------------------------------------------------

    def _index_rule(self, policy_id: str, rule: EscalationRule) -> None:
        self._version += 1
        for schedule_id in dict.fromkeys(rule.schedule_ids):
            self._placements[schedule_id].append((policy_id, rule.level))

    def _require_users(self, user_ids: Iterable[str]) -> None:
        missing = [user_id for user_id in user_ids if user_id not in self.users]
        if missing:
            raise KeyError(f"unknown user ids {missing}: add_user them first")

    def _require_schedules(self, schedule_ids: Iterable[str]) -> None:
        missing = [schedule_id for schedule_id in schedule_ids if schedule_id not in self.schedules]
        if missing:
            raise KeyError(f"unknown schedule ids {missing}: add_schedule them first")


def covered_intervals(shifts: Iterable[Shift], since: float, until: float) -> list[tuple[float, float]]:
    """The union of the shifts clipped to [since, until), as sorted disjoint intervals."""
    merged: list[tuple[float, float]] = []
    for shift in sorted(shifts, key=lambda s: s.start):
        start, end = max(shift.start, since), min(shift.stop, until)
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def coverage_percentage(covered: Sequence[tuple[float, float]], since: float, until: float) -> float:
    if until <= since:
        return 0.0
    return round(100 * sum(end - start for start, end in covered) / (until - since), 2)


def gaps(covered: Sequence[tuple[float, float]], since: float, until: float) -> list[tuple[float, float]]:
    """The parts of [since, until) that no interval covers."""
    holes, cursor = [], since
    for start, end in covered:
        if start > cursor:
            holes.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < until:
        holes.append((cursor, until))
    return holes


def _check_one_at_a_time(schedule_id: str, shifts: Sequence[Shift]) -> None:
    """A layer-based final schedule has exactly one user on call at any instant."""
    previous: Shift | None = None
    for shift in shifts:
        if len(shift.user_ids) != 1:
            raise ValueError(f"v2 schedule {schedule_id}: one user per shift, got {shift.user_ids}")
        if previous is not None and shift.start < previous.stop:
            raise ValueError(f"v2 schedule {schedule_id}: shifts overlap at {shift.start}")
        previous = shift


def _outside(shift: Shift, start: float, end: float) -> list[Shift]:
    """The parts of a shift before `start` and after `end`."""
    pieces = []
    if shift.start < start:
        pieces.append(Shift(shift.user_ids, shift.start, min(shift.stop, start)))
    if shift.stop > end:
        pieces.append(Shift(shift.user_ids, max(shift.start, end), shift.end))
    return pieces


def _contiguous_spans(shifts: Sequence[Shift]) -> list[Shift]:
    """Each user's shifts merged where one starts as (or before) the previous one ends, by start."""
    open_spans: dict[str, Shift] = {}
    spans: list[Shift] = []
    for shift in shifts:  # sorted by start
        for user_id in shift.user_ids:
            current = open_spans.get(user_id)
            if current is not None and shift.start <= current.stop:
                end = None if shift.end is None or current.end is None else max(current.end, shift.end)
                open_spans[user_id] = Shift((user_id,), current.start, end)
            else:
                if current is not None:
                    spans.append(current)
                open_spans[user_id] = Shift((user_id,), shift.start, shift.end)
    spans.extend(open_spans.values())
    return sorted(spans, key=lambda span: (span.start, span.user_ids))


def _earliest_only(rows: list[OnCall]) -> list[OnCall]:
    """GET /oncalls?earliest=true: the earliest row per (policy, level, user), order kept."""
    earliest: dict[tuple[str, int, str], OnCall] = {}
    for row in rows:
        key = (row.policy_id, row.level, row.user_id)
        best = earliest.get(key)
        if best is None or row.since < best.since:
            earliest[key] = row
    keep = set(earliest.values())
    return [row for row in rows if row in keep]
