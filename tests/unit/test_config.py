from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from roundrobin.config import ConfigError, load_settings, read_dotenv

BASE = {"SLACK_BOT_TOKEN": "xoxb-123-456-abc", "SLACK_APP_TOKEN": "xapp-1-A1-2-abc"}


def test_defaults_follow_the_contract():
    s = load_settings(BASE)
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.pagerduty_api_base("us") == "https://api.pagerduty.com"
    assert s.pagerduty_api_base("eu") == "https://api.eu.pagerduty.com"
    assert s.pagerduty_identity_url == "https://identity.pagerduty.com"
    assert s.public_url == "http://localhost:3000"
    assert (s.http_host, s.http_port) == ("0.0.0.0", 3000)
    assert s.database_path == Path("data/roundrobin.db")
    assert s.secret_key is None and s.owners == () and s.sync_interval_seconds == 60
    assert s.redirect_url == "http://localhost:3000/api/integrations/pagerduty/login/callback"


def test_overrides_apply_to_both_regions_and_urls_are_normalised():
    s = load_settings(
        {**BASE, "PAGERDUTY_API_URL": "http://127.0.0.1:9/", "SLACK_API_URL": "http://127.0.0.1:8/api"}
    )
    assert s.pagerduty_api_base("eu") == s.pagerduty_api_base("us") == "http://127.0.0.1:9"
    assert s.slack_api_url == "http://127.0.0.1:8/api/"


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("SLACK_BOT_TOKEN", "", "SLACK_BOT_TOKEN is not set"),
        ("SLACK_BOT_TOKEN", "xapp-1-A1-2-abc", "SLACK_BOT_TOKEN is malformed"),
        ("SLACK_APP_TOKEN", "xoxb-123-456-abc", "SLACK_APP_TOKEN is malformed"),
        ("HTTP_PORT", "eighty", "HTTP_PORT is malformed"),
        ("HTTP_PORT", "70000", "HTTP_PORT is malformed"),
        ("SYNC_INTERVAL_SECONDS", "0", "SYNC_INTERVAL_SECONDS is malformed"),
        ("PUBLIC_URL", "localhost:3000", "PUBLIC_URL is malformed"),
        ("ROUNDROBIN_SECRET_KEY", "not-a-key", "ROUNDROBIN_SECRET_KEY is malformed"),
        ("ROUNDROBIN_OWNERS", "U123ABC,alice", "ROUNDROBIN_OWNERS is malformed"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL is malformed"),
        ("METRICS_ENABLED", "maybe", "METRICS_ENABLED is malformed: expected true or false"),
        ("HISTORY_DAYS", "0", "HISTORY_DAYS is malformed"),
        ("HISTORY_DAYS", "a year", "HISTORY_DAYS is malformed"),
    ],
)
def test_bad_values_are_named_in_one_line(name, value, words):
    with pytest.raises(ConfigError) as e:
        load_settings({**BASE, name: value})
    assert str(e.value).startswith(words)
    assert "\n" not in str(e.value)


def test_owners_and_secret_key_parse():
    key = Fernet.generate_key().decode()
    s = load_settings({**BASE, "ROUNDROBIN_OWNERS": " U01ABC , W02DEF,", "ROUNDROBIN_SECRET_KEY": key})
    assert s.owners == ("U01ABC", "W02DEF")
    assert s.secret_key == key
    assert key not in repr(s) and "xoxb" not in repr(s)


def test_dotenv_is_read_and_the_environment_wins(tmp_path, monkeypatch):
    env = tmp_path / ".env"
    env.write_text(
        "# comment\nexport SLACK_BOT_TOKEN='xoxb-from-file-1'\nSLACK_APP_TOKEN=xapp-from-file-1\nHTTP_PORT=4000\n"
    )
    assert read_dotenv(env)["SLACK_BOT_TOKEN"] == "xoxb-from-file-1"
    monkeypatch.setenv("HTTP_PORT", "5000")
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    s = load_settings(dotenv=env)
    assert s.slack_bot_token == "xoxb-from-file-1" and s.http_port == 5000


