"""The seeded accounts have the shape they promise: counts, levels, shares, shift lengths, coverage,
and the same account for the same seed. Built on the fake's model; no server needed."""

from __future__ import annotations

import math

import pytest

from roundrobin.sim.pagerduty import FakePagerDuty, ManualClock
from roundrobin.sim.pagerduty.model import OnCallQuery
from roundrobin.sim.pagerduty.scenarios import (
    DAILY,
    FOLLOW_THE_SUN,
    HOURLY,
    REGIONS,
    SHIFT_BASED,
    SUN_SHIFTS,
    AccountShape,
    SeededAccount,
    hand_over_now,
    seed_account,
)

HOUR, DAY = 3600, 86400
SHAPE = AccountShape(schedules=200, people=600, seed=3, shift_based_share=0.05, hourly_schedules=4)


def seeded(shape: AccountShape = SHAPE, now: float | None = None) -> tuple[FakePagerDuty, SeededAccount]:
    pd = FakePagerDuty(clock=ManualClock() if now is None else ManualClock(now))
    return pd, seed_account(pd, shape)


@pytest.fixture(scope="module")
def world() -> tuple[FakePagerDuty, SeededAccount]:
    return seeded()


def test_counts_and_shares_are_exact(world):
    pd, account = world
    kinds = [account.kinds[s] for s in account.schedule_ids]

    assert len(kinds) == len(pd.directory.schedules) == 200
    assert (kinds.count(FOLLOW_THE_SUN), kinds.count(SHIFT_BASED), kinds.count(HOURLY)) == (10, 10, 4)
    assert kinds.count(DAILY) == 176
    assert len(account.unrouted) == 20  # 10% in no escalation policy
    assert len(account.people) == len(pd.directory.users) == 600
    assert len({p.email for p in account.people}) == 600
    assert account.summary().startswith(
        "200 schedules (176 daily, 10 follow-the-sun, 4 hourly, 10 shift-based;"
    )


def test_two_escalation_levels_per_policy_and_no_policy_for_the_unrouted(world):
    pd, account = world
    routed = account.routed

    assert len(account.policies) == math.ceil(180 / 2)
    assert sorted(routed + account.unrouted) == sorted(account.schedule_ids)
    assert len(set(routed)) == len(routed)  # each routed schedule in exactly one policy, at one level
    for policy_id, schedule_ids in account.policies.items():
        rules = pd.directory.policies[policy_id].rules
        assert [(rule.level, rule.schedule_ids) for rule in rules] == [
            (level, [schedule_id]) for level, schedule_id in enumerate(schedule_ids, start=1)
        ]
    assert all(pd.directory.policies_of(s) == [] for s in account.unrouted)
    assert set(account.of_kind(HOURLY)) <= set(routed)


def test_on_call_now_is_one_row_per_routed_schedule_and_level(world):
    pd, account = world
    now = account.now

    rows = pd.directory.oncalls(OnCallQuery(since=now, until=now))

    pairs = [s for s in account.routed if account.kinds[s] == SHIFT_BASED]  # two people at once
    assert len(rows) == len(account.routed) + len(pairs)
    assert {row.schedule_id for row in rows} == set(account.routed)
    assert {row.level for row in rows} == {1, 2}


@pytest.mark.parametrize(
    ("kind", "hours", "together"),
    [(DAILY, (23, 24, 25), 1), (FOLLOW_THE_SUN, (8,), 1), (HOURLY, (1,), 1), (SHIFT_BASED, (23, 24, 25), 2)],
)
def test_shifts_have_their_kinds_length_and_cover_the_window_without_gaps(world, kind, hours, together):
    pd, account = world
    shape = account.shape
    for schedule_id in account.of_kind(kind):
        schedule = pd.directory.schedules[schedule_id]
        shifts = schedule.shifts
        assert {round((s.end - s.start) / HOUR) for s in shifts} <= set(hours), schedule_id
        assert {len(s.user_ids) for s in shifts} == {together}, schedule_id
        assert all(a.end == b.start for a, b in zip(shifts, shifts[1:], strict=False)), schedule_id
        assert shifts[0].start <= account.now - shape.history_days * DAY
        assert shifts[-1].end >= account.now + (shape.window_days + 1) * DAY
        assert schedule.shift_based is (kind == SHIFT_BASED)


