"""The rotation form's "Also follow these schedules": parsed strictly, limited, drawn back as chosen."""

from dataclasses import replace

from roundrobin.rotations.draft import MAX_SCHEDULES, RotationDraft, check
from roundrobin.slack.ids import Rotations
from roundrobin.slack.surfaces.forms import parse_rotation_form
from roundrobin.slack.views.blocks import option
from roundrobin.slack.views.rotation_modals import rotation_modal


def state(more: list) -> dict:
    return {
        "state": {
            "values": {
                Rotations.SOURCE: {Rotations.SOURCE: {"selected_option": option("PagerDuty", "pagerduty")}},
                Rotations.PD_SCHEDULE: {
                    Rotations.PD_SCHEDULE: {"selected_option": option("Ops Primary", "PS1")}
                },
                Rotations.PD_MORE_SCHEDULES: {Rotations.PD_MORE_SCHEDULES: {"selected_options": more}},
            }
        }
    }


def test_crafted_options_are_left_out_and_labels_kept_for_the_redraw():
    more = [option("Ops Secondary", "PS2"), "PS3", {"value": 7}, {"value": "P" * 41}, option("Sun", "PS4")]
    form = parse_rotation_form(state(more), pagerduty_connected=True)
    assert form.draft.pd_schedule_ids == ("PS1", "PS2", "PS4")
    assert form.pd_more_labels == {"PS2": "Ops Secondary", "PS4": "Sun"}
    picker = next(
        b for b in rotation_modal(form)["blocks"] if b.get("block_id") == Rotations.PD_MORE_SCHEDULES
    )
    assert [o["value"] for o in picker["element"]["initial_options"]] == ["PS2", "PS4"]
    assert picker["optional"] is True and picker["element"]["type"] == "multi_external_select"


def test_the_first_chosen_again_counts_once_and_more_than_ten_are_refused():
    draft = RotationDraft(name="Ops", code="OPS", source="pagerduty", pd_schedule_id="PS1")
    assert replace_more(draft, ("PS1", "PS2")).pd_schedule_ids == ("PS1", "PS2")
    assert check(replace_more(draft, tuple(f"PS{n}" for n in range(2, MAX_SCHEDULES + 1))), True) == {}
    errors = check(replace_more(draft, tuple(f"PS{n}" for n in range(2, MAX_SCHEDULES + 2))), True)
    assert errors == {"pd_more_schedules": f"A rotation can follow up to {MAX_SCHEDULES} schedules."}


def test_an_empty_form_is_a_rotation_with_one_schedule():
    form = parse_rotation_form(state([]), pagerduty_connected=True)
    assert form.draft.pd_schedule_ids == ("PS1",) and form.pd_more_labels == {}
    picker = next(
        b for b in rotation_modal(form)["blocks"] if b.get("block_id") == Rotations.PD_MORE_SCHEDULES
    )
    assert "initial_options" not in picker["element"]


def replace_more(draft: RotationDraft, more: tuple[str, ...]) -> RotationDraft:
    return replace(draft, pd_more_schedule_ids=more)
