"""What a request looks like in Slack: the mention parsed, what people typed kept harmless, the DM's buttons."""

import pytest

from roundrobin.rotations.model import Rotation
from roundrobin.rotations.requests import OFFER, THREAD, RequestRefused
from roundrobin.sim.slack.blockkit import message_problems
from roundrobin.slack.ids import Requests
from roundrobin.slack.surfaces.mentions import parse_mention
from roundrobin.slack.views.requests import (
    answered_dm,
    formats,
    no_code_reply,
    permalink,
    refusal,
    took_it,
    typed,
    unknown_code_reply,
)
from roundrobin.slack.views.sending import Sending
from roundrobin.store.requests import Request

BOT = "U0BOT"


@pytest.mark.parametrize(
    ("text", "code", "rest"),
    [
        ("<@U0BOT> PLAT the deploy is stuck", "PLAT", "the deploy is stuck"),
        ("<@U0BOT> plat: is it down?", "PLAT", "is it down?"),
        ("<@U0BOT|roundrobin>  web-ops  help", "WEB-OPS", "help"),
        ("hey <@U0BOT> OPS help", "OPS", "hey help"),
        ("<@U0BOT>", None, ""),
        ("<@U0BOT> <@U1> can you look", None, "<@U1> can you look"),
        ("<@U0BOT> ¿ayuda?", None, "¿ayuda?"),
        ("<@U0BOT> OPS", "OPS", ""),
    ],
)
def test_a_mention_names_a_code_and_says_something(text, code, rest):
    mention = parse_mention(text, BOT)
    assert (mention.code, mention.text) == (code, rest)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("the deploy is stuck", "the deploy is stuck"),
        ("a &lt; b &amp;&amp; c &gt; d", "a &lt; b &amp;&amp; c &gt; d"),  # Slack's entities, kept as text
        ("ping <!channel> and <!here>", "ping @channel and @here"),  # words, never a broadcast
        ("<!subteam^S123|@ops-team> look", "@ops-team look"),
        ("ask <@U0CAROL> in <#C0OPS|ops>", "ask <@U0CAROL> in <#C0OPS>"),  # through mention()
        ("<@U1> <!date^1700000000^{date}|Nov 14>", "&lt;@U1&gt; Nov 14"),  # not a well-formed id
        ("see <https://ex.com/a?b=1&amp;c=2|the doc>", "see the doc (https://ex.com/a?b=1&amp;c=2)"),
        ("raw <b>bold</b> & co", "raw &lt;b&gt;bold&lt;/b&gt; &amp; co"),  # the simulator sends it raw
    ],
)
def test_what_people_typed_is_shown_and_never_pings(raw, shown):
    assert typed(raw) == shown


def request(**kw) -> Request:
    return Request(
        **{
            "id": 7,
            "rotation_id": 1,
            "code": "PLAT",
            "channel_id": "C0OPS",
            "thread_ts": "1700000000.000100",
            "requester": "U0DAVE",
            "text": "deploy <!channel> stuck & <b>",
            "state": "open",
            "offered_to": ("U0BOB",),
            "created_at": 1700000000.0,
            "expires_at": 1700003600.0,
            **kw,
        }
    )


ROTATION = Rotation(id=1, name="Plat <form>", code="PLAT", created_by="U0ADMIN")


def render(kind: str, stored: dict, workspace_url: str = "", target: str = "") -> dict:
    """A message as the outbox renders it from the body it keeps."""
    form = formats(workspace_url)[kind]
    return form.render(ROTATION, form.parse(stored), Sending(target=target))


