"""Database set-up: connection config, migrations, and the transactions jobs use."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import asyncpg
from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.exceptions import DBConnectionError
from tortoise.migrations.api import migrate as run_migrations
from tortoise.migrations.executor import MigrationExecutor
from tortoise.transactions import in_transaction

from service.config import PRIVATE_FILE, PRIVATE_FOLDER

APP = "models"

# The drivers log every statement with its parameters at DEBUG: message bodies, private
# reflections. Those loggers stay quiet whatever level the service itself logs at.
for _name in ("tortoise.db_client", "aiosqlite", "tortoise"):
    logging.getLogger(_name).setLevel(logging.INFO)


def _synchronous(value: str) -> str:
    if value.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise ValueError("DATABASE_URL: synchronous must be OFF, NORMAL, FULL or EXTRA")
    return value.upper()


def _busy_timeout(value: str) -> int:
    if not value.isdigit():
        raise ValueError("DATABASE_URL: busy_timeout must be a number of milliseconds")
    return int(value)


def _private_database(path: Path) -> None:
    """Make the SQLite file, empty, readable by the service's user alone. SQLite itself would
    make it as the umask allows (0644 usually: every user of the machine could read the
    replies), and it gives its WAL and shared-memory files the mode of the database's."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))


def tortoise_config(database_url: str) -> dict[str, Any]:
    if database_url.startswith("sqlite://"):
        path, _, query = database_url.removeprefix("sqlite://").partition("?")
        options = dict(parse_qsl(query))
        if path != ":memory:":
            _private_database(Path(path))
        # WAL lets readers go on while a writer commits; the busy timeout makes concurrent
        # writers wait instead of failing, and transactions take the write lock when they
        # begin (see `transaction`), so that one that reads first cannot fail on its write.
        connection: str | dict[str, Any] = {
            "engine": "tortoise.backends.sqlite",
            "credentials": {
                "file_path": path,
                "journal_mode": "WAL",
                "busy_timeout": _busy_timeout(options.get("busy_timeout", "10000")),
                # FULL: a commit survives a power cut, so a reply acknowledged on the mail
                # server after its commit is never lost. Throwaway data (the demo) may ask
                # for NORMAL with `?synchronous=NORMAL`.
                "synchronous": _synchronous(options.get("synchronous", "FULL")),
            },
        }
    else:
        connection = database_url
    return {
        "connections": {"default": connection},
        "apps": {
            APP: {
                "models": ["service.storage.models"],
                "default_connection": "default",
                "migrations": "service.storage.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def migrate(database_url: str) -> None:
    """Bring the schema up to date; safe to call on every start and from several workers."""
    await run_migrations(config=tortoise_config(database_url))
    await close()


async def pending_migrations(database_url: str) -> list[str]:
    """The migrations the database still lacks, in order (empty: up to date). Raises what
    connecting raised when the database does not answer; applies nothing."""
    config = tortoise_config(database_url)
    await Tortoise.init(config=config)
    try:
        connection = Tortoise.get_connection("default")
        await connection.execute_query("SELECT 1")  # the plan takes an unreachable one as empty
        steps = await MigrationExecutor(connection, config["apps"]).plan()
    finally:
        await close()
    return [step.migration.name for step in steps if not step.backward]


async def init(database_url: str, *, migrate_first: bool = True) -> None:
    if migrate_first:
        await migrate(database_url)
    await Tortoise.init(config=tortoise_config(database_url))


class NoDatabase(Exception):
    """A command that reads the service's data found none where it looked."""


def shown(database_url: str) -> str:
    """The database's address without its password, for messages."""
    parts = urlsplit(database_url)
    if parts.password is None:
        return database_url
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{parts.username}:***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


async def init_existing(database_url: str) -> None:
    """Open the service's database, brought up to date, only where one was made: a command
    run from the wrong folder or with a mistyped `DATABASE_URL` must not make an empty one
    and report an empty program."""
    if database_url.startswith("sqlite://"):
        path = database_url.removeprefix("sqlite://").partition("?")[0]
        if path != ":memory:" and not Path(path).is_file():
            raise NoDatabase(f"there is no database at {path}")
    else:
        await Tortoise.init(config=tortoise_config(database_url))
        try:
            _, rows = await Tortoise.get_connection("default").execute_query(
                "SELECT 1 FROM information_schema.tables WHERE table_name = 'program'"
            )
        finally:
            await close()
        if not rows:
            raise NoDatabase(f"the database {shown(database_url)} holds no mentormail data")
    await init(database_url)


async def close() -> None:
    """Close connections; the next init may use another backend (the ORM's `init` sets its
    models up anew on an initialised context)."""
    await Tortoise.close_connections()
    # Tortoise caches compiled INSERTs by connection *name*, not by dialect: without this, a
    # process that moves from SQLite to PostgreSQL (the tests do) sends SQLite's SQL there.
    EXECUTOR_CACHE.clear()


# PostgreSQL's errors that pass by themselves: classes of a connection lost (08), a
# transaction rolled back for a deadlock or a serialization conflict (40), too many
# connections (53); a server shutting down or starting (57P01-57P03) and a lock not
# available (55P03). Not a statement cancelled for its time: the same one would be again.
_PASSING_CLASSES = ("08", "40", "53")
_PASSING_STATES = ("57P01", "57P02", "57P03", "55P03")


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The error, what caused it, and an error it wraps as its argument (as the ORM does)."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        error = pending.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        yield error
        pending += [e for e in (error.__cause__, error.__context__) if e is not None]
        pending += [a for a in error.args if isinstance(a, BaseException)]


def transient(exc: BaseException) -> bool:
    """Whether a database error will pass by itself: the database was busy (a SQLite writer
    held the lock past the busy timeout, a deadlock) or away (a lost connection). Work that
    failed so is tried again later rather than given up."""
    for error in _causes(exc):
        if isinstance(error, ConnectionError | TimeoutError | DBConnectionError):
            return True
        if isinstance(error, asyncpg.exceptions.ConnectionDoesNotExistError):
            return True
        if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
            return True
        if isinstance(error, asyncpg.PostgresError):
            state = str(getattr(error, "sqlstate", "") or "")
            if state[:2] in _PASSING_CLASSES or state in _PASSING_STATES:
                return True
    return False


# A write that changes nothing. A SQLite transaction begins as a reader: if another process
# commits a write meanwhile, the reader's snapshot is stale and its first write fails at once
# with "database is locked", as waiting would not freshen it. A write as its first statement
# takes the write lock before the transaction has read anything, waiting up to the busy
# timeout for it (as `BEGIN IMMEDIATE` would), so two workers on one file take turns instead
# of failing. It matches no row, so its commit has nothing to write.
TAKE_WRITE_LOCK = 'UPDATE "program" SET "id"="id" WHERE 0'


@asynccontextmanager
async def transaction() -> AsyncIterator[BaseDBAsyncClient]:
    """A transaction on the default connection; on SQLite it holds the write lock from its
    start (PostgreSQL's writers lock rows, not the database)."""
    async with in_transaction("default") as connection:
        if connection.capabilities.dialect == "sqlite":
            await connection.execute_query(TAKE_WRITE_LOCK)
        yield connection
