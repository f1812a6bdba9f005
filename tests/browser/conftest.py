"""Headless Chromium (Debian's, never a downloaded one) against `python app.py --demo` subprocesses.

Every browser test is skipped, with the reason shown, when Chromium or the `playwright` package is
missing: `apt-get install chromium` and `pip install -e '.[browser]'` (never `playwright install`).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from roundrobin.demo import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = next(
    (path for path in ("/usr/bin/chromium", shutil.which("chromium")) if path and os.path.exists(path)), None
)
# No sandbox and no GPU in CI containers; no background networking on a machine without internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
READY = re.compile(r"open (http://127\.0\.0\.1:\d+/)")


PLAYWRIGHT_MISSING = "playwright not installed: pip install -e '.[browser]' (never `playwright install`)"


def _missing() -> str | None:
    if CHROMIUM is None:
        return "Chromium not installed: apt-get install chromium"
    if importlib.util.find_spec("playwright") is None:
        return PLAYWRIGHT_MISSING
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _missing()
    for item in items:
        if item.path.is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@dataclass
class DemoProcess:
    """`python app.py --demo` on a free port; `url` is the page, `log` what it printed."""

    workdir: Path
    process: subprocess.Popen | None = None
    url: str = ""
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.workdir / "demo.log"

    def start(self, timeout: float = 30.0) -> None:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "app.py"), "--demo", "--port", str(free_port())],
                cwd=self.workdir,
                env={**os.environ, "PYTHONUNBUFFERED": "1", "HOME": str(self.workdir)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while not (found := READY.search(self.log())):
            if self.process.poll() is not None:
                raise RuntimeError(f"the demo exited with {self.process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the demo did not print its address in {timeout}s:\n{self.log()}")
            time.sleep(0.05)
        self.url = found.group(1)

    def stop(self, timeout: float = 15.0) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture(scope="module")
def browser() -> Iterator:
    # Module scope, not session: Playwright's sync API keeps an event loop running in this thread
    # while it is open, and the async tests that follow need the thread to themselves.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoProcess]:
    """A fresh demo (its own simulators, app and temporary database) for each test."""
    process = DemoProcess(tmp_path)
    process.start()
    yield process
    assert process.stop() == 0, f"the demo did not stop cleanly:\n{process.log()}"


@pytest.fixture
def page(browser, demo: DemoProcess, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator:
    """The demo page in a fresh browser context; a screenshot lands in tmp_path at the end."""
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(demo.url)
    yield page
    for index, open_page in enumerate(context.pages):
        open_page.screenshot(path=str(tmp_path / f"{request.node.name}-{index}.png"), full_page=True)
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
