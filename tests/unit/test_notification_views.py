"""Pure builders and parsers of notifications: templates, DMs, reminders, topics and their modal."""

import pytest

from roundrobin.rotations import templates
from roundrobin.rotations.announcement import Announcement, Reminder, TopicState
from roundrobin.rotations.model import Notifications, Rotation
from roundrobin.rotations.schedule import Schedule
from roundrobin.slack.ids import NotificationIds as N
from roundrobin.slack.surfaces.forms import notification_errors, parse_menu_value, parse_notifications
from roundrobin.slack.views.notifications import NotificationsForm, notifications_modal
from roundrobin.slack.views.personal import dm_off_message, dm_on_message, reminder_message, topic_text
from roundrobin.slack.views.sending import Name, Sending

NAMES = {"U1": Name("Ada Lovelace", "ada"), "U2": Name("Alan Turing", "alan")}


def rotation(**kw) -> Rotation:
    return Rotation(
        id=7,
        name="Platform",
        code="PLAT",
        created_by="U9",
        members=("U1", "U2"),
        on_duty=("U1",),
        usergroup_id="S1",
        usergroup_handle="platform-oncall",
        **kw,
    )


ANNOUNCED = Announcement(("U1",), next_up=("U2",))


def to(target: str, **kw) -> Sending:
    return Sending(target=target, names=NAMES, **kw)


def topic(on_duty: tuple[str, ...] = ("U1",), until: float | None = None) -> TopicState:
    return TopicState(on_duty, until, ("U2",))


def test_unknown_tokens_are_named_and_known_ones_include_text_only_variants():
    assert templates.unknown_tokens("%USER% %USER_TEXTONLY% %FOO% %BAR_TEXTONLY% %FOO%") == [
        "%FOO%",
        "%BAR_TEXTONLY%",
    ]
    assert "does not know %FOO%" in templates.problems({"topic": "%FOO%"})["topic"]
    assert templates.problems({"topic": "x" * 251}) == {"topic": "Keep it under 250 characters."}


def test_rendering_escapes_the_words_around_tokens_and_leaves_out_tokens_without_a_value():
    out = templates.render(
        "<!here> %USER% & %UNTIL%", {"USER": "<@U1>"}, escape=lambda t: t.replace("<", "&lt;")
    )
    assert out == "&lt;!here> <@U1>"


@pytest.mark.parametrize(
    ("template", "values", "said"),
    [
        (
            "%USER% is on duty for %NAME% until %UNTIL%. Next: %NEXT_USER%",
            {"USER": "Bob", "NAME": "Plat"},
            "Bob is on duty for Plat.",
        ),
        ("Desc: %DESCRIPTION%\n%USER% is on duty", {"USER": "Bob"}, "Bob is on duty"),
        ("On duty: %USER% · ask %DUTYHANDLE%", {"USER": "Bob"}, "On duty: Bob"),
        (
            "%USER% is on duty. Description: %DESCRIPTION%. Reach them at %DUTYHANDLE%",
            {"USER": "B"},
            "B is on duty.",
        ),
        ("%USER% is on (%UNTIL%)", {"USER": "B"}, "B is on"),
        ("On duty: %USER%", {}, ""),
        ("Hello team: %USER% is on", {"USER": "B"}, "Hello team: B is on"),
    ],
)
def test_a_token_without_a_value_leaves_no_trace(template, values, said):
    assert templates.render(template, values) == said


def test_a_dm_is_declined_when_it_is_no_longer_true_or_the_person_muted_them():
    r = rotation(dm_on_duty=True)
    assert dm_on_message(r, ANNOUNCED, to("U1"))["text"].startswith("You are on duty for Platform (PLAT)")
    assert dm_on_message(r, ANNOUNCED, to("U2")) is None, "U2 is not on duty (any more)"
    assert dm_on_message(r, ANNOUNCED, to("U1", muted=True)) is None
    assert dm_off_message(r, ANNOUNCED, to("U1")) is None, "U1 is on duty again"
    assert "took over" in dm_off_message(r, ANNOUNCED, to("U2"))["text"]


