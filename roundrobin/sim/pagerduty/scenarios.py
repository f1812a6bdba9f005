"""Realistic PagerDuty accounts for the fake, for the benchmark and the tests: seeded, so repeatable.

    pd = FakePagerDuty(clock=clock)
    account = seed_account(pd, AccountShape(schedules=1000, people=5000, hourly_schedules=60))
    account.people        # who to mirror into FakeSlack (same emails)
    account.unrouted      # schedules no escalation policy targets: absent from GET /oncalls
    account.policies      # policy id -> its schedules, level 1 first

What a mid-size account looks like to a sync that runs every minute:
- Teams of `levels` schedules (primary, secondary): one escalation policy per team, with its primary
  at level 1 and its secondary at level 2. The secondary rotates through the same people one turn
  ahead, so whoever is secondary today is primary tomorrow.
- Daily hand-overs at the team's local hour (08:00, 09:00, 10:00 or 17:00) in the team's time zone,
  from `history_days` back to `window_days` + 1 ahead, so the 7-day look-ahead is always covered.
- `unrouted_share` (10%) of the schedules in no escalation policy: GET /oncalls never shows them,
  only GET /schedules/{id}?since&until does.
- `follow_the_sun_share` (5%): three people in Asia-Pacific, Europe and the Americas hand over every
  8 hours (00:00, 08:00 and 16:00 UTC).
- `shift_based_share` (none by default): v3 schedules with two people on call together.
- `hourly_schedules` (none by default): K schedules, always in a policy, handing over every hour:
  about 170 /oncalls rows each per 7-day window, so 60 of them pass the 10,000 offset+limit cap.

Turns are counted from a fixed origin (days since 0001-01-01, hours since the Unix epoch), so the
same schedule has the same person on call at the same instant whatever `now` it was seeded at.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from roundrobin.sim.pagerduty.fake import FakePagerDuty

DAY, HOUR = 86400, 3600
DAILY, FOLLOW_THE_SUN, HOURLY, SHIFT_BASED = "daily", "follow_the_sun", "hourly", "shift_based"
KINDS = (DAILY, FOLLOW_THE_SUN, HOURLY, SHIFT_BASED)

# Where people live, by region; follow-the-sun takes one person from each of the three.
REGIONS = {
    "apac": ("Asia/Singapore", "Australia/Sydney", "Asia/Kolkata", "Asia/Tokyo"),
    "emea": ("Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Warsaw"),
    "amer": ("America/New_York", "America/Chicago", "America/Los_Angeles", "America/Sao_Paulo"),
}
ALL_ZONES = tuple(zone for zones in REGIONS.values() for zone in zones)
SUN_SHIFTS = (("apac", 0), ("emea", 8), ("amer", 16))  # region on call from this UTC hour, for 8 hours
HAND_OVER_HOURS = (8, 9, 10, 17)
ROLES = ("Primary", "Secondary", "Tertiary", "Quaternary")
AREAS = (
    "Payments", "Search", "Checkout", "Identity", "Mobile", "Data Platform", "Messaging", "Billing",
    "Storage", "Edge", "Ledger", "Growth", "Observability", "Databases", "Notifications", "Ads",
)  # fmt: skip
FIRST_NAMES = (
    "Ada", "Bruno", "Chen", "Dara", "Emeka", "Farah", "Goran", "Hana", "Ines", "Jonas", "Kemal",
    "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Viktor",
)  # fmt: skip
LAST_NAMES = (
    "Adeyemi", "Berg", "Castillo", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito",
    "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov", "Rossi", "Singh",
)  # fmt: skip


@dataclass(frozen=True)
class AccountShape:
    """How big the account is and how its schedules are made; the defaults are a typical account."""

    schedules: int = 100
    people: int = 500
    seed: int = 1
    levels: int = 2  # escalation levels per policy: one schedule per level
    members_per_schedule: int = 5  # people in a daily rotation (follow-the-sun always has three)
    unrouted_share: float = 0.10  # schedules in no escalation policy
    follow_the_sun_share: float = 0.05
    shift_based_share: float = 0.0
    hourly_schedules: int = 0
    window_days: int = 7  # the look-ahead the shifts must cover (one more day is added)
    history_days: int = 1  # shifts that already ended, for "who was on call"

    def __post_init__(self) -> None:
        shares = (self.unrouted_share, self.follow_the_sun_share, self.shift_based_share)
        if self.schedules < 0 or self.people < 3 or not 1 <= self.levels <= len(ROLES):
            raise ValueError(f"need schedules >= 0, people >= 3 and 1 <= levels <= {len(ROLES)}")
        if any(not 0 <= share <= 1 for share in shares) or self.members_per_schedule < 1:
            raise ValueError("shares are fractions between 0 and 1; members_per_schedule is at least 1")
        special = _count(self.schedules, self.follow_the_sun_share) + _count(
            self.schedules, self.shift_based_share
        )
        if special + self.hourly_schedules > self.schedules:
            raise ValueError("follow-the-sun, shift-based and hourly schedules are more than all schedules")
        if self.hourly_schedules + _count(self.schedules, self.unrouted_share) > self.schedules:
            raise ValueError("hourly schedules are always routed: too many unrouted schedules to fit them")


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    email: str
    time_zone: str


@dataclass
class SeededAccount:
    """What seed_account put into the fake, for assertions and for mirroring into Slack."""

    shape: AccountShape
    now: float
    people: list[Person]
    kinds: dict[str, str]  # schedule id -> DAILY, FOLLOW_THE_SUN, HOURLY or SHIFT_BASED
    members: dict[str, list[str]]  # schedule id -> user ids in turn order
    policies: dict[str, list[str]]  # policy id -> schedule ids, level 1 first
    unrouted: list[str] = field(default_factory=list)

    @property
    def schedule_ids(self) -> list[str]:
        return list(self.kinds)

    @property
    def routed(self) -> list[str]:
        """Schedules some escalation policy targets (these, and only these, appear in /oncalls)."""
        return [schedule_id for schedule_ids in self.policies.values() for schedule_id in schedule_ids]

    def of_kind(self, kind: str) -> list[str]:
        return [schedule_id for schedule_id, k in self.kinds.items() if k == kind]

    def summary(self) -> str:
        """One line for a benchmark's report."""
        counts = Counter(self.kinds.values())
        parts = [f"{counts[kind]} {kind.replace('_', '-')}" for kind in KINDS if counts[kind]]
        return (
            f"{len(self.kinds)} schedules ({', '.join(parts)}; {len(self.unrouted)} in no escalation "
            f"policy), {len(self.policies)} escalation policies, {len(self.people)} people"
        )


