"""`python app.py --demo`: the real app against built-in simulators of Slack and PagerDuty.

Nothing leaves the machine: the simulators listen on 127.0.0.1, the data lives in a temporary
folder that is deleted on exit, and the page at the printed address plays the part of Slack.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from cryptography.fernet import Fernet

from roundrobin import logs
from roundrobin.config import CALLBACK_PATH, load_settings
from roundrobin.main import StartupError, start
from roundrobin.sim.demo import DemoCredentials, RotationHint, build_demo_app, seed_pagerduty, seed_slack
from roundrobin.sim.pagerduty import FakePagerDuty
from roundrobin.sim.slack import FakeSlack

log = logging.getLogger("roundrobin.demo")

BOT, APP = "xoxb-demo-0000-simulated", "xapp-1-ADEMO-0000-simulated"


def free_port() -> int:
    """A port nothing listens on right now (the caller binds it straight away)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Demo:
    """A running demo: the simulators, the credentials to paste, and the page's address."""

    slack: FakeSlack
    pd: FakePagerDuty
    credentials: DemoCredentials
    page: str


@asynccontextmanager
async def demo_environment(port: int = 8000, log_level: str = "INFO") -> AsyncIterator[Demo]:
    """Seeded simulators, the real app pointed at them and the demo page on ``port`` (0: any free).

    Raises StartupError when something cannot start; everything stops when the block exits.
    """
    async with AsyncExitStack() as stack:
        slack = await stack.enter_async_context(
            FakeSlack(bot_token=BOT, app_token=APP, team_name="Northwind", app_id="ADEMO")
        )
        pd = await stack.enter_async_context(FakePagerDuty(subdomain="northwind"))
        seed_slack(slack)
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="roundrobin-demo-")))
        app_port = free_port()
        public_url = f"http://127.0.0.1:{app_port}"
        credentials = seed_pagerduty(pd, public_url + CALLBACK_PATH)
        settings = load_settings(
            {
                "SLACK_BOT_TOKEN": BOT,
                "SLACK_APP_TOKEN": APP,
                "SLACK_API_URL": slack.api_url,
                "PAGERDUTY_API_URL": pd.url,
                "PAGERDUTY_IDENTITY_URL": pd.url,
                "PUBLIC_URL": public_url,
                "HTTP_HOST": "127.0.0.1",
                "HTTP_PORT": str(app_port),
                "DATABASE_PATH": str(folder / "demo.db"),
                "ROUNDROBIN_SECRET_KEY": Fernet.generate_key().decode(),
                "SYNC_INTERVAL_SECONDS": "30",
                "LOG_LEVEL": log_level,
            },
            dotenv=None,
        )
        running = await start(settings, stack)

        async def rotation_hints() -> list[RotationHint]:
            # What exists, for the composer's example: the page must never suggest a code that does not.
            rotations, _ = await running.services.rotations.page(0, 20)
            return [RotationHint(r.code, r.name, r.channels) for r in rotations]

        # A short shutdown_timeout: the page's long-polls are released on shutdown anyway.
        page_app = build_demo_app(
            slack,
            pd,
            credentials,
            sync_every_seconds=settings.sync_interval_seconds,
            list_rotations=rotation_hints,
        )
        runner = web.AppRunner(page_app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        try:
            await web.TCPSite(runner, "127.0.0.1", port).start()
        except OSError:
            raise StartupError(f"port {port} is in use (choose another with --port)") from None
        page = f"http://127.0.0.1:{runner.addresses[0][1]}/"
        slack.client_url = page
        yield Demo(slack, pd, credentials, page)


async def run_demo(port: int = 8000, log_level: str = "INFO", ready: asyncio.Event | None = None) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with demo_environment(port, log_level) as demo:
            print(
                f"\n  Round Robin demo is running: open {demo.page}\n"
                "  (Ctrl-C stops it; nothing leaves this machine)\n",
                file=sys.stderr,
                flush=True,
            )
            if ready is not None:
                ready.page = demo.page  # type: ignore[attr-defined]
                ready.set()
            await stop.wait()
    except StartupError as e:
        log.error(f"cannot start the demo: {e}")
        return 1
    return 0


def main(port: int, log_level: str) -> int:
    logs.install(logging.getLevelName(log_level), [])
    return asyncio.run(run_demo(port, log_level))
