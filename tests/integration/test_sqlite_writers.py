"""Two workers on one SQLite file take turns at writing instead of failing."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from service import db
from service.models import Program

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _other_worker_writes(path: Path, started: threading.Event, errors: list[str]) -> None:
    """What a second worker process does meanwhile: one write, waiting for its turn."""
    connection = sqlite3.connect(path, timeout=10)
    try:
        started.set()
        connection.execute(
            "INSERT INTO program (name, timezone, digest_weekday, digest_hour, created_at) "
            "VALUES ('Written by the other worker', 'UTC', 0, 8, ?)",
            (NOW.isoformat(),),
        )
        connection.commit()
    except sqlite3.Error as exc:
        errors.append(str(exc))
    finally:
        connection.close()


async def test_a_transaction_that_reads_then_writes_outlasts_another_writer(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shared.sqlite3"
    await db.init(f"sqlite://{path}")
    try:
        started, errors = threading.Event(), []
        other = threading.Thread(target=_other_worker_writes, args=(path, started, errors))
        async with db.transaction() as connection:
            # A planning chunk reads first: what is due, under its lock.
            assert await Program.all().using_db(connection).count() == 0
            other.start()
            started.wait(5)
            await asyncio.sleep(0.3)  # the other worker's write comes in meanwhile
            await Program.create(name="Written by this worker", created_at=NOW, using_db=connection)
        await asyncio.to_thread(other.join, 15)
        assert errors == []
        names = set(await Program.all().values_list("name", flat=True))
        assert names == {"Written by this worker", "Written by the other worker"}
    finally:
        await db.close()
