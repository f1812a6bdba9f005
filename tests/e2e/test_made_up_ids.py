"""Made-up ids cost next to nothing (issue 15, item 5): a Socket Mode client can send any id, and a
thousand of them must never make Round Robin reload the whole Slack directory (users.list)."""

import pytest

from roundrobin.slack.ids import Rotations
from tests.e2e.conftest import DAVE
from tests.e2e.steps import rows
from tests.e2e.test_member_powers import open_create_form, submit_with

pytestmark = pytest.mark.e2e

MADE_UP = [f"U{n:09d}" for n in range(1000)]  # well-formed, and nobody's
MEMBERS = {"type": "multi_users_select", "selected_users": MADE_UP}


async def test_a_thousand_made_up_ids_cost_no_users_list_page(app, slack, pd):
    dave = slack.user(DAVE)
    await open_create_form(slack, dave, name="Real", code="REAL")
    assert await dave.submit() == {}  # a real rotation: the directory is loaded for it
    assert len(slack.calls_to("users.list")) == 1
    await open_create_form(slack, dave)
    listed, asked = len(slack.calls_to("users.list")), len(slack.calls_to("users.info"))

    ack = await submit_with(slack, dave, **{Rotations.MEMBERS: MEMBERS})
    assert ack["errors"][Rotations.MEMBERS] == "A rotation can have up to 100 members."
    assert len(slack.calls_to("users.info")) == asked, "refused by the limit before any lookup"

    # Redraws with them (the form's own dispatch: choosing when it rotates), twice.
    for kind in ("daily", "weekly"):
        await slack.forge(
            DAVE,
            "block_actions",
            container={"type": "view", "view_id": dave.modal["id"]},
            view={
                **dave.modal,
                "state": {"values": {**dave.values(), Rotations.MEMBERS: {Rotations.MEMBERS: MEMBERS}}},
            },
            actions=[
                {
                    "type": "static_select",
                    "action_id": Rotations.KIND,
                    "block_id": Rotations.KIND,
                    "selected_option": {"text": {"type": "plain_text", "text": kind}, "value": kind},
                    "action_ts": "1.2",
                }
            ],
        )
    await slack.wait_for(lambda: len(slack.calls_to("views.update")) >= 2, description="both redraws")
    assert len(slack.calls_to("users.list")) == listed, "no users.list page"
    looked_up = [c["user"] for c in slack.calls_to("users.info")[asked:]]
    assert len(looked_up) <= 2 * 20, "at most 20 newcomers asked about per redraw"
    assert len(set(looked_up)) == len(looked_up), "an id Slack did not know is not asked about again"
    assert rows(app, "SELECT COUNT(*) FROM slack_directory WHERE id LIKE 'U0000%'") == [(0,)], (
        "nothing stored"
    )