README_DOTENV = """\
SLACK_BOT_TOKEN=xoxb-...
SLACK_APP_TOKEN=xapp-...
PUBLIC_URL=https://roundrobin.example.com   # how browsers reach this server (for PagerDuty OAuth)
"""


def test_the_readme_example_reads_as_written(tmp_path):
    env = tmp_path / ".env"
    env.write_text(README_DOTENV)
    assert read_dotenv(env) == {
        "SLACK_BOT_TOKEN": "xoxb-...",
        "SLACK_APP_TOKEN": "xapp-...",
        "PUBLIC_URL": "https://roundrobin.example.com",
    }


def test_the_readme_example_gives_the_redirect_url_it_promises(tmp_path, monkeypatch):
    env = tmp_path / ".env"
    env.write_text(README_DOTENV.replace("xoxb-...", "xoxb-1-2-abcd").replace("xapp-...", "xapp-1-A1-2-abc"))
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    s = load_settings(dotenv=env)
    assert s.redirect_url == "https://roundrobin.example.com/api/integrations/pagerduty/login/callback"


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("A=plain", "plain"),
        ("A = spaced around the equals  ", "spaced around the equals"),
        ("export A=exported", "exported"),
        ("A='single quoted # not a comment'", "single quoted # not a comment"),
        ('A="double quoted"   # a comment after it', "double quoted"),
        ('A="with \\"escaped\\" quotes"', 'with "escaped" quotes'),
        ("A=hash#inside", "hash#inside"),
        ("A=value # comment", "value"),
        ("A=", ""),
        ("A=${HOME}/literal", "${HOME}/literal"),
    ],
)
def test_dotenv_values(tmp_path, line, value):
    env = tmp_path / ".env"
    env.write_text(f"# a comment line\n\n{line}\n")
    assert read_dotenv(env) == {"A": value}


def test_a_name_without_a_value_is_ignored(tmp_path):
    env = tmp_path / ".env"
    env.write_text("LONELY\nB=2\n")
    assert read_dotenv(env) == {"B": "2"}


def test_a_missing_file_is_no_settings(tmp_path):
    assert read_dotenv(tmp_path / ".env") == {}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('A=1\nPUBLIC_URL="https://x.example\nB=2\n', "PUBLIC_URL (line 2) cannot be read"),
        ("# settings\n\n\nA=1\n\n  this is not a setting\n", "line 6 cannot be read"),
        ("A='it''s'\n", "A (line 1) cannot be read"),
    ],
)
def test_an_unreadable_line_is_named_in_one_line_without_its_value(tmp_path, text, words):
    env = tmp_path / ".env"
    env.write_text(text)
    with pytest.raises(ConfigError) as e:
        read_dotenv(env)
    message = str(e.value)
    assert message.startswith(f"{env}: {words}: expected NAME=value")
    assert "\n" not in message and "x.example" not in message and "not a setting" not in message


def test_a_dotenv_that_is_not_text_is_named(tmp_path):
    env = tmp_path / ".env"
    env.write_bytes(b"A=\xff\xfe\n")
    with pytest.raises(ConfigError, match="cannot be read: it is not UTF-8 text"):
        read_dotenv(env)


def test_metrics_are_off_and_history_is_kept_a_year_unless_set():
    s = load_settings(BASE)
    assert s.metrics_enabled is False and s.history_days == 365
    s = load_settings({**BASE, "METRICS_ENABLED": "True", "HISTORY_DAYS": "90"})
    assert s.metrics_enabled is True and s.history_days == 90
    assert load_settings({**BASE, "METRICS_ENABLED": "false"}).metrics_enabled is False


def test_private_webhook_urls_are_refused_unless_the_operator_says_true():
    assert load_settings(BASE).webhook_allow_private_urls is False
    assert load_settings({**BASE, "WEBHOOK_ALLOW_PRIVATE_URLS": "true"}).webhook_allow_private_urls is True
    assert load_settings({**BASE, "WEBHOOK_ALLOW_PRIVATE_URLS": "False"}).webhook_allow_private_urls is False
    with pytest.raises(ConfigError, match="WEBHOOK_ALLOW_PRIVATE_URLS is malformed: expected true or false"):
        load_settings({**BASE, "WEBHOOK_ALLOW_PRIVATE_URLS": "sure"})
