"""Shared fixtures: the databases every model and job test runs on."""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import socket
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from service.storage import db
from tests.servers import Dovecot, SmtpServer, private_dovecot

SERVICE_DOMAIN = "mentormail.example"

PG_ADMIN = os.environ.get("MENTORMAIL_TEST_PG", "postgres://postgres@127.0.0.1:5432/test")


def _open_sqlite_connections(collect: bool = True) -> list[threading.Thread]:
    """The threads of SQLite connections nobody closed: each keeps Python from exiting."""
    if collect:
        gc.collect()  # a connection nobody holds any more stops its thread when collected
    return [
        thread
        for thread in threading.enumerate()
        if thread.is_alive() and thread.name.endswith("(_connection_worker_thread)")
    ]


@pytest.fixture(autouse=True)
def no_sqlite_connection_left_open() -> Iterator[None]:
    """A test (with its fixtures) closes every database connection it opened. One left open
    on SQLite would keep the run from ever exiting; here it fails the test that left it.
    (Collecting garbage costs a fifth of a second: only when a thread is left to explain.)"""
    before = set(_open_sqlite_connections(collect=False))
    yield
    if set(_open_sqlite_connections(collect=False)) <= before:
        return
    left = [thread for thread in _open_sqlite_connections() if thread not in before]
    assert not left, f"{len(left)} SQLite connection(s) left open by this test"


def pytest_unconfigure(config: pytest.Config) -> None:
    """Should a connection still be open (the failure above names the test), end the run
    rather than wait for it forever."""
    if left := _open_sqlite_connections():
        sys.stderr.write(f"\n{len(left)} SQLite connection(s) left open; exiting anyway\n")
        sys.stderr.flush()
        os._exit(1)


def _pg_url(name: str) -> str:
    base, _, _ = PG_ADMIN.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def postgres_available() -> str:
    """The admin URL; fails loudly (never skips) when PostgreSQL does not answer."""
    url = urlsplit(PG_ADMIN)
    try:
        socket.create_connection((url.hostname or "127.0.0.1", url.port or 5432), 5).close()
    except OSError as exc:
        pytest.fail(f"PostgreSQL at {PG_ADMIN} does not answer ({exc}); ./scripts/test starts one")
    return PG_ADMIN


class Migrated:
    """A migrated database of each kind, made once a session: each test's database is a
    copy of it (SQLite's file, a PostgreSQL template), as migrating took about a second a
    test. The service still runs its migrations on each copy, which finds nothing to do."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.sqlite: Path | None = None
        self.postgres: str | None = None

    async def sqlite_file(self) -> Path:
        if self.sqlite is None:
            path = self.folder / "template.sqlite3"
            await db.migrate(f"sqlite://{path}")
            self.sqlite = path
        return self.sqlite

    async def postgres_template(self) -> str:
        if self.postgres is None:
            name = f"mm_template_{uuid.uuid4().hex[:12]}"
            await _admin(f'CREATE DATABASE "{name}"')
            self.postgres = name  # dropped at the end even if migrating fails
            await db.migrate(_pg_url(name))
        return self.postgres


async def _admin(statement: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Migrated]:
    templates = Migrated(tmp_path_factory.mktemp("migrated"))
    yield templates
    if templates.postgres is not None:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{templates.postgres}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, migrated: Migrated
) -> AsyncIterator[str]:
    """A fresh database per test, on SQLite and on PostgreSQL, with the schema in place."""
    if request.param == "sqlite":
        path = tmp_path / "db.sqlite3"
        template = await migrated.sqlite_file()
        for suffix in ("", "-wal", "-shm"):  # the WAL's files, should any be left
            source = Path(f"{template}{suffix}")
            if source.exists():
                shutil.copyfile(source, f"{path}{suffix}")
        yield f"sqlite://{path}"
        return
    request.getfixturevalue("postgres_available")
    template = await migrated.postgres_template()
    name = f"mm_test_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _pg_url(name)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """../shared beside the repository (corpora, the guide)."""
    path = Path(__file__).resolve().parents[1].parent / "shared"
    yield path


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    with private_dovecot() as server:
        yield server


@pytest.fixture
def mailroom(dovecot: Dovecot) -> Iterator[Dovecot]:
    """The Dovecot instance with an empty INBOX for this test."""
    for sub in ("new", "cur"):
        for path in (dovecot.maildir / sub).iterdir():
            path.unlink()
    yield dovecot


@pytest.fixture
def smtp_server(mailroom: Dovecot) -> Iterator[SmtpServer]:
    server = SmtpServer(mailroom, SERVICE_DOMAIN)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def redis_url(tmp_path: Path) -> AsyncIterator[str]:
    """A clean Redis database: the machine's on 127.0.0.1:6379, else an embedded one.

    MENTORMAIL_TEST_REDIS_DB picks the machine's database (13 unless set), so that two
    checkouts' suites can run side by side."""
    import redis.asyncio as aioredis

    from service.jobs.embedded_redis import EmbeddedRedis

    embedded: EmbeddedRedis | None = None
    try:
        socket.create_connection(("127.0.0.1", 6379), 1).close()
        url = f"redis://127.0.0.1:6379/{os.environ.get('MENTORMAIL_TEST_REDIS_DB', '13')}"
    except OSError:
        embedded = EmbeddedRedis(tmp_path / "redis")
        embedded.start()
        url = embedded.url
    client = aioredis.Redis.from_url(url)
    await client.flushdb()
    try:
        yield url
    finally:
        await client.flushdb()
        await client.aclose()
        if embedded is not None:
            embedded.stop()
