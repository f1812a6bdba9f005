"""The web server's calendar routes: feeds (ICS, with ETag) and the timeline page (signed links)."""

from __future__ import annotations

from aiohttp import web

from roundrobin.feeds.pages import PATH as TIMELINE_ROUTE
from roundrobin.feeds.pages import TimelinePages
from roundrobin.feeds.service import CalendarFeeds

FEEDS = web.AppKey("calendar_feeds", CalendarFeeds)
TIMELINES = web.AppKey("timeline_pages", TimelinePages)
FEED_ROUTE = "/calendar/{token}.ics"
# The page needs nothing but its own inline style: no script, no image, no form, no frame.
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

__all__ = ["FEEDS", "FEED_ROUTE", "TIMELINES", "TIMELINE_ROUTE", "calendar_feed", "timeline_page"]


async def calendar_feed(request: web.Request) -> web.StreamResponse:
    """A feed for whoever holds its link; 304 when the calendar app has it already."""
    rendered = await request.app[FEEDS].render(request.match_info["token"])
    if rendered is None:
        return web.Response(
            status=404,
            text="No such calendar feed: the link was reset or is wrong. Copy the current one from Round Robin in Slack.\n",
        )
    zipped = "gzip" in request.headers.get("Accept-Encoding", "").lower()
    etag = rendered.gzip_etag if zipped else rendered.etag
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Accept-Encoding"}
    if _matches(request.headers.get("If-None-Match", ""), etag):
        return web.Response(status=304, headers=headers)
    if zipped:
        headers["Content-Encoding"] = "gzip"
    body = rendered.gzipped if zipped else rendered.body
    return web.Response(body=body, headers=headers, content_type="text/calendar", charset="utf-8")


def _matches(header: str, etag: str) -> bool:
    """If-None-Match (RFC 9110: a list of tags, weak or strong, or *) names this ETag."""
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


async def timeline_page(request: web.Request) -> web.Response:
    """A rotation's two weeks, for whoever holds a link the app signed (else a page saying why not)."""
    query = request.query
    twice = len(set(query.keys())) != len(query)  # a name given twice: not a link the app made
    params = {"sig": ""} if twice else dict(query)
    shown = await request.app[TIMELINES].page(params)
    return web.Response(
        text=shown.html,
        status=shown.status,
        content_type="text/html",
        headers={"Content-Security-Policy": PAGE_POLICY},
    )
