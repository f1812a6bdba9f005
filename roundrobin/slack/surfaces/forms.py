"""Modal submissions parsed into typed objects, in one place per modal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, overload

from roundrobin.rotations.draft import RotationDraft
from roundrobin.rotations.model import GROUP_ORDER, Notifications
from roundrobin.rotations.schedule import Schedule, normalise_time
from roundrobin.rotations.status import ASK_MINUTES, DEFAULT_ASK_MINUTES, MAX_TEXT, StatusDraft
from roundrobin.slack.ids import HandoffIds, NotificationIds, PagerDuty, Rotations, StatusIds
from roundrobin.slack.views.blocks import is_id
from roundrobin.slack.views.metadata import RotationFormMeta, number
from roundrobin.slack.views.rotation_modals import NO_GROUP, RotationForm, members_block_id, order_block_id


def field(view: dict, block_id: str, action_id: str) -> dict[str, Any]:
    return view.get("state", {}).get("values", {}).get(block_id, {}).get(action_id) or {}


def text(view: dict, block_id: str, action_id: str) -> str:
    return (field(view, block_id, action_id).get("value") or "").strip()


def selected(view: dict, block_id: str, action_id: str) -> str | None:
    chosen = field(view, block_id, action_id).get("selected_option")
    return chosen.get("value") if chosen else None


def parse_menu_value(value: object) -> tuple[str, int | None, int | None]:
    """A rotation menu choice `<choice>:<rotation id>[:<revision>]`; ids that are not numbers are None."""
    parts = str(value or "")[:100].split(":")
    numbers = [number(p) for p in parts[1:3]]
    numbers += [None] * (2 - len(numbers))
    return parts[0], numbers[0], numbers[1]


def parse_member_value(value: object) -> tuple[int, str] | None:
    """A button's `<rotation id>:<user id>`, or None unless both are well-formed (ASCII digits that
    fit SQLite's integer, a Slack user id)."""
    if not isinstance(value, str) or value.count(":") != 1:
        return None
    number, user = value.split(":")
    if not (number.isascii() and number.isdigit() and len(number) <= 18) or not is_id("user", user):
        return None
    return int(number), user


@dataclass(frozen=True)
class ApiKeyForm:
    api_key: str  # empty: keep the stored key (only the region changes)
    region: str


def parse_api_key_form(view: dict) -> ApiKeyForm:
    region = selected(view, PagerDuty.REGION_BLOCK, PagerDuty.REGION_INPUT)
    return ApiKeyForm(
        api_key=text(view, PagerDuty.API_KEY_BLOCK, PagerDuty.API_KEY_INPUT),
        region=region if region in ("us", "eu") else "us",
    )


