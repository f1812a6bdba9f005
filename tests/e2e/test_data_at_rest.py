"""What a first start leaves on disk outside systemd: a private data folder, database and key."""

import os
import stat

import pytest

from tests.e2e.harness import AppProcess

pytestmark = pytest.mark.e2e


@pytest.fixture
def login_shell_umask():
    """systemd's unit sets UMask=0077; a person running `make run` usually has 022 (files 0644)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_first_start_makes_the_data_folder_database_and_key_private(
    tmp_path, slack, pd, login_shell_umask
):
    app = AppProcess(tmp_path, slack.api_url, pd.url, ROUNDROBIN_SECRET_KEY="")
    await app.start()
    try:
        data = tmp_path / "data"
        assert mode(data) == 0o700
        on_disk = {p.name: mode(p) for p in data.iterdir()}
        assert on_disk == {
            "secret.key": 0o600,
            "roundrobin.db": 0o600,
            "roundrobin.db-wal": 0o600,
            "roundrobin.db-shm": 0o600,
        }
    finally:
        assert await app.stop() == 0


async def test_an_empty_key_file_stops_start_up_with_one_line_and_is_kept(tmp_path, slack, pd):
    key_file = tmp_path / "data" / "secret.key"
    key_file.parent.mkdir()
    key_file.write_text("")  # what a full disk left behind, before keys were written atomically
    app = AppProcess(tmp_path, slack.api_url, pd.url, ROUNDROBIN_SECRET_KEY="")
    await app.start(wait_ready=False)
    assert await app.wait_exit() == 1
    log = app.log_text()
    [line] = [line for line in log.splitlines() if "level=ERROR" in line]
    assert f"cannot start: {key_file} is empty: restore it from your backup" in line
    assert "Traceback" not in log
    assert key_file.read_text() == "", "the app never replaces a key file it did not just create"
