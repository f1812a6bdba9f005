"""Outgoing webhooks under load: every rotation's duty changes posted to one loopback receiver that
fails some of them, drained by the real delivery worker from a real database.

Reports how many events were posted, how many attempts that took, whether any event was lost,
posted twice after a 2xx, or out of order within its rotation, the attempt rate against the pace
(PACE attempts a second), and the most requests the receiver held at once.

    .venv/bin/python bench/webhooks.py [--rotations 200] [--events 2] [--fail 0.2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402

from roundrobin.background import Doorbell  # noqa: E402
from roundrobin.db import Database  # noqa: E402
from roundrobin.demo import free_port  # noqa: E402
from roundrobin.store import webhook_outbox, webhooks  # noqa: E402
from roundrobin.store.webhooks import Webhook  # noqa: E402
from roundrobin.vault import Vault  # noqa: E402
from roundrobin.webhooks import outgoing  # noqa: E402
from roundrobin.webhooks.outgoing import WebhookDelivery  # noqa: E402


async def main(rotations: int, per_rotation: int, fail: float) -> None:
    logging.getLogger("roundrobin").setLevel(logging.ERROR)  # each 503 is a warning: not here
    outgoing.FIRST_BACKOFF = 0.2  # retries come quickly: the run measures the pace, not the backoff
    port = free_port()
    delivered: dict[str, list[int]] = {}  # event id → the attempts answered 2xx
    order: dict[int, list[int]] = {}  # rotation → sequence numbers as accepted
    attempts, in_flight, peak = 0, 0, 0
    random.seed(7)

    async def take(request: web.Request) -> web.Response:
        nonlocal attempts, in_flight, peak
        attempts += 1
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            event = json.loads(await request.read())
            await asyncio.sleep(0.01)  # a receiver doing a little work
            if random.random() < fail:
                return web.Response(status=503)
            delivered.setdefault(event["id"], []).append(attempts)
            order.setdefault(event["rotation"], []).append(event["seq"])
            return web.Response(status=204)
        finally:
            in_flight -= 1

    app = web.Application()
    app.router.add_post("/in", take)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()

    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "bench.db")
        vault = Vault(Fernet.generate_key().decode())
        secret = vault.encrypt("rrwh_bench")
        for r in range(1, rotations + 1):
            await db.execute(
                "INSERT INTO rotations (id, name, code, created_by, created_at, updated_at) VALUES (?, ?, ?, 'U1', 0, 0)",
                (r, f"R{r}", f"R{r}"),
            )
            await webhooks.save(
                db, Webhook(r, "bench", secret, None, None, 0, "U1", f"http://127.0.0.1:{port}/in", "U1", 0)
            )
            for seq in range(per_rotation):
                event = {"id": f"{r}-{seq}", "rotation": r, "seq": seq, "type": "duty.changed"}
                await webhook_outbox.enqueue(db, r, event, time.time())
        total = rotations * per_rotation
        async with aiohttp.ClientSession() as http:
            worker = WebhookDelivery(db, vault, http, Doorbell(), allow_private=True)
            started = time.perf_counter()
            await worker.start()
            await worker.wait_idle(timeout=3600)
            took = time.perf_counter() - started
            await worker.close()
        gave_up = await db.fetch_int("SELECT COUNT(*) FROM webhook_deliveries WHERE outcome = 'gave_up'")
        await db.close()
    await runner.cleanup()

    twice = sum(1 for ids in delivered.values() if len(ids) > 1)
    unordered = sum(1 for seqs in order.values() if seqs != sorted(seqs))
    print(f"events: {total} ({rotations} rotations x {per_rotation}), receiver failing {fail:.0%} at random")
    print(f"delivered: {len(delivered)} of {total}; lost: {total - len(delivered)}; given up: {gave_up}")
    print(f"posted twice after a 2xx: {twice}; rotations out of order: {unordered}")
    print(f"attempts: {attempts} ({attempts / total:.2f} per event) in {took:.1f} s")
    print(f"attempt rate: {attempts / took:.1f}/s against a pace of {outgoing.PACE:g}/s")
    print(f"most requests the receiver held at once: {peak}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rotations", type=int, default=200)
    parser.add_argument("--events", type=int, default=2)
    parser.add_argument("--fail", type=float, default=0.2)
    args = parser.parse_args()
    asyncio.run(main(args.rotations, args.events, args.fail))
