from pathlib import Path

import yaml

from roundrobin.sim.slack.workspace import DEFAULT_SCOPES
from roundrobin.slack.gateway.scopes import BOT_SCOPES

MANIFEST = yaml.safe_load((Path(__file__).parents[2] / "manifest.yml").read_text())


def test_the_manifest_asks_for_exactly_the_scopes_the_app_uses():
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)


def test_the_manifest_turns_on_what_the_app_needs():
    assert MANIFEST["settings"]["socket_mode_enabled"] is True
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["settings"]["event_subscriptions"]["bot_events"] == [
        "app_home_opened",
        "app_mention",
        "user_change",
        "subteam_members_changed",
    ]
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    assert [c["command"] for c in MANIFEST["features"]["slash_commands"]] == ["/rr"]


def test_the_fake_slack_installs_with_the_manifest_scopes():
    assert set(BOT_SCOPES) <= set(DEFAULT_SCOPES)


def test_every_event_the_app_subscribes_to_has_its_scope():
    # Slack's event reference: user_change needs users:read (which the directory already uses),
    # subteam_members_changed usergroups:read (docs.slack.dev/reference/events/subteam_members_changed).
    needs = {
        "app_home_opened": None,
        "app_mention": "app_mentions:read",
        "user_change": "users:read",
        "subteam_members_changed": "usergroups:read",
    }
    events = MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    assert set(events) <= set(needs)
    assert {needs[e] for e in events if needs[e]} <= set(MANIFEST["oauth_config"]["scopes"]["bot"])
