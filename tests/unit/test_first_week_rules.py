"""Rules behind issue 9's wording and defaults: who is next, codes from names, the words of a sync,
a disconnect, an owners change, and the first hand-overs of an every-N-weeks rotation."""

from datetime import UTC, datetime
from itertools import permutations

import pytest

from roundrobin.pagerduty.sync import SyncReport
from roundrobin.rotations import codes
from roundrobin.rotations.model import DutyChange, Rotation
from roundrobin.rotations.schedule import Schedule
from roundrobin.slack.surfaces.pagerduty import sync_words
from roundrobin.slack.surfaces.settings import owners_words
from roundrobin.slack.views.rotation_modals import first_hand_overs
from roundrobin.slack.views.settings import SyncSummary, disconnect_words
from roundrobin.store.pagerduty import Census
from roundrobin.store.pd_failures import ReadFailure

MEMBERS = ("U1", "U2", "U3", "U4")


@pytest.mark.parametrize("on_duty", [(), *[(m,) for m in MEMBERS], ("U1", "U3"), ("U4", "U1"), MEMBERS[:3]])
@pytest.mark.parametrize("members", list(permutations(MEMBERS, 3))[:6] + [MEMBERS])
def test_next_up_is_never_someone_on_duty(members, on_duty):
    r = Rotation(id=1, name="r", code="R", created_by="U1", members=members, on_duty=on_duty)
    assert r.next_up not in on_duty
    if len(set(members) - set(on_duty)) and len(members) > 1:
        assert r.next_up in members, "someone off duty follows"


@pytest.mark.parametrize(
    ("on_duty", "pd_next_up", "expected"),
    [
        (("U1",), ("U1", "U2"), "U2"),
        (("U1", "U2"), ("U2", "U1"), None),
        ((), ("U3",), "U3"),
        (("U1",), (), None),
    ],
)
def test_next_up_of_a_bound_rotation_skips_who_stays_on(on_duty, pd_next_up, expected):
    r = Rotation(
        id=1,
        name="r",
        code="R",
        created_by="U1",
        source="pagerduty",
        on_duty=on_duty,
        pd_next_up=pd_next_up,
    )
    assert r.next_up == expected


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Platform on-call", "PLATFORM"),
        ("Primary on-call", "PRIMARY"),
        ("Stand-up host", "STAND"),
        ("Infrastructure on-call", "IOC"),
        ("The web team", "WEB"),
        ("Café rota", "CAFE"),
        ("  --ops--  ", "OPS"),
        ("<!channel> support", "SUPPORT"),
        ("<b>Desk</b> rota", "DESK"),
        ("Supercalifragilisticexpialidocious", "SUPERCAL"),
        ("夜勤", "ROTATION"),
    ],
)
def test_a_code_from_the_name_is_short_and_keeps_the_code_rules(name, code):
    assert codes.from_name(name) == code
    assert len(code) <= 8


def test_a_taken_code_has_alternatives_before_numbers():
    assert codes.candidates("Platform on-call") == ["PLATFORM", "POC", "PLATFORM-ON"]
    assert codes.candidates("Infrastructure on-call") == ["IOC", "INFRASTRUCTURE-ON", "INFRASTR"]


def test_numbered_codes_stay_within_twenty_characters():
    assert codes.numbered("OPS", 2) == "OPS-2"
    assert codes.numbered("CUSTOMER-SUPPORT-ABC", 12) == "CUSTOMER-SUPPORT-12"


def _census(count: int, exact: bool = True, new: int | None = None, gone: int | None = None) -> Census:
    return Census(count, exact, 0.0, new, gone)


def _failure() -> ReadFailure:
    return ReadFailure(
        "poll", "PagerDuty refused access to /oncalls (HTTP 403)", "Give it access.", 0, 0, 900, 1
    )


def _change(code: str) -> DutyChange:
    return DutyChange(Rotation(id=1, name=code, code=code, created_by="U1"), (), "pagerduty")


