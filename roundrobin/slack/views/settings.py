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
from roundrobin.store.pagerduty import Census
from roundrobin.store.pd_failures import ReadFailure

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
    census: Census | None = None  # how many schedules PagerDuty has, when last counted
    bound_rotations: int = 0
    bound_names: tuple[str, ...] = ()  # "Ops primary (OPS)": the rotations a disconnect reverts
    failing: tuple[ReadFailure, ...] = ()  # reads failing for a reason that will not change by itself
    # failure "what" -> (schedule name, "Ops primary (OPS)": a rotation that follows it, if any)
    failing_names: dict[str, tuple[str, str | None]] = field(default_factory=dict)


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
    blocks += [context(line) for line in failing_reads(state.sync, state.now)]
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
    bound = f"{sync.bound_rotations} bound rotation{'s' if sync.bound_rotations != 1 else ''}"
    if sync.census is None:
        return f":arrows_counterclockwise: {last} · {bound}"
    return f":arrows_counterclockwise: {last} · {schedules_in_pagerduty(sync.census)} · {bound}"


def schedules_in_pagerduty(census: Census) -> str:
    """'14 schedules in PagerDuty', or 'more than 100 schedules in PagerDuty (too many to count)'."""
    n = f"{census.count:,} schedule{'s' if census.count != 1 else ''}"
    if census.exact:
        return f"{n} in PagerDuty"
    return f"more than {n} in PagerDuty (too many to count)"


READS = {
    "poll": "who is on call now (the poll)",
    "people": "PagerDuty's people (their emails, to match them to Slack)",
    "census": "how many schedules PagerDuty has",
}
SHOWN_FAILURES = 3


def failing_reads(sync: SyncSummary, now: float) -> list[str]:
    """One line per kind of lasting failure: what cannot be read, since when, the next try, what to do."""
    kinds: dict[tuple[str, str], list[ReadFailure]] = {}
    for failure in sync.failing:
        kinds.setdefault((failure.error, failure.advice), []).append(failure)
    lines = []
    for (error, advice), failed in list(kinds.items())[:SHOWN_FAILURES]:
        what = _what_failed(failed, sync.failing_names)
        attempts = max(f.attempts for f in failed)
        tried = "once" if attempts == 1 else f"{attempts} times"
        lines.append(
            f":warning: *Round Robin cannot read {what}* from PagerDuty: {esc(error)}. Failing since "
            f"{ago(min(f.first_at for f in failed), now)} (tried {tried}); it tries again "
            f"{slack_date(min(f.retry_at for f in failed), '{time}')}, less often each time, or now with "
            f"*Sync now*. Meanwhile the rest of the sync goes on, and what was read before is kept.\n"
            f"*What to do:* {esc(advice)}"
        )
    return lines


def _what_failed(failed: list[ReadFailure], names: dict[str, tuple[str, str | None]]) -> str:
    parts = [READS[f.what] for f in failed if f.what in READS]
    schedules = [f for f in failed if f.schedule_id is not None]
    named = [names.get(f.what, (f.schedule_id or "", None)) for f in schedules]
    if len(schedules) == 1:
        schedule, follower = named[0]
        parts.append(
            f"the week ahead of {esc(schedule)}" + (f", which {esc(follower)} follows" if follower else "")
        )
    elif schedules:
        shown = ", ".join(esc(schedule) for schedule, _ in named[:3])
        more = f" and {len(schedules) - 3:,} more" if len(schedules) > 3 else ""
        parts.append(f"the week ahead of {len(schedules):,} schedules ({shown}{more})")
    return " and ".join(parts)


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
