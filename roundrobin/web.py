"""The small web server: PagerDuty's OAuth callback and /healthz."""

from __future__ import annotations

import contextlib
import html
import logging

from aiohttp import web
from slack_sdk.errors import SlackApiError

from roundrobin.config import CALLBACK_PATH
from roundrobin.pagerduty.connection import OAuthFailure
from roundrobin.services import Services
from roundrobin.slack.views.blocks import esc
from roundrobin.slack.views.pagerduty_modals import outcome_modal

log = logging.getLogger(__name__)

SERVICES = web.AppKey("services", Services)


def build_web_app(services: Services) -> web.Application:
    app = web.Application(middlewares=[_security_headers])
    app[SERVICES] = services
    app.router.add_get(CALLBACK_PATH, pagerduty_callback)
    app.router.add_get("/healthz", healthz)
    return app


@web.middleware
async def _security_headers(request: web.Request, handler) -> web.StreamResponse:
    response = await handler(request)
    # The callback URL carries a one-time code: keep it out of caches and Referer headers.
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


async def pagerduty_callback(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    query = request.query
    try:
        done = await services.pagerduty.finish_oauth(
            query.get("state", ""), query.get("code"), query.get("error")
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
    message = f"PagerDuty is connected. Round Robin now reads PagerDuty as {done.pd_user_name}."
    await _tell_slack(services, done.slack_user_id, done.view_id, ok=True, message=message)
    services.sync.request_soon()
    return _page(services, title="PagerDuty connected", message=message, redirect=True)


async def _tell_slack(services: Services, user_id: str, view_id: str | None, ok: bool, message: str) -> None:
    """Refresh the admin's App Home, and turn the login modal (if still open) into the outcome."""
    await services.home.publish(user_id, tab="settings", notice=None if ok else esc(message))
    if view_id:
        # A closed modal cannot be updated; the App Home already says it all.
        with contextlib.suppress(SlackApiError):
            await services.slack.views_update(view_id=view_id, view=outcome_modal(ok, message))


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
    services = request.app[SERVICES]
    try:
        await services.db.fetchone("SELECT 1")
        database = "ok"
    except Exception as e:  # noqa: BLE001 - any failure means "not reachable"
        database = f"error: {type(e).__name__}"
    connection = await services.pagerduty.current() if database == "ok" else None
    socket_mode = "starting"
    if services.socket_mode_connected is not None:
        socket_mode = "connected" if await services.socket_mode_connected() else "disconnected"
    body = {
        "status": "ok" if database == "ok" and socket_mode == "connected" else "degraded",
        "database": database,
        "socket_mode": socket_mode,
        "pagerduty": {
            "state": (connection.status if connection else "not_connected"),
            "method": connection.method if connection else None,
            "last_sync_ok_at": connection.last_sync_ok_at if connection else None,
            "last_error": connection.last_error if connection else None,
        },
    }
    return web.json_response(body, status=200 if body["status"] == "ok" else 503)
