import asyncio
import sqlite3

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
