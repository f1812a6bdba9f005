"""The small web server: PagerDuty's OAuth callback, /healthz, and /metrics when enabled."""

from __future__ import annotations

import contextlib
import html
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web
from slack_sdk.errors import SlackApiError

from roundrobin import web_load
from roundrobin.config import CALLBACK_PATH, LOGIN_COOKIE, LOGIN_COOKIE_PATH, LOGIN_START_PATH
from roundrobin.db import Database
from roundrobin.feeds.web import FEED_ROUTE, FEEDS, TIMELINE_ROUTE, TIMELINES, calendar_feed, timeline_page
from roundrobin.metrics import CONTENT_TYPE
from roundrobin.pagerduty.connection import OAuthFailure
from roundrobin.services import Services
from roundrobin.slack.gateway.load_home import CSV_PATH
from roundrobin.slack.views.blocks import esc
from roundrobin.slack.views.pagerduty_modals import outcome_modal
from roundrobin.store import outbox, pd_failures, webhook_outbox
from roundrobin.store.integrations import Connection
from roundrobin.store.pd_failures import ReadFailure
from roundrobin.webhooks.incoming import MAX_BODY
from roundrobin.webhooks.settings import PATH as WEBHOOK_PATH

log = logging.getLogger(__name__)

SERVICES = web.AppKey("services", Services)


# Whether Socket Mode is connected (None: the web server runs without it, as in some tests).
SocketModeUp = Callable[[], Awaitable[bool]]
SOCKET_MODE = web.AppKey[SocketModeUp | None]("socket_mode_connected")
DB = web.AppKey("db", Database)
# /healthz patience: a sync failing for this many intervals, or Slack work undelivered this long.
SYNC_FAILING_INTERVALS = 3
EFFECTS_STUCK_SECONDS = 300.0


def build_web_app(
    services: Services, db: Database, socket_mode_connected: SocketModeUp | None = None
) -> web.Application:
    app = web.Application(middlewares=[_security_headers])
    app[SERVICES] = services
    app[DB] = db  # /healthz asks the database itself whether it answers
    app[SOCKET_MODE] = socket_mode_connected
    app.router.add_get(LOGIN_START_PATH, pagerduty_login_start)
    app.router.add_get(CALLBACK_PATH, pagerduty_callback)
    app.router.add_get("/healthz", healthz)
    app[FEEDS] = services.feeds
    app.router.add_get(FEED_ROUTE, calendar_feed)
    app[TIMELINES] = services.timelines
    app.router.add_get(TIMELINE_ROUTE, timeline_page)
    if services.settings.metrics_enabled:  # otherwise /metrics is a 404 like any unknown path
        app.router.add_get("/metrics", metrics_page)
    app.router.add_get(CSV_PATH, load_csv)
    app.router.add_post(WEBHOOK_PATH, rotation_webhook)
    return app


@web.middleware
async def _security_headers(request: web.Request, handler) -> web.StreamResponse:
    response = await handler(request)
    # The callback URL carries a one-time code: keep it out of caches and Referer headers.
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


async def pagerduty_login_start(request: web.Request) -> web.StreamResponse:
    """The "Open PagerDuty" link: bind the login to this browser with a cookie, then go to PagerDuty.

    The usual defence against login CSRF (Bolt's own OAuth flow does the same): the callback only
    completes in the browser that opened this link, so a leaked consent link is worth nothing.
    """
    services = request.app[SERVICES]
    try:
        login = await services.pagerduty.open_in_browser(request.query.get("login", "")[:200])
    except OAuthFailure as failure:
        return _page(services, title="PagerDuty was not connected", message=failure.message, status=400)
    response = web.Response(status=302, headers={"Location": login.authorize_url})
    response.set_cookie(
        LOGIN_COOKIE,
        login.cookie,
        max_age=max(1, int(login.lasts)),
        path=LOGIN_COOKIE_PATH,
        secure=services.settings.public_url.startswith("https://"),
        httponly=True,
        samesite="Lax",  # sent on PagerDuty's top-level redirect back, never on a cross-site POST
    )
    return response


