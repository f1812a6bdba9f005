"""The Socket Mode side of the fake: the ``/link`` websocket, envelopes out, acks back.

Slack pushes every event and interaction as an envelope and expects the app to ack its
``envelope_id`` within 3 seconds; a missing or late ack is a bug the person would notice (an error
on a modal, "/rr failed with the error operation_timeout"), so ``send_envelope`` raises AckTimeout.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass

from aiohttp import WSCloseCode, WSMsgType, web

logger = logging.getLogger(__name__)

ACK_TIMEOUT_SECONDS = 3.0


class AckTimeout(AssertionError):
    """The app did not ack an envelope in time (Slack's 3-second rule)."""


@dataclass(frozen=True)
class AckRecord:
    """One ack the app sent: for which envelope, how long it took, and its payload."""

    envelope_id: str
    type: str
    seconds: float
    payload: dict | None


@dataclass
class _Pending:
    """An envelope waiting for its ack."""

    future: asyncio.Future
    type: str
    sent_at: float
    on_ack: Callable[[dict | None], None] | None


class SocketModeHub:
    """Serves Socket Mode connections and delivers envelopes over the newest one."""

    def __init__(
        self, *, app_id: str, tickets: Collection[str], ack_timeout: float = ACK_TIMEOUT_SECONDS
    ) -> None:
        self.app_id = app_id
        self.ack_timeout = ack_timeout
        self.connected = asyncio.Event()
        self.acks: list[AckRecord] = []
        self.envelopes: list[dict] = []
        self._tickets = tickets
        self._connections: list[web.WebSocketResponse] = []
        self._retired: set[int] = set()  # connections told to go away (ids of the objects)
        self._pending: dict[str, _Pending] = {}

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """The ``GET /link`` websocket endpoint."""
        if request.query.get("ticket") not in self._tickets:
            raise web.HTTPUnauthorized(text="invalid ticket: call apps.connections.open first")
        # autoping (the default) answers slack_sdk's "sdk-ping-pong:<t>" pings with the same payload.
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._connections.append(ws)
        try:
            await ws.send_json(self._control_frame("hello"))
            self.connected.set()
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._receive(message.data)
        finally:
            self._connections.remove(ws)
            self._retired.discard(id(ws))
            self._update_connected()
        return ws

    async def send_envelope(
        self,
        type: str,
        payload: dict,
        accepts_response_payload: bool = False,
        *,
        on_ack: Callable[[dict | None], None] | None = None,
    ) -> dict | None:
        """Send an envelope and wait for its ack; returns the ack's payload (None when it has none).

        ``on_ack`` runs the moment the ack arrives, before anything the app does next (Slack shows
        a command's ack reply before a response_url post that follows it).
        """
        ws = self._newest()
        if ws is None:
            raise ConnectionError("no Socket Mode connection: is the app running and connected?")
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if type == "events_api":
            envelope.update(retry_attempt=0, retry_reason="")
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending[envelope_id] = _Pending(future, type, loop.time(), on_ack)
        self.envelopes.append(envelope)
        await ws.send_json(envelope)
        try:
            return await asyncio.wait_for(future, self.ack_timeout)
        except TimeoutError:
            raise AckTimeout(
                f"the app did not ack {describe(envelope)} within {self.ack_timeout:g}s "
                "(no listener, a listener that never calls ack(), or one that acks too late)"
            ) from None

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the app to reconnect, as Slack does before it recycles a connection."""
        ws = self._newest()
        if ws is None:
            raise ConnectionError("no Socket Mode connection to disconnect")
        self._retired.add(id(ws))
        self._update_connected()
        await ws.send_json({**self._control_frame("disconnect"), "reason": reason})

    async def close(self) -> None:
        """Close every connection and forget envelopes still waiting for an ack."""
        for ws in list(self._connections):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
        for pending in self._pending.values():
            pending.future.cancel()
        self._pending.clear()

    def _receive(self, data: str) -> None:
        try:
            frame = json.loads(data)
        except json.JSONDecodeError:
            logger.warning("fake Slack got a frame that is not JSON: %r", data[:200])
            return
        envelope_id = frame.get("envelope_id") if isinstance(frame, dict) else None
        if envelope_id not in self._pending:
            logger.warning("fake Slack got an ack for an unknown envelope: %r", data[:200])
            return
        # Late acks are recorded too (their seconds show how late); the sender has already given up.
        pending = self._pending.pop(envelope_id)
        seconds = asyncio.get_running_loop().time() - pending.sent_at
        self.acks.append(AckRecord(envelope_id, pending.type, seconds, frame.get("payload")))
        if pending.future.done():
            return
        try:
            if pending.on_ack is not None:
                pending.on_ack(frame.get("payload"))
        except Exception as error:  # handed to the sender, who is waiting for this ack
            pending.future.set_exception(error)
        else:
            pending.future.set_result(frame.get("payload"))

    def _newest(self) -> web.WebSocketResponse | None:
        live = [ws for ws in self._connections if id(ws) not in self._retired and not ws.closed]
        return live[-1] if live else None

    def _update_connected(self) -> None:
        if self._newest() is None:
            self.connected.clear()

    def _control_frame(self, kind: str) -> dict:
        return {
            "type": kind,
            "num_connections": len(self._connections),
            "debug_info": {"host": "fake-slack", "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }


def describe(envelope: dict) -> str:
    """A short description of an envelope for error messages, e.g. "interactive block_actions open"."""
    payload = envelope.get("payload") or {}
    detail = payload.get("type", "")
    if detail == "event_callback":
        detail = (payload.get("event") or {}).get("type", "")
    elif envelope.get("type") == "slash_commands":
        detail = f"{payload.get('command', '')} {payload.get('text', '')}".strip()
    if payload.get("actions"):
        detail += " " + ",".join(action.get("action_id", "?") for action in payload["actions"])
    elif payload.get("view", {}).get("callback_id") and detail in ("view_submission", "view_closed"):
        detail += " " + payload["view"]["callback_id"]
    elif payload.get("action_id"):
        detail += " " + payload["action_id"]
    return f"{envelope['type']} envelope ({detail.strip()})"
