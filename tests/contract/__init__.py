"""PagerDuty's OpenAPI contract, for the tests: the checker `FakePagerDuty(contract=...)` takes.

It needs the test extra (openapi-core), so it lives here and the runtime never imports it (the demo
runs from a plain install). checker.py checks each REST exchange, gaps.py forgives where the
document and the live API differ, openapi_subset.py cuts the part of PagerDuty's document the fake
serves into pagerduty-openapi-subset.json beside it.
"""
