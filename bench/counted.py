"""The app's database for benchmarks that report how many queries a step costs."""

from __future__ import annotations

from roundrobin.db import Database


class Counted(Database):
    """The app's database, counting the queries it answers."""

    queries = 0

    async def fetchall(self, sql, params=()):  # type: ignore[no-untyped-def]
        Counted.queries += 1
        return await super().fetchall(sql, params)

    async def fetchone(self, sql, params=()):  # type: ignore[no-untyped-def]
        Counted.queries += 1
        return await super().fetchone(sql, params)
