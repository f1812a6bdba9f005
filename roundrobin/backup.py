"""`python app.py backup FILE`: a consistent copy of the database, safe while the app runs."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

from roundrobin.config import Settings
from roundrobin.db import Database, DatabaseError, maintenance_lock


class BackupError(Exception):
    """The backup was not made; the message says why."""


def backup(settings: Settings, target: Path) -> str:
    """Copy with SQLite's online backup API, then verify the copy; returns a one-line summary."""
    if target.is_symlink():
        raise BackupError(
            f"{target} is a symbolic link: give the backup's real path (a backup never follows one)"
        )
    if target.exists():
        raise BackupError(f"{target} already exists: choose a new file name (a backup never overwrites)")
    if not settings.database_path.exists():
        raise BackupError(f"there is no database at {settings.database_path} to back up")
    target.parent.mkdir(parents=True, exist_ok=True)
    if os.access(settings.data_dir, os.W_OK):
        # The running app's housekeeping never gives space back (VACUUM) during a backup; a VACUUM
        # under way finishes first.
        with maintenance_lock(settings.database_path, wait=True):
            asyncio.run(_copy(settings.database_path, target))
    else:  # no lock file can be made here: copy anyway (the copy is checked below)
        asyncio.run(_copy(settings.database_path, target))
    with sqlite3.connect(target) as copy:
        if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"the copy at {target} failed its integrity check; try again")
        rotations = copy.execute("SELECT COUNT(*) FROM rotations").fetchone()[0]
        schema = copy.execute("PRAGMA user_version").fetchone()[0]
    return f"backed up {settings.database_path} (schema {schema}, {rotations} rotations) to {target}"


async def _copy(source: Path, target: Path) -> None:
    try:
        db = await Database.open(source, migrate=False)
    except DatabaseError as e:
        raise BackupError(str(e)) from None
    try:
        await db.backup(target)
    except FileExistsError:
        raise BackupError(f"{target} appeared while the backup started: choose a new file name") from None
    finally:
        await db.close()


def main(settings: Settings, file: str) -> int:
    try:
        summary = backup(settings, Path(file))
    except BackupError as e:
        print(f"backup failed: {e}", file=sys.stderr)
        return 1
    print(summary)
    key = "ROUNDROBIN_SECRET_KEY" if settings.secret_key else str(settings.data_dir / "secret.key")
    print(f"Keep the secret key ({key}) with this backup: without it the stored credentials cannot be read.")
    return 0
