"""Every action_id, callback_id and block_id the app uses: builders, listeners and tests import these."""

from enum import StrEnum


class Home(StrEnum):
    TAB_ROTATIONS = "home.tab.rotations"
    TAB_SETTINGS = "home.tab.settings"
    TAB_LOAD = "home.tab.load"


class PagerDuty(StrEnum):
    CONNECT = "pd.connect"
    DISCONNECT = "pd.disconnect"
    SYNC_NOW = "pd.sync_now"
    OAUTH_START = "pd.oauth.start"
    OAUTH_OPEN = "pd.oauth.open"
    CONNECT_VIEW = "pd.connect.view"
    OAUTH_VIEW = "pd.oauth.view"
    API_KEY_BLOCK = "pd_api_key"
    API_KEY_INPUT = "api_key"
    REGION_BLOCK = "pd_region"
    REGION_INPUT = "region"
    CLIENT_ID_BLOCK = "pd_client_id"
    CLIENT_ID_INPUT = "client_id"
    CLIENT_SECRET_BLOCK = "pd_client_secret"
    CLIENT_SECRET_INPUT = "client_secret"


class Owners(StrEnum):
    EDIT = "owners.edit"


class Rotations(StrEnum):
    CREATE = "rot.create"
    MENU = "rot.menu"
    DETAILS = "rot.details"
    PAGE_PREVIOUS = "rot.page.previous"
    PAGE_NEXT = "rot.page.next"
    FILTER = "rot.filter"
    JUMP = "rot.jump"
    LINK = "rot.link"
    FORM_VIEW = "rot.form"
    SET_ON_DUTY_VIEW = "rot.set_on_duty"
    DELETE_VIEW = "rot.delete"
    LINK_VIEW = "rot.link_view"
    # form blocks (block_id) and their elements (action_id)
    NAME = "rot_name"
    CODE = "rot_code"
    DESCRIPTION = "rot_description"
    SOURCE = "rot_source"
    MEMBERS = "rot_members"
    KIND = "rot_kind"
    TIME = "rot_time"
    TZ = "rot_tz"
    WEEKDAY = "rot_weekday"
    EVERY = "rot_every"
    SKIP = "rot_skip"
    PD_SCHEDULE = "rot_pd_schedule"
    CHANNELS = "rot_channels"
    GROUP = "rot_group"
    NEW_GROUP = "rot_new_group"
    ON_DUTY = "rot_on_duty"
    SLACK_USER = "rot_slack_user"
    # self-service and the people of a bound rotation
    HAND_OVER = "rot.hand_over"
    REMOVE_MEMBER = "rot.remove_member"  # one click takes out a member who left Slack
    SET_ON_DUTY_OPEN = "rot.set_on_duty.open"
    UNLINK = "rot.unlink"
    LEAVE = "rot.leave"  # in the DM telling someone they were added to a rotation
    # more of the form: who may rotate, turn order, the first hand-over, replacing a group's members
    MAY_ROTATE = "rot_may_rotate"
    ORDER = "rot_order"
    ORDER_WHO = "rot_order_who"
    ORDER_WHERE = "rot_order_where"
    START = "rot_start"
    GROUP_CONFIRM = "rot_group_confirm"
    # members that follow a user group, and their first turn order
    MEMBERS_GROUP = "rot_members_group"
    MEMBERS_ORDER = "rot_members_order"
    # a bound rotation following several PagerDuty schedules: those besides the first
    PD_MORE_SCHEDULES = "rot_pd_more_schedules"


class MenuChoice(StrEnum):
    """Values of the per-rotation overflow menu (sent as `<choice>:<rotation id>`)."""

    DETAILS = "details"
    EDIT = "edit"
    ROTATE = "rotate"
    SET_ON_DUTY = "set"
    DELETE = "delete"
    COVER = "cover"  # Cover me…


class Requests(StrEnum):
    """`@Round Robin CODE …` requests: the buttons in the DM that offers one (value: the request id)."""

    ACK = "req.ack"
    PASS = "req.pass"
    BLOCK = "req"  # block_id prefix: `req:<request id>`


