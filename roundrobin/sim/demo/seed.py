"""A small, believable organisation for the demo: Slack people and channels, PagerDuty schedules."""

from __future__ import annotations

import time
from dataclasses import dataclass

from roundrobin.sim.pagerduty import FakePagerDuty
from roundrobin.sim.slack import FakeSlack

DOMAIN = "northwind.example"
# (Slack id, handle, name, admin?, PagerDuty id or None)
PEOPLE = [
    ("U01ADA", "ada", "Ada Lovelace", True, "PADA"),
    ("U02GRACE", "grace", "Grace Hopper", False, "PGRACE"),
    ("U03ALAN", "alan", "Alan Turing", False, "PALAN"),
    ("U04KATH", "katherine", "Katherine Johnson", False, "PKATH"),
    ("U05LINUS", "linus", "Linus Pauling", False, "PLINUS"),
    ("U06MARGA", "margaret", "Margaret Hamilton", False, "PMARGA"),
    ("U07DENNIS", "dennis", "Dennis Ritchie", False, "PDENNIS"),
    ("U08BARB", "barbara", "Barbara Liskov", False, None),
    ("U09KEN", "ken", "Ken Thompson", False, None),
    ("U10FRAN", "frances", "Frances Allen", False, None),
    ("U11EDSGER", "edsger", "Edsger Dijkstra", False, None),
    ("U12RADIA", "radia", "Radia Perlman", True, None),
]
ADMIN = "U01ADA"
MEMBER = "U03ALAN"
NOT_IN_SLACK = ("PPRIYA", "Priya Patel", f"priya@{DOMAIN}")
API_KEY = "u+DemoReadOnlyKey7Q2w"
CLIENT_ID = "6a1f0c3e-demo-4b7e-9c55-roundrobin"
CLIENT_SECRET = "demo-client-secret-Hk29"


@dataclass(frozen=True)
class DemoCredentials:
    api_key: str = API_KEY
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET


def seed_slack(slack: FakeSlack) -> None:
    for user_id, handle, name, admin, _ in PEOPLE:
        slack.add_user(user_id, handle, name, f"{handle}@{DOMAIN}", is_admin=admin, tz="Europe/London")
    everyone = [p[0] for p in PEOPLE]
    slack.add_channel("C01GENERAL", "general", members=everyone, bot_is_member=True)
    slack.add_channel("C02OPS", "ops", members=everyone[:7], bot_is_member=True)
    slack.add_channel("C03SUPPORT", "support", members=everyone[4:], bot_is_member=False)
    slack.add_usergroup("S01SUPPORT", "support-team", "Support team", users=["U08BARB", "U09KEN"])


def seed_pagerduty(pd: FakePagerDuty, redirect_uri: str) -> DemoCredentials:
    for _, handle, name, _, pd_id in PEOPLE:
        if pd_id:
            pd.add_user(pd_id, name, f"{handle}@{DOMAIN}")
    pd.add_user(*NOT_IN_SLACK)
    week = 7 * 86400
    now = time.time()
    pd.add_schedule(
        "PSOPS1",
        "Ops Primary",
        user_ids=["PGRACE", "PALAN", "PKATH", "PPRIYA"],
        escalation_policy_ids=["PEOPS"],
    )
    pd.set_shifts("PSOPS1", [("PGRACE", now - 3600, now + week), ("PPRIYA", now + week, now + 2 * week)])
    pd.add_schedule("PSOPS2", "Ops Secondary", user_ids=["PLINUS", "PMARGA"], escalation_policy_ids=["PEOPS"])
    pd.set_shifts("PSOPS2", [("PLINUS", now - 3600, now + week), ("PMARGA", now + week, now + 2 * week)])
    pd.add_schedule("PSSUN", "Follow the Sun", version=3, escalation_policy_ids=["PESUN"])
    pd.set_shifts(
        "PSSUN",
        [(["PDENNIS", "PADA"], now - 3600, now + 8 * 3600), (["PMARGA"], now + 8 * 3600, now + 16 * 3600)],
    )
    pd.add_api_key(API_KEY, read_only=True)
    pd.add_oauth_app(
        CLIENT_ID, CLIENT_SECRET, redirect_uris=[redirect_uri], authorizing_user_id="PADA", name="Round Robin"
    )
    return DemoCredentials()
