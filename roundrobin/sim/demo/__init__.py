"""`python app.py --demo`'s simulated Slack client in the browser (web.py, static/) and the small
organisation it starts with (seed.py). roundrobin/demo.py wires them to the real app."""

from roundrobin.sim.demo.seed import DemoCredentials, seed_pagerduty, seed_slack
from roundrobin.sim.demo.web import RotationHint, build_demo_app

__all__ = ["DemoCredentials", "RotationHint", "build_demo_app", "seed_pagerduty", "seed_slack"]
