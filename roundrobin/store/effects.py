"""Records the Slack work a change needs (rotations/effects.py decides it), inside the change's own
transaction: the user group's desired state, the topics, the reminders waiting, and the messages."""

from __future__ import annotations

from roundrobin.db import Database
from roundrobin.rotations import handoff
from roundrobin.rotations.announcement import Reminder
from roundrobin.rotations.effects import MERGE, REMINDER, Effects
from roundrobin.store import outbox, topics


async def record(
    db: Database,
    rotation_id: int,
    effects: Effects,
    now: float,
    quiet: float,
    max_delay: float,
    reclaim: tuple[str, ...] = (),
) -> None:
    """Inside the caller's transaction. `reclaim`: channels whose topic the rotation's editor just
    chose again, so a topic someone else set there may be replaced once more."""
    await outbox.want_group(db, rotation_id, effects.group_key, effects.group)
    for channel, state in effects.topics.items():
        await topics.want(db, rotation_id, channel, state, reclaim=channel in reclaim)
    for channel in await topics.channels_of(db, rotation_id) - set(effects.topics):
        await topics.want(db, rotation_id, channel, None)
    await _reminders(db, rotation_id, effects, now)
    await _handoff_asks(db, rotation_id, effects, now)
    for post in effects.posts:
        if post.burst:
            await outbox.enqueue(
                db,
                post.kind,
                rotation_id,
                post.target,
                post.body.to_json(),
                now,
                quiet,
                max_delay,
                merge=MERGE.get(post.kind),
            )
        else:
            await outbox.enqueue(db, post.kind, rotation_id, post.target, post.body.to_json(), now)


async def _reminders(db: Database, rotation_id: int, effects: Effects, now: float) -> None:
    """Reminders are planned only ahead of time: an edit after one went out never sends it again."""
    planned = await outbox.messages_of(db, rotation_id, REMINDER)
    for message in planned:
        if (message.target, Reminder.from_json(message.body).hand_over) not in effects.reminders:
            await outbox.forget(db, rotation_id, REMINDER, message.target)
    have = {(m.target, Reminder.from_json(m.body).hand_over) for m in planned}
    for person, at in effects.reminders - have:
        due = at - (effects.remind_before or 0)
        if due > now:
            await outbox.enqueue(db, REMINDER, rotation_id, person, Reminder(at).to_json(), now, due_at=due)


async def _handoff_asks(db: Database, rotation_id: int, effects: Effects, now: float) -> None:
    """ "Anything to hand over?" waits for its time, like a reminder: one whose hand-over moved or
    whose person no longer goes off duty is dropped, and like a reminder it is planned only ahead
    of its time (an edit after it went out never sends it again)."""
    planned = await outbox.messages_of(db, rotation_id, handoff.ASK)
    for message in planned:
        if (message.target, handoff.Ask.from_json(message.body).hand_over) not in effects.handoff_asks:
            await outbox.forget(db, rotation_id, handoff.ASK, message.target)
    have = {(m.target, handoff.Ask.from_json(m.body).hand_over) for m in planned}
    for person, at in effects.handoff_asks - have:
        due = at - handoff.ASK_BEFORE
        if due > now:
            await outbox.enqueue(
                db, handoff.ASK, rotation_id, person, handoff.Ask(at).to_json(), now, due_at=due
            )