def test_a_reminder_is_never_sent_after_its_hand_over_nor_to_someone_no_longer_next():
    r = rotation(schedule=Schedule("daily", "09:00"), remind_before=900)
    stored = Reminder.from_json({"handoff_at": 2000.0})  # as the outbox keeps it
    assert reminder_message(r, stored, to("U2", now=1500.0))["text"].startswith("Heads-up")
    assert reminder_message(r, stored, to("U2", now=2000.0)) is None
    assert reminder_message(r, stored, to("U1", now=1500.0)) is None


@pytest.mark.parametrize(
    ("on_duty", "expected"),
    [
        (("U1",), "Round Robin: Ada Lovelace is on duty for Platform · ask @platform-oncall"),
        (
            ("U1", "U2"),
            "Round Robin: Ada Lovelace, Alan Turing are on duty for Platform · ask @platform-oncall",
        ),
        ((), "Round Robin: nobody is on duty for Platform"),
    ],
)
def test_topics_are_plain_words_singular_or_plural(on_duty, expected):
    assert topic_text(rotation(), topic(on_duty), NAMES) == expected


def test_a_topic_names_the_time_in_the_rotations_zone_and_stays_within_250_characters():
    timed = rotation(schedule=Schedule("daily", "09:00", tz="Europe/London"))
    assert "until Fri 27 Nov 09:00 (Europe/London)" in topic_text(timed, topic(until=1795770000.0), NAMES)
    long = rotation(templates={"topic": "%NAME% " * 60})
    assert len(topic_text(long, topic(), NAMES)) == 250
    custom = rotation(templates={"topic": "<b>On duty</b>: %USER% (%DUTYHANDLE_TEXTONLY%)"})
    assert topic_text(custom, topic(), NAMES) == "‹b›On duty‹/b›: Ada Lovelace (@platform-oncall)", (
        "plain text, no mentions, and no < or > that Slack could read as a control sequence"
    )


def test_the_modal_offers_reminders_only_for_planned_hand_overs_and_shows_previews():
    manual = notifications_modal(NotificationsForm(rotation(), Notifications(), {"topic": "Round Robin: …"}))
    assert N.REMINDER not in {b.get("block_id") for b in manual["blocks"]}
    assert "Preview: Round Robin: …" in str(manual["blocks"])
    timed = notifications_modal(
        NotificationsForm(rotation(schedule=Schedule("weekly", "09:00")), Notifications())
    )
    assert N.REMINDER in {b.get("block_id") for b in timed["blocks"]}
    assert len(timed["blocks"]) < 100


def test_the_modal_round_trips_through_its_parser():
    wanted = Notifications(("C1",), True, False, 3600, {"topic": "%USER%"}, 120)
    view = notifications_modal(NotificationsForm(rotation(schedule=Schedule("daily", "09:00")), wanted))
    values = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        state = {"type": element["type"]}
        if "initial_conversations" in element:
            state["selected_conversations"] = element["initial_conversations"]
        if "initial_options" in element:
            state["selected_options"] = element["initial_options"]
        if "initial_option" in element:
            state["selected_option"] = element["initial_option"]
        if "initial_value" in element:
            state["value"] = element["initial_value"]
        values[block["block_id"]] = {element["action_id"]: state}
    parsed = parse_notifications({"state": {"values": values}})
    assert parsed.topic_channels == ("C1",) and parsed.dm_on_duty and not parsed.dm_off_duty
    assert parsed.remind_before == 3600 and parsed.request_expiry_minutes == 120
    assert parsed.templates["topic"] == "%USER%" and parsed.templates["announcement"] == ""


def test_service_errors_land_under_their_own_fields():
    view = notifications_modal(NotificationsForm(rotation(), Notifications()))
    shown = notification_errors({"template.topic": "bad", "topic_channels": "no", "remind_before": "x"}, view)
    assert shown == {N.TEMPLATE_TOPIC: "bad", N.TOPIC_CHANNELS: "no x"}, (
        "no reminder field here: shown with channels"
    )


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("rotate:12:3", ("rotate", 12, 3)),
        ("details:12", ("details", 12, None)),
        ("edit:x", ("edit", None, None)),
    ],
)
def test_menu_values(value, parsed):
    assert parse_menu_value(value) == parsed
