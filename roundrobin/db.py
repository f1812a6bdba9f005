"""The SQLite database: one aiosqlite connection, WAL, versioned migrations, serialised transactions."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from roundrobin.migrations import MIGRATIONS

Row = aiosqlite.Row


class DatabaseError(Exception):
    """The database cannot be opened or is not one this version can use."""


_in_transaction: contextvars.ContextVar[bool] = contextvars.ContextVar("in_transaction", default=False)


def in_transaction() -> bool:
    """Whether the running task holds an open transaction (and with it the database lock)."""
    return _in_transaction.get()


class Database:
    """One connection shared by the whole process.

    Every task runs on the same connection, so statements from two tasks would interleave inside
    each other's transactions. A lock serialises access; code inside `transaction()` calls the same
    methods and they see the transaction's own writes.
    """

    def __init__(self, conn: aiosqlite.Connection, path: Path):
        self._conn = conn
        self._lock = asyncio.Lock()
        self.path = path

    @classmethod
    async def open(cls, path: Path, migrate: bool = True) -> Database:
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            _create_private(path)
            conn = await aiosqlite.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as e:
            raise DatabaseError(f"cannot open the database at {path}: {e}") from None
        conn.row_factory = aiosqlite.Row
        db = cls(conn, path)
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA busy_timeout=5000")
            if migrate:
                await db.migrate()
        except sqlite3.Error as e:
            await conn.close()
            raise DatabaseError(f"cannot use the database at {path}: {e}") from None
        except DatabaseError:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        await self._conn.close()

    async def schema_version(self) -> int:
        return await self.fetch_int("PRAGMA user_version")

    async def migrate(self) -> int:
        """Apply pending migrations in order; refuse a database written by newer code."""
        current = await self.schema_version()
        latest = len(MIGRATIONS)
        if current > latest:
            raise DatabaseError(
                f"the database at {self.path} has schema version {current}, but this version of "
                f"Round Robin only knows up to {latest}: upgrade Round Robin, or restore a backup"
            )
        for version in range(current + 1, latest + 1):
            # executescript commits any open transaction first, so the BEGIN/COMMIT are ours.
            script = f"BEGIN IMMEDIATE;\n{MIGRATIONS[version - 1]}\nPRAGMA user_version = {version};\nCOMMIT;"
            try:
                await self._conn.executescript(script)
            except sqlite3.Error:
                await self._conn.execute("ROLLBACK")
                raise
        return latest

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        """All writes inside commit together or not at all."""
        if _in_transaction.get():
            yield self
            return
        async with self._lock:
            # BEGIN can fail (another process holds the write lock past busy_timeout): then this
            # context is not in a transaction, and later calls must take the lock as usual.
            await self._conn.execute("BEGIN IMMEDIATE")
            token = _in_transaction.set(True)
            try:
                yield self
                await self._conn.execute("COMMIT")
            except BaseException:
                await self._rollback()
                raise
            finally:
                _in_transaction.reset(token)

    async def _rollback(self) -> None:
        """Undo the open transaction, if SQLite has not already; the caller's error is the one to see."""
        if self._conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                await self._conn.execute("ROLLBACK")

    @asynccontextmanager
    async def _access(self) -> AsyncIterator[None]:
        if _in_transaction.get():
            yield
        else:
            async with self._lock:
                yield

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one statement; returns the number of rows changed (or the new rowid for inserts)."""
        async with self._access():
            cursor = await self._conn.execute(sql, tuple(params))
            result = cursor.lastrowid if sql.lstrip()[:6].upper() == "INSERT" else cursor.rowcount
            await cursor.close()
            return result or 0

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        async with self._access():
            await self._conn.executemany(sql, [tuple(r) for r in rows])

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        async with self._access(), self._conn.execute(sql, tuple(params)) as cursor:
            return await cursor.fetchone()

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        async with self._access(), self._conn.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def fetch_int(self, sql: str, params: Iterable[Any] = ()) -> int:
        """The number a query of one row answers (COUNT(*), a PRAGMA); 0 when it answers nothing."""
        row = await self.fetchone(sql, params)
        return 0 if row is None or row[0] is None else int(row[0])

    async def fetch_float(self, sql: str, params: Iterable[Any] = ()) -> float | None:
        """The time a query of one row answers (MIN(due_at)…); None when it answers nothing."""
        row = await self.fetchone(sql, params)
        return None if row is None or row[0] is None else float(row[0])

    def changes(self) -> int:
        """Rows written through this connection since it opened (SQLite's total_changes): it moves
        with every write, so a cache of what was read can tell, without a query, that it may be stale."""
        return int(self._conn.total_changes)

    async def backup(self, target: Path) -> None:
        """A consistent online copy (SQLite's backup API), safe while the app is writing.

        The copy holds what the database holds, so it is created 0600 like the database, and only as
        a new file: never through a symbolic link, never over another file (FileExistsError).
        """
        _create_private(target, must_be_new=True)
        async with self._access(), aiosqlite.connect(target) as dest:
            await self._conn.backup(dest)


def _create_private(path: Path, must_be_new: bool = False) -> None:
    """Create an empty database file readable only by this user (SQLite gives its -wal and -shm
    files the same mode); an existing file is left as it is, unless it `must_be_new`. O_EXCL never
    follows a symbolic link, dangling or not."""
    if str(path) == ":memory:":
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        if must_be_new:
            raise
        return
    try:
        os.fchmod(fd, 0o600)  # exactly 0600, whatever the umask
    finally:
        os.close(fd)
