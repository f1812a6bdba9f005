"""Walkthroughs: `@Round Robin CODE …` in a channel, answered with ACK or PASS in a DM, or expiring."""

import asyncio
import time

import pytest

from roundrobin.slack.ids import Requests
from tests.e2e.conftest import ADMIN, BOB, CAROL, DAVE, GENERAL
from tests.e2e.steps import create_rotation, rows
from tests.e2e.test_rotations_pagerduty import bind_rotation, connect_with_key, sync_now

pytestmark = pytest.mark.e2e

TYPED = "the deploy is stuck <!channel> & <b>co</b>"


async def ops_rotation(slack, app, code="ops", members=(BOB, CAROL)) -> int:
    """Bob on duty, Carol next (created by Alice, an admin, in the App Home)."""
    assert await create_rotation(slack, slack.user(ADMIN), code=code, members=members) == {}
    await slack.wait_for(lambda: rows(app, "SELECT id FROM rotations WHERE code = ?", code.upper()))
    return rows(app, "SELECT id FROM rotations WHERE code = ?", code.upper())[0][0]


async def ask(slack, user_id: str, text: str, channel: str = GENERAL) -> dict:
    """`user_id` writes "@Round Robin <text>" in `channel`; the mention message."""
    return await slack.user(user_id).say(channel, f"<@{slack.workspace.bot_user_id}> {text}")


def replies(slack, mention: dict) -> list[str]:
    """The app's replies in the mention's thread, in order."""
    return [
        m["text"]
        for m in slack.thread(mention["channel"], mention["ts"])[1:]
        if m["user"] == slack.workspace.bot_user_id
    ]


async def reply_saying(slack, mention: dict, *words: str, timeout: float = 10.0) -> str:
    return await slack.wait_for(
        lambda: next((t for t in replies(slack, mention) if all(w in t for w in words)), None),
        timeout=timeout,
        description=f"a reply in the thread saying {words}",
    )


def offers(slack, user_id: str) -> list[dict]:
    """The DMs offering this person a request that still carry ACK and PASS."""
    return [m for m in slack.dms_to(user_id) if Requests.ACK in str(m["blocks"])]


async def offer_to(slack, user_id: str, timeout: float = 10.0) -> dict:
    return await slack.wait_for(lambda: next(iter(offers(slack, user_id)), None), timeout=timeout)


def dm_text(message: dict) -> str:
    return str(message["blocks"])


async def test_a_mention_is_offered_to_who_is_on_duty_and_acked(app, slack, pd):
    await ops_rotation(slack, app)
    mention = await ask(slack, DAVE, f"OPS {TYPED}")
    routed = await reply_saying(slack, mention, "I've asked <@U0BOB>")
    assert "*Primary on-call* (`OPS`)" in routed and "60 minutes" in routed

    offer = await offer_to(slack, BOB)
    text = dm_text(offer)
    assert "<@U0DAVE> asked *Primary on-call* (`OPS`) in <#C0GENERAL>" in text
    assert "the deploy is stuck @channel &amp; &lt;b&gt;co&lt;/b&gt;" in text
    assert "<!channel>" not in str(offer), "what Dave typed never pings anyone"
    link = f"https://acme.slack.com/archives/{GENERAL}/p{mention['ts'].replace('.', '')}"
    assert f"<{link}|Open the thread>" in text
    assert not offers(slack, CAROL), "only the person on duty is asked"

    await slack.user(BOB).click_in_message(offer, Requests.ACK)
    await reply_saying(slack, mention, "<@U0DAVE>, <@U0BOB> has it.")
    answered = await slack.wait_for(
        lambda: "You took it" in dm_text(slack.dms_to(BOB)[-1]) and slack.dms_to(BOB)[-1]
    )
    assert answered["ts"] == offer["ts"] and Requests.ACK not in str(answered["blocks"]), (
        "the DM itself changed"
    )
    assert rows(app, "SELECT state, acked_by FROM requests") == [("acked", BOB)]

    # A forged ACK from Carol (never offered it) is refused in words, and changes nothing.
    hook = slack.workspace.issue_hook(CAROL, slack.workspace.dm_channel(CAROL))
    await slack.forge(
        CAROL,
        "block_actions",
        container={"type": "message", "message_ts": "1.1", "channel_id": slack.workspace.dm_channel(CAROL)},
        response_url=f"{slack.url}/hooks/respond/{hook}",
        actions=[
            {
                "action_id": Requests.ACK,
                "block_id": "req:1",
                "type": "button",
                "value": "1",
                "action_ts": "1.2",
            }
        ],
    )
    await slack.wait_for(lambda: any("not offered to you" in m["text"] for m in slack.user(CAROL).ephemerals))
    assert rows(app, "SELECT state, acked_by FROM requests") == [("acked", BOB)]
    assert "Traceback" not in app.log_text()