@pytest.mark.parametrize(
    ("report", "words"),
    [
        (
            SyncReport(census=_census(14), bound=3),
            "Sync finished: nobody changed hands. 14 schedules in PagerDuty, 3 rotations following them.",
        ),
        (
            SyncReport(census=_census(1), bound=1, changes=[_change("OPS")]),
            "Sync finished: 1 hand-over (OPS). 1 schedule in PagerDuty, 1 rotation following it.",
        ),
        (
            SyncReport(census=_census(2), bound=2, changes=[_change("OPS"), _change("WEB")], unmatched=1),
            "Sync finished: 2 hand-overs (OPS, WEB). 2 schedules in PagerDuty, 2 rotations following them. "
            "1 person in those schedules is not linked to Slack: see the rotations' Details.",
        ),
        (
            SyncReport(census=_census(3, new=2, gone=1), bound=1),
            "Sync finished: nobody changed hands, 2 new schedules, 1 removed schedule. "
            "3 schedules in PagerDuty, 1 rotation following it.",
        ),
        (
            SyncReport(census=_census(10_002), bound=10_000, deferred=9_520),
            "Sync finished: nobody changed hands. 10,002 schedules in PagerDuty, 10,000 rotations following "
            "them. The week ahead of 9,520 more schedules is read over the next minutes, within a tenth of "
            "PagerDuty's rate limit.",
        ),
        (
            SyncReport(census=_census(100, exact=False), bound=1),
            "Sync finished: nobody changed hands. More than 100 schedules in PagerDuty (too many to count), "
            "1 rotation following it.",
        ),
        (
            SyncReport(bound=2, failed=[_failure()]),
            "Sync finished: nobody changed hands. 2 rotations following them. Some of PagerDuty could not be "
            "read: see the PagerDuty card below.",
        ),
    ],
)
def test_sync_now_says_what_changed(report, words):
    assert sync_words(report) == words


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        (SyncSummary(), "No rotation follows PagerDuty now, so none will revert to Manual."),
        (
            SyncSummary(bound_rotations=1, bound_names=("Ops primary (OPS)",)),
            "Ops primary (OPS) will revert to Manual. It keeps its members and who is on duty. After "
            "reconnecting, bind it to its schedule again in Edit.",
        ),
        (
            SyncSummary(bound_rotations=2, bound_names=("A (A)", "B (B)")),
            "A (A) and B (B) will revert to Manual. They keep their members and who is on duty. After "
            "reconnecting, bind them to their schedules again in Edit.",
        ),
        (
            SyncSummary(bound_rotations=5, bound_names=("A", "B", "C", "D", "E")),
            "A, B, C and 2 more will revert",
        ),
        (
            SyncSummary(bound_rotations=4, bound_names=("<x> " * 30,) * 4),
            "4 PagerDuty-bound rotations will revert",
        ),
    ],
)
def test_disconnect_names_the_bound_rotations_within_a_confirm_dialog(summary, expected):
    words = disconnect_words(summary)
    assert expected in words and len(words) <= 300
    assert "<x>" not in words, "names are escaped"


def test_owners_changes_are_confirmed():
    assert owners_words({"U0BOB"}, set()) == "<@U0BOB> is a Round Robin owner now."
    assert owners_words({"U0BOB", "U0CAROL"}, {"U0DAVE"}) == (
        "<@U0BOB>, <@U0CAROL> are Round Robin owners now. <@U0DAVE> is no longer a Round Robin owner."
    )
    assert owners_words(set(), set()) is None


def test_every_n_weeks_offers_the_next_n_hand_over_days():
    # Wednesday 2026-03-04 12:00 UTC; Fridays at 09:00 in London, every 3 weeks.
    now = datetime(2026, 3, 4, 12, tzinfo=UTC).timestamp()
    days = first_hand_overs(Schedule(kind="weekly", weekday=4, every_weeks=3, tz="Europe/London"), now)
    assert [d.date().isoformat() for d in days] == ["2026-03-06", "2026-03-13", "2026-03-20"]
    assert all(d.hour == 9 for d in days)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (60, "every minute"),
        (300, "every 5 minutes"),
        (30, "every 30 seconds"),
        (3600, "every hour"),
        (90, "every 90 seconds"),
    ],
)
def test_the_sync_interval_in_words(seconds, words):
    from roundrobin.slack.views.rotation_modals import every

    assert every(seconds) == words
