"""`python app.py check` and `backup`, and how start-up fails: one clear line, never a traceback."""

import socket
import sqlite3

import pytest
from cryptography.fernet import Fernet

from roundrobin.migrations import MIGRATIONS
from tests.e2e.conftest import ADMIN, API_KEY, BOB
from tests.e2e.harness import AppProcess
from tests.e2e.steps import home_after, modal_after, open_settings, rows
from tests.e2e.test_rotations_manual import create_rotation

pytestmark = pytest.mark.e2e


async def test_check_passes_on_a_good_setup_and_reports_pagerduty(app, slack, pd):
    from roundrobin.slack.ids import PagerDuty

    admin = slack.user(ADMIN)
    await open_settings(slack, admin)
    await modal_after(slack, admin, admin.click(PagerDuty.CONNECT))
    await admin.fill(PagerDuty.API_KEY_INPUT, API_KEY)
    await home_after(slack, admin, admin.submit())
    code, out = await app.command("check")
    assert code == 0, out
    assert "ok    Slack bot token works: workspace" in out
    assert "the bot token has every scope manifest.yml asks for" in out
    assert "PagerDuty API key ending in …Abcd works" in out
    assert "Ready to run." in out
    assert API_KEY not in out


async def test_check_names_each_missing_scope_and_fails(tmp_path, slack, pd):
    slack.scopes = slack.scopes - {"users:read.email", "usergroups:write"}
    code, out = await AppProcess(tmp_path, slack.api_url, pd.url).command("check")
    assert code == 1
    assert "FAIL  the bot token lacks the users:read.email scope that manifest.yml asks for" in out
    assert "FAIL  the bot token lacks the usergroups:write scope" in out
    assert "2 problems found." in out
    assert "no database yet" in out and "Traceback" not in out


async def test_check_and_start_refuse_a_bad_token_in_one_line(tmp_path, slack, pd):
    app = AppProcess(tmp_path, slack.api_url, pd.url, SLACK_BOT_TOKEN="xoxb-0000-wrong-token")
    code, out = await app.command("check")
    assert code == 1 and "FAIL  Slack refused SLACK_BOT_TOKEN (invalid_auth)" in out
    await app.start(wait_ready=False)
    assert await app.wait_exit() == 1
    log = app.log_text()
    assert "cannot start: Slack refused SLACK_BOT_TOKEN (invalid_auth)" in log and "Traceback" not in log


async def test_a_malformed_setting_is_named(tmp_path, slack, pd):
    code, out = await AppProcess(tmp_path, slack.api_url, pd.url, HTTP_PORT="eighty").command()
    assert code == 2
    assert (
        out.strip() == "configuration error: HTTP_PORT is malformed: expected a whole number from 0 to 65535"
    )


async def test_start_fails_clearly_when_the_port_is_taken(tmp_path, slack, pd):
    app = AppProcess(tmp_path, slack.api_url, pd.url)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", app.port))
        taken.listen()
        await app.start(wait_ready=False)
        assert await app.wait_exit() == 1
    assert f"HTTP_PORT {app.port} is already in use" in app.log_text()


async def test_start_fails_clearly_when_the_data_directory_cannot_be_made(tmp_path, slack, pd):
    (tmp_path / "not-a-folder").write_text("a file where the data folder should be")
    app = AppProcess(tmp_path, slack.api_url, pd.url, DATABASE_PATH=str(tmp_path / "not-a-folder" / "rr.db"))
    await app.start(wait_ready=False)
    assert await app.wait_exit() == 1
    assert "the data directory" in app.log_text() and "cannot be created" in app.log_text()


