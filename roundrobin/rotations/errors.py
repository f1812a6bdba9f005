"""What the rotation services refuse, in words a person can read where they are."""

from __future__ import annotations


class NotAllowed(Exception):
    """The action does not apply to this rotation; str() is safe to show."""


class AlreadyChanged(NotAllowed):
    """Someone else changed the rotation since the person looked at it; str() says who and what."""


class DraftError(Exception):
    """Field name → what to fix. Nothing was saved."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors
