"""An inbound worker in a process of its own, for the scenario that cuts and kills it.

    python -m reliability.inbound_worker DATA_DIR IMAP_URL NOW

Fetches, stores and applies the mail of the service whose data is in DATA_DIR until the
mailbox has nothing new twice running, as the worker's jobs would: a fetch that fails is
tried again (the next poll), and stored mail left pending by a killed worker is applied.
POLL_PAUSE (seconds, none by default) waits between polls, as the worker's schedule does.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from datetime import datetime
from pathlib import Path

from bench.common import service
from service.clock import ManualClock
from service.inbox.processing import process_inbound_batch
from service.inbox.store import store_fetched
from service.mail.transports.imap import ImapIncoming
from service.storage.models import InboundMessage, InboundStatus

log = logging.getLogger("reliability.inbound_worker")
ATTEMPTS = 200  # polls that may fail before the worker gives up


async def main(folder: Path, url: str, now: datetime) -> None:
    pause = float(os.environ.get("POLL_PAUSE") or 0)  # seconds between polls
    async with service(folder, None, None, ManualClock(now)) as app:
        app.incoming = ImapIncoming(url)
        print("ready", flush=True)
        quiet = failures = 0
        while quiet < 2 and failures < ATTEMPTS:
            try:
                stored = await store_fetched(app)
            except Exception as exc:  # the next poll tries again, as the cron's would
                failures += 1
                log.info("poll failed: %s", type(exc).__name__)
                await asyncio.sleep(0.05)
                continue
            # Quiet when nothing is unread: a batch of mail seen before (a mailbox made
            # again) stores nothing new and is not the end.
            quiet = 0 if stored or await app.incoming.fetch(1) else quiet + 1
            pending = await InboundMessage.filter(status=InboundStatus.PENDING).order_by("id")
            await process_inbound_batch(app, [row.id for row in pending])
            await asyncio.sleep(pause)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2], datetime.fromisoformat(sys.argv[3])))
