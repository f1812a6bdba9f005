"""Reads that fail for a reason that will not change by itself, and what is done about them: pure rules.

A refused scope (403), a request PagerDuty will not take (400) or a list longer than it pages
through stays that way until someone changes something. Repeating such a read every interval only
spends the rate limit, so it waits: RETRY_FIRST after the first failure, twice as long after each
next one, at most RETRY_LONGEST, or until an admin presses Sync now. Outages, timeouts and 429s are
temporary: the client retries them, and the next cycle tries again as usual.
"""

from __future__ import annotations

from roundrobin.pagerduty.client import (
    PagerDutyError,
    PagerDutyListTooLong,
    PagerDutyNotFound,
    PagerDutyRequestError,
    PagerDutyScopeError,
)

RETRY_FIRST = 15 * 60.0
RETRY_LONGEST = 6 * 3600.0

CREDENTIAL = (
    "Give Round Robin's PagerDuty credential read access to it: an account-level read-only API key reads "
    "everything; a user-level key or an OAuth login reads only what that PagerDuty user may see (with "
    "Advanced Permissions, the schedules of their teams). Then press Sync now."
)


def lasting(error: PagerDutyError) -> bool:
    """The read will fail the same way until someone changes something."""
    return isinstance(
        error, PagerDutyScopeError | PagerDutyRequestError | PagerDutyListTooLong | PagerDutyNotFound
    )


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failure in a row."""
    return min(RETRY_LONGEST, RETRY_FIRST * 2.0 ** max(0, attempts - 1))


def advice(error: PagerDutyError, what: str) -> str:
    """What an admin can do about a lasting failure of `what` (poll, people, census, a schedule)."""
    if isinstance(error, PagerDutyScopeError):
        return CREDENTIAL
    if isinstance(error, PagerDutyNotFound):
        return (
            "PagerDuty no longer has this schedule (deleted, or out of this credential's reach). Choose "
            "another schedule in the rotation's Edit, or make it Manual; it keeps its people meanwhile."
        )
    if isinstance(error, PagerDutyListTooLong):
        return (
            "PagerDuty will not page past 10,000 items, and this read cannot be split further. "
            "Unbind the rotation from that schedule (Edit › Who is on duty comes from › Manual), or "
            "report it with Round Robin's log."
        )
    if what.startswith("schedule:"):
        return (
            "If the schedule was changed in PagerDuty (restricted, converted), choose it again in the "
            "rotation's Edit; otherwise report it with Round Robin's log. Then press Sync now."
        )
    return "Report it with Round Robin's log, then press Sync now once it is fixed."
