"""Recovery is as fast as Slack: what waits out a backoff is released when Slack answers again, what
waits for another reason is not, and calls that never reached Slack do not count against its tiers."""

import asyncio
import time

from roundrobin.rotations.model import GroupState
from roundrobin.slack.gateway.delivery import PROBE_EVERY
from roundrobin.slack.gateway.pacing import Pacer, Rate
from roundrobin.store import outbox, topics
from tests.unit.test_group_refusals import PEOPLE_OF_OPS, hand_to_both, two_on_call, world  # noqa: F401


async def test_only_work_waiting_out_a_backoff_is_released(db):
    now = time.time()
    await db.execute(
        "INSERT INTO rotations (id, name, code, created_by, created_at, updated_at) VALUES (1, 'A', 'A', 'U', 0, 0)"
    )
    for rotation_id in (2, 3):
        await db.execute(
            "INSERT INTO rotations (id, name, code, created_by, created_at, updated_at) VALUES (?, ?, ?, 'U', 0, 0)",
            (rotation_id, f"R{rotation_id}", f"R{rotation_id}"),
        )
    for rotation_id, group in ((1, "S0A"), (2, "S0B"), (3, "S0C")):
        await outbox.want_group(db, rotation_id, group, GroupState(True, ("U0ADA",)))
    await outbox.group_failed(db, 1, "S0A", "Slack could not be reached", now + 60, False, now)  # backoff
    await outbox.group_failed(db, 2, "S0B", "permission_denied", now + 900, True, now)  # a refusal
    await outbox.enqueue(db, "duty", 1, "C0OPS", {}, now, quiet=2.0)  # waiting for a burst to settle
    await outbox.enqueue(db, "reminder", 1, "U0ADA", {}, now, due_at=now + 3600)  # a reminder
    await outbox.enqueue(db, "duty", 3, "C0WEB", {}, now)
    [web] = await outbox.messages_of(db, 3, "duty")
    await outbox.message_failed(db, web, "Slack could not be reached", now + 30, False, now)  # backoff

    assert await outbox.release_waiting(db, now) == 2
    assert {w.rotation_id for w in await outbox.due_groups(db, now)} == {1, 3}, "the refusal keeps its pace"
    assert {(m.kind, m.target) for m in await outbox.due_messages(db, now)} == {("duty", "C0WEB")}
    assert await topics.release_waiting(db, now) == 0


async def test_a_probe_pulls_forward_one_piece_of_work(db):
    now = time.time()
    for rotation_id in (1, 2):
        await db.execute(
            "INSERT INTO rotations (id, name, code, created_by, created_at, updated_at) VALUES (?, ?, ?, 'U', 0, 0)",
            (rotation_id, f"R{rotation_id}", f"R{rotation_id}"),
        )
        await outbox.want_group(db, rotation_id, f"S0{rotation_id}X", GroupState(True, ("U0ADA",)))
        await outbox.group_failed(
            db, rotation_id, f"S0{rotation_id}X", "down", now + 10 * rotation_id, False, now
        )
    assert await outbox.probe(db, now) is True
    assert [w.rotation_id for w in await outbox.due_groups(db, now)] == [1], "the one due soonest"
    await outbox.group_applied(db, 1, "S01X", GroupState(True, ("U0ADA",)))
    assert await outbox.probe(db, now) is True
    await outbox.group_applied(db, 2, "S02X", GroupState(True, ("U0ADA",)))
    assert await outbox.probe(db, now) is False, "nothing waits for Slack"


async def test_a_call_that_never_reached_slack_gives_its_slot_back():
    clock = [0.0]
    slept = []

    async def sleep(seconds):
        slept.append(seconds)
        clock[0] += seconds

    pacer = Pacer({"usergroups.users.update": (Rate(2, 60.0),)}, clock=lambda: clock[0], sleep=sleep)
    await pacer.slot("usergroups.users.update")
    failed = await pacer.slot("usergroups.users.update")
    pacer.refund(failed)
    await pacer.slot("usergroups.users.update")
    assert slept == [], "the refunded slot was free again"
    await pacer.slot("usergroups.users.update")
    assert slept and slept[0] > 59, "the limit still holds for calls Slack counted"


async def test_the_backlog_goes_out_as_soon_as_slack_answers_again(world):  # noqa: F811
    rotation_id = await two_on_call(world)
    outage = world.slack.outage(3, status=503)
    await hand_to_both(world, rotation_id)
    await world.slack.wait_for(lambda: ("usergroups.users.update", "html") in world.slack.faults_served)
    await asyncio.sleep(max(0.0, outage.until - time.time()))
    back = time.monotonic()
    await world.slack.wait_for(lambda: world.slack.usergroups["S0OPS"]["users"] == list(PEOPLE_OF_OPS[:2]))
    assert time.monotonic() - back < PROBE_EVERY + 1, "within a probe of Slack's return, not a backoff later"
