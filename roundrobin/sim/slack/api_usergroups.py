"""usergroups.*: Slack user groups (@handles), the way a rotation keeps its @oncall group current.

Notes from Slack's reference that matter to the app: a group's user list cannot be emptied (an empty
``users`` is ``no_users_provided``; disable the group instead), names and handles are unique, and a
workspace can restrict who may edit groups (``permission_denied`` for the bot then).

Who usergroups.users.update refuses (docs.slack.dev/reference/methods/usergroups.users.update):
"Guests or bot users cannot be added to user groups; attempting to do so will result in an
invalid_user error (or in the case of single channel guests, a single_channel_guests_cannot_be_added
error)"; ``invalid_users`` is "Value passed for users was empty or invalid" (a deactivated account,
as apps meet it); ``failed_for_some_users`` is "User(s) are not in the workspace where this usergroup
exists". The whole update is refused, and the answer does not say which user it was.
"""

from __future__ import annotations

from typing import Any

from roundrobin.sim.slack.api_base import SlackError, flag, id_list, required
from roundrobin.sim.slack.workspace import Workspace


def usergroup_json(ws: Workspace, group: dict, *, include_users: bool = True) -> dict:
    """A usergroup object as usergroups.list returns it."""
    answer = {
        "id": group["id"],
        "team_id": ws.team_id,
        "is_usergroup": True,
        "is_subteam": True,
        "name": group["name"],
        "description": group.get("description", ""),
        "handle": group["handle"],
        "is_external": False,
        "date_create": group.get("date_create", 0),
        "date_update": group.get("date_update", 0),
        "date_delete": 0 if group["enabled"] else group.get("date_delete", group.get("date_update", 0)),
        "auto_type": None,
        "created_by": group.get("created_by", ws.bot_user_id),
        "updated_by": group.get("updated_by", ws.bot_user_id),
        "deleted_by": None,
        "prefs": {"channels": [], "groups": []},
        "user_count": len(group["users"]),
    }
    if include_users:
        answer["users"] = list(group["users"])
    return answer


def usergroups_list(ws: Workspace, args: dict) -> dict:
    """Enabled groups (and disabled ones with include_disabled); users with include_users."""
    ws.require_scope("usergroups:read")
    include_disabled = flag(args, "include_disabled")
    groups = [g for g in ws.usergroups.values() if g["enabled"] or include_disabled]
    include_users = flag(args, "include_users")
    return {"usergroups": [usergroup_json(ws, g, include_users=include_users) for g in groups]}


def usergroups_users_list(ws: Workspace, args: dict) -> dict:
    """The users of one group, in its order. A disabled group answers only with include_disabled
    ("Allow results that involve disabled User Groups"; Slack documents no error of its own for it,
    so the fake says what it says for a group it cannot find)."""
    ws.require_scope("usergroups:read")
    group = _group(ws, args)
    if not group["enabled"] and not flag(args, "include_disabled"):
        raise SlackError("no_such_subteam")
    return {"users": list(group["users"])}


def usergroups_create(ws: Workspace, args: dict) -> dict:
    """A new, enabled, empty group."""
    _may_edit(ws)
    name = (args.get("name") or "").strip()
    if not name:
        raise SlackError("missing_subteam_name")
    handle = (args.get("handle") or _slug(name)).strip()
    _check_unique(ws, name=name, handle=handle)
    now = int(ws.clock())
    group: dict[str, Any] = {
        "id": ws.next_id("S"),
        "handle": handle,
        "name": name,
        "description": args.get("description") or "",
        "users": [],
        "enabled": True,
        "date_create": now,
        "date_update": now,
    }
    ws.usergroups[group["id"]] = group
    return {"usergroup": usergroup_json(ws, group)}


def usergroups_update(ws: Workspace, args: dict) -> dict:
    """Change a group's name, handle or description."""
    _may_edit(ws)
    group = _group(ws, args)
    changes = {key: args[key].strip() for key in ("name", "handle") if args.get(key)}
    _check_unique(ws, name=changes.get("name"), handle=changes.get("handle"), ignore=group["id"])
    group.update(changes)
    if "description" in args:
        group["description"] = args["description"]
    group["date_update"] = int(ws.clock())
    group["updated_by"] = ws.bot_user_id
    return {"usergroup": usergroup_json(ws, group)}


def usergroups_users_update(ws: Workspace, args: dict) -> dict:
    """Replace a group's members: every id must be an active human in the workspace."""
    _may_edit(ws)
    group = _group(ws, args)
    user_ids = list(dict.fromkeys(id_list(args.get("users"))))
    if not user_ids:
        raise SlackError("no_users_provided")
    refusal = next((e for e in map(_refused(ws), user_ids) if e), None)
    if refusal:
        raise SlackError(refusal)
    set_members(ws, group, user_ids, by=ws.bot_user_id)
    return {"usergroup": usergroup_json(ws, group)}


