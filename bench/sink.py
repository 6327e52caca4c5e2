"""An SMTP sink in its own process: accepts everything, remembers each Message-ID.

    python -m bench.sink PORT IDS_FILE

Writes one Message-ID a line to IDS_FILE as messages arrive (flushed on exit), so a
benchmark can count what arrived and how often.
"""

from __future__ import annotations

import asyncio
import re
import sys
from typing import Any

from aiosmtpd.smtp import SMTP

from bench.common import serve_until_stopped

_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)


class Sink:
    def __init__(self, path: str) -> None:
        self.out = open(path, "ab", buffering=1 << 16)  # noqa: SIM115 - closed on exit

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        found = _ID.search(envelope.content[:8192])
        self.out.write((found.group(1) if found else b"<none>") + b"\n")
        return "250 OK"


async def main(port: int, path: str) -> None:
    sink = Sink(path)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="sink.localhost", data_size_limit=50_000_000),
        "127.0.0.1",
        port,
    )
    await serve_until_stopped(server)
    sink.out.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
