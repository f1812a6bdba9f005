"""Slack's events about people: user_change (a person's account changed: deactivated, reactivated,
a guest now, a new name) and subteam_members_changed (people were added to a user group or removed
from it). Bolt acks events at once; the directory and the rotations follow after."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from roundrobin.slack.surfaces.deps import deps

MAX_PEOPLE = 1000  # people named in one event that are read at all
LATEST = 2**40  # a date_update past this is not a Unix time in seconds


def register(app: AsyncApp) -> None:
    app.event("user_change")(on_user_change)
    app.event("subteam_members_changed")(on_group_members_changed)


async def on_user_change(event: dict, context: AsyncBoltContext) -> None:
    await deps(context).accounts.user_changed(event.get("user"))


async def on_group_members_changed(event: dict, context: AsyncBoltContext) -> None:
    """Who was added to a group and who was removed (docs.slack.dev/reference/events/
    subteam_members_changed: the delta only, with the group's previous and new date_update)."""
    await deps(context).following.group_changed(
        str(event.get("subteam_id") or "")[:40],
        _people(event.get("added_users")),
        _people(event.get("removed_users")),
        _stamp(event.get("date_previous_update")),
        _stamp(event.get("date_update")),
    )


def _people(value: object) -> list[str]:
    """A list of ids as Slack sends it; anything else is nobody (the service checks each id)."""
    if not isinstance(value, list):
        return []
    return [u for u in value[:MAX_PEOPLE] if isinstance(u, str) and len(u) <= 40]


def _stamp(value: object) -> float | None:
    """A Unix time in seconds (a JSON number, or digits in a string), or None."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        value = int(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < LATEST:
        return float(value)
    return None
