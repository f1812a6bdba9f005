"""Identity-host routes of the fake PagerDuty: the consent page, the token endpoint, OpenID metadata.

Paths match identity.pagerduty.com, so PAGERDUTY_IDENTITY_URL may point at the same server as the
REST API. The rules themselves live in auth.AuthServer.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from yarl import URL

from roundrobin.sim.pagerduty.auth import (
    OPENID,
    ConsentError,
    OAuthError,
    PendingConsent,
    jwks,
)
from roundrobin.sim.pagerduty.gate import AUTH, DIRECTORY
from roundrobin.sim.pagerduty.model import Directory

ISSUER_PATH = "/global/oauth/anonymous"
FORM_TYPE = "application/x-www-form-urlencoded"
_LINK = re.compile(r'<a id="(approve|deny)" href="([^"]+)"')
# What a scope lets the app do, in the words of a consent page (unknown ones are shown as they are).
SCOPE_WORDS = {
    OPENID: "Know who you are: your name and email",
    "oncalls.read": "See who is on call",
    "users.read": "See your users: their names and email addresses",
    "abilities.read": "See which features your account has",
}
# Plain and self-contained, like the identity pages PagerDuty serves: no scripts, fonts or images.
STYLE = """
body{margin:0;background:#f4f5f7;color:#1f2328;font:15px/1.5 "Helvetica Neue",Helvetica,Arial,sans-serif}
.brand{background:#048a24;color:#fff;padding:14px 24px;font-weight:700;font-size:20px;letter-spacing:.2px}
.brand small{font-weight:400;font-size:13px;opacity:.85;margin-left:8px}
main{max-width:520px;margin:40px auto;background:#fff;border:1px solid #dfe1e6;border-radius:8px;
padding:28px 32px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:20px;line-height:1.35;margin:0 0 6px}
.who{color:#5e6c84;margin:0 0 20px}
.scopes{list-style:none;padding:0;margin:8px 0 24px;border-top:1px solid #ebecf0}
.scopes li{padding:10px 0;border-bottom:1px solid #ebecf0}
.scopes code{display:block;color:#5e6c84;font-size:12px}
.actions{display:flex;gap:12px;justify-content:flex-end}
.button{display:inline-block;padding:9px 20px;border-radius:4px;font-weight:700;text-decoration:none;
border:1px solid #c1c7d0;color:#1f2328;background:#fff}
.button.primary{background:#048a24;border-color:#048a24;color:#fff}
.button:focus-visible{outline:3px solid #4c9aff;outline-offset:2px}
.note{font-size:13px;color:#5e6c84;margin:20px 0 0}
.error{color:#bf2600}
"""

routes = web.RouteTableDef()


@routes.get("/oauth/authorize")
async def authorize(request: web.Request) -> web.Response:
    """Show the consent page, or an error page when the redirect_uri cannot be trusted."""
    auth = request.app[AUTH]
    try:
        consent = auth.begin_consent(request.query)
    except ConsentError as exc:
        return error_page(str(exc))
    if auth.auto_approve:
        raise web.HTTPFound(auth.decide(consent.id, approve=True))
    return consent_page(consent, request.app[DIRECTORY])


@routes.get("/oauth/authorize/decision")
async def decide(request: web.Request) -> web.Response:
    """The Approve and Deny links: plain GETs, so a test's HTTP client can press them."""
    try:
        location = request.app[AUTH].decide(
            request.query.get("request", ""), request.query.get("approve") == "1"
        )
    except ConsentError as exc:
        return error_page(str(exc))
    raise web.HTTPFound(location)


@routes.post("/oauth/token")
async def token(request: web.Request) -> web.Response:
    """RFC 6749 token endpoint: authorization_code, refresh_token and client_credentials grants."""
    if request.content_type != FORM_TYPE:
        return token_response(OAuthError("invalid_request", f"The body must be {FORM_TYPE}.").body(), 400)
    form = await request.post()
    if len(form) != len(set(form.keys())):
        return token_response(OAuthError("invalid_request", "Parameters must not repeat.").body(), 400)
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    try:
        body = request.app[AUTH].token(fields, request.headers.get("Authorization"), issuer(request))
    except OAuthError as exc:
        return token_response(exc.body(), exc.status)
    return token_response(body, 200)


@routes.get(f"{ISSUER_PATH}/.well-known/openid-configuration")
async def openid_configuration(request: web.Request) -> web.Response:
    base = str(request.url.origin())
    return web.json_response(
        {
            "issuer": issuer(request),
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "jwks_uri": f"{base}{ISSUER_PATH}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "subject_types_supported": ["public"],
            "scopes_supported": [OPENID],
        }
    )


@routes.get(f"{ISSUER_PATH}/jwks")
async def json_web_keys(request: web.Request) -> web.Response:
    return web.json_response(jwks())


def issuer(request: web.Request) -> str:
    return f"{request.url.origin()}{ISSUER_PATH}"


def token_response(body: dict, status: int) -> web.Response:
    # RFC 6749 §5.1: token responses must not be cached.
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="PagerDuty"'
    return web.json_response(body, status=status, headers=headers)


# -- pages -------------------------------------------------------------------------------------


def error_page(message: str) -> web.Response:
    """PagerDuty's "Bad request" page: shown in place of a redirect it cannot trust."""
    body = f'<h1>Bad request</h1>\n<p class="error">{html.escape(message)}</p>'
    return web.Response(text=_page("Bad request", body), status=400, content_type="text/html")


def scope_words(scope: str) -> str:
    """A scope as a person reads it on the consent page: "schedules.read" is "See your schedules"."""
    if scope in SCOPE_WORDS:
        return SCOPE_WORDS[scope]
    resource, _, access = scope.partition(".")
    if access == "read":
        return f"See your {resource.replace('_', ' ')}"
    if access == "write":
        return f"Change your {resource.replace('_', ' ')}"
    return scope


def consent_page(consent: PendingConsent, directory: Directory) -> web.Response:
    user = directory.users[consent.user_id]
    app, account = consent.app, directory.account.subdomain
    scopes = "\n".join(
        f"  <li>{html.escape(scope_words(scope))}<code>{html.escape(scope)}</code></li>"
        for scope in sorted(consent.scopes, key=lambda scope: (scope != OPENID, scope))
    )
    body = (
        f"<h1>{html.escape(app.name)} wants to access your PagerDuty account {html.escape(account)}"
        f" as {html.escape(user.name)}</h1>\n"
        f'<p class="who">Signed in as {html.escape(user.name)} ({html.escape(user.email)})</p>\n'
        f'<p>If you approve, {html.escape(app.name)} will be able to:</p>\n<ul class="scopes">\n{scopes}\n</ul>\n'
        f'<p class="actions"><a id="deny" href="{_decision_link(consent, False)}" class="button">Deny</a>\n'
        f'<a id="approve" href="{_decision_link(consent, True)}" class="button primary">Approve</a></p>\n'
        f'<p class="note">You can revoke this access at any time in PagerDuty.</p>'
    )
    return web.Response(text=_page(f"Authorize {app.name}", body), content_type="text/html")


def consent_links(page: str) -> dict[str, str]:
    """{"approve": href, "deny": href} from a consent page (hrefs are relative to the fake's URL)."""
    return {name: html.unescape(href) for name, href in _LINK.findall(page)}


async def answer_consent(session: aiohttp.ClientSession, authorize_url: str, approve: bool = True) -> str:
    """Open the consent page like a browser and press Approve (or Deny); returns the redirect target."""
    async with session.get(authorize_url, allow_redirects=False) as page:
        text = await page.text()
        if page.status == 302:  # auto_approve skipped the page
            return page.headers["Location"]
        if page.status != 200:
            raise RuntimeError(f"/oauth/authorize answered {page.status}: {text}")
    link = consent_links(text)["approve" if approve else "deny"]
    async with session.get(URL(authorize_url).join(URL(link)), allow_redirects=False) as decision:
        if decision.status != 302:
            raise RuntimeError(f"the consent decision answered {decision.status}: {await decision.text()}")
        return decision.headers["Location"]


def _decision_link(consent: PendingConsent, approve: bool) -> str:
    query = urlencode({"request": consent.id, "approve": "1" if approve else "0"})
    return html.escape(f"/oauth/authorize/decision?{query}")


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} | PagerDuty</title><style>{STYLE}</style></head>\n<body>\n"
        '<header class="brand">PagerDuty<small>simulated, on this machine</small></header>\n'
        f"<main>\n{body}\n</main>\n</body>\n</html>\n"
    )
