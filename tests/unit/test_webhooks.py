"""Webhooks: the signature (both directions), where events may go, who a webhook is, and the calls in
on a real database (a replay stays refused across a restart)."""

import hashlib
import hmac
import ipaddress
import json
import time

import pytest

from roundrobin.access import Access, acting_as_webhook
from roundrobin.rotations import webhook_actor
from roundrobin.rotations.model import DutyChange, Rotation
from roundrobin.rotations.webhook_event import duty_event
from roundrobin.signals import Signals
from roundrobin.slack.ids import WebhookIds as W
from roundrobin.slack.surfaces.webhooks import parse_webhooks
from roundrobin.slack.views.blocks import mention
from roundrobin.slack.views.webhooks import secret_modal, webhooks_line, webhooks_modal
from roundrobin.store.webhook_outbox import Delivery
from roundrobin.webhooks import signing
from roundrobin.webhooks.addresses import GuardedResolver, RefusedURL, check_url, kind_of, parse_url
from roundrobin.webhooks.incoming import IncomingWebhooks
from roundrobin.webhooks.settings import NEW, HookChange, HookState, WebhookSettings
from tests.support import Rotations
from tests.unit.test_rotation_service import ADMIN, Roles, Workspace, draft

NOW = 1_765_000_000


# --- signing --------------------------------------------------------------------------------------


def test_the_signature_is_slacks_scheme_over_the_raw_body():
    body = b'{"action": "rotate"}'
    expected = hmac.new(b"s3cret", b"v0:1765000000:" + body, hashlib.sha256).hexdigest()
    assert signing.sign("s3cret", NOW, body) == "v0=" + expected
    assert signing.matches(["other", "s3cret"], NOW, body, "v0=" + expected)
    assert not signing.matches(["other"], NOW, body, "v0=" + expected)
    assert not signing.matches(["s3cret"], NOW, body + b" ", "v0=" + expected)


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        ({}, "not signed"),
        ({"X-RoundRobin-Request-Timestamp": str(NOW)}, "not signed"),
        (
            {"X-RoundRobin-Request-Timestamp": "１７６５", "X-RoundRobin-Signature": "v0=" + "a" * 64},
            "whole seconds",
        ),
        (
            {"X-RoundRobin-Request-Timestamp": "1e9", "X-RoundRobin-Signature": "v0=" + "a" * 64},
            "whole seconds",
        ),
        ({"X-RoundRobin-Request-Timestamp": str(NOW), "X-RoundRobin-Signature": "v1=" + "a" * 64}, "64 hex"),
        (
            {"X-RoundRobin-Request-Timestamp": str(NOW - 301), "X-RoundRobin-Signature": "v0=" + "a" * 64},
            "5 minutes",
        ),
        (
            {"X-RoundRobin-Request-Timestamp": str(NOW + 301), "X-RoundRobin-Signature": "v0=" + "a" * 64},
            "5 minutes",
        ),
    ],
)
def test_unsigned_malformed_and_stale_requests_are_refused(headers, words):
    with pytest.raises(signing.Unsigned) as refused:
        signing.signed_parts(headers, NOW)
    assert words in str(refused.value)


def test_a_fresh_signed_request_is_read():
    headers = signing.headers("s", NOW - 299, b"{}")
    assert signing.signed_parts(headers, NOW) == (NOW - 299, headers["X-RoundRobin-Signature"])


# --- where events may go --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "private"),  # shared address space (carrier-grade NAT)
        ("fd00::1", "private"),
        ("0.0.0.0", "private"),
        ("224.0.0.1", "private"),
        ("93.184.215.14", None),
        ("2606:4700::1111", None),
    ],
)
def test_only_public_addresses_may_be_posted_to(address, kind):
    assert kind_of(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://example.com/x", "http:// or https://"),
        ("https://", "http:// or https://"),
        ("https://example.com:99999/", "not a URL"),
        ("https://exa mple.com/", "spaces"),
        ("https://example.com/" + "x" * 2000, "longer than"),
    ],
)
def test_malformed_urls_are_refused(url, words):
    with pytest.raises(RefusedURL) as refused:
        parse_url(url)
    assert words in str(refused.value)


