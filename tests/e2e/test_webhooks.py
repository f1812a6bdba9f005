"""Walkthroughs: a rotation's webhooks. Tools call in, signed (Details › Webhooks makes the secret);
Round Robin posts every duty change out, signed, through its own durable outbox."""

import asyncio
import hashlib
import hmac
import json
import re
import time

import aiohttp
import pytest
from aiohttp import web

from roundrobin.demo import free_port
from roundrobin.slack.ids import MenuChoice, Rotations
from roundrobin.slack.ids import WebhookIds as W
from tests.e2e.conftest import ADMIN, BOB, CAROL, OPS
from tests.e2e.harness import ROOT
from tests.e2e.steps import create_rotation, group_of, modal_after, open_rotations, rows, told

pytestmark = pytest.mark.e2e

PATH = "/api/webhooks/rotations/"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """What the README tells callers to compute."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


async def call(app, code: str, payload, secret: str | None, at: float | None = None, headers=None):
    """POST a webhook call as a tool would; (status, JSON answer, headers)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    sent = {"Content-Type": "application/json"}
    if secret is not None:
        ts = int(app.clock() if at is None else at)
        sent |= {"X-RoundRobin-Request-Timestamp": str(ts), "X-RoundRobin-Signature": sign(secret, ts, body)}
    sent |= headers or {}
    async with (
        aiohttp.ClientSession() as http,
        http.post(app.url + PATH + code, data=body, headers=sent) as r,
    ):
        return r.status, await r.json(), r.headers


async def ops_rotation(slack, app) -> int:
    admin = slack.user(ADMIN)
    assert await create_rotation(slack, admin, code="ops", channels=[OPS], new_group="ops-oncall") == {}
    await slack.wait_for(lambda: group_of(slack, "ops-oncall")["users"] == [BOB])
    return rows(app, "SELECT id FROM rotations")[0][0]


async def open_webhooks(slack, user, rotation_id: int) -> dict:
    """Rotations › the rotation's menu › Details › Webhooks…"""
    await open_rotations(slack, user)
    await modal_after(slack, user, user.click(Rotations.MENU, option=f"{MenuChoice.DETAILS}:{rotation_id}"))
    return await modal_after(slack, user, user.click(W.OPEN, value=str(rotation_id)))


async def save_webhooks(slack, user, rotation_id: int, **fields) -> str | None:
    """Fill the Webhooks form and save it; the secret the next modal shows once, if one was made."""
    await open_webhooks(slack, user, rotation_id)
    for action_id, value in fields.items():
        await user.fill(getattr(W, action_id.upper()), value)
    ack = await user.submit()
    assert ack == {}, ack
    found = re.search(r"```(rrwh_[A-Za-z0-9_-]+)```", json.dumps(user.modal or {}))
    return found.group(1) if found else None


def on_duty(app) -> list[str]:
    return [r[0] for r in rows(app, "SELECT slack_user_id FROM rotation_members WHERE on_duty = 1")]