def seed_account(pd: FakePagerDuty, shape: AccountShape | None = None) -> SeededAccount:
    """Fill `pd` (started or not) with a realistic account anchored at its clock's now."""
    shape = shape or AccountShape()
    rng = random.Random(shape.seed)
    now = pd.account.now()
    people = _people(shape.people, rng)
    for person in people:
        pd.add_user(person.id, person.name, person.email, person.time_zone)
    ids = [f"PS{n:05d}" for n in range(shape.schedules)]
    kinds = _kinds(ids, shape, rng)
    unrouted = sorted(
        rng.sample([s for s in ids if kinds[s] != HOURLY], _count(len(ids), shape.unrouted_share))
    )
    left_out = set(unrouted)
    teams = _teams([s for s in ids if s not in left_out], shape.levels)
    account = SeededAccount(shape, now, people, kinds, {}, {}, unrouted)
    pools = _region_pools(people)
    for number, schedule_ids in enumerate([*teams, *([s] for s in unrouted)]):
        crew = _crew(people, shape.members_per_schedule, rng)
        team = Team(_team_name(number), crew, rng.choice(ALL_ZONES), rng.choice(HAND_OVER_HOURS))
        for level, schedule_id in enumerate(schedule_ids):
            sun_crew = _sun_crew(pools, rng) if kinds[schedule_id] == FOLLOW_THE_SUN else []
            _add_schedule(pd, account, schedule_id, team, level, sun_crew)
    for number, levels in enumerate(teams):
        policy_id = f"PE{number:05d}"
        pd.add_escalation_policy(policy_id, f"{_team_name(number)} escalation", schedule_ids=levels)
        account.policies[policy_id] = levels
    return account


def hand_over_now(pd: FakePagerDuty, account: SeededAccount, schedule_id: str) -> str:
    """Someone else takes over a layer-based schedule from now to the end of the current shift (an
    override, as a person swapping a shift would make); returns who. For "N schedules changed hands"."""
    now = pd.account.now()
    current = pd.directory.schedules[schedule_id].shifts_between(now, now)
    if not current or current[0].end is None:
        raise ValueError(f"nobody is on a bounded shift of {schedule_id} now")
    members = account.members[schedule_id]
    taker = next(
        m
        for m in members[members.index(current[0].user_ids[0]) + 1 :] + members
        if m not in current[0].user_ids
    )
    pd.add_override(schedule_id, taker, now, current[0].end)
    return taker


# -- building blocks ---------------------------------------------------------------------------


def _count(total: int, share: float) -> int:
    return round(total * share)


