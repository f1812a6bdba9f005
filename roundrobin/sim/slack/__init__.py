"""A loopback fake of Slack that speaks the real wire protocols (the server itself: fake.py).

The parts: workspace and viewstore (the state: people, channels, groups, every view), the Web API
(api.py dispatches to api_chat, api_conversations, api_directory, api_usergroups, api_views;
api_base holds Slack's error answer and argument parsing), http_server (the HTTP side) and
socket_mode (envelopes and acks), blockkit and blockkit_rules (views and blocks checked as Slack
checks them), faults, ratelimit and controls (Slack failing the way it fails). A person using
Slack's client: user (SlackUser), with views (reading and filling a view), payloads (what Slack
sends the app), messaging and people (what people do besides the app's views).
"""

from roundrobin.sim.slack.fake import (
    DEFAULT_SCOPES,
    METHOD_TIERS,
    WRITE_METHODS,
    AckRecord,
    AckTimeout,
    ConfirmRequired,
    FakeSlack,
    Outage,
    SlackUser,
)

__all__ = [
    "DEFAULT_SCOPES",
    "METHOD_TIERS",
    "WRITE_METHODS",
    "AckRecord",
    "AckTimeout",
    "ConfirmRequired",
    "FakeSlack",
    "Outage",
    "SlackUser",
]
