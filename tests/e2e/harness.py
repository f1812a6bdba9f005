"""Runs the real app against the loopback fakes: as a subprocess (`python app.py`), or in the
test's own event loop through the same composition root."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp
from cryptography.fernet import Fernet

from roundrobin.demo import free_port

ROOT = Path(__file__).resolve().parents[2]
BOT_TOKEN = "xoxb-1111-2222-e2etoken"
APP_TOKEN = "xapp-1-A0001-3333-e2etoken"


class AppProcess:
    """One run of the app; `stop()` sends SIGTERM and checks for a clean exit."""

    def __init__(self, workdir: Path, slack_api_url: str, pagerduty_url: str, **overrides: str):
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "app.log"
        self.db_path = workdir / "data" / "roundrobin.db"
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(workdir),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": slack_api_url,
            "PAGERDUTY_API_URL": pagerduty_url,
            "PAGERDUTY_IDENTITY_URL": pagerduty_url,
            "PUBLIC_URL": self.url,
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(self.port),
            "DATABASE_PATH": str(self.db_path),
            "ROUNDROBIN_SECRET_KEY": Fernet.generate_key().decode(),
            "LOG_LEVEL": "DEBUG",
            "SYNC_INTERVAL_SECONDS": "3600",
            "PYTHONUNBUFFERED": "1",
            # Under `coverage run` (make test), patch = subprocess puts its settings here: the app
            # started below is then measured too. Without coverage there is nothing to pass on.
            **{name: value for name, value in os.environ.items() if name.startswith("COVERAGE_")},
            **overrides,
        }
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, wait_ready: bool = True, timeout: float = 20.0) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115, ASYNC230 - the child owns it; opening is instant
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "app.py"),
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=log,
        )
        log.close()
        if wait_ready:
            await self.wait_ready(timeout)

    async def wait_ready(self, timeout: float = 20.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        async with aiohttp.ClientSession() as http:
            while True:
                if self.process.returncode is not None:
                    raise RuntimeError(f"the app exited with {self.process.returncode}:\n{self.log_text()}")
                try:
                    async with http.get(self.url + "/healthz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"the app did not become ready:\n{self.log_text()}")
                await asyncio.sleep(0.1)

    async def wait_exit(self, timeout: float = 20.0) -> int:
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def stop(self, timeout: float = 15.0) -> int:
        if self.process is None or self.process.returncode is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise

    async def command(self, *args: str, timeout: float = 30.0) -> tuple[int, str]:
        """Run `python app.py <args>` with this app's settings; (exit code, stdout + stderr)."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "app.py"),
            *args,
            cwd=self.workdir,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), timeout)
        return process.returncode, output.decode(errors="replace")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class TravelClock:
    """The app's clock in a walkthrough that spans hours: the real time, plus however far the test
    moved it on (`travel`). The app's wake-ups are re-armed from the database after each jump, as
    they are after a restart, so what came due in the skipped time happens at once."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def travel(self, seconds: float) -> None:
        self.offset += seconds


class InProcessApp(AppProcess):
    """The same app, wired by the same `main.start`, run inside the test's own event loop: no
    interpreter to start, and everything it does is measured by coverage directly. Used wherever no
    process boundary is under test (signals, `kill -9` and the command line use AppProcess)."""

    def __init__(self, workdir: Path, slack_api_url: str, pagerduty_url: str, clock=None, **overrides: str):
        super().__init__(workdir, slack_api_url, pagerduty_url, **overrides)
        self.clock = clock or TravelClock()
        self.process = None
        self._stack: AsyncExitStack | None = None
        self._handler: logging.Handler | None = None
        self.running = None

    async def start(self, wait_ready: bool = True, timeout: float = 20.0) -> None:
        from roundrobin import logs
        from roundrobin.config import load_settings
        from roundrobin.main import StartupError, start

        self._log_to_file()
        settings = load_settings({k: v for k, v in self.env.items() if k != "PATH"}, dotenv=None)
        for secret in settings.secrets():
            logs.add_secret(secret)
        self._stack = AsyncExitStack()
        try:
            self.running = await asyncio.wait_for(start(settings, self._stack, self.clock), timeout)
        except StartupError as e:
            logging.getLogger("roundrobin").error(f"cannot start: {e}")
            await self._close()
            self.exit_code = 1
            return
        self.exit_code = None
        logging.getLogger("roundrobin").info(
            "Round Robin is running", extra={"public_url": settings.public_url}
        )

    async def wait_ready(self, timeout: float = 20.0) -> None:
        return None  # start() returns once every part is ready

    async def travel(self, seconds: float) -> None:
        """Move the app's clock on by `seconds`, and wake what came due meanwhile."""
        self.clock.travel(seconds)
        services = self.running.services
        await services.shifts.expire_due()
        await self.running.scheduler.rearm()
        services.signals.effects.ring()

    async def wait_exit(self, timeout: float = 20.0) -> int:
        return self.exit_code if self.exit_code is not None else 0

    async def stop(self, timeout: float = 15.0) -> int:
        if self._stack is not None:
            logging.getLogger("roundrobin").info("stopping")
            await asyncio.wait_for(self._close(), timeout)
            logging.getLogger("roundrobin").info("stopped")
        self._detach_log()
        return 0

    async def _close(self) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.aclose()

    def _log_to_file(self) -> None:
        from roundrobin.logs import KeyValueFormatter

        self._detach_log()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(self.log_path, encoding="utf-8")
        handler.setFormatter(KeyValueFormatter())
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        for noisy in ("slack_sdk", "slack_bolt", "aiohttp.access", "aiosqlite", "asyncio"):
            logging.getLogger(noisy).setLevel(logging.INFO)
        for chatty in ("apscheduler", "tzlocal"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
        self._handler = handler

    def _detach_log(self) -> None:
        if self._handler is not None:
            logging.getLogger().removeHandler(self._handler)
            self._handler.close()
            self._handler = None
