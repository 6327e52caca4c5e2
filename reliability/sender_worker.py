"""A sending worker in a process of its own, for the scenario that kills it.

    python -m reliability.sender_worker DATA_DIR SMTP_PORT NOW

Sends the outbox of the service whose data is in DATA_DIR (SQLite) to 127.0.0.1:SMTP_PORT
until nothing is due, with the clock standing at NOW (ISO 8601): each restart stands later
than the claims a killed worker left, as a worker restarted in production would.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path

from bench.common import service
from service.clock import ManualClock
from service.outbox.sender import send_due


async def main(folder: Path, port: int, now: datetime) -> None:
    async with service(folder, None, port, ManualClock(now)) as app:
        print("ready", flush=True)
        while await send_due(app):
            pass


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2]), datetime.fromisoformat(sys.argv[3])))