def test_follow_the_sun_hands_over_every_8_hours_between_three_regions(world):
    pd, account = world
    region_of = {zone: region for region, zones in REGIONS.items() for zone in zones}
    zone_of = {person.id: person.time_zone for person in account.people}
    for schedule_id in account.of_kind(FOLLOW_THE_SUN):
        for shift in pd.directory.schedules[schedule_id].shifts:
            utc_hour = int(shift.start % DAY // HOUR)
            region = dict((hour, region) for region, hour in SUN_SHIFTS)[utc_hour]
            assert region_of[zone_of[shift.user_ids[0]]] == region
        assert len(set(account.members[schedule_id])) == 3


def test_daily_schedules_hand_over_at_a_local_hour_and_the_secondary_is_next_in_line(world):
    pd, account = world
    teams = [s for s in account.policies.values() if len(s) == 2 and {account.kinds[i] for i in s} == {DAILY}]
    assert len(teams) > 50
    for schedule_ids in teams:
        primary, secondary = (pd.directory.schedules[s] for s in schedule_ids)
        assert primary.time_zone == secondary.time_zone
        assert [s.start for s in primary.shifts] == [s.start for s in secondary.shifts]
        for today, tomorrow in zip(secondary.shifts, primary.shifts[1:], strict=False):
            assert today.user_ids == tomorrow.user_ids


def test_the_same_seed_gives_the_same_account_and_another_seed_another():
    (pd1, one), (pd2, two) = seeded(), seeded()
    _, other = seeded(
        AccountShape(schedules=200, people=600, seed=4, shift_based_share=0.05, hourly_schedules=4)
    )

    assert (one.kinds, one.members, one.policies, one.unrouted, one.people) == (
        two.kinds,
        two.members,
        two.policies,
        two.unrouted,
        two.people,
    )
    assert all(
        pd1.directory.schedules[s].shifts == pd2.directory.schedules[s].shifts for s in one.schedule_ids
    )
    assert (other.kinds, other.unrouted) != (one.kinds, one.unrouted)


def test_who_is_on_call_does_not_depend_on_when_the_account_was_seeded(world):
    pd, account = world
    later_pd, later = seeded(now=account.now + 3 * DAY + 5 * HOUR)
    instant = account.now + 4 * DAY

    for schedule_id in account.schedule_ids:
        before = pd.directory.schedules[schedule_id].shifts_between(instant, instant)
        after = later_pd.directory.schedules[schedule_id].shifts_between(instant, instant)
        assert [s.user_ids for s in before] == [s.user_ids for s in after], schedule_id


def test_sixty_hourly_schedules_pass_the_offset_cap_in_a_week():
    pd, account = seeded(
        AccountShape(schedules=60, people=100, unrouted_share=0, follow_the_sun_share=0, hourly_schedules=60)
    )

    rows = pd.directory.oncalls(OnCallQuery(since=account.now, until=account.now + 7 * DAY))

    assert len(rows) > 10_000


@pytest.mark.parametrize(
    "shape",
    [
        dict(schedules=10, hourly_schedules=11),
        dict(schedules=10, unrouted_share=0.5, hourly_schedules=6),
        dict(unrouted_share=1.5),
        dict(people=2),
        dict(levels=0),
    ],
)
def test_impossible_shapes_are_refused(shape):
    with pytest.raises(ValueError):
        AccountShape(**shape)


def test_hand_over_now_puts_someone_else_on_call_until_the_shift_ends():
    pd, account = seeded(AccountShape(schedules=20, people=60))
    schedule_id = account.of_kind(DAILY)[0]
    now = account.now
    before = pd.directory.schedules[schedule_id].shifts_between(now, now)[0]

    taker = hand_over_now(pd, account, schedule_id)

    after = pd.directory.schedules[schedule_id].shifts_between(now, now)[0]
    assert taker != before.user_ids[0] and taker in account.members[schedule_id]
    assert (after.user_ids, after.start, after.end) == ((taker,), now, before.end)
    assert pd.directory.schedules[schedule_id].shifts_between(before.end, before.end) != [after]
