"""Slack status at hand-over, as people read it: the form's section and its parsing, the question and
its answers, the warning, the announcement's words and the card's notes (pure builders)."""

from roundrobin.rotations.announcement import Announcement
from roundrobin.rotations.model import Rotation
from roundrobin.rotations.status import ASK, IGNORE, SKIP, WARN, SlackStatus, StatusDraft, StatusSignal
from roundrobin.rotations.status_hand_over import Answer, StatusNote
from roundrobin.slack.ids import StatusIds
from roundrobin.slack.surfaces.forms import parse_status_fields
from roundrobin.slack.views.messages import passed_by_words
from roundrobin.slack.views.sending import Sending
from roundrobin.slack.views.status import (
    answer_message,
    ask_message,
    card_notes,
    passed_words,
    status_fields,
    warn_message,
)
from roundrobin.store.status import Question

NOW = 1_750_000_000.0


def rotation(**kw) -> Rotation:
    base = {
        "id": 1,
        "name": "Ops <b>&",
        "code": "OPS",
        "created_by": "U09",
        "members": ("U01", "U02", "U03"),
        "on_duty": ("U01",),
        "status_signal": StatusSignal(SKIP),
    }
    return Rotation(**{**base, **kw})


def question(**kw) -> Question:
    base = dict(
        id=7,
        rotation_id=1,
        person="U02",
        emoji=":palm_tree:",
        reason="rotated",
        actor="U09",
        turn_from=("U01",),
        state="open",
        asked_at=NOW,
        expires_at=NOW + 600,
    )
    return Question(**{**base, **kw})


def elements(message: dict) -> list[dict]:
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def test_the_form_section_offers_what_the_source_allows():
    manual = status_fields(StatusDraft(ASK, ":sick:", 15), bound=False)
    mode = manual[0]["element"]
    assert [o["value"] for o in mode["options"]] == [SKIP, ASK, IGNORE]
    assert mode["initial_option"]["value"] == ASK
    assert manual[1]["element"]["initial_value"] == ":sick:"
    assert manual[2]["element"]["initial_option"]["value"] == "15"
    bound = status_fields(StatusDraft(SKIP), bound=True)
    assert [o["value"] for o in bound[0]["element"]["options"]] == [WARN, IGNORE]
    assert bound[0]["element"]["initial_option"]["value"] == WARN, "a skip becomes a warning"
    assert len(bound) == 2, "nobody is asked in a bound rotation: no time to wait"
    assert all(len(o["text"]["text"]) <= 75 for o in mode["options"]), "Slack's option text limit"


def test_the_form_section_is_parsed_and_crafted_values_bounded():
    assert parse_status_fields({}) is None, "a form without the section keeps the rotation's own"
    values = {
        StatusIds.MODE: {StatusIds.MODE: {"selected_option": {"value": "ask"}}},
        StatusIds.EMOJI: {StatusIds.EMOJI: {"value": ":sick: " * 1000}},
        StatusIds.MINUTES: {StatusIds.MINUTES: {"selected_option": {"value": "²"}}},
    }
    parsed = parse_status_fields(values)
    assert parsed.mode == ASK and parsed.ask_minutes == 10 and len(parsed.emoji) == 501


def test_the_question_carries_its_id_and_escapes_the_name():
    note = StatusNote(":palm_tree:", question=question(expires_at=NOW))
    message = ask_message(rotation(), StatusNote.from_json(note.to_json()), Sending(muted=True, now=NOW))
    assert [(e["action_id"], e["value"]) for e in elements(message)] == [
        (StatusIds.TAKE, "7"),
        (StatusIds.SKIP, "7"),
    ]
    text = str(message["blocks"])
    assert "*Ops &lt;b&gt;&amp;* (`OPS`)" in text and "<b>" not in text
    assert "<@U09> rotated it." in text, "sent though the person stopped Round Robin's DMs"


def test_each_answer_says_what_happened():
    r = rotation(on_duty=("U03",))
    said = {
        outcome: answer_message(Answer(outcome, question(state=state), r))["text"]
        for outcome, state in (
            ("skipped", "skipped"),
            ("late", "expired"),
            ("moot", "moot"),
            ("again", "taken"),
        )
    }
    assert "You skipped this turn" in said["skipped"] and "<@U03> is on duty now." in said["skipped"]
    assert "You did not answer within 10 minutes" in said["late"]
    assert "No longer needed" in said["moot"] and "You answered already: you took it" in said["again"]
    took = answer_message(Answer("taken", question(state="taken"), rotation(on_duty=("U02",))))["text"]
    assert "You took it: you are on duty for" in took
    chained = Answer(
        "skipped", question(state="skipped"), rotation(), asked_next=question(id=8, person="U03")
    )
    assert "Round Robin is asking <@U03> next." in answer_message(chained)["text"]


def test_the_warning_says_now_or_from_when_and_respects_muting():
    r = rotation(source="pagerduty")
    now = warn_message(r, StatusNote(":palm_tree:", start=NOW - 60), Sending(now=NOW))
    assert "PagerDuty has you on call for *Ops &lt;b&gt;&amp;* (`OPS`) now, but your Slack status" in str(
        now["blocks"]
    )
    later = warn_message(r, StatusNote(":palm_tree:", start=NOW + 3600), Sending(now=NOW))
    assert f"from <!date^{int(NOW + 3600)}^" in str(later["blocks"])
    assert warn_message(r, StatusNote(":palm_tree:", start=NOW), Sending(now=NOW, muted=True)) is None


def test_the_announcement_names_who_was_skipped_and_who_takes_over():
    assert passed_words("U02", "status :palm_tree:", ["U03"]) == (
        "<@U02>'s Slack status says :palm_tree:; <@U03> takes over."
    )
    assert passed_words("U02", "status :sick: skipped", ["U03", "U04"]).endswith(
        "and they chose to skip; <@U03>, <@U04> take over."
    )
    assert passed_words("U02", "deactivated", ["U03"]) is None
    words = passed_by_words(
        Announcement(on_duty=("U03",), skipped=(("U02", "status :palm_tree: unanswered:10"),))
    )
    assert words == [
        "<@U02>'s Slack status says :palm_tree: and they did not answer within 10 minutes; <@U03> takes over."
    ]


def test_the_card_says_who_will_be_skipped_asked_or_is_on_call_away():
    palm = {"U02": SlackStatus(":palm_tree:")}
    skipping = rotation(statuses=palm)
    assert card_notes(skipping, NOW) == (
        ":palm_tree: <@U02>'s Slack status says :palm_tree:: the next hand-over passes them over",
    )
    asking = rotation(statuses=palm, status_signal=StatusSignal(ASK))
    assert card_notes(asking, NOW)[0].endswith("they will be asked first")
    waiting = card_notes(asking, NOW, question())
    assert len(waiting) == 1 and "Waiting for <@U02> to say whether they take over" in waiting[0]
    assert card_notes(rotation(statuses=palm, status_signal=StatusSignal(IGNORE)), NOW) == ()
    expired = rotation(statuses={"U02": SlackStatus(":palm_tree:", NOW - 1)})
    assert card_notes(expired, NOW) == ()

    bound = rotation(
        source="pagerduty",
        on_duty=("U01",),
        pd_next_up=("U02",),
        next_change_at=NOW + 3600,
        statuses={"U01": SlackStatus(":airplane:"), "U02": SlackStatus(":palm_tree:", NOW + 60)},
    )
    assert card_notes(bound, NOW) == (
        ":airplane: PagerDuty has <@U01> on call now, but their Slack status says :airplane:",
    ), "U02's status is cleared before their shift starts"