async def test_pass_offers_it_to_the_next_person_then_nobody_can_take_it(app, slack, pd):
    await ops_rotation(slack, app)
    mention = await ask(slack, DAVE, "ops can someone look at the queue?")
    offer = await offer_to(slack, BOB)

    await slack.user(BOB).click_in_message(offer, Requests.PASS)
    await reply_saying(slack, mention, "<@U0BOB> passed. I've asked <@U0CAROL> instead.")
    await slack.wait_for(lambda: "You passed it on to <@U0CAROL>" in dm_text(slack.dms_to(BOB)[-1]))
    carol_offer = await offer_to(slack, CAROL)
    assert "<@U0BOB> passed it to you" in dm_text(carol_offer)
    assert "can someone look at the queue?" in dm_text(carol_offer)

    await slack.user(CAROL).click_in_message(carol_offer, Requests.PASS)
    await reply_saying(slack, mention, "<@U0DAVE>, <@U0CAROL> passed", "nobody can take this right now")
    assert rows(app, "SELECT state, passed_by FROM requests") == [("unanswered", f'["{BOB}", "{CAROL}"]')]


async def test_with_several_on_duty_everyone_is_asked_and_the_first_ack_wins(app, slack, pd):
    rotation_id = await ops_rotation(slack, app)
    rows(app, "UPDATE rotation_members SET on_duty = 1 WHERE rotation_id = ?", rotation_id)
    mention = await ask(slack, DAVE, "OPS anyone?")
    routed = await reply_saying(slack, mention, "I've asked")
    assert "<@U0BOB>, <@U0CAROL>" in routed and "the first to ACK takes it" in routed
    bob_offer, carol_offer = await offer_to(slack, BOB), await offer_to(slack, CAROL)

    await slack.user(CAROL).click_in_message(carol_offer, Requests.ACK)
    await reply_saying(slack, mention, "<@U0CAROL> has it.")
    await slack.user(BOB).click_in_message(bob_offer, Requests.ACK)
    late = await slack.wait_for(
        lambda: "already took it" in dm_text(slack.dms_to(BOB)[-1]) and slack.dms_to(BOB)[-1]
    )
    assert "<@U0CAROL> already took it." in dm_text(late) and late["ts"] == bob_offer["ts"]
    assert rows(app, "SELECT state, acked_by FROM requests") == [("acked", CAROL)]
    await asyncio.sleep(0.5)
    assert len([t for t in replies(slack, mention) if "has it" in t]) == 1


async def test_an_unanswered_mention_expires_and_says_so(app, slack, pd):
    rotation_id = await ops_rotation(slack, app)
    # The rotation form offers 5 minutes at least; a test waits seconds.
    rows(app, "UPDATE rotations SET request_expiry_minutes = 0.05 WHERE id = ?", rotation_id)
    mention = await ask(slack, DAVE, "OPS is anyone there?")
    offer = await offer_to(slack, BOB)
    await reply_saying(slack, mention, "If nobody answers within 3 seconds")
    started = time.monotonic()
    await reply_saying(
        slack, mention, "<@U0DAVE>, nobody took this within 3 seconds, so the request expired", timeout=15
    )
    assert time.monotonic() - started < 10
    assert rows(app, "SELECT state FROM requests") == [("expired",)]
    await slack.user(BOB).click_in_message(offer, Requests.ACK)
    await slack.wait_for(lambda: "This request expired" in dm_text(slack.dms_to(BOB)[-1]))
    assert rows(app, "SELECT state, acked_by FROM requests") == [("expired", None)]