async def test_a_literal_private_address_is_refused_unless_the_operator_allows_it():
    with pytest.raises(RefusedURL, match="10.9.8.7 is a private address"):
        await check_url("http://10.9.8.7:8080/hook", allow_private=False)
    with pytest.raises(RefusedURL, match=r"\[::1\] is a loopback address|::1 is a loopback address"):
        await check_url("http://[::1]/hook", allow_private=False)
    await check_url("http://10.9.8.7:8080/hook", allow_private=True)
    with pytest.raises(RefusedURL, match="localhost resolves to a loopback address"):
        await check_url("http://localhost/hook", allow_private=False)


# --- who a webhook is -----------------------------------------------------------------------------


def test_a_webhook_actor_is_read_back_and_nothing_else_is():
    actor = webhook_actor.webhook_actor(7, "deploy-bot")
    assert webhook_actor.parse(actor) == (7, "deploy-bot")
    assert webhook_actor.label(actor) == "webhook (deploy-bot)"
    for other in ("U0BOB", None, "webhook:x:ci", "webhook:7:<!here>", "webhook:7:", "webhook:７:ci"):
        assert webhook_actor.parse(other) is None
    assert mention(actor) == "webhook (deploy-bot)"


async def test_a_webhook_id_has_powers_only_while_the_webhook_service_acts(db):
    class NoSlack(Roles):
        async def is_workspace_admin(self, user_id):
            assert not user_id.startswith("webhook:"), "Slack is never asked about a webhook"
            return False

    access = Access(db, NoSlack(), ())
    service = Rotations(db, access, Workspace(), Signals.new(), clock=time.time)
    rotation = await service.create(draft(), ADMIN)
    actor = webhook_actor.webhook_actor(rotation.id, "ci")
    forged = await access.actor(actor)  # the same string in a Slack payload
    assert not forged.may_rotate(rotation) and not forged.manager
    with acting_as_webhook(actor):
        acting = await access.actor(actor)
        other = await access.actor(webhook_actor.webhook_actor(rotation.id + 1, "ci"))
    assert acting.may_rotate(rotation) and not acting.manager
    assert not other.may_rotate(rotation)
    assert await access.name(actor) == "webhook (ci)"


def test_the_event_says_who_before_after_until_next_and_why():
    rotation = Rotation(
        id=3,
        name="Ops",
        code="OPS",
        created_by="U1",
        members=("U1", "U2", "U3"),
        on_duty=("U2",),
        on_duty_until=NOW + 3600,
    )
    change = DutyChange(rotation, ("U1",), "rotated", webhook_actor.webhook_actor(3, "ci"), ("U2", "U3"), NOW)
    event = duty_event(change, {"U1": "u1@corp.example"}, event_id="e1")
    assert event == {
        "type": "duty.changed",
        "id": "e1",
        "at": "2025-12-06T05:46:40Z",
        "rotation": {"id": 3, "code": "OPS", "name": "Ops"},
        "before": [{"slack_id": "U1", "email": "u1@corp.example"}],
        "after": [{"slack_id": "U2", "email": None}],
        "until": "2025-12-06T06:46:40Z",
        "next": [{"slack_id": "U3", "email": None}],
        "reason": "rotated",
        "actor": {"type": "webhook", "name": "ci"},
    }


# --- calls in, on a real database ------------------------------------------------------------------


