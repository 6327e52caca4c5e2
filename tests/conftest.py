"""Shared fixtures: the databases every model and job test runs on."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from tests.servers import Dovecot, SmtpServer, private_dovecot

SERVICE_DOMAIN = "mentormail.example"

PG_ADMIN = os.environ.get("MENTORMAIL_TEST_PG", "postgres://postgres@127.0.0.1:5432/test")


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


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database per test, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'db.sqlite3'}"
        return
    request.getfixturevalue("postgres_available")
    name = f"mm_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield _pg_url(name)
    finally:
        admin = await asyncpg.connect(PG_ADMIN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


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
    """A clean Redis database: the machine's on 127.0.0.1:6379, else an embedded one."""
    import redis.asyncio as aioredis

    from service.embedded import EmbeddedRedis

    embedded: EmbeddedRedis | None = None
    try:
        socket.create_connection(("127.0.0.1", 6379), 1).close()
        url = "redis://127.0.0.1:6379/13"
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
