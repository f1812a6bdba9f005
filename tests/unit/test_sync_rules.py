"""Pure sync rules: on-call rows to shifts (de-duplicated), and PagerDuty people to Slack people."""

from roundrobin.pagerduty.sync import _mirror, _shift
from roundrobin.store.pagerduty import PdSchedule, PdUser, Shift


def row(
    user, schedule="PS1", start="2026-11-26T09:00:00Z", end="2026-11-27T09:00:00Z", policy="PE1", level=1
):
    return {
        "user": {"id": user},
        "schedule": {"id": schedule} if schedule else None,
        "escalation_policy": {"id": policy},
        "escalation_level": level,
        "start": start,
        "end": end,
    }


def test_rows_repeated_per_policy_and_level_become_one_shift():
    rows = [row("PA"), row("PA", policy="PE2"), row("PA", level=2)]
    shifts = {(s.schedule_id, s.pd_user_id, s.start, s.end) for s in map(_shift, rows)}
    assert len(shifts) == 1


def test_permanent_on_calls_without_a_schedule_are_not_shifts():
    assert _shift(row("PA", schedule=None, start=None, end=None)) is None


NOW = 1_000_000.0
SCHEDULE = PdSchedule("PS1", "Ops", member_ids=("PA", "PB", "PJ"))
PEOPLE = {
    "PA": PdUser("PA", "Ann", "Ann@Corp.example"),
    "PB": PdUser("PB", "Ben", "ben@corp.example"),
    "PJ": PdUser("PJ", "Jane", "jane@corp.example"),
}
SLACK = {"ann@corp.example": "UANN", "ben@corp.example": "UBEN"}


def test_email_match_is_case_insensitive_and_the_unmatched_are_listed():
    shifts = [Shift("PS1", "PJ", NOW - 10, NOW + 50), Shift("PS1", "PB", NOW + 50, NOW + 100)]
    m = _mirror(SCHEDULE, shifts, PEOPLE, {}, SLACK, NOW)
    assert m.members == ("UANN", "UBEN") and m.on_duty == () and m.until == NOW + 50
    assert m.unmatched == ({"id": "PJ", "name": "Jane", "email": "jane@corp.example", "on_call": True},)


def test_a_manual_link_wins_over_the_email_match():
    shifts = [Shift("PS1", "PA", NOW - 10, NOW + 50)]
    m = _mirror(SCHEDULE, shifts, PEOPLE, {"PA": "UOTHER", "PJ": "UJANE"}, SLACK, NOW)
    assert m.on_duty == ("UOTHER",) and m.unmatched == ()
    assert m.members == ("UOTHER", "UBEN", "UJANE")


def test_several_people_on_call_at_once():
    shifts = [Shift("PS1", "PB", NOW - 5, NOW + 60), Shift("PS1", "PA", NOW - 10, NOW + 30)]
    m = _mirror(SCHEDULE, shifts, PEOPLE, {}, SLACK, NOW)
    assert m.on_duty == ("UANN", "UBEN") and m.until == NOW + 30
