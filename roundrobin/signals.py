"""Doorbells the services ring after a change is committed; the workers wait on them."""

from __future__ import annotations

from dataclasses import dataclass, field

from roundrobin.background import Doorbell


@dataclass(frozen=True)
class Signals:
    effects: Doorbell  # Slack work is pending (groups, messages)
    hand_overs: Doorbell  # a timed rotation's next hand-over moved: re-arm the wake-up
    sync: Doorbell  # a rotation was bound to a PagerDuty schedule: sync soon
    changed: Doorbell  # a duty or config change was committed: views of rotations may be stale
    webhooks: Doorbell = field(default_factory=Doorbell)  # events for outgoing webhooks are pending

    @classmethod
    def new(cls) -> Signals:
        return cls(Doorbell(), Doorbell(), Doorbell(), Doorbell())