def _people(count: int, rng: random.Random) -> list[Person]:
    people = []
    for n in range(count):
        first, last = FIRST_NAMES[n % len(FIRST_NAMES)], LAST_NAMES[(n // len(FIRST_NAMES)) % len(LAST_NAMES)]
        email = f"{first}.{last}.{n}@corp.example".lower()
        people.append(Person(f"PU{n:05d}", f"{first} {last}", email, rng.choice(ALL_ZONES)))
    return people


def _kinds(ids: list[str], shape: AccountShape, rng: random.Random) -> dict[str, str]:
    """Exact counts of each kind, placed at random among the schedules."""
    order = rng.sample(ids, len(ids))
    counts = [
        (FOLLOW_THE_SUN, _count(len(ids), shape.follow_the_sun_share)),
        (SHIFT_BASED, _count(len(ids), shape.shift_based_share)),
        (HOURLY, shape.hourly_schedules),
    ]
    kinds = dict.fromkeys(ids, DAILY)
    start = 0
    for kind, count in counts:
        for schedule_id in order[start : start + count]:
            kinds[schedule_id] = kind
        start += count
    return kinds


def _teams(routed: list[str], levels: int) -> list[list[str]]:
    """Consecutive routed schedules, `levels` at a time: each group is one policy's levels."""
    return [routed[n : n + levels] for n in range(0, len(routed), levels)]


def _crew(people: list[Person], size: int, rng: random.Random) -> list[str]:
    return [person.id for person in rng.sample(people, min(size, len(people)))]


def _region_pools(people: list[Person]) -> dict[str, list[str]]:
    region_of = {zone: region for region, zones in REGIONS.items() for zone in zones}
    pools: dict[str, list[str]] = {region: [] for region in REGIONS}
    for person in people:
        pools[region_of[person.time_zone]].append(person.id)
    return pools


def _sun_crew(pools: dict[str, list[str]], rng: random.Random) -> list[str]:
    """One person per region in SUN_SHIFTS order (anyone, if a region happens to have nobody)."""
    everyone = [user_id for pool in pools.values() for user_id in pool]
    crew: list[str] = []
    for region, _ in SUN_SHIFTS:
        candidates = [u for u in pools[region] if u not in crew] or [u for u in everyone if u not in crew]
        crew.append(rng.choice(candidates))
    return crew


def _team_name(number: int) -> str:
    area = AREAS[number % len(AREAS)]
    return area if number < len(AREAS) else f"{area} {number // len(AREAS) + 1}"


@dataclass(frozen=True)
class Team:
    """Who a team's schedules rotate through, and where and when they hand over."""

    name: str
    crew: list[str]
    zone: str
    hand_over_hour: int


def _add_schedule(
    pd: FakePagerDuty, account: SeededAccount, schedule_id: str, team: Team, level: int, sun_crew: list[str]
) -> None:
    """One schedule of its kind, at `level` of its team's policy: each level is one turn further on,
    so today's secondary is tomorrow's primary."""
    kind, shape, now = account.kinds[schedule_id], account.shape, account.now
    since, until = now - shape.history_days * DAY, now + (shape.window_days + 1) * DAY
    ahead = level % len(team.crew)
    rotation = sun_crew or team.crew[ahead:] + team.crew[:ahead]
    zone, turn = team.zone, DAY
    if kind == FOLLOW_THE_SUN:
        zone, turn, shifts = "UTC", 8 * HOUR, _sun_shifts(rotation, since, until)
    elif kind == HOURLY:
        zone, turn, shifts = "UTC", HOUR, _hourly_shifts(rotation, since, until)
    else:
        together = 2 if kind == SHIFT_BASED else 1  # v3: two people on call at once
        shifts = _daily_shifts(rotation, ZoneInfo(zone), team.hand_over_hour, since, until, together)
    version = 3 if kind == SHIFT_BASED else 2
    pd.add_schedule(schedule_id, f"{team.name} {ROLES[level]}", zone, version, rotation, turn_length=turn)
    pd.set_shifts(schedule_id, shifts)
    account.members[schedule_id] = list(rotation)


Shifts = list[tuple[tuple[str, ...], float, float]]


def _daily_shifts(
    rotation: list[str], zone: ZoneInfo, hour: int, since: float, until: float, together: int
) -> Shifts:
    """Hand-overs at `hour` local time every day (23 or 25 hours long across a DST change)."""
    day = datetime.fromtimestamp(since, zone).date() - timedelta(days=1)
    shifts: Shifts = []
    while True:
        start = datetime.combine(day, time(hour), zone).timestamp()
        end = datetime.combine(day + timedelta(days=1), time(hour), zone).timestamp()
        if start >= until:
            return shifts
        if end > since:
            turn = day.toordinal()
            people = tuple(dict.fromkeys(rotation[(turn + k) % len(rotation)] for k in range(together)))
            shifts.append((people, start, end))
        day += timedelta(days=1)


def _sun_shifts(crew: list[str], since: float, until: float) -> Shifts:
    """Eight hours each, following the sun: APAC from 00:00 UTC, EMEA from 08:00, Americas from 16:00."""
    start = since - since % DAY
    shifts: Shifts = []
    while start < until:
        for member, (_, utc_hour) in zip(crew, SUN_SHIFTS, strict=True):
            begin = start + utc_hour * HOUR
            if begin + 8 * HOUR > since and begin < until:
                shifts.append(((member,), begin, begin + 8 * HOUR))
        start += DAY
    return shifts


def _hourly_shifts(rotation: list[str], since: float, until: float) -> Shifts:
    start = since - since % HOUR
    shifts: Shifts = []
    while start < until:
        shifts.append(((rotation[int(start // HOUR) % len(rotation)],), start, start + HOUR))
        start += HOUR
    return shifts
