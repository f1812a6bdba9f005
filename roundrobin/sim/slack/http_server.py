"""The HTTP side of the fake Web API and of response_urls: read a request, serve Slack's answer or a fault.

Arguments arrive the way Slack accepts them (query string, form fields or JSON, the token as a
Bearer header or a ``token`` field). Faults that are not an HTTP answer happen here, at the transport:
a hang keeps the request open, a reset aborts the TCP connection with an RST.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from typing import Any

from aiohttp import web

from roundrobin.sim.slack.api import Answer, WebApi
from roundrobin.sim.slack.api_base import SlackError
from roundrobin.sim.slack.api_chat import deliver_hook_reply
from roundrobin.sim.slack.faults import Fault
from roundrobin.sim.slack.workspace import Workspace

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class WebApiServer:
    """aiohttp handlers for ``/api/<method>`` and ``/hooks/respond/<id>``."""

    def __init__(self, api: WebApi, ws: Workspace) -> None:
        self.api = api
        self.ws = ws
        # Set when the fake stops: requests left hanging are dropped then.
        self.closing = asyncio.Event()

    async def handle_api(self, request: web.Request) -> web.StreamResponse:
        """One Web API call."""
        try:
            args = await read_args(request)
        except SlackError as error:
            return web.json_response(error.body())
        token = bearer_token(request) or args.pop("token", None)
        args.pop("token", None)
        method = request.match_info["method"]
        outcome = self.api.admit(method, args, token)
        if isinstance(outcome, Fault):
            return await self._disrupt(request, method, args, token, outcome)
        return respond(outcome or self.api.execute(method, args, token))

    async def handle_hook(self, request: web.Request) -> web.Response:
        """A post to a response_url."""
        hook = self.ws.hooks.get(request.match_info["hook_id"])
        if hook is None:
            return web.Response(status=404, text="no_service")
        try:
            body = await request.json()
            deliver_hook_reply(self.ws, hook, body)
        except json.JSONDecodeError:
            return web.Response(status=400, text="invalid_payload")
        except SlackError as error:
            return web.Response(status=400, text=error.code)
        return web.Response(text="ok")

    async def _disrupt(
        self, request: web.Request, method: str, args: dict, token: str | None, fault: Fault
    ) -> web.StreamResponse:
        """Serve a hang or a reset."""
        answer = self.api.execute(method, args, token) if fault.took_effect else None
        if (
            fault.kind == "hang"
            and await self._still_running_after(fault.seconds)
            and not client_gone(request)
        ):
            return respond(answer or self.api.execute(method, args, token))
        reset_connection(request)
        # Nothing reaches the client; aiohttp drops this response quietly on the closed transport.
        return web.Response(status=500)

    async def _still_running_after(self, seconds: float | None) -> bool:
        """Wait ``seconds`` (None: forever); False if the fake stops first."""
        try:
            await asyncio.wait_for(self.closing.wait(), seconds)
        except TimeoutError:
            return True
        return False


def respond(answer: Answer) -> web.Response:
    """The aiohttp response for an Answer."""
    if isinstance(answer.body, str):
        return web.Response(
            status=answer.status, text=answer.body, content_type=answer.content_type, headers=answer.headers
        )
    return web.json_response(answer.body, status=answer.status, headers=answer.headers)


def client_gone(request: web.Request) -> bool:
    """Whether the client closed the connection (gave up waiting)."""
    return request.transport is None or request.transport.is_closing()


def reset_connection(request: web.Request) -> None:
    """Abort the connection with a TCP RST (SO_LINGER 0), as a crashed proxy would."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def read_args(request: web.Request) -> dict:
    """Query string, form fields and JSON body merged into one dict, as Slack reads them."""
    args: dict[str, Any] = dict(request.query)
    if not request.can_read_body:
        return args
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except json.JSONDecodeError:
            raise SlackError("invalid_json") from None
        if isinstance(body, dict):
            args.update(body)
    elif request.content_type in FORM_TYPES:
        args.update({key: value for key, value in (await request.post()).items() if isinstance(value, str)})
    return args


def bearer_token(request: web.Request) -> str | None:
    """The token from an ``Authorization: Bearer`` header."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
