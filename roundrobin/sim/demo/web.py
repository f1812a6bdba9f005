"""The demo page's server: a simulated Slack client in the browser, over a small JSON API.

The page (``static/``) draws what one person sees in Slack from the exact views the app published.
Every gesture it sends here goes to the app as a real Socket Mode envelope through SlackUser, the
same simulated client the end-to-end tests use: the page never talks to the app directly. What the
simulators refuse (a late ack, a view Slack would reject, an element nobody sees) comes back as
``{"error": ...}`` with a 4xx/5xx status, for the page to show.

A gesture on a control that is gone is ignored, as Slack's client ignores a second click on a button
its first click removed: when the page says what it drew (``seen``, the state's version, and
``view_id`` for a view) and that state is out of date, a gesture naming a view that closed or an
element no longer there answers ``{"ok": true, "ignored": why}``. The simulators stay strict: the
same gesture without ``seen``, or with the current version, gets their error.

    GET  /api/state?user=U..[&version=V]   what the page draws; with version, waits for a change
    POST /api/open_home|click|fill|submit|close|command|suggest   {user, ...}: one gesture
    POST /api/say                          {user, channel, text[, thread_ts]}: write a message
    POST /api/join                         {user, channel}: join a public channel
    POST /api/click_message                {user, channel, ts, action_id[, value]}: click in a message
    POST /api/pagerduty/on_call            {schedule_id, user_ids}: change who is on call now
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web

from roundrobin.sim.demo.seed import DemoCredentials
from roundrobin.sim.pagerduty import FakePagerDuty
from roundrobin.sim.slack import AckTimeout, ConfirmRequired, FakeSlack, SlackUser
from roundrobin.sim.slack.payloads import view_with_state
from roundrobin.sim.slack.views import find_element, options_of

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
LONG_POLL_SECONDS = 20.0
POLL_STEP_SECONDS = 0.1
WEEK = 7 * 86400
DEFAULT_CHANNEL = "C01GENERAL"
# What a simulator's complaint means for the page, most specific first: (exception, status, kind).
ERRORS: list[tuple[type[BaseException], int, str]] = [
    (ConfirmRequired, 409, "confirm_required"),
    (AckTimeout, 504, "ack_timeout"),
    (AssertionError, 502, "slack_rule"),
    (TimeoutError, 504, "timeout"),
    (ConnectionError, 503, "not_connected"),
    (KeyError, 404, "not_found"),
    (LookupError, 404, "not_found"),
    (TypeError, 400, "bad_request"),
    (ValueError, 400, "bad_request"),
]


class BadRequest(ValueError):
    """The page sent something malformed."""


@dataclass(frozen=True)
class RotationHint:
    """A rotation that exists, for the composer's example (``@Round Robin CODE …``)."""

    code: str
    name: str
    channels: tuple[str, ...] = ()


async def no_rotations() -> list[RotationHint]:
    return []


@dataclass
class DemoContext:
    """What the routes share: the simulators, the credentials to show, and per-person locks."""

    slack: FakeSlack
    pd: FakePagerDuty
    credentials: DemoCredentials
    sync_every_seconds: int = 30  # what the page tells about the app's PagerDuty sync
    # Asks the app which rotations exist (the simulators cannot know); read once per state request.
    list_rotations: Callable[[], Awaitable[list[RotationHint]]] = no_rotations
    rotations: list[RotationHint] = field(default_factory=list)
    # Tells one run of the demo from the next: what the page keeps in the browser is per run.
    run: str = field(default_factory=lambda: secrets.token_hex(4))
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    # One person's client does one thing at a time, as a person does.
    locks: defaultdict[str, asyncio.Lock] = field(default_factory=lambda: defaultdict(asyncio.Lock))


DEMO = web.AppKey("demo", DemoContext)


def build_demo_app(
    slack: FakeSlack,
    pd: FakePagerDuty,
    credentials: DemoCredentials,
    *,
    sync_every_seconds: int = 30,
    list_rotations: Callable[[], Awaitable[list[RotationHint]]] = no_rotations,
) -> web.Application:
    """The page, its static files and the JSON API, for one pair of running simulators."""
    app = web.Application(middlewares=[_errors_as_json])
    app[DEMO] = DemoContext(slack, pd, credentials, sync_every_seconds, list_rotations)
    app.on_shutdown.append(_release_waiters)
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC, append_version=False)
    app.router.add_get("/api/state", get_state)
    for name, gesture in GESTURES.items():
        app.router.add_post(f"/api/{name}", _gesture_route(name, gesture))
    app.router.add_post("/api/pagerduty/on_call", set_on_call)
    return app