def test_the_offer_dm_says_who_asked_where_and_has_ack_and_pass():
    message = render(OFFER, {"request": request().to_json(), "passed_by": None}, "https://acme.slack.com/")
    assert message_problems(message["blocks"]) == []
    text = " ".join(b.get("text", {}).get("text", "") for b in message["blocks"]) + str(message["blocks"])
    assert "<@U0DAVE> asked *Plat &lt;form&gt;* (`PLAT`) in <#C0OPS>" in text
    assert "deploy @channel stuck &amp; &lt;b&gt;" in text and "<!channel>" not in str(message)
    assert "<https://acme.slack.com/archives/C0OPS/p1700000000000100|Open the thread>" in text
    buttons = message["blocks"][-1]["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [(Requests.ACK, "7"), (Requests.PASS, "7")]
    assert "<!channel>" not in message["text"]


def test_a_dm_after_a_pass_says_who_passed_it():
    message = render(
        OFFER,
        {
            "request": request(offered_to=("U0BOB", "U0CAROL"), passed_by=("U0BOB",)).to_json(),
            "passed_by": "U0BOB",
        },
    )
    assert "<@U0BOB> passed it to you" in str(message["blocks"])
    assert "Open the thread" not in str(message), "no workspace address, no link"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            {"event": "routed"},
            "I've asked <@U0BOB> for *Plat &lt;form&gt;* (`PLAT`). If nobody answers within 60 minutes",
        ),
        ({"event": "acked", "by": "U0BOB"}, "<@U0DAVE>, <@U0BOB> has it."),
        (
            {"event": "passed", "by": "U0BOB", "offered": ["U0CAROL"]},
            "<@U0BOB> passed. I've asked <@U0CAROL> instead.",
        ),
        ({"event": "unanswered", "by": "U0BOB"}, "nobody can take this right now"),
        ({"event": "expired"}, "<@U0DAVE>, nobody took this within 60 minutes, so the request expired"),
        (
            {"event": "nobody", "unmatched": [{"name": "Jane <Roe>", "email": "jane@corp.example"}]},
            "PagerDuty has Jane &lt;Roe&gt; (jane@corp.example) on call, not linked",
        ),
    ],
)
def test_thread_replies_say_what_happened(body, words):
    reply = render(THREAD, {"request": request().to_json(), **body})
    assert reply["thread_ts"] == "1700000000.000100"
    assert words in reply["blocks"][0]["text"]["text"]
    assert message_problems(reply["blocks"]) == []


def test_several_on_duty_are_told_the_first_ack_wins():
    reply = render(THREAD, {"request": request(offered_to=("U0BOB", "U0CAROL")).to_json(), "event": "routed"})
    assert "<@U0BOB>, <@U0CAROL>" in reply["text"] and "the first to ACK takes it" in reply["text"]


def test_refusals_and_answers_replace_the_dm_and_name_who_took_it():
    taken = request(state="acked", acked_by="U0CAROL", closed_at=1700000100.0)
    words = refusal(RequestRefused("acked", taken))
    assert words.endswith("<@U0CAROL> already took it.")
    answer = answered_dm(taken, ROTATION, words, None)
    assert answer["replace_original"] is True and "actions" not in str(answer["blocks"])
    assert "That request was not offered to you." in refusal(RequestRefused("not_offered", taken))
    # A double-click on ACK: the second one answers as the first did, not "<you> already took it".
    assert refusal(RequestRefused("acked", taken), "U0CAROL") == took_it(taken)
    assert refusal(RequestRefused("acked", taken), "U0BOB").endswith("<@U0CAROL> already took it.")


def test_answers_to_a_mention_without_a_known_code_suggest_codes():
    assert "Which rotation? Try `@Round Robin CODE your question`" in no_code_reply(("OPS",))
    assert "`OPS`" in no_code_reply(("OPS", "WEB"))
    words = unknown_code_reply("N<O>PE", ("OPS",))
    assert "no rotation with the code `N&lt;O&gt;PE`" in words and "Did you mean `OPS`?" in words
    assert "create one in the Round Robin App Home" in unknown_code_reply("NOPE", ())


@pytest.mark.parametrize(
    ("channel", "ts", "link"),
    [
        ("C0OPS", "1700000000.000100", "https://acme.slack.com/archives/C0OPS/p1700000000000100"),
        ("C0OPS", "not-a-ts", None),
        ("U0BOB", "1700000000.000100", None),
    ],
)
def test_permalinks_are_built_from_ids_only(channel, ts, link):
    assert permalink("https://acme.slack.com/", channel, ts) == link


def test_with_several_on_duty_each_dm_names_the_others():
    both = request(offered_to=("U0BOB", "U0CAROL")).to_json()
    to_bob = str(render(OFFER, {"request": both, "passed_by": None}, target="U0BOB")["blocks"])
    assert "Also offered to <@U0CAROL>: the first to ACK takes it" in to_bob and "<@U0BOB>:" not in to_bob


def test_an_answered_dm_keeps_what_it_asked_and_drops_the_buttons_and_the_deadline():
    offer = render(OFFER, {"request": request().to_json()}, "https://acme.slack.com/")
    answer = answered_dm(
        request(state="acked", acked_by="U0BOB"), ROTATION, "You took it.", "https://x.example/"
    )
    assert answer["blocks"][0] == offer["blocks"][0], (
        "the request as the DM showed it (with the rotation's name), rebuilt from what is stored"
    )
    shown = str(answer["blocks"])
    assert "Expires" not in shown and Requests.ACK not in shown and "You took it." in shown
    assert message_problems(answer["blocks"]) == []
