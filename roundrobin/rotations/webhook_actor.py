"""A webhook acting on a rotation: how it is written where a person's Slack id would be (the history,
`duty_actor`, a message's "by …"), and how it is read back.

The id names the rotation the webhook belongs to, but that alone grants nothing: a Slack payload
could carry the same string as a user id. Access only gives a webhook its powers while the webhook
service is the one acting (access.acting_as_webhook)."""

from __future__ import annotations

import re

PREFIX = "webhook:"
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}", re.ASCII)
DEFAULT_NAME = "webhook"


def webhook_actor(rotation_id: int, name: str) -> str:
    return f"{PREFIX}{rotation_id}:{name}"


def parse(actor: object) -> tuple[int, str] | None:
    """(rotation id, name) of a webhook actor; None for anything else (a person, a schedule)."""
    if not isinstance(actor, str) or not actor.startswith(PREFIX):
        return None
    rotation, _, name = actor[len(PREFIX) :].partition(":")
    if not rotation.isascii() or not rotation.isdigit() or not NAME_PATTERN.fullmatch(name):
        return None
    return int(rotation), name


def label(actor: object) -> str | None:
    """'webhook (deploy-bot)', or None when the actor is not a webhook."""
    parsed = parse(actor)
    return f"webhook ({parsed[1]})" if parsed else None
