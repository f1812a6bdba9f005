"""The demo page's server (placeholder until the simulated Slack client page lands)."""

from __future__ import annotations

from aiohttp import web

from roundrobin.sim.pagerduty import FakePagerDuty
from roundrobin.sim.seed import DemoCredentials
from roundrobin.sim.slack import FakeSlack


def build_demo_app(slack: FakeSlack, pd: FakePagerDuty, credentials: DemoCredentials) -> web.Application:
    app = web.Application()

    async def index(request: web.Request) -> web.Response:
        return web.Response(
            text="<!doctype html><title>Round Robin demo</title><p>Coming soon.</p>", content_type="text/html"
        )

    app.router.add_get("/", index)
    return app
