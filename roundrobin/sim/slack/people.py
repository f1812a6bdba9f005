"""What people do in Slack besides using the app's views: write messages, set topics, edit user groups.

None of this is a Web API call by the app (nothing lands in ``calls``): it is a person using Slack's
own client, which only lets them do what Slack allows. A test that asks for something the client
would not offer gets an AssertionError; a test naming something that does not exist, a LookupError.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from roundrobin.sim.slack.api_usergroups import set_members
from roundrobin.sim.slack.workspace import MAX_TOPIC_LENGTH, Channel, User, Workspace

# <@U123> or <@U123|alice>: how a mention looks in a message's text.
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def mentioned(text: str) -> list[str]:
    """The user ids mentioned in ``text``, in order of appearance."""
    return MENTION.findall(text)


def rich_text(text: str) -> list[dict]:
    """The blocks Slack's composer attaches to a message: one rich_text section, mentions as user elements."""
    elements: list[dict] = []
    position = 0
    for match in MENTION.finditer(text):
        if match.start() > position:
            elements.append({"type": "text", "text": text[position : match.start()]})
        elements.append({"type": "user", "user_id": match.group(1)})
        position = match.end()
    if position < len(text):
        elements.append({"type": "text", "text": text[position:]})
    return [{"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": elements}]}]


def write(ws: Workspace, user_id: str, channel_id: str, text: str, thread_ts: str | None = None) -> dict:
    """A person posts ``text`` in a channel, in their DM with the app, or in a thread; returns the message."""
    person = ws.users.get(user_id)
    if person is None or person.deleted or person.is_bot:
        raise AssertionError(f"{user_id!r} is not an active person in the workspace")
    if not text.strip():
        raise AssertionError("Slack's client does not send an empty message")
    channel = _conversation_for(ws, user_id, channel_id)
    if thread_ts is not None:
        parent = ws.find_message(channel, thread_ts)
        if parent is None:
            raise LookupError(f"no message {thread_ts!r} in {channel_id!r} to reply to")
        thread_ts = parent["thread_ts"] or parent["ts"]  # a reply to a reply goes to the same thread
    return ws.post(channel, text, rich_text(text), thread_ts, user=user_id, client_msg_id=str(uuid.uuid4()))


def _conversation_for(ws: Workspace, user_id: str, channel_id: str) -> str:
    """Where a message by ``user_id`` to ``channel_id`` lands, if the client lets them write there."""
    if ws.dm_user(channel_id) is not None:
        if ws.dm_user(channel_id) != user_id:
            raise AssertionError(
                f"{user_id} can only write to the app in their own DM with it, not {channel_id!r}"
            )
        return ws.dm_channel(user_id)
    channel = _channel(ws, channel_id)
    if channel.is_archived:
        raise AssertionError(f"#{channel.name} is archived: Slack's client offers no composer")
    if user_id not in channel.members:
        raise AssertionError(f"{user_id} is not in #{channel.name}: Slack's client asks them to join first")
    return channel.id


def join(ws: Workspace, user_id: str, channel_id: str) -> dict:
    """A person presses "Join channel" on a public channel they are not in; returns Slack's join message.

    Slack's client offers the button only on a public, unarchived channel the person is not in (a
    private one needs an invitation), and posts "<@U…> has joined the channel" (subtype channel_join).
    """
    person = ws.users.get(user_id)
    if person is None or person.deleted or person.is_bot:
        raise AssertionError(f"{user_id!r} is not an active person in the workspace")
    channel = _channel(ws, channel_id)
    if channel.is_private:
        raise AssertionError(f"#{channel.name} is private: Slack offers no Join, only a member's invitation")
    if channel.is_archived:
        raise AssertionError(f"#{channel.name} is archived: nobody can join it")
    if user_id in channel.members:
        raise AssertionError(f"{user_id} is already in #{channel.name}: Slack's client offers no Join")
    channel.members.append(user_id)
    return ws.post(
        channel.id, f"<@{user_id}> has joined the channel", None, None, user=user_id, subtype="channel_join"
    )


def set_topic(ws: Workspace, user_id: str, channel_id: str, text: str) -> dict:
    """A person edits a channel's topic by hand; returns the topic as conversations.info shows it."""
    channel = _channel(ws, channel_id)
    if user_id not in channel.members:
        raise AssertionError(f"{user_id} is not in #{channel.name}: only members can edit its topic")
    if channel.is_archived:
        raise AssertionError(f"#{channel.name} is archived: its topic cannot change")
    if len(text) > MAX_TOPIC_LENGTH:
        raise AssertionError(
            f"Slack's client stops a topic at {MAX_TOPIC_LENGTH} characters (got {len(text)})"
        )
    ws.set_topic(channel, text, by=user_id)
    return dict(channel.topic)


