"""An SMTP server in its own process that fails the way real ones do, on a fixed schedule.

    python -m reliability.faulty_smtp PORT LOG_FILE

- every 37th message is answered 451 (try again later);
- recipients at `refused.example` are refused with 550 at RCPT;
- every 100th message is taken whole and the connection dropped before the 250;
- every 15th connection is accepted and never greeted.

Each line of LOG_FILE says what happened: `kept <Message-ID>` (the message is the server's
now, whether or not the client heard so), `dropped <Message-ID>` (kept, then the
acknowledgement was lost), `451`, `refused <address>`, `hung`.
"""

from __future__ import annotations

import asyncio
import re
import sys
from typing import Any

from aiosmtpd.smtp import SMTP

from bench.common import serve_until_stopped

_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)
TEMPORARY_EVERY = 37
DROP_EVERY = 100
HANG_EVERY = 15
REFUSED_DOMAIN = "refused.example"


class Faults:
    def __init__(self, path: str) -> None:
        self.out = open(path, "a", buffering=1)  # noqa: SIM115 - closed on exit
        self.messages = 0

    def log(self, line: str) -> None:
        self.out.write(line + "\n")

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.lower().endswith("@" + REFUSED_DOMAIN):
            self.log(f"refused {address}")
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages += 1
        found = _ID.search(envelope.content[:8192])
        message_id = found.group(1).decode() if found else "<none>"
        if self.messages % TEMPORARY_EVERY == 0:
            self.log("451")
            return "451 4.3.0 try again later"
        if self.messages % DROP_EVERY == 0:
            self.log(f"dropped {message_id}")
            server.transport.abort()  # the message is ours; the client never hears so
            return "250 OK"
        self.log(f"kept {message_id}")
        return "250 OK"


class Silent(asyncio.Protocol):
    """A connection accepted and never greeted: the client must give up by itself."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport


async def main(port: int, path: str) -> None:
    faults = Faults(path)
    connections = 0

    def protocol() -> asyncio.Protocol:
        nonlocal connections
        connections += 1
        if connections % HANG_EVERY == 0:
            faults.log("hung")
            return Silent()
        return SMTP(faults, hostname="faulty.localhost", data_size_limit=50_000_000)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(protocol, "127.0.0.1", port)
    await serve_until_stopped(server)
    faults.out.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
