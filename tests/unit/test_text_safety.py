"""Escaping and mentions against Slack's control sequences (docs.slack.dev/messaging/formatting-message-text).

Slack gives `&`, `<` and `>` meaning in mrkdwn and in a message's `text`: `<!here>`, `<!channel>`,
`<!everyone>`, `<!subteam^S…>`, `<@U…>`, `<#C…>`, `<url|label>` and `<!date^…>`. What a person typed
must never form one of them; ids become mentions only through `mention`.
"""

import pytest

from roundrobin.rotations.announcement import Announcement
from roundrobin.rotations.model import Rotation, Unmatched
from roundrobin.slack.views.blocks import esc, mention
from roundrobin.slack.views.messages import duty_message, reverted_message

CONTROL = [
    "<!here>",
    "<!channel>",
    "<!everyone>",
    "<!subteam^S123>",
    "<@U123>",
    "<#C123>",
    "<https://x.io|y>",
]


@pytest.mark.parametrize("sequence", CONTROL)
def test_escaped_text_never_forms_a_control_sequence(sequence):
    out = esc(f"before {sequence} after & more")
    assert "<" not in out and ">" not in out
    assert (
        out
        == "before "
        + sequence.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        + " after &amp; more"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("U0BOB", "<@U0BOB>"),
        ("W123ABC", "<@W123ABC>"),
        ("C0OPS", "<#C0OPS>"),
        ("S0GROUP", "<!subteam^S0GROUP>"),
        ("UCAROL> <!here", "UCAROL&gt; &lt;!here"),
        ("not-a-user", "not-a-user"),
        ("u0lower", "u0lower"),
        ("", ""),
    ],
)
def test_mention_renders_only_well_formed_ids(value, expected):
    assert mention(value) == expected


def test_a_group_without_a_valid_id_falls_back_to_its_handle_in_words():
    assert mention("bogus", handle="ops<!here>") == "@ops&lt;!here&gt;"


NASTY = "<!channel> PROD DOWN <https://evil.example|click> & <@U999>"


def rotation(**kw) -> Rotation:
    return Rotation(id=1, name=NASTY, code="OPS", created_by="U1", **kw)


def test_duty_messages_escape_the_name_in_text_and_blocks():
    body = Announcement(
        ("U0BOB",),
        next_up=("U0CAROL",),
        reason="rotated",
        actor="U0ADMIN",
        unmatched=(Unmatched(None, "<!here> Priya", "priya@corp.example"),),
    )
    for message in (duty_message(rotation(usergroup_id="S0OPS"), body), reverted_message(rotation())):
        rendered = message["text"] + str(message["blocks"])
        for sequence in ("<!channel>", "<https://evil", "<@U999>", "<!here>"):
            assert sequence not in rendered
    text = duty_message(rotation(), body)["text"]
    assert text.startswith("&lt;!channel&gt; PROD DOWN") and "<@U0BOB>" in text


def test_nobody_on_duty_names_who_pagerduty_has_on_call():
    body = Announcement(unmatched=(Unmatched(None, "Priya Patel", "priya@corp.example"),))
    message = duty_message(rotation(source="pagerduty"), body)
    assert "On call in PagerDuty: Priya Patel (priya@corp.example), not linked to Slack" in str(
        message["blocks"]
    )
    assert "Nobody is on duty" not in str(message)


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("evil\u202etxt.exe", "eviltxt.exe"),  # a right-to-left override
        ("a\u2066b\u2069c", "abc"),  # isolates
        ("zero\u200bwidth", "zerowidth"),
        ("join\u200dme", "joinme"),  # a joiner between letters is not an emoji's
        ("\U0001f469\u200d\U0001f4bb on call", "\U0001f469\u200d\U0001f4bb on call"),  # 👩‍💻 keeps it
        (
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        ),
        ("line\r\nbreak\ttab", "line break tab"),
    ],
)
def test_typed_text_loses_what_changes_how_it_reads(typed, shown):
    from roundrobin.text import clean_text

    assert clean_text(typed) == shown


def test_multiline_text_keeps_its_lines_and_loses_the_rest():
    from roundrobin.text import clean_text

    assert clean_text("one\u202e\ntwo\u200b", multiline=True) == "one\ntwo"


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("<!here> the <!channel> and <!subteam^S1|@ops>", "@here the @channel and @ops"),
        ("ask <@U123|bob> in <#C123|ops> or <#C999>", "ask @bob in #ops or #a channel"),
        ("see <https://x.io|docs> or <https://y.io>", "see docs (https://x.io) or https://y.io"),
        ("1 < 2 > 0 and <b>", "1 ‹ 2 › 0 and ‹b›"),
        ("\u202eRound\u200b Robin", "Round Robin"),
    ],
)
def test_a_topic_is_plain_words_with_no_control_sequence(text, plain):
    from roundrobin.slack.views.personal import plain_words

    assert plain_words(text) == plain
    assert "<" not in plain_words(text) and ">" not in plain_words(text)
