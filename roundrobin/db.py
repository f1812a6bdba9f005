"""The SQLite database: one aiosqlite connection, WAL, versioned migrations, serialised transactions."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import fcntl
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from roundrobin.migrations import MIGRATIONS

Row = aiosqlite.Row


class DatabaseError(Exception):
    """The database cannot be opened or is not one this version can use."""


_in_transaction: contextvars.ContextVar[bool] = contextvars.ContextVar("in_transaction", default=False)
# What to do once the open transaction commits (see `Database.after_commit`).
_after_commit: contextvars.ContextVar[list[Callable[[], None]] | None] = contextvars.ContextVar(
    "after_commit", default=None
)


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
            fresh = _create_private(path)
            conn = await aiosqlite.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as e:
            raise DatabaseError(f"cannot open the database at {path}: {e}") from None
        conn.row_factory = aiosqlite.Row
        db = cls(conn, path)
        try:
            if fresh and migrate:
                # Before anything is written (WAL's header included): a new database gives pages that
                # housekeeping frees back in small steps (`release`), never by a VACUUM of the whole file.
                await conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
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
            committed: list[Callable[[], None]] = []
            later = _after_commit.set(committed)
            try:
                yield self
                await self._conn.execute("COMMIT")
            except BaseException:
                await self._rollback()
                raise
            finally:
                _in_transaction.reset(token)
                _after_commit.reset(later)
        for callback in committed:
            callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the open transaction has committed, never if it rolls back (at once
        outside a transaction): what is counted or announced about a change is what was kept."""
        pending = _after_commit.get()
        if pending is None or not _in_transaction.get():
            callback()
        else:
            pending.append(callback)

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

    # --- maintenance (housekeeping.py): never inside a transaction ------------------------------

    def file_size(self) -> int:
        """Bytes the database takes on disk: the file and its write-ahead log."""
        total = 0
        for name in (str(self.path), f"{self.path}-wal"):
            with contextlib.suppress(OSError):
                total += os.stat(name).st_size
        return total

    async def release(self, pages: int) -> None:
        """Give up to `pages` free pages back to the file system (an incremental database only);
        executescript runs the pragma to its end, where execute would free a single page."""
        if _in_transaction.get():
            raise RuntimeError("incremental_vacuum inside a transaction")  # executescript would commit it
        async with self._lock:
            await self._conn.executescript(f"PRAGMA incremental_vacuum({int(pages)});")

    async def vacuum(self) -> None:
        """Rewrite the whole file without its free pages, and make it incremental from then on, so
        this is needed once. Then empty the write-ahead log the rewrite filled."""
        if _in_transaction.get():
            raise RuntimeError("VACUUM inside a transaction")
        async with self._lock:
            await self._conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
            await self._conn.execute("VACUUM")
            await self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@contextmanager
def maintenance_lock(database_path: Path, wait: bool) -> Iterator[bool]:
    """Held by a backup and by a VACUUM, so that neither runs during the other (they may be two
    processes: `app.py backup` beside the running app). Yields False when it is held elsewhere and
    not `wait`: the caller then leaves its work for another time."""
    lock_path = Path(f"{database_path}.maintenance")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _create_private(path: Path, must_be_new: bool = False) -> bool:
    """Create an empty database file readable only by this user (SQLite gives its -wal and -shm
    files the same mode); an existing file is left as it is, unless it `must_be_new`. O_EXCL never
    follows a symbolic link, dangling or not. True when the file is new."""
    if str(path) == ":memory:":
        return False
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        if must_be_new:
            raise
        return False
    try:
        os.fchmod(fd, 0o600)  # exactly 0600, whatever the umask
    finally:
        os.close(fd)
    return True
