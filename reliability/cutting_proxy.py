"""A TCP proxy in its own process that cuts every connection through it now and then.

    python -m reliability.cutting_proxy LISTEN_PORT TARGET_PORT CUT_EVERY_BYTES LOG_FILE

Forwards 127.0.0.1:LISTEN_PORT to 127.0.0.1:TARGET_PORT and aborts both sides of a
connection once CUT_EVERY_BYTES more have come from the server (about a hundred messages
of a mail server's answers), wherever that falls: mid-command, mid-message, mid-flag.
Each cut is a line of LOG_FILE.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import TextIO

from bench.common import serve_until_stopped


async def _pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    budget: list[int] | None,
    log: TextIO | None = None,
) -> None:
    try:
        while data := await reader.read(16_384):
            if budget is not None:
                budget[0] -= len(data)
                if budget[0] <= 0:
                    data = data[: len(data) + budget[0]]  # up to the cut, not past it
                    writer.write(data)
                    if log is not None:
                        log.write("cut\n")
                        log.flush()
                    raise ConnectionAbortedError
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.transport.abort()


async def main(listen: int, target: int, cut_every: int, log_path: str) -> None:
    budget = [cut_every]
    log = open(log_path, "a")  # noqa: SIM115 - closed on exit

    async def handle(client_reader: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        try:
            server_reader, server = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            client.transport.abort()
            return
        if budget[0] <= 0:
            budget[0] = cut_every  # the next connection gets a fresh allowance
        upstream = asyncio.ensure_future(_pipe(client_reader, server, None))
        downstream = asyncio.ensure_future(_pipe(server_reader, client, budget, log))
        await asyncio.wait((upstream, downstream), return_when=asyncio.FIRST_COMPLETED)
        for side in (upstream, downstream):
            side.cancel()
        for writer in (client, server):
            writer.transport.abort()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(upstream, downstream, return_exceptions=True)

    proxy = await asyncio.start_server(handle, "127.0.0.1", listen)
    await serve_until_stopped(proxy)
    log.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
