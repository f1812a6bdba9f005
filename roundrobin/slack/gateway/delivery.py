"""Delivers the Slack work duty changes leave in the outbox, until Slack confirms each piece.

One long-running worker: it wakes when a change is committed (the effects doorbell), when a retry
comes due, and at start-up (so work left by a crash or an outage goes out). Each piece of work runs
as its own task, paced by Slack's rate tiers, so 200 hand-overs at 09:00 drain at the rate Slack
allows and a slow channel never holds up a user group.

- A user group is made equal to its desired state (enable, set members, or disable): only the
  latest desired state is ever applied, so a group never replays stale states.
- A message is rendered from the rotation as it is when sent, and deleted once Slack accepted it.
  The one window left: Slack accepted a message and the process died before the deletion was
  committed (a few milliseconds); that message is sent again at the next start.
- Every failure goes through `failures.classify`: rate limits wait and retry, temporary failures
  back off (and show on the rotation only once they have lasted), refusals show at once.
- Every few minutes one `usergroups.list` reads every group back; a group someone changed by hand
  is set back and the rotation says so.
- One bad account never blocks a group: when Slack refuses an update over some of its people (a
  deactivated account, a guest, a bot; the answer does not say who), each is asked about afresh
  (users.info), the directory learns who it was, and the rotation's group is set to the others.
- Recovery is as fast as Slack: while Slack is unreachable one piece of work asks every few seconds
  whether it is back, and the first that gets through releases everything waiting out a backoff,
  paced by the tiers (calls that never reached Slack do not count against them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import replace
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from roundrobin.background import Doorbell, wait_until, work_loop
from roundrobin.db import Database
from roundrobin.rotations.announcement import with_snapshot
from roundrobin.rotations.effects import DUTY
from roundrobin.rotations.model import GroupState, Rotation, why_not
from roundrobin.slack.gateway.directory import SlackDirectory
from roundrobin.slack.gateway.failures import SlackFailure, classify, describe
from roundrobin.slack.gateway.pacing import Pacer
from roundrobin.slack.gateway.usergroups import parse_group
from roundrobin.slack.views.blocks import esc, mention
from roundrobin.slack.views.messages import FORMATS
from roundrobin.slack.views.personal import FORMATS as PERSONAL
from roundrobin.slack.views.personal import topic_text
from roundrobin.slack.views.sending import Format, Name, Sending
from roundrobin.store import events, kept_messages, outbox, preferences, topics
from roundrobin.store import handoff as handoff_store
from roundrobin.store import rotations as rotation_store
from roundrobin.store.outbox import GroupWork, Message
from roundrobin.store.topics import TopicWork

log = logging.getLogger(__name__)
# A message that replies in a thread (a hand-off note) waits this long for the message it replies
# under, looking every THREAD_RETRY seconds; then it goes to the channel on its own.
THREAD_WAIT, THREAD_RETRY = 240.0, 2.0  # from a minute before the hand-over: three minutes after it

CALL_TIMEOUT = 10.0  # a hanging Slack answer must not hold a lane for minutes
MAX_BACKOFF = 60.0
REFUSED_RETRY = 900.0  # a refused group is tried again now and then: an admin may have fixed it
SHOW_AFTER = 120.0  # a temporary failure shows on the rotation once it has lasted this long
DRIFT_EVERY = 300.0
IDLE_WAKE = 30.0
RATE_LIMIT_RETRIES = 20
PROBE_EVERY = 2.0  # while Slack is unreachable, one piece of work asks this often whether it is back
# Slack refused a group update over some of its people (docs.slack.dev, usergroups.users.update):
# deactivated accounts (invalid_users), guests and bots (invalid_user), single-channel guests, people
# of another workspace (failed_for_some_users). The answer names nobody.
NAMES_PEOPLE = frozenset(
    {"invalid_users", "invalid_user", "single_channel_guests_cannot_be_added", "failed_for_some_users"}
)

GROUP_PROBLEMS = {
    "create_handle_already_exists": (
        "Slack would not create {group}: the handle is taken (a channel, a person or another group has "
        "it). Edit the rotation to choose another handle, or choose that group."
    ),
    "create_name_already_exists": (
        "Slack would not create {group}: other groups already have its name. Edit the rotation to "
        "choose an existing group instead."
    ),
    "create_permission_denied": (
        "Slack would not let Round Robin create {group} (permission_denied): this workspace only lets "
        "some people manage user groups. Ask a Slack admin to create it, then choose it in Edit."
    ),
    "create_bad_handle": "Slack would not create {group}: it does not take that handle. Edit the rotation to choose another.",
    "permission_denied": (
        "Slack refused to change the user group {group} (permission_denied): this workspace only lets "
        "some people manage user groups. A Slack admin can allow it under Settings & administration › "
        "Workspace settings › Permissions › User Groups, or pick a group Round Robin may edit."
    ),
    "missing_scope": "Round Robin lacks the usergroups:write scope: add it from manifest.yml and reinstall the app.",
    "invalid_users": (
        "Slack would not put some on-duty people in {group} (guests, bots and deactivated people can't be "
        "added), and they all look like active members to Round Robin. It tries again every 15 minutes."
    ),
    "no_such_subteam": "The user group {group} no longer exists: choose another in Edit.",
    "plan_upgrade_required": "User groups need a paid Slack plan (Standard or above).",
    "subteam_max_users_exceeded": (
        "Slack limits how many people a user group holds, and {group} cannot take everyone on duty."
    ),
    "no_users_provided": "Slack refused to set {group} to nobody: Round Robin disables it instead.",
    "not_allowed_token_type": "Slack refused Round Robin's token for {group}: it must be the bot token (xoxb-).",
}
for _code in ("invalid_user", "single_channel_guests_cannot_be_added", "failed_for_some_users"):
    GROUP_PROBLEMS[_code] = GROUP_PROBLEMS["invalid_users"]
for _code in ("invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"):
    GROUP_PROBLEMS[_code] = (
        "Slack no longer accepts Round Robin's bot token ({error}), so {group} cannot be set: reinstall "
        "the app and restart Round Robin with the new SLACK_BOT_TOKEN."
    )
TOPIC_PROBLEMS = {
    "not_in_channel": "Round Robin is not in {channel}, so it cannot set its topic: invite it with /invite @Round Robin.",
    "channel_not_found": "Round Robin cannot see {channel}: invite it to the channel, or choose another.",
    "is_archived": "{channel} is archived: choose another channel for the topic.",
    "missing_scope": "Round Robin lacks the channels:write.topic (or groups:write.topic) scope: reinstall it from manifest.yml.",
    "too_long": "The topic for {channel} is longer than Slack allows (250 characters): shorten the topic template.",
}
CHANNEL_PROBLEMS = {
    "not_in_channel": "Round Robin is not in {channel}: invite it with /invite @Round Robin.",
    "channel_not_found": "Round Robin cannot see {channel}: invite it to the channel, or choose another.",
    "is_archived": "{channel} is archived: choose another channel.",
}


class _Failed(Exception):
    def __init__(self, failure: SlackFailure):
        super().__init__(failure.code)
        self.failure = failure


GroupCreated = Callable[[int, str, str], Awaitable[bool]]


class SlackDelivery:
    def __init__(
        self,
        client: AsyncWebClient,
        db: Database,
        doorbell: Doorbell,
        pacer: Pacer | None = None,
        clock: Callable[[], float] = time.time,
        call_timeout: float = CALL_TIMEOUT,
        drift_every: float = DRIFT_EVERY,
        formats: Mapping[str, Format[Any]] | None = None,
        directory: SlackDirectory | None = None,
        group_created: GroupCreated | None = None,
        bot_user_id: str = "",
    ):
        self._client = client
        self._db = db
        self._doorbell = doorbell
        self._pacer = pacer or Pacer()
        self._clock = clock
        self._call_timeout = call_timeout
        self._drift_every = drift_every
        # kind → how its stored body is read back and rendered into chat.postMessage arguments
        self._formats: dict[str, Format[Any]] = {**FORMATS, **PERSONAL, **(formats or {})}
        self._directory = directory  # names for plain-text words (topics, _TEXTONLY tokens)
        # A group this worker created is handed to the rotation that asked for it (the rotation
        # service decides whether it still wants it); `bot_user_id` recognises groups it made.
        self._group_created = group_created
        self._bot_user_id = bot_user_id
        self._tasks: dict[tuple[str, int | str], asyncio.Task[None]] = {}
        self._calling: set[asyncio.Task[Any]] = set()  # tasks with a request to Slack on the wire
        self._closing = False
        self._worker: asyncio.Task | None = None
        self._drift: asyncio.Task | None = None
        self._progress = asyncio.Event()  # set whenever a piece of work finishes
        self._unreachable_since: float | None = None  # Slack could not be reached, and has not been since
        self._next_probe = 0.0

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        await rotation_store.adopt_groups(self._db)
        self._worker = asyncio.create_task(self._run(), name="slack-delivery")
        if self._drift_every > 0:
            self._drift = asyncio.create_task(self._drift_loop(), name="slack-drift-check")

    async def close(self, timeout: float = 5.0) -> None:
        """Stop taking work; let requests already on the wire finish (and be recorded)."""
        self._closing = True
        for task in (self._worker, self._drift):
            if task:
                task.cancel()
        waiting = [t for t in self._tasks.values() if t not in self._calling]
        for task in waiting:
            task.cancel()  # nothing was sent for these: they go out at the next start
        if self._calling:
            await asyncio.wait(set(self._calling), timeout=timeout)
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(
            *(t for t in (self._worker, self._drift, *self._tasks.values()) if t), return_exceptions=True
        )

    async def idle(self) -> bool:
        """Nothing pending and nothing in flight."""
        if self._tasks or (await outbox.backlog(self._db, self._clock(), 0)).pending:
            return False
        return await topics.pending(self._db) == 0

    async def wait_idle(self, timeout: float) -> None:
        """Until Slack confirmed everything pending (benchmarks and tests wait for this)."""
        await wait_until(self.idle, self._progress, timeout)

    # --- the loop -----------------------------------------------------------------------------

    async def _run(self) -> None:
        await work_loop(self._dispatch, self._doorbell, lambda: self._closing, "slack delivery")

    async def _dispatch(self) -> float:
        """Start a task for every piece of due work not already under way; seconds until more is due."""
        now = self._clock()
        await self._probe(now)
        for work in await outbox.due_groups(self._db, now):
            self._spawn(("group", work.rotation_id), self._deliver_group(work))
        for message in await outbox.due_messages(self._db, now):
            self._spawn(("message", message.id), self._deliver_message(message))
        for topic in await topics.due(self._db, now):
            self._spawn(("topic", f"{topic.channel_id}:{topic.rotation_id}"), self._deliver_topic(topic))
        times = [
            t
            for t in (await outbox.next_due_at(self._db), await topics.next_due_at(self._db))
            if t is not None
        ]
        upcoming = min(times) if times else None
        if self._unreachable_since is not None:
            upcoming = min(upcoming or self._next_probe, self._next_probe)
        if upcoming is None or upcoming <= now:
            # Nothing, or only work already under way: its task rings when it is done.
            return IDLE_WAKE
        return min(IDLE_WAKE, max(0.05, upcoming - now))

    # --- recovery ----------------------------------------------------------------------------

    def _met(self, failure: SlackFailure) -> None:
        """Note a failure: one that means Slack could not be reached starts the probing."""
        unreachable = failure.code in ("timeout", "connection") or failure.code.startswith("http_5")
        if unreachable and self._unreachable_since is None:
            self._unreachable_since = self._clock()
            self._next_probe = self._clock() + PROBE_EVERY

    async def _probe(self, now: float) -> None:
        """While Slack is unreachable, the work waiting out a backoff that is due soonest goes now,
        every PROBE_EVERY seconds: the first to get through tells everything else to go."""
        if self._unreachable_since is None or now < self._next_probe:
            return
        self._next_probe = now + PROBE_EVERY
        if not (await outbox.probe(self._db, now) or await topics.probe(self._db, now)):
            self._unreachable_since = None  # nothing is waiting for Slack any more

    async def _slack_took_it(self) -> None:
        """A piece of work went through: if Slack was unreachable until now, everything waiting out
        a backoff goes at once (paced by the tiers), not a backoff later."""
        if self._unreachable_since is None:
            return
        down_for = self._clock() - self._unreachable_since
        self._unreachable_since = None
        now = self._clock()
        released = await outbox.release_waiting(self._db, now) + await topics.release_waiting(self._db, now)
        log.info("slack is reachable again", extra={"released": released, "down_seconds": round(down_for, 1)})
        if released:
            self._doorbell.ring()

    def _spawn(self, key: tuple[str, int | str], work: Coroutine[Any, Any, None]) -> None:
        if key in self._tasks or self._closing:
            work.close()
            return
        task = asyncio.create_task(work, name=f"slack-{key[0]}-{key[1]}")
        self._tasks[key] = task

        def done(t: asyncio.Task[None]) -> None:
            self._tasks.pop(key, None)
            self._progress.set()
            self._calling.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("slack delivery task failed", exc_info=t.exception(), extra={"work": key[0]})
            self._doorbell.ring()

        task.add_done_callback(done)

    async def _call(self, method: str, lane: str = "", /, **args: Any) -> dict[str, Any]:
        """One paced Web API call (`lane`: the channel, for per-channel limits); rate limits are
        waited out here, anything else raises _Failed."""
        for _ in range(RATE_LIMIT_RETRIES):
            counted = await self._pacer.slot(method, lane)
            task = asyncio.current_task()
            if task is not None:
                self._calling.add(task)
            try:
                async with asyncio.timeout(self._call_timeout):
                    response = await getattr(self._client, method.replace(".", "_"))(**args)
                return response.data
            except Exception as error:  # noqa: BLE001 - classify sorts every kind of failure
                failure = classify(error)
                if failure.code.startswith("unexpected"):
                    log.error("unexpected error calling slack", exc_info=error, extra={"method": method})
                if failure.code == "connection" or failure.code.startswith("http_5"):
                    self._pacer.refund(counted)  # it never reached Slack's limits
                if not failure.rate_limited:
                    raise _Failed(failure) from None
                wait = failure.retry_after or 0.0  # rate_limited: Slack said how long
                log.info("slack rate limited", extra={"method": method, "wait_seconds": wait})
                self._pacer.hold(method, lane, wait)
            finally:
                if task is not None:
                    self._calling.discard(task)
        raise _Failed(SlackFailure("ratelimited", True))

    def _backoff(self, attempts: int) -> float:
        return min(MAX_BACKOFF, 2.0 ** min(attempts, 6)) * (0.8 + random.random() * 0.4)

    # --- user groups --------------------------------------------------------------------------

    async def _deliver_group(self, work: GroupWork) -> None:
        try:
            await self._apply_group(work)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - a bug must back off, not spin
            log.exception("user group delivery failed unexpectedly")
            await self._group_failed(work, SlackFailure(f"unexpected {type(error).__name__}", True))

    async def _apply_group(self, work: GroupWork) -> None:
        current = await outbox.group(self._db, work.rotation_id)
        if current is None or current.usergroup_id != work.usergroup_id:
            return
        if current.usergroup_id.startswith("+"):
            await self._create_group(current)
            return
        desired, applied, group = current.desired, current.applied, current.usergroup_id
        try:
            if not desired.enabled:
                if applied is None or applied.enabled:
                    await self._call("usergroups.disable", usergroup=group)
            else:
                if applied is None or not applied.enabled:
                    await self._call("usergroups.enable", usergroup=group)
                if applied is None or set(applied.users) != set(desired.users):
                    await self._call(
                        "usergroups.users.update", usergroup=group, users=",".join(desired.users)
                    )
        except _Failed as failed:
            if failed.failure.code in NAMES_PEOPLE and await self._leave_out(current):
                return
            await self._group_failed(current, failed.failure)
            return
        await outbox.group_applied(self._db, work.rotation_id, group, desired)
        await self._slack_took_it()

    async def _leave_out(self, work: GroupWork) -> bool:
        """Slack refused the group over some of its people and did not say whom: ask Slack about each
        afresh, so the directory learns who cannot be in a group (and the rotations follow: the group
        is set to the others). False when everyone looks fine (then it is a refusal like any other)."""
        if self._directory is None or not work.desired.users:
            return False
        try:
            async with asyncio.timeout(self._call_timeout):
                kept_out = await self._directory.recheck(work.desired.users)
        except Exception as error:  # noqa: BLE001 - Slack could not say now: ask again after a backoff
            await self._group_failed(work, SlackFailure(classify(error).code, True))
            return True
        if not kept_out:
            return False
        rotation = await rotation_store.get(self._db, work.rotation_id)
        label = mention(work.usergroup_id, handle=rotation.usergroup_handle if rotation else None)
        who = ", ".join(f"{mention(u)} ({why_not(why)})" for u, why in sorted(kept_out.items()))
        log.info("user group update refused over some people", extra={"rotation": work.rotation_id})
        # Retried soon (the rotation's new wish, without them, resets this at once).
        await outbox.group_failed(
            self._db,
            work.rotation_id,
            work.usergroup_id,
            f"Slack would not put {who} in {label}; Round Robin is setting it to the others.",
            self._clock() + self._backoff(work.attempts),
            False,
            self._clock(),
        )
        return True

    async def _create_group(self, work: GroupWork) -> None:
        """Make the group a rotation asked for, now that the rotation is saved, and hand it over.

        A create that reached Slack just before a crash meets "handle_already_exists" when it is
        tried again: a group with that handle that this bot made and no rotation keeps is that one."""
        handle = work.usergroup_id[1:]
        rotation = await rotation_store.get(self._db, work.rotation_id)
        if rotation is None or self._group_created is None:
            return
        group_id = None
        for name in (f"{rotation.name} on duty", f"{rotation.name} on duty ({rotation.code})"):
            try:
                created = await self._call("usergroups.create", handle=handle, name=name[:80])
                group_id = created["usergroup"]["id"]
                break
            except _Failed as failed:
                if failed.failure.code == "name_already_exists":
                    continue  # another group has the name: the rotation's code tells them apart
                if failed.failure.code == "handle_already_exists" and (group_id := await self._ours(handle)):
                    break
                await self._group_failed(work, failed.failure, handle=handle)
                return
        if group_id is None:
            await self._group_failed(work, SlackFailure("name_already_exists", False), handle=handle)
            return
        await self._slack_took_it()
        if not await self._group_created(work.rotation_id, handle, group_id):
            # Edited meanwhile to another group: the one made for nothing is disabled, not left on.
            with contextlib.suppress(_Failed):
                await self._call("usergroups.disable", usergroup=group_id)
        self._doorbell.ring()

    async def _ours(self, handle: str) -> str | None:
        """The id of a group with this handle that Round Robin made and no rotation keeps."""
        listed = await self._call("usergroups.list", include_disabled=True)
        for group in map(parse_group, listed.get("usergroups", [])):
            if group.handle.lower() != handle.lower() or group.created_by != self._bot_user_id:
                continue
            if await rotation_store.holder_of_group(self._db, group.id):
                continue
            if not group.enabled:
                await self._call("usergroups.enable", usergroup=group.id)
            return group.id
        return None

    async def _group_failed(self, work: GroupWork, failure: SlackFailure, handle: str | None = None) -> None:
        now = self._clock()
        rotation = await rotation_store.get(self._db, work.rotation_id)
        label = mention(work.usergroup_id, handle=rotation.usergroup_handle if rotation else None)
        if handle is not None and not failure.temporary:
            failure = SlackFailure(f"create_{failure.code}", False)
            label = f"@{esc(handle)}"
        if failure.temporary:
            self._met(failure)
            words = f"{describe(failure)} while setting {label}; Round Robin keeps trying."
            retry_at = now + self._backoff(work.attempts)
        else:
            words = GROUP_PROBLEMS.get(failure.code, "Slack refused to update {group} ({error}).").format(
                group=label, error=esc(failure.code)
            )
            retry_at = now + REFUSED_RETRY
        log.warning(
            "user group update failed",
            extra={"rotation": work.rotation_id, "error": failure.code, "temporary": failure.temporary},
        )
        await outbox.group_failed(
            self._db, work.rotation_id, work.usergroup_id, words, retry_at, not failure.temporary, now
        )

    # --- messages -----------------------------------------------------------------------------

    async def _deliver_message(self, message: Message) -> None:
        current = await rotation_store.get(self._db, message.rotation_id)
        if current is None:
            return  # deleted: its outbox rows went with it
        rotation = current
        try:
            kind = self._formats[message.kind]
            body = kind.parse(message.body)
            # Who is on duty as it is now (is the message still true?); the rotation's words as they
            # were when the change was made (a rename a moment later does not rewrite it).
            rotation = with_snapshot(current, body.words)
            sending = await self._sending(body.people, message.target, names=bool(rotation.templates))
            if kind.thread is not None and not message.target.startswith("U"):
                since = kind.thread(body)
                thread = await handoff_store.thread_after(self._db, rotation.id, message.target, since)
                if thread is None and self._clock() < since + THREAD_WAIT:
                    # The message it replies under is still on its way (a burst waits a few
                    # seconds, a late hand-over longer): look again shortly.
                    now = self._clock()
                    await outbox.enqueue(
                        self._db,
                        message.kind,
                        message.rotation_id,
                        message.target,
                        message.body,
                        now,
                        ref=message.ref,
                        due_at=now + THREAD_RETRY,
                    )
                    return
                sending = replace(sending, thread_ts=thread)
            payload = kind.render(rotation, body, sending)
            if payload is None:
                await outbox.message_sent(self._db, message)  # nothing to say any more (a reminder too late)
                return
            key = kind.keep(body) if kind.keep is not None else None
            answer: dict[str, Any] = {}
            if kind.edits:
                await self._edit(message, key, payload)
            else:
                answer = posted = await self._call(
                    "chat.postMessage", message.target, channel=message.target, **payload
                )
                if key is not None:
                    await kept_messages.keep(
                        self._db, key, message.target, posted["channel"], posted["ts"], self._clock()
                    )
            await self._slack_took_it()
            if message.kind == DUTY and isinstance(answer.get("ts"), str):
                # Hand-off notes reply in this message's thread (slack/views/handoff.py).
                await handoff_store.announced(
                    self._db, rotation.id, message.target, answer["ts"], self._clock()
                )
        except _Failed as failed:
            if kind.edits and not failed.failure.temporary:
                await outbox.message_sent(self._db, message)  # deleted in Slack meanwhile: nothing to edit
                return
            await self._message_failed(rotation, message, failed.failure)
            return
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - a bug must back off, not spin
            log.exception("channel message delivery failed unexpectedly")
            await self._message_failed(
                rotation, message, SlackFailure(f"unexpected {type(error).__name__}", True)
            )
            return
        await outbox.message_sent(self._db, message)

    async def _edit(self, message: Message, key: str | None, payload: dict[str, Any]) -> None:
        """Edit the message kept under `key` for this target (an offer, once it is taken)."""
        found = await kept_messages.find(self._db, key, message.target) if key else None
        if found is None or key is None:
            return  # never posted (forgotten before it went out), or edited already
        await self._call("chat.update", found.channel, channel=found.channel, ts=found.ts, **payload)
        await kept_messages.forget(self._db, key, message.target)

    async def _sending(self, people: set[str], target: str, names: bool) -> Sending:
        """What only the moment of sending knows: who the message is for, the time, mutes, and the
        people's names when the words need them in plain text (a template's _TEXTONLY tokens)."""
        return Sending(
            target=target,
            now=self._clock(),
            muted=await preferences.dms_muted(self._db, target),
            names=await self._names(u for u in {*people, target} if u) if names else {},
        )

    async def _names(self, user_ids: Iterable[str]) -> dict[str, Name]:
        if self._directory is None:
            return {}
        return await self._directory.names(user_ids)

    async def _message_failed(self, rotation: Rotation, message: Message, failure: SlackFailure) -> None:
        now = self._clock()
        channel = mention(message.target)
        if failure.temporary:
            self._met(failure)
            words = f"{describe(failure)} while telling {channel}; Round Robin keeps trying."
        else:
            words = CHANNEL_PROBLEMS.get(
                failure.code, "Slack refused a message to {channel} ({error})."
            ).format(channel=channel, error=esc(failure.code))
        log.warning(
            "channel message failed",
            extra={"rotation": rotation.code, "error": failure.code, "temporary": failure.temporary},
        )
        await outbox.message_failed(
            self._db, message, words, now + self._backoff(message.attempts), not failure.temporary, now
        )

    # --- topics -----------------------------------------------------------------------------

    async def _deliver_topic(self, work: TopicWork) -> None:
        try:
            await self._set_topic(work)
            await self._slack_took_it()
        except _Failed as failed:
            await self._topic_failed(work, failed.failure)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - a bug must back off, not spin
            log.exception("topic delivery failed unexpectedly")
            await self._topic_failed(work, SlackFailure(f"unexpected {type(error).__name__}", True))

    async def _set_topic(self, work: TopicWork) -> None:
        """Set the topic, clear ours, or leave someone else's alone: never clobber a person's topic."""
        current_work = await topics.get(self._db, work.channel_id, work.rotation_id)
        if current_work is None or current_work.desired_rev != work.desired_rev:
            return  # changed meanwhile: the newer wish is dispatched next
        rotation = await rotation_store.get(self._db, work.rotation_id)
        desired = work.desired if rotation is not None else None
        info = await self._call("conversations.info", channel=work.channel_id)
        current = ((info.get("channel") or {}).get("topic") or {}).get("value") or ""
        if desired is None or rotation is None:
            if work.applied_text and current == work.applied_text:
                await self._call("conversations.setTopic", channel=work.channel_id, topic="")
            await topics.set_done(self._db, work, None)
            return
        text = topic_text(rotation, desired, await self._names([*desired.on_duty, *desired.next_up]))
        if work.applied_text is not None and current not in ("", work.applied_text, text):
            note = (
                f"Someone changed the topic of {mention(work.channel_id)}, so Round Robin leaves it as it is. "
                "Save Notifications… with the channel chosen to take the topic back."
            )
            await topics.set_done(self._db, work, None, left_alone=current, note=note)
            return
        if current != text:
            await self._call("conversations.setTopic", channel=work.channel_id, topic=text)
        await topics.set_done(self._db, work, text)

    async def _topic_failed(self, work: TopicWork, failure: SlackFailure) -> None:
        now = self._clock()
        channel = mention(work.channel_id)
        if failure.temporary:
            self._met(failure)
            words = f"{describe(failure)} while setting the topic of {channel}; Round Robin keeps trying."
            retry_at = now + self._backoff(work.attempts)
        else:
            words = TOPIC_PROBLEMS.get(
                failure.code, "Slack refused to set the topic of {channel} ({error})."
            ).format(channel=channel, error=esc(failure.code))
            retry_at = now + REFUSED_RETRY
        log.warning("topic update failed", extra={"rotation": work.rotation_id, "error": failure.code})
        await topics.failed(self._db, work, words, retry_at, not failure.temporary, now)

    # --- drift --------------------------------------------------------------------------------

    async def _drift_loop(self) -> None:
        while not self._closing:
            await asyncio.sleep(self._drift_every)
            self._pacer.forget_idle()
            try:
                await self.check_drift()
            except Exception:  # noqa: BLE001 - try again next time
                log.exception("user group drift check failed")

    async def check_drift(self) -> int:
        """Read every group back in one call; set back the ones someone changed by hand."""
        settled = [
            g
            for g in await outbox.all_groups(self._db)
            if g.applied is not None
            and g.applied == g.desired
            and ("group", g.rotation_id) not in self._tasks
        ]
        if not settled:
            return 0
        try:
            data = await self._call("usergroups.list", include_users=True, include_disabled=True)
        except _Failed as failed:
            log.info("user group drift check skipped", extra={"error": failed.failure.code})
            return 0
        actual = {g.id: g for g in map(parse_group, data.get("usergroups", []))}
        repaired = 0
        now = self._clock()
        for work in settled:
            group = actual.get(work.usergroup_id)
            if group is None:
                seen = None  # deleted in Slack: setting it again will say so on the rotation
            else:
                seen = GroupState(group.enabled, tuple(sorted(group.users)) if group.enabled else ())
            async with self._db.transaction():
                latest = await outbox.group(self._db, work.rotation_id)
                if (
                    latest is None
                    or latest.applied != work.applied
                    or ("group", work.rotation_id) in self._tasks
                ):
                    continue  # changed since the read: the delivery is already on it
                if await outbox.group_seen(self._db, work.rotation_id, work.usergroup_id, seen, now):
                    await events.record(
                        self._db, "usergroup.repaired", now, None, work.rotation_id, group=work.usergroup_id
                    )
                    repaired += 1
        if repaired:
            log.info("user groups changed by hand in Slack are being set back", extra={"groups": repaired})
            self._doorbell.ring()
        return repaired