@pytest.mark.process
async def test_requests_survive_kill_9(app, slack, pd):
    await ops_rotation(slack, app)
    web = await ops_rotation(slack, app, code="web", members=(CAROL, BOB))
    rows(app, "UPDATE rotations SET request_expiry_minutes = 0.05 WHERE id = ?", web)
    mention = await ask(slack, DAVE, "OPS the deploy is stuck")
    offer = await offer_to(slack, BOB)
    await reply_saying(slack, mention, "I've asked <@U0BOB>")
    quick = await ask(slack, DAVE, "WEB the site is slow")
    await offer_to(slack, CAROL)

    app.process.kill()  # kill -9: nothing runs at exit
    await app.process.wait()
    await asyncio.sleep(3.5)  # WEB's request expires while the app is down
    await app.start()
    await slack.wait_connected()

    await reply_saying(slack, quick, "nobody took this within 3 seconds", timeout=15)
    await slack.user(BOB).click_in_message(offer, Requests.ACK)
    await reply_saying(slack, mention, "<@U0DAVE>, <@U0BOB> has it.")
    assert sorted(rows(app, "SELECT code, state FROM requests")) == [("OPS", "acked"), ("WEB", "expired")]
    assert len([t for t in replies(slack, mention) if "I've asked" in t]) == 1, "routed once, not again"


async def test_a_pagerduty_bound_rotation_asks_who_is_on_call_and_names_who_is_not_linked(app, slack, pd):
    admin = slack.user(ADMIN)
    await connect_with_key(slack, admin, pd, app)
    await bind_rotation(slack, admin, app)  # OPS follows "Ops Primary": Bob is on call
    mention = await ask(slack, DAVE, "OPS the pager is loud")
    await reply_saying(slack, mention, "I've asked <@U0BOB> for *Ops primary* (`OPS`)")
    await slack.user(BOB).click_in_message(await offer_to(slack, BOB), Requests.ACK)
    await reply_saying(slack, mention, "<@U0BOB> has it.")

    pd.set_on_call("PSPRIM", "PJANE")  # Jane has no Slack account
    await sync_now(slack, admin)
    nobody = await ask(slack, DAVE, "OPS still loud")
    words = await reply_saying(slack, nobody, "nobody is on duty for *Ops primary* (`OPS`) right now")
    assert "PagerDuty has Jane Roe (jane@corp.example) on call, not linked to anyone in Slack" in words
    assert rows(app, "SELECT state FROM requests ORDER BY id") == [("acked",), ("unanswered",)]


async def test_mentions_without_a_known_code_are_answered_in_the_thread(app, slack, pd):
    await ops_rotation(slack, app)
    unknown = await ask(slack, DAVE, "NOPE <b>help</b>")
    words = await reply_saying(slack, unknown, "There is no rotation with the code `NOPE`")
    assert "`OPS`" in words
    bare = await ask(slack, DAVE, "?")
    assert "Which rotation? Try `@Round Robin CODE your question`" in await reply_saying(
        slack, bare, "Which rotation?"
    )
    in_thread = await slack.user(BOB).say(
        GENERAL, f"<@{slack.workspace.bot_user_id}> opz", thread_ts=unknown["ts"]
    )
    assert in_thread["thread_ts"] == unknown["ts"]
    await slack.wait_for(
        lambda: sum("no rotation with the code `OPZ`" in t for t in replies(slack, unknown)) == 1
    )
    assert rows(app, "SELECT COUNT(*) FROM requests") == [(0,)]


async def test_natural_questions_are_answered_like_rr_who(app, slack, pd):
    from tests.e2e.conftest import OPS

    await ops_rotation(slack, app)
    mention = await ask(slack, DAVE, "who is on call?")
    answer = await reply_saying(slack, mention, "Primary on-call")
    assert "On duty: <@U0BOB>" in answer and "`@Round Robin OPS your question`" in answer
    assert "There is no rotation with the code" not in answer
    assert rows(app, "SELECT COUNT(*) FROM requests") == [(0,)], "a question, not a request"
    mention = await ask(slack, DAVE, "help")
    assert "`@Round Robin who is on call?`" in await reply_saying(slack, mention, "Ask whoever is on duty")
    # In a channel one rotation posts in, "who's on duty" is about that one.
    assert (
        await create_rotation(
            slack, slack.user(ADMIN), name="Web", code="web", members=(CAROL,), channels=[OPS]
        )
        == {}
    )
    mention = await ask(slack, BOB, "who's on duty", channel=OPS)
    answer = await reply_saying(slack, mention, "*Web* `WEB`")
    assert "On duty: <@U0CAROL>" in answer and "Primary on-call" not in answer


async def test_a_rotation_can_be_asked_by_its_name(app, slack, pd):
    await ops_rotation(slack, app)
    mention = await ask(slack, DAVE, "primary on-call: the deploy is stuck")
    await reply_saying(slack, mention, "I've asked <@U0BOB>")
    [(code, text)] = rows(app, "SELECT code, text FROM requests")
    assert (code, text) == ("OPS", "the deploy is stuck")