async def pagerduty_callback(request: web.Request) -> web.Response:
    """Where PagerDuty sends the browser back: always a page a person can read, never a 500."""
    services = request.app[SERVICES]
    query = request.query
    try:
        done = await services.pagerduty.finish_oauth(
            query.get("state", ""), query.get("code"), query.get("error"), request.cookies.get(LOGIN_COOKIE)
        )
    except OAuthFailure as failure:
        log.info("pagerduty login failed", extra={"reason": failure.message})
        if failure.slack_user_id:
            await _tell_slack(
                services, failure.slack_user_id, failure.view_id, ok=False, message=failure.message
            )
        cancelled = query.get("error") == "access_denied"
        return _page(
            services,
            title="Login cancelled" if cancelled else "PagerDuty was not connected",
            message=failure.message,
            status=200 if cancelled else 400,
        )
    except Exception:  # noqa: BLE001 - the person in the browser gets words, the log gets the trace
        error_id = secrets.token_hex(4)
        log.exception("pagerduty login callback failed", extra={"error_id": error_id})
        return _page(
            services,
            title="PagerDuty was not connected",
            message=(
                f"Something went wrong in Round Robin while finishing the login (error {error_id}). "
                "Nothing was saved. Start again from Slack; if it happens again, Round Robin's log has "
                "the details under this error number."
            ),
            status=500,
        )
    message = f"PagerDuty is connected. Round Robin now reads PagerDuty as {done.pd_user_name}."
    await _tell_slack(services, done.slack_user_id, done.view_id, ok=True, message=message)
    services.sync.request_soon()
    page = _page(services, title="PagerDuty connected", message=message, redirect=True)
    page.del_cookie(LOGIN_COOKIE, path=LOGIN_COOKIE_PATH)
    return page


async def _tell_slack(services: Services, user_id: str, view_id: str | None, ok: bool, message: str) -> None:
    """Refresh the admin's App Home, and turn the login modal (if still open) into the outcome.

    Slack being slow or down must not cost the browser its page: the outcome is stored either way.
    """
    try:
        await services.home.publish(user_id, tab="settings", notice=None if ok else esc(message))
        if view_id:
            # A closed modal cannot be updated; the App Home already says it all.
            with contextlib.suppress(SlackApiError):
                await services.modals.replace(view_id, outcome_modal(ok, message))
    except (SlackApiError, aiohttp.ClientError, TimeoutError) as e:
        log.warning("could not tell Slack how the login ended", extra={"error": type(e).__name__})


