"""One line per event: time, level, logger, message and key=value fields; secrets redacted.

Fields come from `extra=`: `log.info("sync done", extra={"requests": 12})` prints `requests=12`.
Every record passes through the redactor, including those of slack_sdk, aiohttp and APScheduler,
so a token that slips into an exception message is still masked.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import unicodedata

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}

# Shapes of secrets we can recognise without knowing them in advance.
_PATTERNS = [
    re.compile(r"xox[abprs]-[A-Za-z0-9-]+"),
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"pd[a-z]{2}\+_[A-Za-z0-9_-]+"),
    re.compile(r"(?i)(token token=|bearer )[^\s'\",}]+"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|client_secret|code_verifier|id_token|api_key)[\"']?\s*[:=]\s*[\"']?)[^\s&'\",}]+"
    ),
    re.compile(r"([?&](?:code|state)=)[^&\s\"']+"),
]
_known: set[str] = set()


def add_secret(value: str | None) -> None:
    """Register a secret so that it is masked wherever it would be logged."""
    if value and len(value) >= 6:
        _known.add(value)


def redact(text: str) -> str:
    for secret in sorted(_known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "[redacted]")
    for pattern in _PATTERNS:
        text = pattern.sub(_mask, text)
    return text


def _mask(match: re.Match) -> str:
    return (match.group(1) if match.re.groups else "") + "[redacted]"


def _quote(value: object) -> str:
    """A value for one key=value field: quoted when it needs to be, every control character escaped
    (a \r or an ANSI escape in a logged value must not forge or hide a line)."""
    text = str(value)
    if text == "" or any(c in text for c in ' "=') or any(_control(c) for c in text):
        return '"' + "".join(_escaped(c) for c in text) + '"'
    return text


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _control(c: str) -> bool:
    return unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")


def _escaped(c: str) -> str:
    if c in _ESCAPES:
        return _ESCAPES[c]
    if _control(c):
        return f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}"
    return c


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        parts = [
            f"{stamp}.{int(record.msecs):03d}Z",
            f"level={record.levelname}",
            f"logger={record.name}",
            f"msg={_quote(record.getMessage())}",
        ]
        parts += [f"{k}={_quote(v)}" for k, v in record.__dict__.items() if k not in _STANDARD]
        if record.exc_info:
            parts.append("exc=" + _quote(self.formatException(record.exc_info)))
        return redact(" ".join(parts))


def install(level: int, secrets: list[str]) -> None:
    for secret in secrets:
        add_secret(secret)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Library chatter at DEBUG includes request bodies; keep it at INFO or above.
    for noisy in ("slack_sdk", "slack_bolt", "aiohttp.access", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(max(level, logging.INFO))
    # APScheduler narrates every job run at INFO; tzlocal explains itself at DEBUG.
    for chatty in ("apscheduler", "tzlocal"):
        logging.getLogger(chatty).setLevel(max(level, logging.WARNING))
