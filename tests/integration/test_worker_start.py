"""A worker started before its database server answers waits for it, and says so."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from urllib.parse import urlsplit

import pytest

from service.jobs.embedded_redis import free_port
from service.jobs.worker import open_database
from service.storage import db
from service.storage.models import Pairing


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65_536):
            writer.write(data)
            await writer.drain()
    writer.close()


def _late_forwarder(
    port: int, target: tuple[str, int], after: float
) -> asyncio.Task[asyncio.Server]:
    """From `after` seconds on, 127.0.0.1:`port` leads to `target`; before, nothing listens."""

    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*target)
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))

    async def listen() -> asyncio.Server:
        await asyncio.sleep(after)
        return await asyncio.start_server(forward, "127.0.0.1", port)

    return asyncio.create_task(listen())


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_worker_started_before_its_database_waits_for_it(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    real = urlsplit(database_url)
    port = free_port()
    url = database_url.replace(f"@{real.hostname}:{real.port}/", f"@127.0.0.1:{port}/")
    assert url != database_url
    opening = _late_forwarder(port, (str(real.hostname), int(real.port or 5432)), after=2.5)
    with caplog.at_level(logging.WARNING):
        await open_database(url, wait=60)
    server = await opening
    try:
        assert await Pairing.all().count() == 0, "opened, and usable"
        assert f"the database at {url} does not answer" in caplog.text
        assert "trying again" in caplog.text
    finally:
        await db.close()
        server.close()


async def test_a_database_that_never_answers_is_given_up_on_in_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"postgres://postgres:hunter2@127.0.0.1:{free_port()}/nothing"
    loop = asyncio.get_running_loop()
    began = loop.time()
    with caplog.at_level(logging.WARNING), pytest.raises(Exception) as failed:
        await open_database(url, wait=4)
    assert db.transient(failed.value), "the connection's own error, not another"
    assert loop.time() - began < 10
    assert caplog.text.count("does not answer") >= 2
    assert "hunter2" not in caplog.text and "postgres:***@" in caplog.text
