"""SQLite whose transactions take the write lock when they begin.

A transaction that reads and then writes (every planning chunk, every reply applied)
begins, by SQLite's default, as a reader. If another process commits a write meanwhile,
the reader's snapshot is stale and its first write fails at once with "database is locked":
the busy timeout cannot help, as waiting would not freshen the snapshot. `BEGIN IMMEDIATE`
takes the write lock first, waiting up to the busy timeout for it, so two workers on one
SQLite file take turns instead of failing. The ORM names this module as its engine.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tortoise.backends.base.client import TransactionalDBClient
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError


class _ImmediateTransaction(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class _ImmediateContext(SqliteTransactionContext):
    async def __aenter__(self) -> TransactionalDBClient:
        await self._trxlock.acquire()
        try:
            await self.ensure_connection()
            self.token = get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                get_connections().reset(self.token)
                raise
        except BaseException:
            # No write lock (another writer held it past the busy timeout): the connection
            # goes back to this process's other tasks, and the caller sees the error.
            self._trxlock.release()
            raise
        connection: TransactionalDBClient = self.connection
        return connection


class ImmediateSqliteClient(SqliteClient):
    def _in_transaction(self) -> Any:
        return _ImmediateContext(_ImmediateTransaction(self), self._lock)


client_class = ImmediateSqliteClient
