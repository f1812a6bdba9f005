"""Runs the real app (`python app.py`) as a subprocess against the loopback fakes."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
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