@dataclass(frozen=True)
class OAuthClientForm:
    client_id: str
    client_secret: str

    def errors(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        if not self.client_id or any(c.isspace() for c in self.client_id):
            problems[PagerDuty.CLIENT_ID_BLOCK] = (
                "Paste the Client ID from your PagerDuty app, without spaces."
            )
        if not self.client_secret or any(c.isspace() for c in self.client_secret):
            problems[PagerDuty.CLIENT_SECRET_BLOCK] = (
                "Paste the Client Secret from your PagerDuty app, without spaces."
            )
        return problems


def parse_oauth_form(view: dict) -> OAuthClientForm:
    return OAuthClientForm(
        client_id=text(view, PagerDuty.CLIENT_ID_BLOCK, PagerDuty.CLIENT_ID_INPUT),
        client_secret=text(view, PagerDuty.CLIENT_SECRET_BLOCK, PagerDuty.CLIENT_SECRET_INPUT),
    )


def parse_rotation_form(view: dict, pagerduty_connected: bool) -> RotationForm:
    """The rotation modal's current values, whether submitted or redrawn after a choice."""
    values = view.get("state", {}).get("values", {})
    meta = RotationFormMeta.read(view)
    b = Rotations

    def get(block: str) -> dict:
        return values.get(block, {}).get(block) or {}

    source = (get(b.SOURCE).get("selected_option") or {}).get("value") or "manual"
    kind = (get(b.KIND).get("selected_option") or {}).get("value") or "manual"
    tz_option = get(b.TZ).get("selected_option") or {}
    schedule = Schedule(
        kind=kind,
        at=normalise_time(get(b.TIME).get("selected_time") or "09:00"),
        weekday=_choice(get(b.WEEKDAY), 0, 6, 0),
        every_weeks=_choice(get(b.EVERY), 1, 52, 1),
        tz=tz_option.get("value") or meta.tz or "UTC",
        skip_weekends=bool(get(b.SKIP).get("selected_options")),
        anchor=(get(b.START).get("selected_option") or {}).get("value"),
    )
    pd_option = get(b.PD_SCHEDULE).get("selected_option") or {}
    pd_more = [o for o in get(b.PD_MORE_SCHEDULES).get("selected_options") or [] if isinstance(o, dict)]
    pd_more_ids = tuple(v for o in pd_more if isinstance(v := o.get("value"), str) and 0 < len(v) <= 40)
    group_option = get(b.GROUP).get("selected_option") or {}
    members_group = get(b.MEMBERS_GROUP).get("selected_option") or {}
    members_group_id = members_group.get("value") if members_group.get("value") != NO_GROUP else None
    order = (get(b.MEMBERS_ORDER).get("selected_option") or {}).get("value")
    new_handle = (get(b.NEW_GROUP).get("value") or "").strip().lstrip("@") or None
    may_rotate = values.get(b.MAY_ROTATE, {}).get(b.MAY_ROTATE)
    version = meta.members_v
    members = values.get(members_block_id(version), {}).get(b.MEMBERS) or {}
    draft = RotationDraft(
        name=(get(b.NAME).get("value") or "").strip(),
        code=(get(b.CODE).get("value") or "").strip(),
        description=(get(b.DESCRIPTION).get("value") or "").strip(),
        source=source,
        members=None if meta.keep_members else tuple(members.get("selected_users") or ()),
        channels=tuple(get(b.CHANNELS).get("selected_conversations") or ()),
        usergroup_id=None if group_option.get("value") == NO_GROUP else group_option.get("value"),
        new_usergroup_handle=new_handle,
        schedule=schedule,
        pd_schedule_id=pd_option.get("value"),
        pd_more_schedule_ids=pd_more_ids[:50],  # the rule (at most 10) is the draft's; this bounds lookups
        # Not shown (PagerDuty source): members may, as for a new rotation.
        members_may_rotate=bool(may_rotate.get("selected_options")) if may_rotate is not None else True,
        members_group_id=members_group_id if isinstance(members_group_id, str) else None,
        members_order=order if isinstance(order, str) else GROUP_ORDER,
        status=parse_status_fields(values),
    )
    return RotationForm(
        draft=draft,
        rotation_id=meta.rotation_id,
        config_rev=meta.config_rev,
        kept_members=meta.kept_members,
        pagerduty_connected=pagerduty_connected,
        pd_schedule_label=(pd_option.get("text") or {}).get("text"),
        pd_more_labels={
            o["value"]: str((o.get("text") or {}).get("text") or o["value"])[:100]
            for o in pd_more
            if o.get("value") in pd_more_ids
        },
        group_label=None
        if group_option.get("value") == NO_GROUP
        else (group_option.get("text") or {}).get("text"),
        group_confirmed=bool(get(b.GROUP_CONFIRM).get("selected_options")),
        members_group_label=_label(members_group) if members_group_id else None,
        members_version=version,
    )


def _label(chosen_option: dict) -> str | None:
    text = (chosen_option.get("text") or {}).get("text")
    return text if isinstance(text, str) else None


def parse_status_fields(values: dict) -> StatusDraft | None:
    """The form's Slack status section (None when the form had none: the rotation keeps its own)."""
    mode = (values.get(StatusIds.MODE, {}).get(StatusIds.MODE) or {}).get("selected_option")
    if StatusIds.MODE not in values:
        return None
    emoji = (values.get(StatusIds.EMOJI, {}).get(StatusIds.EMOJI) or {}).get("value") or ""
    minutes = _choice(values.get(StatusIds.MINUTES, {}).get(StatusIds.MINUTES) or {}, 1, 60, None)
    return StatusDraft(
        str((mode or {}).get("value") or "")[:20],
        emoji[: MAX_TEXT + 1],  # longer is refused, in words, without reading the rest
        minutes if minutes in ASK_MINUTES else DEFAULT_ASK_MINUTES,
    )


def turn_order_move(view: dict) -> tuple[str, int] | None:
    """The turn-order controls: (who, their new place), once both are chosen."""
    version = RotationFormMeta.read(view).members_v
    order = view.get("state", {}).get("values", {}).get(order_block_id(version), {})
    who = (order.get(Rotations.ORDER_WHO, {}).get("selected_option") or {}).get("value")
    where = _choice(order.get(Rotations.ORDER_WHERE) or {}, 0, 1000, None)
    return (who, where) if isinstance(who, str) and where is not None else None


@overload
def _choice(element: dict[str, Any], low: int, high: int, default: int) -> int: ...
@overload
def _choice(element: dict[str, Any], low: int, high: int, default: None) -> int | None: ...
def _choice(element: dict[str, Any], low: int, high: int, default: int | None) -> int | None:
    """The number a select's chosen option carries, or `default` when none (or a crafted one)."""
    chosen = number((element.get("selected_option") or {}).get("value"), low, high)
    return default if chosen is None else chosen


_ERROR_BLOCKS = {
    "name": Rotations.NAME,
    "code": Rotations.CODE,
    "description": Rotations.DESCRIPTION,
    "source": Rotations.SOURCE,
    "pd_schedule": Rotations.PD_SCHEDULE,
    "pd_more_schedules": Rotations.PD_MORE_SCHEDULES,
    "members": Rotations.MEMBERS,
    "schedule.kind": Rotations.KIND,
    "schedule.at": Rotations.TIME,
    "schedule.tz": Rotations.TZ,
    "schedule.weekday": Rotations.WEEKDAY,
    "schedule.every_weeks": Rotations.EVERY,
    "channels": Rotations.CHANNELS,
    "usergroup": Rotations.GROUP,
    "usergroup_confirm": Rotations.GROUP_CONFIRM,
    "new_usergroup": Rotations.NEW_GROUP,
    "members_group": Rotations.MEMBERS_GROUP,
    "members_order": Rotations.MEMBERS_ORDER,
    "status_mode": StatusIds.MODE,
    "status_emoji": StatusIds.EMOJI,
}


def rotation_errors(errors: dict[str, str], view: dict) -> dict[str, str]:
    """Draft errors keyed by the input blocks that show them (Slack accepts only input block ids)."""
    present = {b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"}
    members = members_block_id(RotationFormMeta.read(view).members_v)
    shown: dict[str, str] = {}
    for name, message in errors.items():
        block = members if name == "members" else _ERROR_BLOCKS.get(name, Rotations.NAME)
        block = block if block in present else Rotations.NAME
        shown[block] = f"{shown[block]} {message}" if block in shown else message
    return shown


def parse_notifications(view: dict) -> Notifications:
    """The Notifications modal's values (submitted, or redrawn for a preview)."""
    values = view.get("state", {}).get("values", {})
    N = NotificationIds

    def get(block: str) -> dict:
        return values.get(block, {}).get(block) or {}

    dms = {o.get("value") for o in get(N.DMS).get("selected_options") or ()}
    return Notifications(
        topic_channels=tuple(get(N.TOPIC_CHANNELS).get("selected_conversations") or ()),
        dm_on_duty="dm_on" in dms,
        dm_off_duty="dm_off" in dms,
        remind_before=_choice(get(N.REMINDER), 1, 7 * 86400, None),
        templates={
            s: get(N.template(s)).get("value") or "" for s in ("announcement", "dm_on", "dm_off", "topic")
        },
        request_expiry_minutes=_choice(get(N.EXPIRY), 0, 10**6, 60),
        # Shown only for rotations with planned hand-overs; absent, the rotation keeps its setting.
        handoff_notes=(
            any(
                o.get("value") == "on"
                for o in values[HandoffIds.SETTING].get(HandoffIds.SETTING, {}).get("selected_options") or ()
            )
            if isinstance(values.get(HandoffIds.SETTING), dict)
            else None
        ),
    )


def notification_errors(errors: dict[str, str], view: dict) -> dict[str, str]:
    """Service errors keyed by the modal's input blocks."""
    present = {b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"}
    keys = {
        "topic_channels": NotificationIds.TOPIC_CHANNELS,
        "remind_before": NotificationIds.REMINDER,
        "request_expiry": NotificationIds.EXPIRY,
    }
    shown: dict[str, str] = {}
    for name, message in errors.items():
        named: str | None = (
            NotificationIds.template(name.removeprefix("template."))
            if name.startswith("template.")
            else keys.get(name)
        )
        block = named if named is not None and named in present else NotificationIds.TOPIC_CHANNELS
        shown[block] = f"{shown[block]} {message}" if block in shown else message
    return shown