async def _release_waiters(app: web.Application) -> None:
    app[DEMO].closing.set()


@web.middleware
async def _errors_as_json(request: web.Request, handler: Callable[[web.Request], Awaitable]) -> Any:
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception as error:  # noqa: BLE001 - every failure must reach the page, never vanish
        for kind, status, name in ERRORS:
            if isinstance(error, kind):
                message = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
                return web.json_response({"error": str(message), "kind": name}, status=status)
        log.exception("demo page request failed", extra={"path": request.path})
        return web.json_response({"error": f"{type(error).__name__}: {error}", "kind": "crash"}, status=500)


async def index(request: web.Request) -> web.FileResponse:
    """The page; never cached, so a new demo run always gets the current scripts."""
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


# --- what the page draws -------------------------------------------------------------------------


async def get_state(request: web.Request) -> web.Response:
    """Everything one person's page draws; with ``version``, waits (long-poll) until it differs."""
    demo = request.app[DEMO]
    user_id = request.query.get("user", "")
    seen = request.query.get("version")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LONG_POLL_SECONDS
    demo.rotations = await demo.list_rotations()
    while True:
        state = page_state(demo, user_id)
        if state["version"] != seen or demo.closing.is_set() or loop.time() >= deadline:
            return web.json_response(state, headers={"Cache-Control": "no-store"})
        await asyncio.sleep(POLL_STEP_SECONDS)


