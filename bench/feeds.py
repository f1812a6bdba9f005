"""Calendar feeds under polling: a person's feed across 20 rotations and a rotation's feed with 50
members, served by the app's own handler over HTTP on loopback, 50 requests at a time.

Each rotation is daily or weekly with covers, a swap, time away and 30 days of recorded hand-overs,
so a feed holds 120 days of events. For each feed it reports: the first render (nothing kept yet);
the p99 of full GETs at 50 concurrent (the feed kept between changes), of a burst of 50 right after
a change to the database (one render, the others wait for it), and of conditional GETs with the ETag
(and how many were answered 304), each as the median of several rounds with their range. The server runs in a process of its own (the client's work is not
counted against it), and its CPU time per request is reported too: unlike the latencies, it does not
depend on what else the machine is doing.

    .venv/bin/python bench/feeds.py [--requests 1000] [--rounds 5] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from roundrobin.access import Access  # noqa: E402
from roundrobin.db import Database  # noqa: E402
from roundrobin.feeds.service import CalendarFeeds  # noqa: E402
from roundrobin.feeds.web import FEED_ROUTE, FEEDS, calendar_feed  # noqa: E402
from roundrobin.pagerduty.people import PeopleLinks  # noqa: E402
from roundrobin.rotations.model import Rotation  # noqa: E402
from roundrobin.rotations.schedule import Schedule, next_hand_over  # noqa: E402
from roundrobin.rotations.timeline import Override  # noqa: E402
from roundrobin.store import away as away_store  # noqa: E402
from roundrobin.store import directory, events  # noqa: E402
from roundrobin.store import overrides as override_store  # noqa: E402
from roundrobin.store import rotations as store  # noqa: E402
from roundrobin.store.directory import SlackUser  # noqa: E402

DAY = 86400.0
PERSON = "U0000PERSON"
ZONES = ("Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney")


class Roles:
    async def is_workspace_admin(self, user_id: str) -> bool:
        return False

    async def name(self, user_id: str) -> str:
        return user_id

    async def is_person(self, user_id: str) -> bool:
        return True


async def add_rotation(db: Database, i: int, members: tuple[str, ...], now: float, rng: random.Random) -> int:
    kind = ("daily", "weekly")[i % 2]
    schedule = Schedule(kind, "09:00", weekday=i % 7, tz=ZONES[i % len(ZONES)])
    first = next_hand_over(schedule, datetime.fromtimestamp(now, UTC))
    rotation = Rotation(
        id=0,
        name=f"Rotation {i}",
        code=f"R{i:03d}",
        created_by="U0ADMIN",
        members=members,
        on_duty=members[:1],
        schedule=schedule,
        next_hand_over_at=first.timestamp() if first else None,
        on_duty_since=now - DAY,
        created_at=now - 60 * DAY,
        updated_at=now,
    )
    rotation_id = await store.insert(db, rotation)
    async with db.transaction():
        step = DAY if kind == "daily" else 7 * DAY
        at = now - 31 * DAY
        while at < now - DAY:  # the hand-overs of the last 30 days, as the history has them
            person = members[int(at // step) % len(members)]
            await events.record(db, "duty.changed", at, None, rotation_id, after=[person], reason="handoff")
            at += step
        for _ in range(4):
            start = now + rng.uniform(0, 80) * DAY
            cover = Override(
                0, "cover", rng.choice(members), start, start + 8 * 3600, rng.choice(members), now
            )
            await override_store.add(db, rotation_id, cover, "U0ADMIN")
        start = now + rng.uniform(0, 80) * DAY
        swap = Override(0, "cover", members[1], start, start + DAY, members[2], now, why="swap")
        await override_store.add(db, rotation_id, swap, "U0ADMIN")
    return rotation_id


async def seed(db: Database, now: float) -> int:
    """20 rotations of 5 with PERSON in each, and one of 50; returns the big one's id."""
    rng = random.Random(19)
    people = [PERSON, *(f"U{n:010d}" for n in range(200))]
    await directory.upsert(db, [SlackUser(p, p.lower(), f"Person {p[-4:]}") for p in people], now)
    for i in range(20):
        await add_rotation(db, i, (PERSON, *rng.sample(people[1:], 4)), now, rng)
    big = await add_rotation(db, 20, tuple(people[1:51]), now, rng)
    async with db.transaction():
        for person in people[1:200:10]:
            start = now + rng.uniform(0, 60) * DAY
            await away_store.add(db, person, start, start + 5 * DAY, "", now)
    return big


async def burst(
    http: aiohttp.ClientSession, url: str, n: int, limit: int, headers: dict[str, str] | None = None
) -> tuple[list[float], dict[int, int]]:
    """`n` GETs, `limit` at a time: each one's seconds, and how many of each status."""
    gate = asyncio.Semaphore(limit)
    times: list[float] = []
    statuses: dict[int, int] = {}

    async def one() -> None:
        async with gate:
            began = time.perf_counter()
            async with http.get(url, headers=headers or {}) as r:
                await r.read()
                statuses[r.status] = statuses.get(r.status, 0) + 1
            times.append(time.perf_counter() - began)

    await asyncio.gather(*(one() for _ in range(n)))
    return times, statuses