async def test_a_signed_call_rotates_and_every_bad_one_is_refused_and_changes_nothing(app, slack, pd):
    rotation_id = await ops_rotation(slack, app)
    admin = slack.user(ADMIN)
    secret = await save_webhooks(slack, admin, rotation_id, name="deploy-bot", secret="new")
    assert secret, "the new secret is shown once"
    assert "will not show it again" in admin.text(admin.modal)

    status, answer, _ = await call(app, "ops", {"action": "rotate"}, secret)
    assert status == 200, answer
    assert answer["on_duty"] == [{"slack_id": CAROL, "email": "carol@corp.example"}]
    message = await slack.wait_for(lambda: told(slack, OPS, "<@U0CAROL>", "on duty now"))
    assert "Rotated by webhook (deploy-bot)" in str(message[0]["blocks"]), "the channel says who did it"
    await slack.wait_for(lambda: group_of(slack, "ops-oncall")["users"] == [CAROL])

    body = json.dumps({"action": "rotate"}).encode()
    ts = int(app.clock())
    signed = {"X-RoundRobin-Request-Timestamp": str(ts), "X-RoundRobin-Signature": sign(secret, ts, body)}
    refused = {
        "unsigned": await call(app, "ops", body, None),
        "stale": await call(app, "ops", body, secret, at=app.clock() - 301),
        "wrong secret": await call(app, "ops", body, "rrwh_not-the-secret"),
        "first": await call(app, "ops", body, None, headers=signed),
        "replay": await call(app, "ops", body, None, headers=signed),
    }
    assert refused["first"][0] == 200, "the signed original goes through (Bob again)"
    for what in ("unsigned", "stale", "wrong secret", "replay"):
        status, answer, _ = refused[what]
        assert status == 401, (what, answer)
        assert answer["ok"] is False and answer["message"], (what, answer)
    assert refused["replay"][1]["error"] == "replayed"
    assert "5 minutes" in refused["stale"][1]["message"]
    assert on_duty(app) == [BOB], "only the two signed calls moved it"

    assert (await call(app, "nope", {"action": "rotate"}, secret))[0] == 404
    status, answer, _ = await call(app, "ops", {"action": "juggle"}, secret)
    assert (status, answer["error"]) == (400, "bad_request") and "rotate" in answer["message"]
    status, answer, _ = await call(app, "ops", b"{not json", secret)
    assert status == 400 and "JSON" in answer["message"]
    status, answer, _ = await call(
        app, "ops", {"action": "set_on_duty", "email": "dave@corp.example"}, secret
    )
    assert status == 403 and "member" in answer["message"], answer
    assert on_duty(app) == [BOB]

    status, answer, _ = await call(
        app, "ops", {"action": "set_on_duty", "email": "Carol@corp.example"}, secret
    )
    assert status == 200 and answer["on_duty"][0]["slack_id"] == CAROL, answer
    status, answer, _ = await call(app, "ops", {"action": "hand_over"}, secret)
    assert status == 200 and answer["on_duty"][0]["slack_id"] == BOB, answer

    await open_rotations(slack, admin)
    details = await modal_after(
        slack, admin, admin.click(Rotations.MENU, option=f"{MenuChoice.DETAILS}:{rotation_id}")
    )
    text = admin.text(details)
    assert "handed over) by webhook (deploy-bot)" in text
    assert "set on duty) by webhook (deploy-bot)" in text
    assert "takes signed calls" in text
    assert secret not in app.log_text(), "never logged"

    readme = (ROOT / "README.md").read_text()
    python = re.search(r"In Python \(standard library only.*?```python\n(.*?)```", readme, re.S).group(1)
    assert len([line for line in python.splitlines() if line.strip()]) <= 10, "a 10-line example"
    example: dict = {}
    exec(python, example)  # noqa: S102 - the README's own example, run as a reader would
    readme_call = {"action": "rotate", "request_id": "readme"}  # not the same bytes as a call this second
    answer = await asyncio.to_thread(example["call"], app.url, "OPS", secret, readme_call)
    assert answer["ok"] and answer["on_duty"][0]["slack_id"] == CAROL


async def test_a_cover_by_webhook_and_the_rate_limit(app, slack, pd):
    rotation_id = await ops_rotation(slack, app)
    secret = await save_webhooks(slack, slack.user(ADMIN), rotation_id, name="pager", secret="new")
    now = app.clock()
    cover = {"action": "cover", "from": now - 60, "to": now + 3600, "user": CAROL}
    status, answer, _ = await call(app, "ops", cover, secret)
    assert status == 200 and answer["on_duty"][0]["slack_id"] == CAROL, answer
    assert on_duty(app) == [CAROL], "the cover starts at once"
    status, answer, _ = await call(app, "ops", {**cover, "from": "yesterday"}, secret)
    assert status == 400 and "ISO 8601" in answer["message"]

    statuses = [
        (await call(app, "ops", {"action": "set_on_duty", "user": CAROL, "request_id": i}, secret))[0]
        for i in range(40)
    ]
    assert statuses == [200] * 28 + [429] * 12, "30 signed calls a minute (two went before)"
    status, answer, headers = await call(app, "ops", {"action": "rotate"}, secret)
    assert status == 429 and int(headers["Retry-After"]) >= 1
    assert on_duty(app) == [CAROL]


