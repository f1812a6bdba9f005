"""views.publish, views.open, views.push and views.update, with Slack's checks.

Every view passes Block Kit's checks first (blockkit.py: slack_sdk's models, then the rules they
lack); modals need a fresh, unused trigger_id that Slack handed out with an interaction, and that
decides whose screen the modal lands on.
"""

from __future__ import annotations

import json

from roundrobin.sim.slack.api_base import SlackError, invalid_arguments, json_arg, required
from roundrobin.sim.slack.blockkit import view_problems
from roundrobin.sim.slack.workspace import Workspace

# views.open/publish answer view_too_large above 250 kB.
MAX_VIEW_BYTES = 250_000


def views_publish(ws: Workspace, args: dict) -> dict:
    """Publish a user's home tab."""
    user_id = required(args, "user_id")
    view = _valid_view(args, kind="home")
    ws.user(user_id)
    return {"view": ws.views.publish(user_id, view, args.get("hash"))}


def views_open(ws: Workspace, args: dict) -> dict:
    """Open a modal for the person whose interaction produced the trigger_id."""
    trigger_id = required(args, "trigger_id")
    view = _valid_view(args, kind="modal")
    user_id = ws.exchange_trigger(trigger_id)
    return {"view": ws.views.open(user_id, view)}


def views_push(ws: Workspace, args: dict) -> dict:
    """Push a modal on top of the person's open modal (at most 3 views deep)."""
    trigger_id = required(args, "trigger_id")
    view = _valid_view(args, kind="modal")
    user_id = ws.exchange_trigger(trigger_id)
    return {"view": ws.views.push(user_id, view)}


def views_update(ws: Workspace, args: dict) -> dict:
    """Replace a view's content, found by view_id or external_id; ``hash`` guards against races."""
    view = _valid_view(args, kind=None)
    if not args.get("view_id") and not args.get("external_id"):
        raise invalid_arguments("missing required field: view_id or external_id")
    current = ws.views.find(view_id=args.get("view_id"), external_id=args.get("external_id"))
    if view["type"] != current["type"]:
        raise invalid_arguments(f"/type: cannot change a {current['type']} view into a {view['type']} view")
    return {"view": ws.views.update(current["id"], view, args.get("hash"))}


def _valid_view(args: dict, *, kind: str | None) -> dict:
    view = json_arg(args, "view")
    if len(json.dumps(view)) > MAX_VIEW_BYTES:
        raise SlackError("view_too_large")
    problems = view_problems(view)
    if kind and isinstance(view, dict) and view.get("type") != kind:
        problems.insert(0, f"/type: must be {kind} (got {view.get('type')!r})")
    if problems:
        raise invalid_arguments(*problems)
    return view


METHODS = {
    "views.publish": views_publish,
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
}