def p(times: list[float], q: int) -> float:
    return statistics.quantiles(times, n=100)[q - 1] * 1000 if len(times) > 1 else times[0] * 1000


def cpu_seconds(pid: int) -> float:
    """The server process's CPU time so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def rounds(
    http: aiohttp.ClientSession, pid: int, url: str, n: int, requests: int, concurrency: int, headers=None
) -> tuple[list[float], float, dict[int, int]]:
    """`n` rounds of `requests` GETs: each round's p99, the server's CPU a request, the statuses."""
    p99s: list[float] = []
    statuses: dict[int, int] = {}
    cpu = cpu_seconds(pid)
    for _ in range(n):
        took, seen = await burst(http, url, requests, concurrency, headers)
        p99s.append(p(took, 99))
        for status, count in seen.items():
            statuses[status] = statuses.get(status, 0) + count
    return p99s, (cpu_seconds(pid) - cpu) / (n * requests) * 1000, statuses


async def measure(name: str, http, server: dict, url: str, requests: int, concurrency: int, n: int) -> None:
    pid, touch = server["pid"], server["touch"]
    began = time.perf_counter()
    async with http.get(url) as r:
        body = await r.read()  # gzipped on the wire, as calendar apps take it
        etag, zipped = r.headers["ETag"], int(r.headers["Content-Length"])
    first = (time.perf_counter() - began) * 1000
    full, full_cpu, _ = await rounds(http, pid, url, n, requests, concurrency)
    changed: list[float] = []
    for _ in range(n):  # a write to the database: the next burst renders once, the rest wait for it
        async with http.post(touch) as r:
            assert r.status == 204
        took, _ = await burst(http, url, concurrency, concurrency)
        changed.append(p(took, 99))
    conditional, conditional_cpu, statuses = await rounds(
        http, pid, url, n, requests, concurrency, {"If-None-Match": etag}
    )
    print(
        f"{name}: {body.count(b'BEGIN:VEVENT')} events, {len(body) // 1024} KiB (gzip: {zipped // 1024} KiB)"
    )
    print(f"  first render:             {first:.0f} ms")
    print(f"  GET, {concurrency} at a time, p99:    {_spread(full)} (server CPU {full_cpu:.2f} ms a request)")
    print(f"  GET after a change, p99:  {_spread(changed)} (a render, {concurrency} waiting for it)")
    print(
        f"  If-None-Match, p99:       {_spread(conditional)}; {statuses.get(304, 0)} of {n * requests} "
        f"answered 304 (server CPU {conditional_cpu:.2f} ms a request)"
    )


def _spread(p99s: list[float]) -> str:
    """The median of the rounds' p99, and their range (the machine's load moves them)."""
    return f"{statistics.median(p99s):.1f} ms (rounds {min(p99s):.1f}–{max(p99s):.1f})"


async def serve() -> None:
    """The server side, in its own process: seed, serve the feeds with the app's handler, say where."""
    now = time.time()
    with tempfile.TemporaryDirectory() as scratch:
        db = await Database.open(Path(scratch) / "feeds.db")
        runner = None
        try:
            big = await seed(db, now)
            access = Access(db, Roles(), ())
            people = PeopleLinks(db, access, None, None, lambda: None)  # type: ignore[arg-type]
            feeds = CalendarFeeds(
                db, b"b" * 32, "http://127.0.0.1", "https://slack.com/app_redirect", access, people, time.time
            )

            async def touch(request: web.Request) -> web.Response:
                await directory.upsert(db, [SlackUser("U0CHANGE", "x", str(time.time()))], time.time())
                return web.Response(status=204)

            app = web.Application()
            app[FEEDS] = feeds
            app.router.add_get(FEED_ROUTE, calendar_feed)
            app.router.add_post("/touch", touch)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            base = f"http://127.0.0.1:{port}"
            urls = [(await feeds.person_link(PERSON)), (await feeds.rotation_link(big))]
            urls = [u.replace("http://127.0.0.1", base) for u in urls]
            print(
                json.dumps(
                    {
                        "pid": os.getpid(),
                        "person": urls[0],
                        "rotation": urls[1],
                        "touch": f"{base}/touch",
                    }
                ),
                flush=True,
            )
            await asyncio.Event().wait()
        finally:
            if runner is not None:
                await runner.cleanup()
            await db.close()


async def run(requests: int, concurrency: int, n: int) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", stdout=asyncio.subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        server = json.loads(await asyncio.wait_for(child.stdout.readline(), 120))
        print(
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; client and server in two processes"
        )
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as http:
            for name, url in (
                ("a person's feed, 20 rotations", server["person"]),
                ("a rotation's feed, 50 members", server["rotation"]),
            ):
                await measure(name, http, server, url, requests, concurrency, n)
    finally:
        child.terminate()
        await child.wait()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1000, help="GETs a round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    asyncio.run(serve() if args.serve else run(args.requests, args.concurrency, args.rounds))


if __name__ == "__main__":
    main()
