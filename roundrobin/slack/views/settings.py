"""Settings in the App Home: Integrations (the PagerDuty card), Owners, and Slack scope warnings."""

from __future__ import annotations

from dataclasses import dataclass, field

from roundrobin.slack.ids import Owners, PagerDuty
from roundrobin.slack.views.blocks import (
    Block,
    actions,
    ago,
    button,
    confirm,
    context,
    divider,
    esc,
    header,
    mention,
    section,
    slack_date,
)
from roundrobin.store.integrations import Connection, LoginState

REGION_NAMES = {"us": "US", "eu": "EU"}

SCOPE_FIXES = {
    "users:read.email": (
        "Round Robin cannot read email addresses, so it cannot match PagerDuty users to Slack users. "
        "Add the `users:read.email` bot scope (api.slack.com/apps › your app › OAuth & Permissions, "
        "or update the app from `manifest.yml`), reinstall the app to the workspace, and restart Round Robin."
    ),
}


@dataclass(frozen=True)
class SyncSummary:
    schedules: int = 0
    bound_rotations: int = 0
    bound_names: tuple[str, ...] = ()  # "Ops primary (OPS)": the rotations a disconnect reverts


@dataclass(frozen=True)
class SettingsState:
    can_manage: bool
    now: float
    connection: Connection | None = None
    pending: LoginState | None = None
    owners: list[str] = field(default_factory=list)
    config_owners: tuple[str, ...] = ()
    missing_scopes: list[str] = field(default_factory=list)
    sync: SyncSummary = field(default_factory=SyncSummary)


def settings_blocks(state: SettingsState) -> list[Block]:
    blocks: list[Block] = [header("Settings")]
    for scope in state.missing_scopes:
        blocks.append(section(f":warning: *Missing Slack scope `{scope}`*\n{SCOPE_FIXES.get(scope, '')}"))
    blocks += [section("*Integrations*"), *pagerduty_card(state), divider(), *owners_blocks(state)]
    return blocks


def pagerduty_card(state: SettingsState) -> list[Block]:
    connection, pending = state.connection, state.pending
    if connection is None:
        blocks = _not_connected(state, pending)
    elif connection.status == "needs_reauth":
        blocks = _needs_reauth(connection, state)
    else:
        blocks = _connected(connection, state)
    if not state.can_manage:
        blocks.append(context(_who_can_help(state)))
    return blocks


def _who_can_help(state: SettingsState) -> str:
    owners = list(dict.fromkeys([*state.config_owners, *state.owners]))
    ask = (
        f" Ask {', '.join(mention(u) for u in owners[:5])} or a workspace admin."
        if owners
        else " Ask a workspace admin."
    )
    return f"Only Slack workspace admins and Round Robin owners can change this connection.{ask}"


def _not_connected(state: SettingsState, pending: LoginState | None) -> list[Block]:
    text = "*PagerDuty* · Not connected\nConnect PagerDuty to bind rotations to PagerDuty schedules."
    blocks = [section(text)]
    if pending is not None:
        minutes = max(1, round((pending.expires_at - state.now) / 60))
        blocks.append(
            context(
                f":hourglass_flowing_sand: Login pending: {mention(pending.slack_user_id)} started the PagerDuty "
                f"login; it must be finished in the browser within {minutes} minute{'s' if minutes != 1 else ''}."
            )
        )
    if state.can_manage:
        blocks.append(actions(button("Connect", PagerDuty.CONNECT, style="primary")))
    return blocks


def _connected(connection: Connection, state: SettingsState) -> list[Block]:
    if connection.method == "api_key":
        how = f"Connected with API key ending in …{esc(connection.api_key_last4 or '????')}"
    else:
        how = f"Connected with OAuth as {esc(connection.pd_user_name or 'a PagerDuty user')}"
    lines = [f"*PagerDuty* · :white_check_mark: {how}", _account_line(connection)]
    lines.append(f"Connected by {mention(connection.connected_by)}, {slack_date(connection.connected_at)}")
    blocks = [section("\n".join(lines))]
    blocks.append(context(_sync_line(connection, state)))
    if connection.last_error:
        blocks.append(context(f":warning: {esc(connection.last_error)}"))
    if state.can_manage:
        blocks.append(
            actions(
                button("Sync now", PagerDuty.SYNC_NOW),
                button("Edit connection", PagerDuty.CONNECT),
                _disconnect_button(state),
            )
        )
    return blocks