def set_members(ws: Workspace, group: dict, users: list[str], *, by: str, tell_app: bool = True) -> object:
    """A group's people change (by the app or by a person): Slack sends subteam_members_changed to
    the app when someone was added or removed (returns what Workspace.tell_app returns)."""
    before, previous = list(group["users"]), group.get("date_update", 0)
    group["users"] = list(users)
    group["date_update"] = int(ws.clock())
    group["updated_by"] = by
    added = [u for u in users if u not in before]
    removed = [u for u in before if u not in users]
    if not (added or removed) or not tell_app or "usergroups:read" not in ws.scopes:
        return None  # no change; a lost event; or an app without the event's scope never hears of it
    event = subteam_members_changed(ws, group["id"], added, removed, previous, group["date_update"])
    return ws.tell_app(event, context=group["id"])


def subteam_members_changed(
    ws: Workspace, group_id: str, added: list[str], removed: list[str], previous: int, update: int
) -> dict:
    """The event (docs.slack.dev/reference/events/subteam_members_changed, scope usergroups:read):
    the delta only, with the group's previous and new date_update so a client can tell it missed
    one. The reference's example writes the counts as strings ("3"); a payload captured from Slack
    (rickeyski/slack-api#96) and Slack's own TypeScript types have numbers, as here, and event_ts."""
    return {
        "type": "subteam_members_changed",
        "subteam_id": group_id,
        "team_id": ws.team_id,
        "date_previous_update": previous,
        "date_update": update,
        "added_users": added,
        "added_users_count": len(added),
        "removed_users": removed,
        "removed_users_count": len(removed),
        "event_ts": f"{ws.clock():.6f}",
    }


def _refused(ws: Workspace):
    """Why Slack would not put a user id in a group (its documented error), or None."""

    def why(user_id: str) -> str | None:
        user = ws.users.get(user_id)
        if user is None:
            return "failed_for_some_users"
        if user.deleted:
            return "invalid_users"
        if user.is_ultra_restricted:
            return "single_channel_guests_cannot_be_added"
        if user.is_bot or user.is_restricted:
            return "invalid_user"
        return None

    return why


def usergroups_disable(ws: Workspace, args: dict) -> dict:
    """Disable a group (its members stay); disabling twice is harmless."""
    return {"usergroup": usergroup_json(ws, _set_enabled(ws, args, enabled=False))}


def usergroups_enable(ws: Workspace, args: dict) -> dict:
    """Enable a group again; enabling twice is harmless."""
    return {"usergroup": usergroup_json(ws, _set_enabled(ws, args, enabled=True))}


def _set_enabled(ws: Workspace, args: dict, *, enabled: bool) -> dict:
    _may_edit(ws)
    group = _group(ws, args)
    if group["enabled"] != enabled:
        group["enabled"] = enabled
        group["date_update"] = int(ws.clock())
        group["updated_by"] = ws.bot_user_id
        group["date_delete"] = 0 if enabled else group["date_update"]
    return group


def _may_edit(ws: Workspace) -> None:
    ws.require_scope("usergroups:write")
    if ws.usergroup_edits_restricted:
        raise SlackError("permission_denied")


def _group(ws: Workspace, args: dict) -> dict:
    group = ws.usergroups.get(required(args, "usergroup"))
    if group is None:
        raise SlackError("no_such_subteam")
    return group


def _check_unique(ws: Workspace, *, name: str | None, handle: str | None, ignore: str | None = None) -> None:
    others = [g for g in ws.usergroups.values() if g["id"] != ignore]
    if name and any(g["name"].lower() == name.lower() for g in others):
        raise SlackError("name_already_exists")
    if handle is None:
        return
    if not handle or any(ch.isspace() or ch in "@,<>" for ch in handle):
        raise SlackError("bad_handle")
    # Slack: a handle "must be unique among channels, users and User Groups".
    taken = {g["handle"] for g in others} | {u.name for u in ws.users.values()}
    taken |= {c.name for c in ws.channels.values()}
    if handle.lower() in {t.lower() for t in taken}:
        raise SlackError("handle_already_exists")


def _slug(name: str) -> str:
    return "-".join("".join(ch if ch.isalnum() else " " for ch in name.lower()).split())


METHODS = {
    "usergroups.list": usergroups_list,
    "usergroups.users.list": usergroups_users_list,
    "usergroups.create": usergroups_create,
    "usergroups.update": usergroups_update,
    "usergroups.users.update": usergroups_users_update,
    "usergroups.disable": usergroups_disable,
    "usergroups.enable": usergroups_enable,
}
