"""One sending worker, in its own process: sends what is due until nothing is left.

python -m bench.sender DATABASE_URL SMTP_PORT DATA_DIR
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bench.common import service
from bench.workers import SEND_AT
from service.clock import ManualClock
from service.jobs import loop
from service.outbox.sender import send_due
from service.storage.models import OutboundMessage, OutboundStatus


async def main(database_url: str, port: int, folder: Path) -> None:
    async with service(folder, database_url, port, ManualClock(SEND_AT)) as app:
        while True:
            if await send_due(app) == 0:
                pending = await OutboundMessage.filter(
                    status=OutboundStatus.PENDING, not_before__lte=SEND_AT
                ).count()
                if pending == 0:
                    break
                await asyncio.sleep(0.01)  # the other worker holds the rest


if __name__ == "__main__":
    loop.run(main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])))
