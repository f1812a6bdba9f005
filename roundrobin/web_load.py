"""The on-call load report as CSV, for whoever holds a link the App Home signed (roundrobin/links.py)."""

from __future__ import annotations

import html
from datetime import UTC, datetime

from aiohttp import web

from roundrobin.links import LinkRefused
from roundrobin.rotations.load import PERIODS, to_csv
from roundrobin.services import Services
from roundrobin.slack.gateway.load_home import CSV_PATH

REFUSED = {
    "invalid": (403, "This link is not one Round Robin made, or it was changed. Open the Load tab again."),
    "expired": (
        410,
        "This link has expired (they last a day). Open the Load tab in Round Robin for a new one.",
    ),
}


async def load_csv(request: web.Request, services: Services) -> web.Response:
    query = request.query
    try:
        if len(set(query.keys())) != len(query):
            raise LinkRefused("invalid")  # a parameter given twice: not a link the app made
        params = services.links.check(CSV_PATH, dict(query), services.clock())
    except LinkRefused as refused:
        status, words = REFUSED[refused.reason]
        return _refused(status, words)
    days = int(params["days"]) if params.get("days", "").isdigit() else 0
    if days not in PERIODS:
        return _refused(403, REFUSED["invalid"][1])
    loads, names, _, end = await services.load.everything(days)
    day = datetime.fromtimestamp(end, UTC).date().isoformat()
    return web.Response(
        body=to_csv(loads, names).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="round-robin-load-{days}-days-{day}.csv"'},
    )


def _refused(status: int, words: str) -> web.Response:
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Link refused · Round Robin</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        f"<body><h1>This link does not open the load report</h1><p>{html.escape(words)}</p></body></html>"
    )
    return web.Response(text=body, status=status, content_type="text/html")