def page_state(demo: DemoContext, user_id: str) -> dict:
    """The state for ``user_id`` with a ``version``: a digest that changes whenever anything does."""
    person = demo.slack.user(user_id)
    ws = demo.slack.workspace
    modals = [view_with_state(view, ws.views.state(view)) for view in person.modals]
    top_inputs = {b["block_id"] for b in modals[-1]["blocks"] if b["type"] == "input"} if modals else set()
    state = {
        "me": user_id,
        "run": demo.run,
        "team": {"id": ws.team_id, "name": ws.team_name},
        "bot": {"id": ws.bot_user_id, "name": ws.users[ws.bot_user_id].real_name or "Round Robin"},
        "people": people(demo.slack),
        "home": view_with_state(person.home, ws.views.state(person.home)) if person.home else None,
        "modals": modals,
        "errors": {key: text for key, text in person.errors.items() if key in top_inputs},
        "ephemerals": list(person.ephemerals),
        "channels": channels(demo.slack),
        "dms": [m for m in ws.messages if m.get("dm_user") == user_id],
        "usergroups": [
            {key: group.get(key) for key in ("id", "handle", "name", "users", "enabled")}
            for group in ws.usergroups.values()
        ],
        "pagerduty": pagerduty(demo.pd, demo.slack) | {"sync_every_seconds": demo.sync_every_seconds},
        "credentials": asdict(demo.credentials),
        "rotations": [asdict(hint) for hint in demo.rotations],
    }
    digest = hashlib.sha1(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()
    state["version"] = digest[:16]
    return state


def people(slack: FakeSlack) -> list[dict]:
    """Who the pickers and mentions know: the workspace's active members (not the app's bot user)."""
    return [
        {
            "id": user.id,
            "name": user.name,
            "real_name": user.real_name or user.name,
            "is_admin": user.is_admin or user.is_owner or user.is_primary_owner,
        }
        for user in slack.workspace.users.values()
        if not user.is_bot and not user.deleted
    ]


def channels(slack: FakeSlack) -> list[dict]:
    """Each channel with the messages posted in it (by id or by name, as chat.postMessage allows)."""
    ws = slack.workspace
    result = []
    for channel in ws.channels.values():
        names = {channel.id, channel.name, f"#{channel.name}"}
        messages = [
            {key: m.get(key) for key in ("ts", "text", "blocks", "user", "thread_ts", "subtype")}
            for m in ws.messages
            if m["channel"] in names
        ]
        result.append(
            {
                "id": channel.id,
                "name": channel.name,
                "is_private": channel.is_private,
                "members": list(channel.members),
                "bot_is_member": channel.bot_is_member,
                "topic": (channel.topic or {}).get("value", ""),
                "messages": messages,
            }
        )
    return result


def pagerduty(pd: FakePagerDuty, slack: FakeSlack) -> dict:
    """The simulated PagerDuty: schedules with who is on call now, and users (known to Slack or not)."""
    now = pd.account.now()
    directory = pd.directory
    emails = {(u.email or "").lower() for u in slack.workspace.users.values() if not u.deleted}
    schedules = [
        {
            "id": s.id,
            "name": s.name,
            "version": s.version,
            "on_call": [u for shift in s.shifts_between(now, now) for u in shift.user_ids],
            "users": s.member_ids(),
        }
        for s in directory.schedules.values()
    ]
    users = [
        {"id": u.id, "name": u.name, "email": u.email, "in_slack": u.email.lower() in emails}
        for u in directory.users.values()
    ]
    return {"schedules": schedules, "users": users}


# --- what the person does -------------------------------------------------------------------------

Gesture = Callable[[SlackUser, dict], Awaitable[dict]]


def _gesture_route(name: str, gesture: Gesture) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def route(request: web.Request) -> web.Response:
        demo = request.app[DEMO]
        body = await _json_body(request)
        user_id = _text(body, "user")
        person = demo.slack.user(user_id)
        async with demo.locks[user_id]:
            if (why := _gone(demo, person, name, body)) is not None:
                log.debug("demo page: a gesture on a control that is gone", extra={"why": why})
                return web.json_response({"ok": True, "ignored": why})
            result = await gesture(person, body)
        return web.json_response({"ok": True, **result})

    return route


# --- a control that is gone -----------------------------------------------------------------------


def _gone(demo: DemoContext, person: SlackUser, gesture: str, body: dict) -> str | None:
    """Why the control this gesture names is no longer on the page the person saw, or None.

    Only when the page says what it drew (``seen``) and that is out of date: on the current state a
    missing control is the page's mistake, and the simulators' error says so.
    """
    check = PRESENCE.get(gesture)
    seen = body.get("seen")
    if check is None or not isinstance(seen, str):
        return None
    why = check(demo, person, body)
    if why is None or seen == page_state(demo, person.id)["version"]:
        return None
    return why


def _view_control(demo: DemoContext, person: SlackUser, body: dict, *, by_value: bool = False) -> str | None:
    view_id = body.get("view_id")
    if not isinstance(view_id, str):
        return None
    shown = person.modal or person.home  # what a gesture can reach: the top modal, else the Home tab
    if shown is None or shown["id"] != view_id:
        return "that view is no longer on screen"
    return _missing_element(shown["blocks"], body, by_value=by_value)


def _top_modal(demo: DemoContext, person: SlackUser, body: dict) -> str | None:
    view_id = body.get("view_id")
    if isinstance(view_id, str) and (person.modal is None or person.modal["id"] != view_id):
        return "that modal is closed"
    return None


def _message_control(demo: DemoContext, person: SlackUser, body: dict) -> str | None:
    ts = str(body.get("ts") or "")
    message = next((m for m in person.ephemerals if m["ts"] == ts), None)
    message = message or demo.slack.workspace.find_message(str(body.get("channel") or ""), ts)
    if message is None:
        return "that message is gone"
    return _missing_element(message["blocks"], body, by_value=True)


def _joined(demo: DemoContext, person: SlackUser, body: dict) -> str | None:
    channel = demo.slack.workspace.channels.get(str(body.get("channel") or ""))
    if channel is not None and person.id in channel.members:
        return "already in the channel"
    return None


def _missing_element(blocks: list[dict], body: dict, *, by_value: bool) -> str | None:
    """Why the element (or the option) the gesture names is not in ``blocks``, or None."""
    action_id = body.get("action_id")
    if not isinstance(action_id, str):
        return None
    value = body.get("value") if by_value and isinstance(body.get("value"), str) else None
    option = body.get("option")
    try:
        found = find_element(blocks, action_id, value=value, block_id=body.get("block_id"), option=option)
    except LookupError:
        return None  # several match: the simulator's own error says how to tell them apart
    if found is None:
        return "that control is no longer there"
    wanted = option.get("value") if isinstance(option, dict) else option
    offered = options_of(found[1])
    if wanted is not None and offered and all(o.get("value") != wanted for o in offered):
        return "that option is no longer offered"
    return None


# --- the gestures -----------------------------------------------------------------------------------


async def open_home(person: SlackUser, body: dict) -> dict:
    await person.open_home()
    return {}


async def click(person: SlackUser, body: dict) -> dict:
    answer = await person.click(
        _text(body, "action_id"),
        value=body.get("value"),
        option=body.get("option"),
        confirm=bool(body.get("confirm")),
        block_id=body.get("block_id"),
    )
    return {"url": answer} if isinstance(answer, str) else {}


async def fill(person: SlackUser, body: dict) -> dict:
    if "value" not in body:
        raise BadRequest("fill needs a value (null clears the field)")
    await person.fill(
        _text(body, "action_id"),
        body["value"],
        confirm=bool(body.get("confirm")),
        block_id=body.get("block_id"),
    )
    return {}


async def submit(person: SlackUser, body: dict) -> dict:
    return {"errors": (await person.submit()).get("errors", {})}


async def close(person: SlackUser, body: dict) -> dict:
    await person.close()
    return {}


async def command(person: SlackUser, body: dict) -> dict:
    text = _text(body, "text").strip()
    name, _, rest = text.partition(" ") if text.startswith("/") else ("/rr", "", text)
    if name != "/rr":
        raise BadRequest(f"{name} is not a command here: Round Robin answers /rr (try /rr help)")
    channel_id = body.get("channel") or DEFAULT_CHANNEL
    before = len(person.ephemerals)
    ack = await person.command(rest.strip(), channel_id=channel_id)
    return {"reply": ack, "ephemerals": person.ephemerals[before:]}


async def say(person: SlackUser, body: dict) -> dict:
    """Write in a channel (or a thread): a mention of the app reaches it as app_mention."""
    text = _text(body, "text")
    if text.startswith("/"):
        raise BadRequest("a slash command goes to /api/command, not into the conversation")
    message = await person.say(_text(body, "channel"), text, body.get("thread_ts") or None)
    return {"ts": message["ts"]}


async def click_message(person: SlackUser, body: dict) -> dict:
    """Click a button (or pick an option) in a message the app posted: a channel's or a DM."""
    answer = await person.click_in_message(
        {"channel": _text(body, "channel"), "ts": _text(body, "ts")},
        _text(body, "action_id"),
        value=body.get("value"),
        option=body.get("option"),
        block_id=body.get("block_id"),
        confirm=bool(body.get("confirm")),
    )
    return {"url": answer} if isinstance(answer, str) else {}


async def join(person: SlackUser, body: dict) -> dict:
    """Join a public channel (Slack's "Join channel" button): the composer appears after it."""
    person.join(_text(body, "channel"))
    return {}


async def suggest(person: SlackUser, body: dict) -> dict:
    options = await person.suggest(
        _text(body, "action_id"), str(body.get("query") or ""), block_id=body.get("block_id")
    )
    return {"options": options}


GESTURES: dict[str, Gesture] = {
    "open_home": open_home,
    "click": click,
    "fill": fill,
    "submit": submit,
    "close": close,
    "command": command,
    "suggest": suggest,
    "say": say,
    "join": join,
    "click_message": click_message,
}
# How each gesture finds out that its control is gone (see _gone).
PRESENCE: dict[str, Callable[[DemoContext, SlackUser, dict], str | None]] = {
    "click": partial(_view_control, by_value=True),
    "fill": _view_control,
    "suggest": _view_control,
    "submit": _top_modal,
    "close": _top_modal,
    "click_message": _message_control,
    "join": _joined,
}


async def set_on_call(request: web.Request) -> web.Response:
    """Put these people on call in PagerDuty from now until the current shift's end (or a week).

    The current shift ends now and the ones after it stay, so the schedule's future is kept; no
    people means nobody is on call until then.
    """
    demo = request.app[DEMO]
    body = await _json_body(request)
    schedule = demo.pd.directory.schedules.get(_text(body, "schedule_id"))
    if schedule is None:
        raise LookupError(f"PagerDuty has no schedule {body['schedule_id']!r}")
    user_ids = body.get("user_ids")
    if not isinstance(user_ids, list) or not all(isinstance(u, str) for u in user_ids):
        raise BadRequest("user_ids must be a list of PagerDuty user ids")
    now = demo.pd.account.now()
    if current := schedule.shifts_between(now, now):
        until = min((s.end for s in current if s.end is not None), default=now + WEEK)
    else:  # nobody on call now: the new shift lasts until the next one starts
        until = min((s.start for s in schedule.shifts if s.start > now), default=now + WEEK)
    shifts: list[tuple[Sequence[str], float, float | None]] = [
        (s.user_ids, s.start, min(s.stop, now)) for s in schedule.shifts if s.start < now
    ]
    shifts = [shift for shift in shifts if (shift[2] or 0) > shift[1]]
    if user_ids:
        shifts.append((user_ids, now, until))
    shifts += [(s.user_ids, s.start, s.end) for s in schedule.shifts if s.start >= until]
    demo.pd.set_shifts(schedule.id, shifts)
    return web.json_response({"ok": True, "schedules": pagerduty(demo.pd, demo.slack)["schedules"]})


# --- helpers --------------------------------------------------------------------------------------


async def _json_body(request: web.Request) -> dict:
    try:
        body = await request.json()
    except json.JSONDecodeError:
        raise BadRequest("the body must be JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _text(body: dict, key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise BadRequest(f"{key!r} is required")
    return value
