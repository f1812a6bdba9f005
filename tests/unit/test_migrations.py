"""Upgrades: a database left by any earlier version migrates to the latest with its data intact."""

import sqlite3

import pytest

from roundrobin.db import Database
from roundrobin.migrations import MIGRATIONS
from roundrobin.rotations.model import DEACTIVATED
from roundrobin.rotations.status import IGNORE
from roundrobin.store import directory, integrations, owners
from roundrobin.store import pagerduty as pd_store
from roundrobin.store import rotations as store

# Rows an installation at each schema version could hold (written with that version's columns).
FIXTURES = {
    1: [
        """INSERT INTO pagerduty_connection (id, method, status, region, api_key_enc, api_key_last4,
               connected_by, connected_at) VALUES (1, 'api_key', 'connected', 'eu', 'gAAAA-enc', 'Wxyz', 'U1', 1.0)""",
        "INSERT INTO owners (slack_user_id, added_by, added_at) VALUES ('U2', 'U1', 2.0)",
        """INSERT INTO rotations (id, name, code, source, pd_schedule_id, created_by, created_at, updated_at)
               VALUES (7, 'Ops', 'OPS', 'pagerduty', 'PS1', 'U1', 3.0, 3.0)""",
        "INSERT INTO rotation_members (rotation_id, position, slack_user_id, on_duty) VALUES (7, 0, 'U3', 0)",
        "INSERT INTO rotation_members (rotation_id, position, slack_user_id, on_duty) VALUES (7, 1, 'U4', 1)",
    ],
    2: [
        # Two rotations fighting over one group (version 3 lets one rotation keep a group).
        "UPDATE rotations SET usergroup_id = 'S0OPS', usergroup_handle = 'ops', slack_problem = 'old' WHERE id = 7",
        """INSERT INTO rotations (id, name, code, created_by, created_at, updated_at, usergroup_id, usergroup_handle)
               VALUES (8, 'Web', 'WEB', 'U1', 4.0, 4.0, 'S0OPS', 'ops')""",
        # The person on duty in OPS was deactivated (version 6 adds guests and unknown ids).
        """INSERT INTO slack_directory (id, name, email, is_bot, deleted, seen_at)
               VALUES ('U4', 'dora', 'dora@corp.example', 0, 1, 5.0)""",
        # the schedule catalogue of versions 2 to 5 (every schedule the account had)
        "INSERT INTO pd_schedules (id, name, member_ids, seen_at) VALUES ('PS1', 'Ops', '[\"PU1\"]', 5.0)",
    ],
}


def build(path, version: int) -> None:
    """A database exactly as Round Robin left it at `version`, holding every fixture up to it."""
    with sqlite3.connect(path) as db:
        for n in range(1, version + 1):
            db.executescript(MIGRATIONS[n - 1])
            for sql in FIXTURES.get(n, []):
                db.execute(sql)
        db.execute(f"PRAGMA user_version = {version}")


@pytest.mark.parametrize("version", range(len(MIGRATIONS)))
async def test_every_earlier_version_migrates_to_the_latest(tmp_path, version):
    path = tmp_path / "old.db"
    build(path, version)
    db = await Database.open(path)
    try:
        assert await db.schema_version() == len(MIGRATIONS)
        if version >= 1:
            connection = await integrations.get_connection(db)
            assert (connection.method, connection.region, connection.api_key_last4) == (
                "api_key",
                "eu",
                "Wxyz",
            )
            assert await owners.list_owners(db) == ["U2"]
            rotation = await store.get(db, 7)
            assert rotation.members == ("U3", "U4") and rotation.on_duty == ("U4",)
            assert rotation.bound and rotation.pd_schedule_id == "PS1"
            assert rotation.pd_schedule_ids == ("PS1",), "the one schedule it followed is its first"
            assert not rotation.schedule.timed and rotation.channels == () and rotation.pd_unmatched == ()
        if version >= 2:
            assert (await store.get(db, 7)).usergroup_id == "S0OPS", "the older rotation keeps the group"
            [schedule] = (await pd_store.schedules(db, ["PS1"])).values()
            assert (schedule.name, schedule.member_ids) == ("Ops", ("PU1",))
            assert schedule.planned_at is None and schedule.routed is None, "read again after the upgrade"
            assert (await store.get(db, 8)).usergroup_id is None
            dora = (await directory.by_ids(db, ["U4"]))["U4"]
            assert dora.why_unavailable == DEACTIVATED and not dora.is_restricted and not dora.missing
            assert (await store.get(db, 7)).unavailable == {"U4": DEACTIVATED}
            assert dora.status_emoji is None and dora.status_expiration is None
        if version >= 1:
            assert (await store.get(db, 7)).member_source is None, "no rotation followed a group before"
            assert (await store.get(db, 7)).status_signal.mode == IGNORE, "nothing changes for it"
    finally:
        await db.close()


def test_every_migration_has_fixtures_or_is_new_tables_only():
    """A reminder for whoever adds migration N+1: add rows for it to FIXTURES when it changes data."""
    # 6 adds a table of its own (slack_views) and columns whose defaults are right for every row.
    # 7 adds columns to slack_directory (their defaults are right for every row: see version 2's).
    # 8 adds columns to pd_schedules (NULL: read again) and a table of its own (pd_read_failures).
    # 9 renames two columns of rotations.
    # 10 adds columns whose defaults are right for every rotation, and tables of its own.
    # 11 adds a column whose default ('turn') is right for every rotation until its next settle.
    # 12 adds a table of its own (member_groups: no rotation followed a user group before).
    # 13 adds columns whose NULL is right for every row (no Slack status known; a rotation made before
    # it ignores the status: checked above) and tables of its own.
    # 14 adds a table of its own (kept_messages: nothing was kept before).
    # 15 adds a table of its own (calendar_feeds: no feed existed before).
    # 16 adds columns whose NULL is right for every row (time zone not known yet; hand-off notes as
    # the rotation's kind has them), an index, and tables of its own.
    # 17 adds tables of its own (webhooks: no rotation had one before).
    # 18 copies each bound rotation's schedule into rotation_schedules (checked above), and adds
    # columns whose defaults are right for every row (nobody labelled yet; write access not known).
    assert len(MIGRATIONS) == 18, "new migration: extend FIXTURES and this test"
