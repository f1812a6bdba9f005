"""The demo is a product feature: it starts from a plain `pip install .`, without the test extra.

The packages only the `test` and `browser` extras bring are hidden from a fresh interpreter, which
then runs `app.py --demo` exactly as a person who never ran `make` would.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tomllib

import aiohttp
import pytest

from roundrobin.demo import free_port
from tests.e2e.harness import ROOT

pytestmark = pytest.mark.e2e

# Import names of every package the extras add (and what they pull in), but not coverage: the
# suite measures subprocesses through it, and the demo never imports it itself.
TEST_ONLY = (
    "pytest",
    "pytest_asyncio",
    "openapi_core",
    "jsonschema",
    "openapi_spec_validator",
    "importlinter",
    "playwright",
    "aioresponses",
    "xdist",
    "mypy",
)

HIDE = """
import importlib.abc, sys
class Hidden(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {hidden!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}} (hidden: not in a plain install)")
sys.meta_path.insert(0, Hidden())
sys.argv = ["app.py", "--demo", "--port", "{port}"]
sys.path.insert(0, {root!r})
import runpy
runpy.run_path({app!r}, run_name="__main__")
"""


def test_the_hidden_packages_are_exactly_the_extras():
    """Keeps TEST_ONLY honest: every package the extras name is hidden (by its import name)."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    import_names = {
        "import-linter": "importlinter",
        "openapi-core": "openapi_core",
        "aioresponses-ng": "aioresponses",
        "pytest-xdist": "xdist",
    }
    named = set()
    for requirement in (*extras["test"], *extras["browser"]):
        name = requirement.split(";")[0].split("[")[0]
        for sep in "<>=~!":
            name = name.split(sep)[0]
        named.add(import_names.get(name.strip(), name.strip().replace("-", "_")))
    # Tools run as commands, and type stubs (nothing to import at run time), need no hiding.
    assert named - {"coverage", "ruff", "types_PyYAML"} <= set(TEST_ONLY)


async def test_the_demo_starts_without_the_test_packages(tmp_path):
    port = free_port()
    code = HIDE.format(hidden=TEST_ONLY, port=port, root=str(ROOT), app=str(ROOT / "app.py"))
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            code,
            cwd=tmp_path,
            stdout=out,
            stderr=out,
            env={**os.environ, "HOME": str(tmp_path)},
        )
    try:
        page = await _page_when_ready(process, port, log)
        assert "Round Robin" in page
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 30) == 0, log.read_text()
    assert "Traceback" not in log.read_text()


async def _page_when_ready(process, port: int, log) -> str:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            if process.returncode is not None:
                pytest.fail(f"the demo exited with {process.returncode}:\n{log.read_text()}")
            try:
                async with http.get(f"http://127.0.0.1:{port}/") as answer:
                    if answer.status == 200:
                        return await answer.text()
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    pytest.fail(f"the demo page never answered:\n{log.read_text()}")
