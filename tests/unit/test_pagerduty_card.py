"""The PagerDuty card's words about the size of the account and about reads PagerDuty keeps refusing."""

import pytest

from roundrobin.slack.views.settings import (
    SettingsState,
    SyncSummary,
    failing_reads,
    pagerduty_card,
    schedules_in_pagerduty,
)
from roundrobin.store.integrations import Connection
from roundrobin.store.pagerduty import Census
from roundrobin.store.pd_failures import ReadFailure

NOW = 1_800_000_000.0
REFUSED = "PagerDuty refused access to /schedules/PS1 (HTTP 403): Access Denied"


def failure(what: str, error: str = REFUSED, attempts: int = 1) -> ReadFailure:
    return ReadFailure(what, error, "Give it read access.", NOW - 600, NOW - 600, NOW + 300, attempts)


@pytest.mark.parametrize(
    ("census", "words"),
    [
        (Census(1, True, NOW), "1 schedule in PagerDuty"),
        (Census(10_002, True, NOW), "10,002 schedules in PagerDuty"),
        (Census(100, False, NOW), "more than 100 schedules in PagerDuty (too many to count)"),
    ],
)
def test_the_account_is_counted_or_said_to_be_too_large_to_count(census, words):
    assert schedules_in_pagerduty(census) == words


def test_one_refused_schedule_names_it_and_the_rotation_that_follows_it():
    summary = SyncSummary(
        failing=(failure("schedule:PS1"),), failing_names={"schedule:PS1": ("Ops <primary>", "Ops (OPS)")}
    )
    [line] = failing_reads(summary, NOW)
    assert line.startswith(
        ":warning: *Round Robin cannot read the week ahead of Ops &lt;primary&gt;, which Ops (OPS)"
    )
    assert "HTTP 403" in line and "Failing since 10 minutes ago (tried once)" in line
    assert f"<!date^{int(NOW + 300)}^" in line and "*What to do:* Give it read access." in line


def test_many_refusals_of_one_kind_are_one_line_and_kinds_are_capped():
    many = tuple(failure(f"schedule:PS{n}", attempts=3) for n in range(40))
    others = (failure("poll", "PagerDuty refused the request to /oncalls (HTTP 400)"), failure("people", "x"))
    summary = SyncSummary(failing=(*many, *others, failure("census", "y")))
    lines = failing_reads(summary, NOW)
    assert len(lines) == 3, "at most three kinds of failure on the card"
    assert (
        "the week ahead of 40 schedules (PS0, PS1, PS2 and 37 more)" in lines[0]
        and "(tried 3 times)" in lines[0]
    )
    assert "who is on call now (the poll)" in lines[1]


def test_the_card_shows_the_count_and_the_refusals_under_the_connection():
    connection = Connection("api_key", "connected", "us", "U1", NOW - 86400, api_key_last4="abcd")
    summary = SyncSummary(
        census=Census(10_002, True, NOW), bound_rotations=2, failing=(failure("schedule:PS1"),)
    )
    text = str(pagerduty_card(SettingsState(can_manage=True, now=NOW, connection=connection, sync=summary)))
    assert "10,002 schedules in PagerDuty · 2 bound rotations" in text
    assert "cannot read the week ahead of PS1" in text
