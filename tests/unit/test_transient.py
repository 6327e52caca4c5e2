"""Which database errors pass by themselves: the work is tried again rather than given up."""

from __future__ import annotations

import sqlite3

import asyncpg
import pytest
from tortoise.exceptions import IntegrityError, OperationalError, TransactionManagementError

from service.storage.db import transient


def wrapped(error: BaseException, wrapper: type[Exception]) -> Exception:
    """As the ORM raises them: the driver's error as its argument, sometimes as its cause."""
    try:
        raise wrapper(error) from error
    except Exception as exc:
        return exc


@pytest.mark.parametrize(
    "error",
    [
        wrapped(sqlite3.OperationalError("database is locked"), TransactionManagementError),
        OperationalError(sqlite3.OperationalError("database is locked")),
        asyncpg.exceptions.DeadlockDetectedError("deadlock detected"),
        asyncpg.exceptions.SerializationError("could not serialize access"),
        asyncpg.exceptions.LockNotAvailableError("could not obtain lock"),
        asyncpg.exceptions.AdminShutdownError("terminating connection"),
        asyncpg.exceptions.TooManyConnectionsError("too many clients"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
        ConnectionRefusedError(111, "Connection refused"),
    ],
    ids=repr,
)
def test_a_busy_or_absent_database_passes(error: BaseException) -> None:
    assert transient(error)


@pytest.mark.parametrize(
    "error",
    [
        OperationalError(sqlite3.OperationalError("no such column: pairing.nickname")),
        wrapped(asyncpg.exceptions.UndefinedColumnError("column does not exist"), OperationalError),
        IntegrityError(sqlite3.IntegrityError("UNIQUE constraint failed")),
        asyncpg.exceptions.NotNullViolationError("null value in column"),
        asyncpg.exceptions.QueryCanceledError("canceling statement due to statement timeout"),
        ValueError("a fault of ours"),
    ],
    ids=repr,
)
def test_a_fault_that_would_come_again_does_not(error: BaseException) -> None:
    assert not transient(error)