async def test_a_replay_is_refused_after_a_restart_and_a_bad_body_changes_nothing(db, vault):
    clock = [float(NOW)]
    access = Access(db, Roles(), ())
    signals = Signals.new()
    service = Rotations(db, access, Workspace(), signals, clock=lambda: clock[0])
    rotation = await service.create(draft(), ADMIN)
    hooks = WebhookSettings(
        db, vault, access, "https://rr.example", False, signals.webhooks, lambda: clock[0]
    )
    secret = await hooks.save(rotation.id, ADMIN, HookChange("ci", "", NEW))
    assert secret and secret not in json.dumps(
        [tuple(r) for r in await db.fetchall("SELECT * FROM webhooks")]
    )

    def incoming():  # a fresh process: nothing in memory
        return IncomingWebhooks(db, vault, service.duty, service.shifts, lambda: clock[0])

    body = b'{"action": "rotate"}'
    signed = signing.headers(secret, NOW, body)
    first = await incoming().handle("ops", signed, body)
    assert first.status == 200 and first.body["on_duty"][0]["slack_id"] == "U2"
    clock[0] += 60
    replay = await incoming().handle("ops", signed, body)
    assert (replay.status, replay.body["error"]) == (401, "replayed")
    assert (await service.get(rotation.id)).on_duty == ("U2",)

    for bad in (b"[]", b'{"action": "set_on_duty"}', b'{"action": "set_on_duty", "user": "<!here>"}'):
        answer = await incoming().handle("ops", signing.headers(secret, int(clock[0]), bad), bad)
        assert answer.status == 400, (bad, answer)
    assert (await service.get(rotation.id)).on_duty == ("U2",)
    assert (await incoming().handle("OPS-", signed, body)).status == 404


async def test_the_delivery_sessions_resolver_refuses_private_addresses_it_would_connect_to():
    with pytest.raises(OSError, match="localhost resolves to a loopback address"):
        await GuardedResolver(allow_private=False).resolve("localhost", 80)
    allowed = await GuardedResolver(allow_private=True).resolve("localhost", 80)
    assert allowed and all(kind_of(ipaddress.ip_address(r["host"])) == "loopback" for r in allowed)


# --- what managers see ------------------------------------------------------------------------------


def test_details_names_the_host_not_the_url_and_the_last_deliveries():
    rotation = Rotation(id=3, name="Ops", code="OPS", created_by="U1")
    state = HookState(
        "https://rr.example/api/webhooks/rotations/OPS",
        name="ci",
        has_secret=True,
        secret_at=NOW,
        secret_by="U1",
        old_until=NOW + 3600,
        url="https://hooks.example.com/t/sEcReT-token",
        deliveries=(
            Delivery("e2", NOW + 5, "delivered", "HTTP 200", 2),
            Delivery("e2", NOW + 1, "retrying", "HTTP 503", 1),
        ),
        pending=1,
        now=NOW,
    )
    text = json.dumps(webhooks_line(rotation, state))
    assert "`hooks.example.com`" in text and "sEcReT" not in text
    assert "previous secret works until" in text and "1 waiting" in text
    assert "delivered" in text and "failed, retrying" in text and "HTTP 503" in text
    assert webhooks_line(rotation, state)["accessory"]["action_id"] == W.OPEN

    view = webhooks_modal(rotation, state)
    inputs = {b["block_id"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs == {W.NAME, W.SECRET, W.GRACE, W.URL}
    assert "https://rr.example/api/webhooks/rotations/OPS" in json.dumps(view)
    assert "rrwh_x" in json.dumps(secret_modal(rotation, state.endpoint, "rrwh_x"))


def test_the_form_is_read_strictly():
    def values(secret, grace, name="ci", url=""):
        return {
            "state": {
                "values": {
                    W.NAME: {W.NAME: {"value": name}},
                    W.URL: {W.URL: {"value": url}},
                    W.SECRET: {W.SECRET: {"selected_option": {"value": secret}}},
                    W.GRACE: {W.GRACE: {"selected_option": {"value": grace}}},
                }
            }
        }

    assert parse_webhooks(values("new", "3600")) == HookChange("ci", "", "new", 3600)
    assert parse_webhooks(values("drop tables", "12")) == HookChange("ci", "", "keep", 0)
    assert parse_webhooks(values("new", "３６００", name="x" * 500)).name == "x" * 40
    assert parse_webhooks({"state": {"values": {W.NAME: "nope"}}}) == HookChange("", "", "keep", 0)