def _page(
    services: Services, title: str, message: str, status: int = 200, redirect: bool = False
) -> web.Response:
    identity = services.identity
    target = html.escape(identity.app_redirect_url, quote=True)
    deep = html.escape(identity.deep_link, quote=True)
    refresh = f'<meta http-equiv="refresh" content="2;url={target}">' if redirect else ""
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} · Round Robin</title>
<meta name="viewport" content="width=device-width, initial-scale=1">{refresh}
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;color:#1d1c1d}}
a.button{{display:inline-block;background:#4a154b;color:#fff;padding:.6rem 1rem;border-radius:6px;text-decoration:none}}</style>
</head><body><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>
<p><a class="button" href="{target}">Back to Round Robin in Slack</a></p>
<p><small>Slack did not open? <a href="{deep}">Open the Slack app</a>.</small></p>
</body></html>"""
    return web.Response(text=body, status=status, content_type="text/html")


async def healthz(request: web.Request) -> web.Response:
    """Health for a load balancer or a person: no third-party error text, which may say too much."""
    services = request.app[SERVICES]
    problems = []
    try:
        await request.app[DB].fetchone("SELECT 1")
        database = "ok"
    except Exception as e:  # noqa: BLE001 - any failure means "not reachable"
        database = f"error: {type(e).__name__}"
        problems.append("database")
    socket_mode = "starting"
    if (connected := request.app[SOCKET_MODE]) is not None:
        socket_mode = "connected" if await connected() else "disconnected"
    if socket_mode != "connected":
        problems.append("socket_mode")
    pagerduty: dict[str, Any] = {"state": "unknown"}
    effects: dict[str, int | None] = {"pending": None, "stuck": None}
    # Outgoing webhook events waiting for their receivers: worth seeing, not Round Robin's health
    # (a receiver that is down is its owner's to fix; each rotation's Details says which).
    hooks: dict[str, float | int | None] = {"waiting": None, "oldest_age_seconds": None}
    if database == "ok":
        now = services.clock()
        connection = await services.pagerduty.current()
        pagerduty = _pagerduty_health(connection, now, services.settings.sync_interval_seconds)
        if connection is not None:
            pagerduty["reads"] = _reads_health(await pd_failures.failing(request.app[DB]))
        failing = pagerduty.get("sync") == "failing" or pagerduty.get("reads", {}).get("failing")
        if pagerduty["state"] == "needs_reauth" or failing:
            problems.append("pagerduty")
        backlog = await outbox.backlog(request.app[DB], now, EFFECTS_STUCK_SECONDS)
        effects = {"pending": backlog.pending, "stuck": backlog.stuck}
        if backlog.stuck:
            problems.append("slack_effects")
        count, age = await webhook_outbox.waiting(request.app[DB], now)
        hooks = {"waiting": count, "oldest_age_seconds": round(age)}
    body = {
        "status": "degraded" if problems else "ok",
        "problems": problems,
        "database": database,
        "socket_mode": socket_mode,
        "pagerduty": pagerduty,
        "slack_effects": effects,
        "webhooks": hooks,
    }
    return web.json_response(body, status=503 if problems else 200)


def _pagerduty_health(connection: Connection | None, now: float, interval: int) -> dict[str, Any]:
    if connection is None:
        return {"state": "not_connected"}
    health: dict[str, Any] = {
        "state": connection.status,
        "method": connection.method,
        "last_sync_ok_at": connection.last_sync_ok_at,
        "sync": "ok",
    }
    since = connection.last_sync_ok_at or connection.connected_at
    if connection.last_error and now - since > SYNC_FAILING_INTERVALS * interval:
        health["sync"] = "failing"
    return health


def _reads_health(failing: list[ReadFailure]) -> dict[str, Any]:
    """Reads failing for a reason that will not change by itself (backed off, shown on the card with
    what to do): which parts, since when, the next try. No third-party text."""
    if not failing:
        return {"failing": 0}
    parts = sorted({"schedules" if f.schedule_id else f.what for f in failing})
    return {
        "failing": len(failing),
        "parts": parts,
        "since": min(f.first_at for f in failing),
        "next_try_at": min(f.retry_at for f in failing),
    }


async def metrics_page(request: web.Request) -> web.Response:
    """Prometheus' text format. The gauges that describe the database are read now, with two cheap
    queries (the backlog's count and oldest item, over indexed or small tables) and a stat()."""
    services = request.app[SERVICES]
    db = request.app[DB]
    waiting = await outbox.waiting(db, services.clock())
    services.metrics.set_database(waiting.items, waiting.oldest_age, db.file_size())
    services.metrics.set_webhooks(*await webhook_outbox.waiting(db, services.clock()))
    return web.Response(body=services.metrics.render(), headers={"Content-Type": CONTENT_TYPE})


async def load_csv(request: web.Request) -> web.Response:
    """The on-call load report as CSV, through a signed link (roundrobin/web_load.py)."""
    return await web_load.load_csv(request, request.app[SERVICES])


async def rotation_webhook(request: web.Request) -> web.Response:
    """A signed call into a rotation (webhooks/incoming.py): always a JSON answer, never a trace."""
    services = request.app[SERVICES]
    if (request.content_length or 0) > MAX_BODY:
        return _json_error(400, "bad_request", f"The body is larger than {MAX_BODY} bytes.")
    body = await request.content.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        return _json_error(400, "bad_request", f"The body is larger than {MAX_BODY} bytes.")
    try:
        answer = await services.webhooks.handle(request.match_info["code"], request.headers, body)
    except Exception:  # noqa: BLE001 - the caller gets a reference, the log gets the trace
        error_id = secrets.token_hex(4)
        log.exception("webhook call failed", extra={"error_id": error_id})
        return _json_error(500, "internal", f"Something went wrong in Round Robin (error {error_id}).")
    return web.json_response(answer.body, status=answer.status, headers=answer.headers)


def _json_error(status: int, error: str, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": error, "message": message}, status=status)
