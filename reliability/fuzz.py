"""Random and hostile mail through the whole inbound path, from Dovecot over IMAP: stored,
read, routed, applied. Broken MIME, wrong and unknown charsets, huge lines and bodies,
nested multiparts, encoded newlines in headers; the crafted worst cases of the parser's
benchmark too.

A crash is an exception that left the inbound path, or one its safety net caught (the
message then says "internal error"): either is a fault of ours. A message is lost when
its row has no raw bytes or no reason.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
import time
from pathlib import Path

from bench.common import service
from bench.parse import inputs
from reliability.common import START, mailroom
from service.clock import ManualClock
from service.inbox.processing import process_inbound
from service.inbox.store import store_fetched
from service.mail.transports.imap import ImapIncoming
from service.storage.models import InboundMessage, InboundStatus
from tests.servers import Dovecot

BATCH = 200  # messages in the mailbox at a time
EMPTY = "sha256:" + hashlib.sha256(b"").hexdigest()


def messages(count: int) -> list[bytes]:
    """The parser benchmark's inputs: its crafted worst cases, the corpora's slowest replies
    where they are at hand, and the test suite's hostile strategy, the same every run."""
    return [raw for _, raw in inputs(count)][:count]


async def _scenario(folder: Path, dovecot: Dovecot, count: int) -> dict[str, float]:
    async with service(folder, None, None, ManualClock(START)) as app:
        app.incoming = ImapIncoming(dovecot.imap_url())
        crashes = delivered = 0
        worst = 0.0
        pending = messages(count)
        while pending:
            batch, pending = pending[:BATCH], pending[BATCH:]
            for raw in batch:
                dovecot.deliver(raw)
            delivered += len(batch)
            while True:
                try:
                    stored = await store_fetched(app)
                except Exception:
                    crashes += 1
                    break
                if not stored:
                    break
                for inbound_id in stored:
                    started = time.process_time()
                    try:
                        await process_inbound(app, inbound_id)
                    except Exception:
                        crashes += 1
                    worst = max(worst, time.process_time() - started)
        rows = await InboundMessage.all().values("raw_bytes", "reason", "status", "message_id")
    caught = sum(
        1
        for r in rows
        if r["status"] == InboundStatus.FAILED and "internal error" in str(r["reason"])
    )
    return {
        "fuzz_messages": delivered,
        "fuzz_stored": len(rows),
        "fuzz_crashes": crashes + caught,
        # An empty message is kept empty (its id is the digest of nothing); no other may be.
        "fuzz_lost": sum(
            1 for r in rows if not r["reason"] or (not r["raw_bytes"] and r["message_id"] != EMPTY)
        ),
        "fuzz_worst_s": round(worst, 3),
    }


def run(count: int) -> dict[str, float]:
    with mailroom() as dovecot, tempfile.TemporaryDirectory() as folder:
        return asyncio.run(_scenario(Path(folder), dovecot, count))
