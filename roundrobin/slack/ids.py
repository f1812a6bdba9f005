"""Every action_id, callback_id and block_id the app uses: builders, listeners and tests import these."""

from enum import StrEnum


class Home(StrEnum):
    TAB_ROTATIONS = "home.tab.rotations"
    TAB_SETTINGS = "home.tab.settings"
    DISMISS_NOTICE = "home.notice.dismiss"


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