def _needs_reauth(connection: Connection, state: SettingsState) -> list[Block]:
    how = "API key" if connection.method == "api_key" else "OAuth"
    text = (
        f"*PagerDuty* · :warning: Needs re-authorisation ({how})\n"
        f"{esc(connection.last_error or 'PagerDuty no longer accepts the stored credentials.')}"
    )
    blocks = [section(text), context(_account_line(connection) + " · " + _sync_line(connection, state))]
    if state.can_manage:
        blocks.append(
            actions(button("Reconnect", PagerDuty.CONNECT, style="primary"), _disconnect_button(state))
        )
    return blocks


def _account_line(connection: Connection) -> str:
    """The same words for both methods: an API key tells the host, OAuth the subdomain."""
    account = connection.pd_account
    if account and "." not in account:
        account = f"{account}.{'eu.' if connection.region == 'eu' else ''}pagerduty.com"
    shown = esc(account) if account else "unknown account"
    return f"Account: {shown} · Region: {REGION_NAMES.get(connection.region, connection.region)}"


def _sync_line(connection: Connection, state: SettingsState) -> str:
    sync = state.sync
    if connection.last_sync_ok_at:
        last = f"Last good sync {ago(connection.last_sync_ok_at, state.now)}"
    else:
        last = "Not synced yet"
    counts = f"{sync.schedules} schedule{'s' if sync.schedules != 1 else ''}"
    bound = f"{sync.bound_rotations} bound rotation{'s' if sync.bound_rotations != 1 else ''}"
    return f":arrows_counterclockwise: {last} · {counts} · {bound}"


def _disconnect_button(state: SettingsState) -> dict:
    return button(
        "Disconnect",
        PagerDuty.DISCONNECT,
        style="danger",
        confirm=confirm("Disconnect PagerDuty?", disconnect_words(state.sync), "Disconnect", style="danger"),
    )


def disconnect_words(sync: SyncSummary) -> str:
    """What a disconnect does, naming the bound rotations (within a confirm dialog's 300 characters)."""
    bound = sync.bound_rotations
    if not bound:
        return (
            "The stored PagerDuty credentials will be deleted. No rotation follows PagerDuty now, so none "
            "will revert to Manual."
        )
    one = bound == 1
    keeps = "It keeps its" if one else "They keep their"
    again = "bind it to its schedule" if one else "bind them to their schedules"
    tail = f" will revert to Manual. {keeps} members and who is on duty. After reconnecting, {again} again in Edit."
    names = [esc(n) for n in sync.bound_names[:bound]]
    for shown in (3, 2, 1, 0):
        listed = _listed(names[:shown], bound)
        words = f"The stored credentials will be deleted. {listed}{tail}"
        if len(words) <= 300:
            return words
    return words


def _listed(names: list[str], total: int) -> str:
    """'OPS', 'OPS and WEB', 'OPS, WEB and 3 more', or '5 PagerDuty-bound rotations'."""
    if not names:
        return f"{total} PagerDuty-bound rotation{'s' if total != 1 else ''}"
    more = total - len(names)
    if more:
        return ", ".join(names) + f" and {more} more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def owners_blocks(state: SettingsState) -> list[Block]:
    everyone = list(dict.fromkeys([*state.config_owners, *state.owners]))
    listed = ", ".join(mention(u) for u in everyone) if everyone else "none yet"
    blocks = [
        section(
            "*Round Robin owners*\nOwners, like Slack workspace admins, manage integrations and every "
            f"rotation.\nOwners: {listed}"
        )
    ]
    if state.config_owners:
        blocks.append(
            context("Owners set with `ROUNDROBIN_OWNERS` can only be removed in the server's settings.")
        )
    if state.can_manage:
        blocks.append(
            actions(
                {
                    "type": "multi_users_select",
                    "action_id": Owners.EDIT,
                    "placeholder": {"type": "plain_text", "text": "Add or remove owners"},
                    **({"initial_users": state.owners} if state.owners else {}),
                }
            )
        )
    return blocks
