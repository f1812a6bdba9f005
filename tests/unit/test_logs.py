import ast
import logging

import pytest

from roundrobin import logs


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("token xoxb-1234-5678-abcdef failed", "xoxb-1234-5678-abcdef"),
        ("app token xapp-1-A111-222-xyz", "xapp-1-A111-222-xyz"),
        ("Authorization: Token token=y_NbAkKc66ryYTWUXYEu", "y_NbAkKc66ryYTWUXYEu"),
        ("Authorization: Bearer pdus+_0XBPWQQ_b2b2060b", "pdus+_0XBPWQQ_b2b2060b"),
        ('{"refresh_token": "r-1234567890"}', "r-1234567890"),
        ("GET /callback?code=abc123xyz&state=s3cr3tst4te", "abc123xyz"),
        ("GET /callback?code=abc123xyz&state=s3cr3tst4te", "s3cr3tst4te"),
        ("client_secret=shhh-very-secret&x=1", "shhh-very-secret"),
    ],
)
def test_recognisable_secrets_are_masked(text, secret):
    assert secret not in logs.redact(text)
    assert "[redacted]" in logs.redact(text)


def test_registered_secrets_are_masked_anywhere():
    logs.add_secret("plainlookingkey42")
    assert logs.redact("failed with plainlookingkey42 today") == "failed with [redacted] today"


def test_formatter_prints_key_values_on_one_line():
    record = logging.LogRecord("roundrobin.sync", logging.INFO, __file__, 1, "sync done", (), None)
    record.requests = 12
    record.note = "two words"
    line = logs.KeyValueFormatter().format(record)
    assert "level=INFO" in line and "logger=roundrobin.sync" in line
    assert 'msg="sync done"' in line and "requests=12" in line and 'note="two words"' in line
    assert "\n" not in line


@pytest.mark.parametrize(
    "value",
    [
        "bob\r2026-01-01T00:00:00.000Z level=ERROR msg=forged",
        "x\x1b[2K\x1b[1Ahidden",
        "line\u2028separator",
        'back\\slash "quote" \t tab\x00nul\u202eRTL',
    ],
)
def test_a_logged_value_stays_on_one_line_and_shows_every_control_character(value):
    record = logging.LogRecord("roundrobin", logging.WARNING, __file__, 1, "seen", (), None)
    record.user = value
    line = logs.KeyValueFormatter().format(record)
    assert not any(c in line for c in "\r\n\x1b\x00\u2028\u202e"), line
    field = line.split(" user=", 1)[1]
    assert field.startswith('"') and field.endswith('"'), "the whole value is one quoted field"
    assert ast.literal_eval(field) == value, "and reads back as what was logged"
