"""What several test modules share."""

from __future__ import annotations

import time

from roundrobin.rotations.away import AwayService
from roundrobin.rotations.duty import DutyService
from roundrobin.rotations.editing import RotationEditor
from roundrobin.rotations.reading import RotationQueries
from roundrobin.rotations.shifts import ShiftService


class Rotations:
    """The rotation services together (reading, editing, duty; shifts and away by name), as unit tests
    drive them."""

    def __init__(self, db, access, workspace, signals, clock=time.time, **timing):
        self.queries = RotationQueries(db, access, workspace)
        self.editor = RotationEditor(db, access, workspace, signals, clock, **timing)
        self.duty = DutyService(db, access, signals, clock, **timing)
        self.shifts = ShiftService(db, access, signals, clock, **timing)
        self.away = AwayService(db, access, signals, clock, **timing)

    def __getattr__(self, name):
        for part in (self.editor, self.duty, self.queries):
            if hasattr(part, name):
                return getattr(part, name)
        raise AttributeError(name)
