"""What a rotation's outgoing webhook is told of a duty change: one JSON event, built from the change
alone (plus people's emails, when Round Robin knows them), so it reads the same however late it is
delivered."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from roundrobin.rotations import webhook_actor
from roundrobin.rotations.model import DutyChange

EVENT_TYPE = "duty.changed"


def iso(ts: float | None) -> str | None:
    """'2026-12-07T09:00:00Z'."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def duty_event(change: DutyChange, emails: Mapping[str, str], event_id: str | None = None) -> dict[str, Any]:
    """The event: rotation, before, after, until, next, reason, actor (and its own id and time)."""
    rotation = change.rotation

    def people(ids: tuple[str, ...]) -> list[dict[str, str | None]]:
        return [{"slack_id": u, "email": emails.get(u)} for u in ids]

    return {
        "type": EVENT_TYPE,
        "id": event_id or uuid.uuid4().hex,
        "at": iso(change.at),
        "rotation": {"id": rotation.id, "code": rotation.code, "name": rotation.name},
        "before": people(change.before),
        "after": people(rotation.on_duty),
        "until": iso(rotation.on_duty_until),
        "next": people(tuple(u for u in change.next_up if u not in rotation.on_duty)),
        "reason": change.reason,
        "actor": actor(change.actor, change.reason),
    }


def actor(who: str | None, reason: str) -> dict[str, str]:
    """Who made the change: a person, a webhook, PagerDuty, or Round Robin itself (the schedule)."""
    if (hook := webhook_actor.parse(who)) is not None:
        return {"type": "webhook", "name": hook[1]}
    if who:
        return {"type": "person", "slack_id": who}
    return {"type": "pagerduty"} if reason == "pagerduty" else {"type": "schedule"}