def edit_usergroup(
    ws: Workspace,
    group_id: str,
    *,
    by: str | None = None,
    users: Iterable[str] | None = None,
    name: str | None = None,
    handle: str | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> dict:
    """A person (``by``) edits a user group in Slack's client: members, name, handle, description, on/off.

    Unlike usergroups.users.update, the client lets a person remove every member. A change of
    members reaches the app as subteam_members_changed (api_usergroups.set_members).
    """
    group = ws.usergroups.get(group_id)
    if group is None:
        raise LookupError(f"no user group {group_id!r}")
    if users is not None:
        change_members(ws, group_id, users, by=by)
    changes = {"name": name, "handle": handle, "description": description, "enabled": enabled}
    group.update({key: value for key, value in changes.items() if value is not None})
    group["date_update"] = int(ws.clock())
    if enabled is False:
        group["date_delete"] = group["date_update"]
    if by is not None:
        group["updated_by"] = by
    return group


def change_members(
    ws: Workspace, group_id: str, users: Iterable[str], *, by: str | None = None, tell_app: bool = True
) -> object:
    """A person changes who is in a user group in Slack's client (the member picker offers active
    people only, and lets them remove everyone). Slack tells the app with subteam_members_changed
    unless ``tell_app`` is False (an event that never reached it); returns what the event feed
    returns for it (a future resolved once the app acked it), or None."""
    group = ws.usergroups.get(group_id)
    if group is None:
        raise LookupError(f"no user group {group_id!r}")
    members = list(dict.fromkeys(users))
    for member in members:
        person = ws.users.get(member)
        if person is None or person.deleted or person.is_bot:
            raise AssertionError(f"the member picker offers no {member!r}: not an active person")
    return set_members(
        ws, group, members, by=by or group.get("updated_by") or ws.bot_user_id, tell_app=tell_app
    )


def change_account(
    ws: Workspace,
    user_id: str,
    *,
    deleted: bool | None = None,
    is_restricted: bool | None = None,
    is_ultra_restricted: bool | None = None,
    real_name: str | None = None,
) -> User:
    """An admin deactivates or reactivates an account, or makes it a guest (or a full member again),
    in Slack's admin pages; a person renames themselves. Slack then tells every app with user_change.

    Nothing else changes: the account keeps its user groups and channels as far as the Web API shows
    (Slack's documentation does not say that deactivation empties them; it says only that groups
    refuse such accounts).
    """
    user = ws.users.get(user_id)
    if user is None:
        raise LookupError(f"no user {user_id!r} in the fake workspace: add_user() first")
    if user.is_bot or user_id == ws.bot_user_id:
        raise AssertionError("bots are not deactivated or made guests in Slack's admin pages")
    if user.is_primary_owner and deleted:
        raise AssertionError("Slack: no one can deactivate the Primary Owner")
    for name, value in (
        ("deleted", deleted),
        ("is_restricted", is_restricted),
        ("is_ultra_restricted", is_ultra_restricted),
        ("real_name", real_name),
    ):
        if value is not None:
            setattr(user, name, value)
    if user.is_ultra_restricted:
        user.is_restricted = True  # a single-channel guest is a guest too, as users.info shows it
    return user


# Slack: status_text is "a string of no more than 100 characters"; status_emoji names an emoji.
MAX_STATUS_TEXT = 100
STATUS_EMOJI = re.compile(r":[a-z0-9_+'-]{1,100}:(?::skin-tone-[2-6]:)?")
DEFAULT_STATUS_EMOJI = ":speech_balloon:"


def set_status(ws: Workspace, user_id: str, emoji: str = "", text: str = "", expiration: object = 0) -> User:
    """A person sets (or, with nothing, clears) their custom status in Slack's client
    (api.slack.com/apis/presence-and-status): an emoji, up to 100 characters of text, and when Slack
    clears it (Unix seconds; 0: never). Text with no emoji gets Slack's default, :speech_balloon:."""
    user = ws.users.get(user_id)
    if user is None:
        raise LookupError(f"no user {user_id!r} in the fake workspace: add_user() first")
    if user.is_bot or user.deleted:
        raise AssertionError("only an active person has a status (bots do not have a profile status)")
    if len(text) > MAX_STATUS_TEXT:
        raise AssertionError(
            f"Slack's client stops a status at {MAX_STATUS_TEXT} characters (got {len(text)})"
        )
    if emoji and not STATUS_EMOJI.fullmatch(emoji):
        raise AssertionError(f"{emoji!r} is not an emoji as Slack names one (like :palm_tree:)")
    if isinstance(expiration, bool) or not isinstance(expiration, int) or expiration < 0:
        raise AssertionError("status_expiration is Unix seconds (an integer), 0 for never")
    user.status_text = text
    user.status_emoji = emoji or (DEFAULT_STATUS_EMOJI if text else "")
    user.status_expiration = expiration if (emoji or text) else 0
    return user


def _channel(ws: Workspace, channel_id: str) -> Channel:
    channel = ws.channels.get(channel_id)
    if channel is None:
        raise LookupError(f"no channel {channel_id!r} in the fake workspace: add_channel() first")
    return channel
