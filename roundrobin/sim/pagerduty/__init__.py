"""A loopback fake of PagerDuty that speaks the real wire protocols (the server itself: fake.py).

The parts: model (the account's data), auth (API keys and the OAuth rules), gate (faults, rate
limits, the request log), rest and oauth (the routes), render (the JSON shapes), and scenarios
(seeded, realistic accounts for benchmarks and tests). The OpenAPI contract checker that
`FakePagerDuty(contract=...)` takes lives with the tests (tests/contract): it needs the test extra.
"""

from roundrobin.sim.pagerduty.fake import (
    ApiKey,
    EscalationPolicy,
    FakePagerDuty,
    ManualClock,
    OAuthApp,
    OAuthToken,
    RequestRecord,
    Schedule,
    Shift,
    User,
    answer_consent,
    consent_links,
)

__all__ = [
    "ApiKey",
    "EscalationPolicy",
    "FakePagerDuty",
    "ManualClock",
    "OAuthApp",
    "OAuthToken",
    "RequestRecord",
    "Schedule",
    "Shift",
    "User",
    "answer_consent",
    "consent_links",
]