class NotificationIds(StrEnum):
    """The Notifications modal of a rotation (topics, DMs, reminders, templates)."""

    VIEW = "rot.notifications"
    OPEN = "rot.notifications.open"
    TOPIC_CHANNELS = "notify_topic_channels"
    DMS = "notify_dms"
    REMINDER = "notify_reminder"
    EXPIRY = "notify_expiry"
    TEMPLATE_ANNOUNCEMENT = "notify_tpl_announcement"
    TEMPLATE_DM_ON = "notify_tpl_dm_on"
    TEMPLATE_DM_OFF = "notify_tpl_dm_off"
    TEMPLATE_TOPIC = "notify_tpl_topic"

    @staticmethod
    def template(surface: str) -> "NotificationIds":
        return NotificationIds(f"notify_tpl_{surface}")


class Preferences(StrEnum):
    MUTE_DMS = "prefs.mute_dms"


class Shifts(StrEnum):
    """Covers, swaps, skips and time away: Details' shift menu, the modals and the offers' buttons."""

    MENU = "shift.menu"  # overflow beside a shift in Details: `<what>:<rotation>:<start>:<person>`
    COVER_OPEN = "shift.cover.open"  # Cover me… on the card of the person on duty (value: rotation id)
    TAKE = "shift.cover.take"  # I'll cover (value: the request id)
    CANCEL = "shift.cancel"  # the asker takes a request back
    SWAP_ACCEPT = "shift.swap.accept"
    SWAP_DECLINE = "shift.swap.decline"
    COVER_VIEW = "shift.cover"
    SWAP_VIEW = "shift.swap"
    AWAY_OPEN = "away.open"
    AWAY_REMOVE = "away.remove"
    AWAY_VIEW = "away"
    # modal blocks (block_id = action_id)
    WHO = "cover_who"
    FROM = "cover_from"
    UNTIL = "cover_until"
    BY = "cover_by"
    NOTE = "cover_note"
    FOR = "swap_for"
    AWAY_FROM = "away_from"
    AWAY_UNTIL = "away_until"
    AWAY_NOTE = "away_note"
    # Cover me… on a PagerDuty-bound rotation: an override written to PagerDuty
    PD_COVER_VIEW = "shift.pd_cover"


class Hours(StrEnum):
    """The Duty & hours modal of a manual rotation: how many are on duty, when, and holidays."""

    OPEN = "rot.hours.open"  # in Details, for whoever may edit (value: rotation id)
    VIEW = "rot.hours"
    SIZE = "hours_size"
    TOGETHER = "hours_together"
    DAYS = "hours_days"
    START = "hours_start"
    END = "hours_end"
    FALLBACK = "hours_fallback"
    COUNTRY = "hours_country"
    SUBDIVISION = "hours_subdivision"
    HOLIDAY_MODE = "hours_holiday_mode"


class StatusIds(StrEnum):
    """Slack status at hand-over: the question's buttons (value: the question id) and the rotation
    form's section (block_id = action_id)."""

    TAKE = "status.take"
    SKIP = "status.skip"
    MODE = "rot_status_mode"
    EMOJI = "rot_status_emoji"
    MINUTES = "rot_status_minutes"


class Calendars(StrEnum):
    """Calendar feeds and the timeline page (roundrobin/feeds/)."""

    OPEN_TIMELINE = "cal.timeline.open"  # a link button: Slack still sends the click, which is only acked
    RESET_MINE = "cal.reset.mine"
    RESET_ROTATION = "cal.reset.rotation"


class LoadIds(StrEnum):
    """The App Home's Load tab: the period switch (value: days), its pages (value: page) and the
    CSV download (a link button: Slack still sends the click, which needs an ack)."""

    PERIOD_30 = "load.period.30"
    PERIOD_90 = "load.period.90"
    PAGE_PREVIOUS = "load.page.previous"
    PAGE_NEXT = "load.page.next"
    CSV = "load.csv"


class HandoffIds(StrEnum):
    """Hand-off notes: the DM's button (value: "<rotation id>:<hand-over>"), the modal and its
    field, and the rotation's setting in the Notifications modal (block_id = action_id)."""

    WRITE = "handoff.write"
    VIEW = "handoff.note"
    NOTE = "handoff_note"
    SETTING = "notify_handoff"


class WebhookIds(StrEnum):
    """A rotation's Details › Webhooks (managers only): block_id = action_id for the inputs."""

    OPEN = "rot.webhooks.open"  # in Details (value: rotation id)
    VIEW = "rot.webhooks"
    NAME = "hook_name"
    URL = "hook_url"
    SECRET = "hook_secret"  # keep | new | remove
    GRACE = "hook_grace"  # seconds the replaced secret keeps working