async def test_a_rotated_secret_works_in_its_grace_period_and_not_after(app, slack, pd):
    rotation_id = await ops_rotation(slack, app)
    admin = slack.user(ADMIN)
    old = await save_webhooks(slack, admin, rotation_id, secret="new")
    new = await save_webhooks(slack, admin, rotation_id, secret="new", grace="3600")
    assert old and new and old != new
    assert (await call(app, "ops", {"action": "rotate"}, old))[0] == 200, "the old one, in its grace"
    assert (await call(app, "ops", {"action": "rotate"}, new))[0] == 200
    await app.travel(3601)
    status, answer, _ = await call(app, "ops", {"action": "rotate"}, old)
    assert status == 401 and answer["error"] == "unauthorized"
    assert (await call(app, "ops", {"action": "rotate"}, new))[0] == 200
    assert on_duty(app) == [CAROL], "rotated three times: Carol, Bob, Carol"


# --- outgoing -------------------------------------------------------------------------------------


class Receiver:
    """A tool of the operator's on loopback that takes Round Robin's events: it can be down (503),
    or hang, for a while."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks/rr"
        self.received: list[tuple[dict, bytes, dict]] = []  # (headers, body, parsed)
        self.answer = 200
        self.hang = False  # hold each request until released (or the receiver stops)
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hooks/rr", self._take)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        self._released.set()
        await self._runner.cleanup()

    async def _take(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.received.append((dict(request.headers), body, json.loads(body)))
        if self.hang:
            await self._released.wait()
        return web.Response(status=self.answer)

    def valid(self, secret: str) -> list[dict]:
        """The events whose signature checks out (and whose timestamp is fresh)."""
        return [
            parsed
            for headers, body, parsed in self.received
            if hmac.compare_digest(
                headers["X-RoundRobin-Signature"],
                sign(secret, int(headers["X-RoundRobin-Request-Timestamp"]), body),
            )
            and abs(time.time() - int(headers["X-RoundRobin-Request-Timestamp"])) < 300
        ]


@pytest.fixture
async def receiver():
    r = Receiver()
    await r.start()
    yield r
    await r.stop()


@pytest.fixture
def app_settings():
    return {"WEBHOOK_ALLOW_PRIVATE_URLS": "true"}


async def test_every_duty_change_is_posted_signed_and_retried_through_an_outage(app, slack, pd, receiver):
    rotation_id = await ops_rotation(slack, app)
    admin = slack.user(ADMIN)
    secret = await save_webhooks(slack, admin, rotation_id, name="ci", secret="new", url=receiver.url)
    assert secret

    reply = await admin.command("rotate ops")
    assert "is on duty now" in reply["text"], reply
    await slack.wait_for(lambda: receiver.valid(secret), description="the event, signed")
    event = receiver.valid(secret)[0]
    assert event["type"] == "duty.changed" and event["reason"] == "rotated"
    assert event["rotation"] == {"id": rotation_id, "code": "OPS", "name": "Primary on-call"}
    assert event["before"] == [{"slack_id": BOB, "email": "bob@corp.example"}]
    assert event["after"] == [{"slack_id": CAROL, "email": "carol@corp.example"}]
    assert event["next"] == [{"slack_id": BOB, "email": "bob@corp.example"}]
    assert event["actor"] == {"type": "person", "slack_id": ADMIN}
    assert receiver.received[0][0]["X-RoundRobin-Event-Id"] == event["id"]

    receiver.answer = 503  # the tool is down
    await app.travel(11)  # past the double-press guard: someone else changed it a moment ago
    assert (await call(app, "ops", {"action": "rotate"}, secret))[0] == 200  # a webhook's change: out too
    await slack.wait_for(lambda: len(receiver.received) >= 3, timeout=10, description="retries")
    assert rows(app, "SELECT COUNT(*) FROM webhook_outbox")[0][0] == 1, "kept until delivered"
    # /healthz shows it waiting, and stays healthy: a receiver that is down is its owner's to fix.
    async with aiohttp.ClientSession() as http, http.get(app.url + "/healthz") as r:
        health = await r.json()
    assert health["webhooks"]["waiting"] == 1 and health["status"] == "ok", health
    receiver.answer = 200
    await slack.wait_for(lambda: not rows(app, "SELECT * FROM webhook_outbox"), timeout=20)
    last = receiver.valid(secret)[-1]
    assert last["actor"] == {"type": "webhook", "name": "ci"} and last["after"][0]["slack_id"] == BOB
    assert len({e["id"] for e in receiver.valid(secret)}) == 2, "two changes, two events"

    await open_rotations(slack, admin)
    details = await modal_after(
        slack, admin, admin.click(Rotations.MENU, option=f"{MenuChoice.DETAILS}:{rotation_id}")
    )
    text = admin.text(details)
    assert "posts duty changes to `127.0.0.1`" in text
    assert "failed, retrying" in text and "HTTP 503" in text and "delivered" in text


@pytest.mark.process
async def test_an_event_on_the_wire_at_kill_9_is_delivered_after_the_restart(app, slack, pd, receiver):
    rotation_id = await ops_rotation(slack, app)
    secret = await save_webhooks(slack, slack.user(ADMIN), rotation_id, secret="new", url=receiver.url)
    receiver.hang = True
    reply = await slack.user(ADMIN).command("rotate ops")
    assert "is on duty now" in reply["text"], reply
    await slack.wait_for(lambda: receiver.received, description="the event on the wire")
    app.process.kill()  # kill -9 while the receiver holds the request
    await app.process.wait()
    receiver.hang = False
    first = receiver.received[0][2]

    await app.start()
    await slack.wait_connected()
    await slack.wait_for(lambda: len(receiver.valid(secret)) >= 2, timeout=20, description="sent again")
    assert receiver.valid(secret)[-1]["id"] == first["id"], "the same event, again (receivers dedupe by id)"
    await slack.wait_for(lambda: not rows(app, "SELECT * FROM webhook_outbox"), timeout=10)


class TestWithoutTheOperatorsSetting:
    @pytest.fixture
    def app_settings(self):
        return {}

    async def test_a_private_address_is_refused_at_save_and_at_send(self, app, slack, pd, receiver):
        rotation_id = await ops_rotation(slack, app)
        admin = slack.user(ADMIN)
        await open_webhooks(slack, admin, rotation_id)
        await admin.fill(W.SECRET, "new")
        for url, words in (
            (receiver.url, "127.0.0.1 is a loopback address"),
            (f"http://localhost:{receiver.port}/hooks", "localhost resolves to a loopback address"),
            ("http://169.254.169.254/latest/meta-data", "is a link-local address"),
            ("http://10.1.2.3/hook", "10.1.2.3 is a private address"),
            ("ftp://example.com/x", "http:// or https://"),
        ):
            await admin.fill(W.URL, url)
            ack = await admin.submit()
            assert words in ack["errors"][W.URL], (url, ack)
        assert not rows(app, "SELECT * FROM webhooks"), "nothing saved"

        # Saved while the operator allowed it; the setting is gone now (as if DNS had changed).
        await app.stop()
        app.env["WEBHOOK_ALLOW_PRIVATE_URLS"] = "true"
        await app.start()
        await slack.wait_connected()
        secret = await save_webhooks(slack, admin, rotation_id, secret="new", url=receiver.url)
        assert secret
        await app.stop()
        app.env.pop("WEBHOOK_ALLOW_PRIVATE_URLS")
        await app.start()
        await slack.wait_connected()
        await admin.command("rotate ops")
        await slack.wait_for(
            lambda: rows(app, "SELECT detail FROM webhook_deliveries WHERE outcome = 'retrying'"), timeout=10
        )
        assert "loopback" in rows(app, "SELECT detail FROM webhook_deliveries")[0][0]
        assert not receiver.received, "never posted"
