"""Answers through a response_url, sent only to Slack.

A click's payload carries the response_url to answer it with, and a Socket Mode payload can be
crafted: posted blindly, it would make Round Robin send requests wherever a member liked (a
loopback admin page, a cloud metadata address). So an answer goes only to Slack's own origin
(https://hooks.slack.com, or the configured SLACK_API_URL's scheme, host and port, which is where the
simulators serve theirs), and a redirect is never followed.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import aiohttp

log = logging.getLogger(__name__)

SLACK_HOOKS = "https://hooks.slack.com"
MAX_URL = 500  # Slack's are about 100 characters


def origin(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{parts.hostname.lower()}:{port or default}"


class Replies:
    def __init__(self, http: aiohttp.ClientSession, slack_api_url: str, timeout: float = 10.0):
        self._http = http
        self._origins = {o for o in (origin(SLACK_HOOKS), origin(slack_api_url)) if o}
        self._timeout = timeout

    def allows(self, url: object) -> bool:
        """A response_url Round Robin may post to: Slack's origin, nothing else."""
        return isinstance(url, str) and len(url) <= MAX_URL and origin(url) in self._origins

    async def respond(self, url: object, message: dict) -> bool:
        """Post `message` to a response_url; False when the URL is not Slack's or Slack refused it."""
        if not self.allows(url):
            log.warning("ignored a response_url that is not Slack's")
            return False
        try:
            async with self._http.post(
                str(url),
                json=message,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            ) as answer:
                await answer.read()
                if answer.status != 200:
                    log.warning("a response_url refused the answer", extra={"status": answer.status})
                return answer.status == 200
        except (aiohttp.ClientError, TimeoutError) as e:
            log.warning("a response_url could not be reached", extra={"error": type(e).__name__})
            return False
