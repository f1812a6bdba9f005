"""Settings from the environment (and an optional .env file), with one clear line per bad value."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from dotenv.parser import parse_stream

PD_API_URLS = {"us": "https://api.pagerduty.com", "eu": "https://api.eu.pagerduty.com"}
CALLBACK_PATH = "/api/integrations/pagerduty/login/callback"
LOGIN_START_PATH = "/api/integrations/pagerduty/login/start"
LOGIN_COOKIE_PATH = "/api/integrations/pagerduty/login"
LOGIN_COOKIE = "rr_pagerduty_login"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable and what is expected."""


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str = field(repr=False)
    slack_app_token: str = field(repr=False)
    slack_api_url: str = "https://slack.com/api/"
    pagerduty_api_url: str | None = None
    pagerduty_identity_url: str = "https://identity.pagerduty.com"
    public_url: str = "http://localhost:3000"
    http_host: str = "0.0.0.0"
    http_port: int = 3000
    database_path: Path = Path("data/roundrobin.db")
    secret_key: str | None = field(default=None, repr=False)
    owners: tuple[str, ...] = ()
    sync_interval_seconds: int = 60
    slack_check_interval_seconds: int = 300  # reading user groups back to repair changes made by hand
    slack_timeout_seconds: int = 10  # one Slack write may take this long before it is retried
    members_check_interval_seconds: int = 900  # reading the user groups members follow (0: never)
    log_level: str = "INFO"
    metrics_enabled: bool = False  # GET /metrics, Prometheus' text format (roundrobin/metrics.py)
    history_days: int = 365  # history, closed requests and refused Slack work older than this are pruned
    webhook_allow_private_urls: bool = False  # outgoing webhooks may post to loopback/private addresses

    @property
    def data_dir(self) -> Path:
        return self.database_path.parent

    @property
    def redirect_url(self) -> str:
        return self.public_url + CALLBACK_PATH

    def pagerduty_api_base(self, region: str) -> str:
        """REST base for a service region; PAGERDUTY_API_URL overrides both regions."""
        return self.pagerduty_api_url or PD_API_URLS[region]

    def secrets(self) -> list[str]:
        """Values that must never reach a log line."""
        return [s for s in (self.slack_bot_token, self.slack_app_token, self.secret_key) if s]


def load_settings(env: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Settings:
    """Build Settings from `env` (default: os.environ over an optional .env file)."""
    if env is None:
        merged = read_dotenv(dotenv) if dotenv else {}
        merged.update(os.environ)
        env = merged
    get = _Reader(env)
    return Settings(
        slack_bot_token=get.token("SLACK_BOT_TOKEN", "xoxb-", "a bot token starting with xoxb-"),
        slack_app_token=get.token(
            "SLACK_APP_TOKEN", "xapp-", "an app-level token starting with xapp- (connections:write)"
        ),
        slack_api_url=get.url("SLACK_API_URL", "https://slack.com/api/", trailing_slash=True),
        pagerduty_api_url=get.optional_url("PAGERDUTY_API_URL"),
        pagerduty_identity_url=get.url("PAGERDUTY_IDENTITY_URL", "https://identity.pagerduty.com"),
        public_url=get.url("PUBLIC_URL", "http://localhost:3000"),
        http_host=env.get("HTTP_HOST", "").strip() or "0.0.0.0",
        http_port=get.integer("HTTP_PORT", 3000, minimum=0, maximum=65535),
        database_path=Path(env.get("DATABASE_PATH", "").strip() or "data/roundrobin.db"),
        secret_key=get.secret_key("ROUNDROBIN_SECRET_KEY"),
        owners=get.user_ids("ROUNDROBIN_OWNERS"),
        sync_interval_seconds=get.integer("SYNC_INTERVAL_SECONDS", 60, minimum=1, maximum=86400),
        slack_check_interval_seconds=get.integer(
            "SLACK_CHECK_INTERVAL_SECONDS", 300, minimum=0, maximum=86400
        ),
        slack_timeout_seconds=get.integer("SLACK_TIMEOUT_SECONDS", 10, minimum=1, maximum=300),
        members_check_interval_seconds=get.integer(
            "MEMBERS_CHECK_INTERVAL_SECONDS", 900, minimum=0, maximum=86400
        ),
        log_level=get.choice("LOG_LEVEL", "INFO", LOG_LEVELS),
        metrics_enabled=get.boolean("METRICS_ENABLED", False),
        history_days=get.integer("HISTORY_DAYS", 365, minimum=1, maximum=36500),
        webhook_allow_private_urls=get.boolean("WEBHOOK_ALLOW_PRIVATE_URLS", False),
    )


def read_dotenv(path: Path) -> dict[str, str]:
    """NAME=value lines of a .env file, parsed by python-dotenv; values are taken literally.

    Comments, quotes and `export` follow python-dotenv's rules; `${VAR}` is not expanded (as in
    systemd's EnvironmentFile and `docker run --env-file`). A line it cannot parse stops start-up
    with its line number, never its text, which may hold a secret.
    """
    try:
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) else "it is not UTF-8 text"
        raise ConfigError(f"{path} cannot be read: {reason}") from None
    values = {}
    offset = 0  # python-dotenv's own line numbers skip blank lines, so count them here
    for binding in parse_stream(io.StringIO(text)):
        chunk = binding.original.string
        if binding.error:
            start = offset + len(chunk) - len(chunk.lstrip())
            raise ConfigError(_unparsable(path, chunk.lstrip(), text.count("\n", 0, start) + 1))
        if binding.key is not None and binding.value is not None:
            values[binding.key] = binding.value
        offset += len(chunk)
    return values