async def test_start_refuses_a_database_from_newer_code(tmp_path, slack, pd):
    app = AppProcess(tmp_path, slack.api_url, pd.url)
    app.db_path.parent.mkdir(parents=True)
    with sqlite3.connect(app.db_path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    await app.start(wait_ready=False)
    assert await app.wait_exit() == 1
    assert (
        "only knows up to" in app.log_text() and "upgrade Round Robin, or restore a backup" in app.log_text()
    )


async def test_backup_while_running_is_a_consistent_copy(app, slack, pd, tmp_path):
    admin = slack.user(ADMIN)
    await create_rotation(slack, admin, members=(BOB,))
    await slack.wait_for(lambda: "Primary on-call" in admin.text())
    target = tmp_path / "backups" / "rr-backup.db"
    code, out = await app.command("backup", str(target))
    assert code == 0, out
    assert "1 rotations" in out and "Keep the secret key (ROUNDROBIN_SECRET_KEY) with this backup" in out
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT code FROM rotations").fetchall() == [("OPS",)]
    code, out = await app.command("backup", str(target))
    assert code == 1 and "already exists" in out
    assert oct(target.stat().st_mode & 0o777) == "0o600", "a backup holds what the database holds"


async def test_check_reports_the_database_size_and_the_slack_backlog(app, slack, pd):
    from tests.e2e.conftest import CAROL, OPS
    from tests.e2e.steps import told
    from tests.e2e.test_metrics import rotate

    admin = slack.user(ADMIN)
    assert await create_rotation(slack, admin, channels=[OPS]) == {}
    await slack.wait_for(lambda: told(slack, OPS, f"<@{BOB}>"))
    code, out = await app.command("check")
    assert code == 0, out
    assert "note  the database takes " in out and " KB on disk" in out
    assert "note  Slack backlog: nothing waiting" in out

    # Slack refuses to take messages for a while: the announcement of a rotate waits, and check says so.
    slack.outage(60, ["chat.postMessage"])
    await rotate(slack, app, admin)
    await slack.wait_for(
        lambda: rows(app, "SELECT COUNT(*) FROM slack_outbox WHERE failing_since IS NOT NULL") == [(1,)]
    )
    code, out = await app.command("check")
    assert code == 0, out  # worth knowing, not a problem of the installation
    assert "note  Slack backlog: 1 piece of Slack work waiting, the oldest for " in out
    slack.end_outage()
    await slack.wait_for(lambda: told(slack, OPS, f"<@{CAROL}>", "on duty now"), timeout=15)


async def test_a_backup_never_follows_a_symbolic_link(app, slack, pd, tmp_path):
    planted = tmp_path / "elsewhere" / "world-readable.db"
    planted.parent.mkdir()
    link = tmp_path / "rr-backup.db"
    link.symlink_to(planted)  # dangling: the file it names does not exist yet
    code, out = await app.command("backup", str(link))
    assert code == 1 and "is a symbolic link" in out
    assert not planted.exists(), "nothing was written where the link points"


async def connect_with_api_key(slack) -> None:
    from roundrobin.slack.ids import PagerDuty

    admin = slack.user(ADMIN)
    await open_settings(slack, admin)
    await modal_after(slack, admin, admin.click(PagerDuty.CONNECT))
    await admin.fill(PagerDuty.API_KEY_INPUT, API_KEY)
    await home_after(slack, admin, admin.submit())
    await slack.wait_for(lambda: "Connected with API key" in admin.text())


def error_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if "level=ERROR" in line or "Traceback" in line]


@pytest.mark.parametrize("key_from", ["environment", "key file"])
async def test_start_refuses_a_secret_key_that_cannot_read_the_stored_credentials(
    tmp_path, slack, pd, key_from
):
    no_key = {"ROUNDROBIN_SECRET_KEY": ""} if key_from == "key file" else {}
    first = AppProcess(tmp_path, slack.api_url, pd.url, **no_key)
    await first.start()
    await slack.wait_connected()
    await connect_with_api_key(slack)
    assert await first.stop() == 0

    key_file = tmp_path / "data" / "secret.key"
    second = AppProcess(tmp_path, slack.api_url, pd.url, **no_key)  # a new ROUNDROBIN_SECRET_KEY
    if key_from == "key file":  # or the key file was replaced, say from the wrong backup
        original = key_file.read_text()
        key_file.write_text(Fernet.generate_key().decode() + "\n")
    second.log_path = tmp_path / "second.log"
    await second.start(wait_ready=False)
    assert await second.wait_exit() == 1
    source = "ROUNDROBIN_SECRET_KEY" if key_from == "environment" else str(key_file)
    [line] = error_lines(second.log_text())
    assert (
        f"cannot start: the secret key ({source}) is not the one that encrypted the stored PagerDuty "
        "credentials: start with that key again (restore it from your backup), or, if it is lost, "
        f"delete the stored connection (sqlite3 {second.db_path} 'DELETE FROM pagerduty_connection') "
        "and connect PagerDuty again in Slack" in line
    )
    assert "ready: database" not in second.log_text(), "nothing starts on a key that cannot read the data"

    third = AppProcess(tmp_path, slack.api_url, pd.url, **no_key)  # the right key back: it starts
    if key_from == "key file":
        key_file.write_text(original)
    else:
        third.env["ROUNDROBIN_SECRET_KEY"] = first.env["ROUNDROBIN_SECRET_KEY"]
    third.log_path = tmp_path / "third.log"
    await third.start()
    assert await third.stop() == 0


async def test_the_readme_dotenv_example_gives_the_redirect_url_it_promises(tmp_path, slack, pd):
    app = AppProcess(tmp_path, slack.api_url, pd.url)
    del app.env["PUBLIC_URL"]  # from .env this time; the tokens stay in the environment, which wins
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-...\n"
        "SLACK_APP_TOKEN=xapp-...\n"
        "PUBLIC_URL=https://roundrobin.example.com   # how browsers reach this server (for PagerDuty OAuth)\n"
    )
    await app.start()
    assert await app.stop() == 0
    assert (
        "redirect_url=https://roundrobin.example.com/api/integrations/pagerduty/login/callback"
        in app.log_text()
    )


async def test_a_dotenv_line_that_cannot_be_read_is_named_without_its_value(tmp_path, slack, pd):
    (tmp_path / ".env").write_text('# Round Robin\n\nPUBLIC_URL="https://roundrobin.example.com\n')
    code, out = await AppProcess(tmp_path, slack.api_url, pd.url).command()
    assert code == 2
    assert out.strip() == (
        "configuration error: .env: PUBLIC_URL (line 3) cannot be read: expected NAME=value, with a "
        "quoted value closed by the same quote; put # comments after a space"
    )
