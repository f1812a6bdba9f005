"""The outgoing webhook worker against a loopback receiver: what is retried, what is given up at once,
redirects never followed, events of one rotation in order, and nothing posted to a private address
unless the operator allows it."""

import asyncio
import json
import time

import aiohttp
import pytest
from aiohttp import web

from roundrobin.background import Doorbell
from roundrobin.demo import free_port
from roundrobin.store import webhook_outbox, webhooks
from roundrobin.store.webhooks import Webhook
from roundrobin.webhooks import outgoing, signing
from roundrobin.webhooks.outgoing import WebhookDelivery


class Receiver:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/in"
        self.answers: list[tuple[int, dict]] = []  # answered in turn; then 200
        self.seen: list[tuple[str, dict, dict]] = []  # (path, headers, event)

    async def __aenter__(self):
        app = web.Application()
        app.router.add_post("/{path}", self._take)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc):
        await self._runner.cleanup()

    async def _take(self, request):
        self.seen.append((request.path, dict(request.headers), json.loads(await request.read())))
        status, headers = self.answers.pop(0) if self.answers else (200, {})
        return web.Response(status=status, headers=headers)


@pytest.fixture
async def rotation_ids(db):
    ids = []
    for code in ("OPS", "WEB"):
        ids.append(
            await db.execute(
                "INSERT INTO rotations (name, code, created_by, created_at, updated_at) VALUES (?, ?, 'U1', 0, 0)",
                (code.title(), code),
            )
        )
    return ids


async def hook(db, vault, rotation_id, url, secret="rrwh_s"):
    await webhooks.save(
        db, Webhook(rotation_id, "ci", vault.encrypt(secret), None, None, 0.0, "U1", url, "U1", 0.0)
    )


async def events(db, rotation_id, *ids):
    for event_id in ids:
        await webhook_outbox.enqueue(db, rotation_id, {"id": event_id, "type": "duty.changed"}, time.time())


async def run(db, vault, allow_private=True, until=lambda: False, timeout=10.0):
    doorbell = Doorbell()
    async with aiohttp.ClientSession() as http:
        worker = WebhookDelivery(db, vault, http, doorbell, allow_private, timeout=2.0)
        await worker.start()
        try:
            for _ in range(int(timeout / 0.05)):  # what the receiver saw, looked at as it comes
                if until():
                    return
                await asyncio.sleep(0.05)
            raise TimeoutError
        finally:
            await worker.close()


async def outcomes(db, rotation_id):
    return [
        (d.event_id, d.outcome, d.detail)
        for d in reversed(await webhook_outbox.deliveries(db, rotation_id, 20))
    ]


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    monkeypatch.setattr(outgoing, "FIRST_BACKOFF", 0.05)


async def test_events_go_in_order_signed_and_a_5xx_or_429_is_retried(db, vault, rotation_ids):
    ops, _ = rotation_ids
    async with Receiver() as receiver:
        receiver.answers = [(503, {}), (429, {"Retry-After": "0"})]
        await hook(db, vault, ops, receiver.url)
        await events(db, ops, "e1", "e2")
        await run(db, vault, until=lambda: len(receiver.seen) >= 4)
        assert [e["id"] for _, _, e in receiver.seen] == ["e1", "e1", "e1", "e2"], "in order, e1 first"
        for _, headers, event in receiver.seen:
            body = json.dumps(event, sort_keys=True).encode()
            ts = int(headers[signing.TIMESTAMP_HEADER])
            assert signing.matches(["rrwh_s"], ts, body, headers[signing.SIGNATURE_HEADER])
            assert headers["X-RoundRobin-Event-Id"] == event["id"]
    assert await outcomes(db, ops) == [
        ("e1", "retrying", "HTTP 503"),
        ("e1", "retrying", "HTTP 429"),
        ("e1", "delivered", "HTTP 200"),
        ("e2", "delivered", "HTTP 200"),
    ]
    assert await webhook_outbox.pending_count(db) == 0


@pytest.mark.parametrize(
    ("status", "detail"),
    [(302, "HTTP 302: redirects are not followed"), (404, "HTTP 404"), (400, "HTTP 400")],
)
async def test_a_redirect_or_a_refusal_is_given_up_at_once(db, vault, rotation_ids, status, detail):
    ops, _ = rotation_ids
    async with Receiver() as receiver:
        receiver.answers = [(status, {"Location": f"http://127.0.0.1:{receiver.port}/elsewhere"})]
        await hook(db, vault, ops, receiver.url)
        await events(db, ops, "e1", "e2")
        await run(db, vault, until=lambda: len(receiver.seen) >= 2)
        await asyncio.sleep(0.2)
        assert [path for path, _, _ in receiver.seen] == ["/in", "/in"], "never followed"
    assert await outcomes(db, ops) == [("e1", "gave_up", detail), ("e2", "delivered", "HTTP 200")]


async def test_a_receiver_that_is_down_is_retried_and_other_rotations_go_on(db, vault, rotation_ids):
    ops, web_id = rotation_ids
    async with Receiver() as receiver:
        await hook(db, vault, ops, f"http://127.0.0.1:{free_port()}/nobody-listens")
        await hook(db, vault, web_id, receiver.url)
        await events(db, ops, "down")
        await events(db, web_id, "up")
        await run(db, vault, until=lambda: receiver.seen)
    await asyncio.sleep(0)
    assert await outcomes(db, web_id) == [("up", "delivered", "HTTP 200")]
    failures = await outcomes(db, ops)
    assert failures and all(o == "retrying" and "could not connect" in d for _, o, d in failures)
    assert await webhook_outbox.pending_count(db, ops) == 1, "kept until delivered"


async def test_nothing_is_posted_to_a_private_address_unless_the_operator_allows_it(db, vault, rotation_ids):
    ops, _ = rotation_ids
    async with Receiver() as receiver:
        await hook(db, vault, ops, receiver.url)
        await events(db, ops, "e1")
        with pytest.raises(TimeoutError):
            await run(db, vault, allow_private=False, until=lambda: receiver.seen, timeout=0.5)
        assert not receiver.seen
        assert (await outcomes(db, ops))[0][1:] == ("retrying", "refused: 127.0.0.1 is a loopback address")
        await run(db, vault, allow_private=True, until=lambda: receiver.seen)


async def test_an_event_of_a_rotation_whose_url_was_removed_is_dropped(db, vault, rotation_ids):
    ops, _ = rotation_ids
    await hook(db, vault, ops, None)
    await events(db, ops, "e1")
    with pytest.raises(TimeoutError):
        await run(db, vault, timeout=0.3)
    assert await webhook_outbox.pending_count(db) == 0
