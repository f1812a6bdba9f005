import asyncio
import os
import sqlite3
import stat

import pytest

from roundrobin.db import Database, DatabaseError
from roundrobin.migrations import MIGRATIONS


async def test_migrations_bring_a_new_file_to_the_latest_version(db):
    assert await db.schema_version() == len(MIGRATIONS)
    assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"


async def test_a_database_from_newer_code_is_refused(tmp_path):
    path = tmp_path / "new.db"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}").connection.close()
    with pytest.raises(DatabaseError, match="only knows up to"):
        await Database.open(path)


async def test_a_failed_transaction_leaves_nothing_behind(db):
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.execute("INSERT INTO owners (slack_user_id, added_by, added_at) VALUES ('U1', 'U0', 1)")
            raise RuntimeError("boom")
    assert await db.fetchall("SELECT * FROM owners") == []


async def test_concurrent_transactions_do_not_interleave(db):
    async def writer(user: str):
        async with db.transaction():
            await db.execute(
                "INSERT INTO owners (slack_user_id, added_by, added_at) VALUES (?, 'U0', 1)", (user,)
            )
            await asyncio.sleep(0.01)
            if user == "U2":
                raise ValueError("second writer fails")

    results = await asyncio.gather(writer("U1"), writer("U2"), writer("U3"), return_exceptions=True)
    assert isinstance(results[1], ValueError)
    rows = await db.fetchall("SELECT slack_user_id FROM owners ORDER BY slack_user_id")
    assert [r[0] for r in rows] == ["U1", "U3"]


async def test_backup_is_a_usable_copy(db, tmp_path):
    await db.execute("INSERT INTO owners (slack_user_id, added_by, added_at) VALUES ('U9', 'U0', 1)")
    target = tmp_path / "copy.db"
    await db.backup(target)
    copy = sqlite3.connect(target)
    assert copy.execute("SELECT slack_user_id FROM owners").fetchall() == [("U9",)]
    copy.close()


@pytest.fixture
def umask_022():
    old = os.umask(0o022)  # a typical login shell's: files 0644, folders 0755 unless we say otherwise
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_new_database_is_private_with_its_wal_and_shm(tmp_path, umask_022):
    db = await Database.open(tmp_path / "data" / "rr.db")
    try:
        await db.execute("INSERT INTO owners (slack_user_id, added_by, added_at) VALUES ('U1', 'U0', 1)")
        folder = tmp_path / "data"
        assert mode(folder) == 0o700
        files = {p.name: mode(p) for p in folder.iterdir()}
        assert files == {"rr.db": 0o600, "rr.db-wal": 0o600, "rr.db-shm": 0o600}
    finally:
        await db.close()


async def test_an_existing_database_keeps_the_mode_it_was_given(tmp_path, umask_022):
    path = tmp_path / "rr.db"
    sqlite3.connect(path).close()
    path.chmod(0o640)
    db = await Database.open(path)
    await db.close()
    assert mode(path) == 0o640


async def test_a_backup_is_as_private_as_the_database(db, tmp_path, umask_022):
    target = tmp_path / "copy.db"
    await db.backup(target)
    assert mode(target) == 0o600


@pytest.fixture
async def locked_elsewhere(db):
    """Another process holds the write lock; ours gives up after 50 ms instead of 5 s."""
    await db.execute("PRAGMA busy_timeout=50")
    other = sqlite3.connect(db.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    yield other
    if other.in_transaction:
        other.execute("ROLLBACK")
    other.close()


async def test_a_transaction_that_cannot_begin_leaves_nothing_half_open(db, locked_elsewhere):
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        async with db.transaction():
            pytest.fail("the body must not run without the write lock")
    locked_elsewhere.execute("ROLLBACK")
    # The same task carries on: its next transaction must really be one, so a failure undoes it.
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.execute("INSERT INTO owners (slack_user_id, added_by, added_at) VALUES ('U1', 'U0', 1)")
            raise RuntimeError("boom")
    assert await db.fetchall("SELECT * FROM owners") == []
    async with db.transaction():
        await db.execute("INSERT INTO owners (slack_user_id, added_by, added_at) VALUES ('U2', 'U0', 1)")
    assert [r[0] for r in await db.fetchall("SELECT slack_user_id FROM owners")] == ["U2"]


async def test_after_commit_runs_once_committed_and_never_after_a_rollback(db):
    done: list[str] = []
    async with db.transaction():
        db.after_commit(lambda: done.append("kept"))
        async with db.transaction():  # an inner block joins the outer transaction
            db.after_commit(lambda: done.append("inner"))
        assert done == []  # not yet: nothing is committed until the outer block ends
    assert done == ["kept", "inner"]
    with pytest.raises(RuntimeError):
        async with db.transaction():
            db.after_commit(lambda: done.append("rolled back"))
            raise RuntimeError("boom")
    db.after_commit(lambda: done.append("no transaction: at once"))
    assert done == ["kept", "inner", "no transaction: at once"]
