"""`/rr` (issue 9 §12): help lists every subcommand, examples use codes that exist, and in a channel
the rotations that post there come first (and need no code)."""

import pytest

from tests.e2e.conftest import ADMIN, BOB, CAROL, DAVE, GENERAL, OPS
from tests.e2e.steps import create_rotation

pytestmark = pytest.mark.e2e


async def test_help_lists_every_subcommand_and_examples_use_real_codes(app, slack, pd):
    dave = slack.user(DAVE)
    empty = (await dave.command("help"))["text"]
    for usage in ("`/rr list`", "`/rr who CODE`", "`/rr rotate CODE`", "`/rr done`", "`/rr help`"):
        assert usage in empty
    assert "For example" not in empty, "no rotation yet: no example code to make up"
    assert "There are no rotations yet" in (await dave.command("list"))["text"]

    admin = slack.user(ADMIN)
    assert await create_rotation(slack, admin, name="Support desk", code="DESK", members=(BOB, CAROL)) == {}
    assert "For example `/rr who DESK`." in (await dave.command("help"))["text"]
    assert (await dave.command("who"))["text"] == "Which rotation? Try `/rr who CODE`, like `/rr who DESK`."
    unknown = (await dave.command("who zzz"))["text"]
    assert "There is no rotation with the code `ZZZ`. Codes look like `DESK`." in unknown


async def test_in_a_channel_its_rotations_come_first_and_need_no_code(app, slack, pd):
    admin, bob = slack.user(ADMIN), slack.user(BOB)
    for name, code, channels in (("Alpha", "ALPHA", []), ("Beta", "BETA", [OPS]), ("Zulu", "ZULU", [])):
        assert await create_rotation(slack, admin, name=name, code=code, channels=channels) == {}

    in_ops = await bob.command("", channel_id=OPS)
    [here, others] = [b["text"]["text"] for b in in_ops["blocks"]]
    assert here.startswith("*Posting in this channel*\n*Beta* `BETA`")
    assert others.startswith("*Other rotations*\n*Alpha* `ALPHA`") and "*Zulu* `ZULU`" in others
    in_general = await bob.command("list", channel_id=GENERAL)
    assert [b["text"]["text"].split("\n")[0] for b in in_general["blocks"]] == [
        "*Alpha* `ALPHA`: :bust_in_silhouette: On duty: <@U0BOB>"
    ]

    who = (await bob.command("who", channel_id=OPS))["text"]
    assert who.startswith("*Beta* `BETA`") and "Next: <@U0CAROL>" in who
    rotated = (await bob.command("rotate", channel_id=OPS))["text"]
    assert rotated == "Rotated *Beta*: <@U0CAROL> is on duty now."
    assert (await bob.command("who one two", channel_id=OPS))[
        "text"
    ] == "One rotation at a time: `/rr who BETA`."
