"""Loopback simulators of Slack and PagerDuty, for the tests, the benchmarks and the demo.

- `roundrobin.sim.slack`: a fake Slack (Web API over HTTP, Socket Mode over a websocket,
  response_urls) and the people who use it (`FakeSlack`, `SlackUser`).
- `roundrobin.sim.pagerduty`: a fake PagerDuty (REST v2/v3 and Scoped OAuth) (`FakePagerDuty`).
- `roundrobin.sim.demo`: `python app.py --demo`'s page and its seeded organisation.

The app never imports them (import-linter keeps it so); the demo does, so nothing here needs the
test extra. PagerDuty's OpenAPI contract checker, which does, lives with the tests (tests/contract).
"""
