"""SQLite whose transactions take the write lock when they begin.

A transaction that reads and then writes (every planning chunk, every reply applied)
begins, by SQLite's default, as a reader. If another process commits a write meanwhile,
the reader's snapshot is stale and its first write fails at once with "database is locked":
the busy timeout cannot help, as waiting would not freshen the snapshot. `BEGIN IMMEDIATE`
takes the write lock first, waiting up to the busy timeout for it, so two workers on one
SQLite file take turns instead of failing. The ORM names this module as its engine.

Once the lock is held, nothing inside the transaction can wait on another process, so its
statements run on the event loop's own thread instead of being handed to the connection's
thread and back: a statement on an index takes tens of microseconds, the hand-over took
150 to 190 (a third of the time spent applying a reply). Only the waits (taking the lock,
committing, bulk writes) and everything outside a transaction still go through the thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError


class _Connection(aiosqlite.Connection):
    """The driver's connection, running statements inline while this process holds the
    write lock (the ORM's own lock keeps any other task of the process off the connection
    meanwhile, so the two threads never use it at once)."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        connection = self._connection
        if (
            connection is not None
            and self._running
            and connection.in_transaction
            and fn not in (connection.commit, connection.executemany, connection.executescript)
        ):
            return fn(*args, **kwargs)
        return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]


class _ImmediateTransaction(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            if self._connection._conn.in_transaction:  # left open by someone: end it first
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
    async def create_connection(self, with_db: bool) -> None:
        if self._connection is None:
            filename = self.filename
            # Used from the loop's thread inside transactions, one thread at a time.
            connection = _Connection(
                lambda: sqlite3.connect(filename, isolation_level=None, check_same_thread=False),
                64,
            )
            self._connection = await connection
            self._connection._conn.row_factory = sqlite3.Row
            for pragma, value in self.pragmas.items():
                cursor = await self._connection.execute(f"PRAGMA {pragma}={value}")
                await cursor.close()
            await self._post_connect()

    def _in_transaction(self) -> Any:
        return _ImmediateContext(_ImmediateTransaction(self), self._lock)


client_class = ImmediateSqliteClient
