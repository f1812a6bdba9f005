"""aioresponses for the HTTP clients' unit tests: scripted answers and faults, and what was sent.

aioresponses replaces aiohttp's ClientSession._request, so the client under test runs unchanged and
a test can stage what a loopback server stages only with effort (a reset mid-answer, a status line
that is not HTTP, a timeout without waiting for one) and read back each request exactly as the client
made it: its headers, form body, timeout and redirect setting.

A request nothing was scripted for fails like a refused connection (aioresponses' own behaviour),
so a test that asserts the requests sent also proves nothing unexpected was asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aioresponses import aioresponses
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL


@dataclass(frozen=True)
class Sent:
    """One request as the client made it."""

    method: str
    url: URL  # query included (aioresponses sorts it)
    kwargs: dict[str, Any]  # what the client passed to aiohttp: headers, data, timeout, ...
    allow_redirects: bool

    @property
    def path(self) -> str:
        return self.url.path

    @property
    def query(self) -> dict[str, str]:
        return dict(self.url.query)

    @property
    def headers(self) -> dict[str, str]:
        return dict(self.kwargs.get("headers") or {})

    @property
    def form(self) -> dict[str, str]:
        """The urlencoded body, as PagerDuty's token endpoint would read it."""
        data = self.kwargs.get("data") or ""
        return dict(parse_qsl(data.decode() if isinstance(data, bytes) else data, strict_parsing=True))


class MockHttp(aioresponses):
    """aioresponses that also keeps every request in the order it was made (`sent`)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Sent] = []

    async def match(self, method: str, url: URL, allow_redirects: bool = True, **kwargs: Any):
        # aioresponses calls match once per request, before it picks the scripted answer.
        self.sent.append(Sent(method.upper(), url, kwargs, allow_redirects))
        return await super().match(method, url, allow_redirects=allow_redirects, **kwargs)


def any_query(url: str) -> re.Pattern:
    """Matches `url` with any query string: for answers scripted by path alone."""
    return re.compile(re.escape(url) + r"(\?.*)?$")


class CutShort(aiohttp.ClientResponse):
    """An answer whose connection drops after the status line: reading the body fails as aiohttp's does.

    Pass as `response_class=`: the status and headers arrive, the body never does.
    """

    async def read(self) -> bytes:
        raise aiohttp.ClientPayloadError("Response payload is not completed")


def not_http(method: str, url: str) -> aiohttp.ClientResponseError:
    """What aiohttp raises when the answer is not HTTP at all (a proxy or port speaking another protocol):
    a ClientResponseError for the bad status line, not a connection error."""
    info = aiohttp.RequestInfo(URL(url), method, CIMultiDictProxy(CIMultiDict()), URL(url))
    return aiohttp.ClientResponseError(info, (), status=400, message="Bad status line: b'SSH-2.0-OpenSSH'")


# The ways a connection fails, each as aiohttp raises it (CutShort stages the half-read body).
RESETS = {
    "reset by peer": lambda: aiohttp.ClientOSError(104, "Connection reset by peer"),
    "reset while writing": lambda: aiohttp.ClientConnectionResetError("Cannot write to closing transport"),
    "server disconnected": lambda: aiohttp.ServerDisconnectedError(),
}
TIMEOUTS = {
    "total timeout": lambda: TimeoutError(),
    "read timeout": lambda: aiohttp.ServerTimeoutError("Timeout on reading data from socket"),
}