def _unparsable(path: Path, line: str, number: int) -> str:
    name = re.match(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=", line)
    what = f"{name.group(1)} (line {number})" if name else f"line {number}"
    return (
        f"{path}: {what} cannot be read: expected NAME=value, with a quoted value closed by the same "
        "quote; put # comments after a space"
    )


class _Reader:
    def __init__(self, env: Mapping[str, str]):
        self.env = env

    def raw(self, name: str) -> str:
        return self.env.get(name, "").strip()

    def token(self, name: str, prefix: str, expected: str) -> str:
        value = self.raw(name)
        if not value:
            raise ConfigError(f"{name} is not set: expected {expected}")
        if not value.startswith(prefix) or len(value) < len(prefix) + 4:
            raise ConfigError(f"{name} is malformed: expected {expected}")
        return value

    def url(self, name: str, default: str, trailing_slash: bool = False) -> str:
        value = self.raw(name) or default
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError(f"{name} is malformed: expected an http(s) URL, got {value!r}")
        value = value.rstrip("/")
        return value + "/" if trailing_slash else value

    def optional_url(self, name: str) -> str | None:
        return self.url(name, "") if self.raw(name) else None

    def integer(self, name: str, default: int, minimum: int, maximum: int) -> int:
        value = self.raw(name)
        if not value:
            return default
        if not re.fullmatch(r"\d+", value) or not minimum <= int(value) <= maximum:
            raise ConfigError(f"{name} is malformed: expected a whole number from {minimum} to {maximum}")
        return int(value)

    def boolean(self, name: str, default: bool) -> bool:
        value = self.raw(name).lower()
        if not value:
            return default
        if value not in ("true", "false", "1", "0", "yes", "no"):
            raise ConfigError(f"{name} is malformed: expected true or false")
        return value in ("true", "1", "yes")

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.raw(name).upper() or default
        if value not in choices:
            raise ConfigError(f"{name} is malformed: expected one of {', '.join(choices)}")
        return value

    def secret_key(self, name: str) -> str | None:
        from roundrobin.vault import is_valid_key

        value = self.raw(name)
        if value and not is_valid_key(value):
            raise ConfigError(
                f"{name} is malformed: expected a Fernet key (32 url-safe base64-encoded bytes); "
                'make one with: python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"'
            )
        return value or None

    def user_ids(self, name: str) -> tuple[str, ...]:
        ids = tuple(part.strip() for part in self.raw(name).split(",") if part.strip())
        for user_id in ids:
            if not re.fullmatch(r"[UW][A-Z0-9]{2,}", user_id):
                raise ConfigError(
                    f"{name} is malformed: expected comma-separated Slack user IDs like U012AB3CD, got {user_id!r}"
                )
        return ids
