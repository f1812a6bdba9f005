"""What a person submits for a rotation, and the rules it must meet before anything is saved."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from roundrobin.rotations.model import ALPHABETICAL, GROUP_ORDER
from roundrobin.rotations.schedule import Schedule, ScheduleError, validate
from roundrobin.rotations.status import StatusDraft
from roundrobin.rotations.status import parse as parse_status
from roundrobin.text import clean_text

CODE_PATTERN = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
HANDLE_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,79}")
MAX_MEMBERS = 100
MAX_CHANNELS = 10
MAX_SCHEDULES = 10  # PagerDuty schedules one rotation follows


@dataclass(frozen=True)
class RotationDraft:
    name: str
    code: str
    description: str = ""
    source: str = "manual"  # manual | pagerduty
    members: tuple[str, ...] | None = ()  # None: more than the form can show; keep them as they are
    channels: tuple[str, ...] = ()
    usergroup_id: str | None = None
    usergroup_handle: str | None = None  # the chosen group's handle, for display
    new_usergroup_handle: str | None = None  # create a group with this handle
    schedule: Schedule = field(default_factory=Schedule)
    pd_schedule_id: str | None = None
    pd_more_schedule_ids: tuple[str, ...] = ()  # followed too: on duty is whoever is on call in any
    members_may_rotate: bool = True  # members may rotate, hand over and set on duty, not only managers
    # The members follow this Slack user group (members then come from it, not from the form).
    members_group_id: str | None = None
    members_group_handle: str | None = None
    members_order: str = GROUP_ORDER  # the group's order, or alphabetical
    status: StatusDraft | None = None  # what a Slack status does at hand-over (None: as it is)

    @property
    def pd_schedule_ids(self) -> tuple[str, ...]:
        """Every schedule chosen, the first first, each once."""
        if not self.pd_schedule_id:
            return ()
        return tuple(dict.fromkeys((self.pd_schedule_id, *self.pd_more_schedule_ids)))

    def normalised(self) -> RotationDraft:
        """What a person meant: names on one line without invisible controls, codes upper-case."""
        return replace(
            self,
            name=clean_text(self.name),
            code=normalise_code(self.code),
            description=clean_text(self.description, multiline=True),
            new_usergroup_handle=(self.new_usergroup_handle or "").strip().lstrip("@") or None,
        )


def normalise_code(code: str) -> str:
    return code.strip().upper()


def check(draft: RotationDraft, pagerduty_connected: bool) -> dict[str, str]:
    """Every problem with the draft, by field; empty when it can be saved (uniqueness aside)."""
    errors: dict[str, str] = {}
    if not draft.name.strip():
        errors["name"] = "Give the rotation a name."
    elif len(draft.name) > 80:
        errors["name"] = "Keep the name under 80 characters."
    code = normalise_code(draft.code)
    if not code:
        errors["code"] = "Give the rotation a short code, like OPS or WEB-ONCALL."
    elif len(code) > 20 or not CODE_PATTERN.fullmatch(code):
        errors["code"] = "Use up to 20 letters, digits and single hyphens (like WEB-ONCALL)."
    if len(draft.description) > 500:
        errors["description"] = "Keep the description under 500 characters."
    if draft.source == "pagerduty":
        if not pagerduty_connected:
            errors["source"] = (
                "PagerDuty is not connected: an admin can connect it in Settings › Integrations."
            )
        elif not draft.pd_schedule_id:
            errors["pd_schedule"] = "Choose the PagerDuty schedule this rotation follows."
        elif len(draft.pd_schedule_ids) > MAX_SCHEDULES:
            errors["pd_more_schedules"] = f"A rotation can follow up to {MAX_SCHEDULES} schedules."
    else:
        if draft.members_order not in (GROUP_ORDER, ALPHABETICAL):
            errors["members_order"] = "Choose the group's order or alphabetical."
        if draft.members is not None and len(draft.members) > MAX_MEMBERS:
            errors["members"] = f"A rotation can have up to {MAX_MEMBERS} members."
        try:
            validate(draft.schedule)
        except ScheduleError as e:
            errors[f"schedule.{e.field}"] = str(e)
        if draft.schedule.timed and draft.members is not None and not draft.members:
            errors["members"] = "A timed rotation needs at least one member to hand over to."
    if draft.status is not None:
        errors.update(parse_status(draft.status, bound=draft.source == "pagerduty").problems)
    if len(draft.channels) > MAX_CHANNELS:
        errors["channels"] = f"Choose up to {MAX_CHANNELS} channels."
    handle = draft.new_usergroup_handle
    if handle is not None and not HANDLE_PATTERN.fullmatch(handle):
        errors["new_usergroup"] = (
            "A handle uses lower-case letters, digits, dots, hyphens and underscores, like ops-oncall."
        )
    if handle and draft.usergroup_id:
        errors["new_usergroup"] = (
            "Choose an existing group or type a new handle, not both: to create this one, choose "
            "“No user group” above."
        )
    return errors
