"""Fetched mail stored raw, once, before it is acknowledged on the server."""

from __future__ import annotations

import hashlib
from email.parser import BytesHeaderParser
from email.policy import compat32

from service.app import AppContext
from service.storage.db import transaction
from service.storage.models import InboundMessage

MAX_RAW_BYTES = 25 * 1024 * 1024


def inbound_message_id(raw: bytes) -> str:
    """The Message-ID, or a hash of the bytes when there is none: the key for exactly-once."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw[: 256 * 1024])
        value = str(headers.get("Message-ID") or "")
    except Exception:
        value = ""
    value = "".join(ch for ch in value if ch.isprintable() and not ch.isspace()).strip("<>")
    if value and len(value) <= 200:
        return value
    return "sha256:" + hashlib.sha256(raw).hexdigest()


async def store_fetched(ctx: AppContext) -> list[int]:
    """Fetch a batch, store what is new, commit, then acknowledge it on the server."""
    fetched = await ctx.incoming.fetch(ctx.settings.fetch_batch)
    if not fetched:
        return []
    now = ctx.clock.now()
    new_ids: list[int] = []
    message_ids = [inbound_message_id(item.raw) for item in fetched]
    async with transaction() as connection:
        known = {
            str(message_id)
            for message_id in await InboundMessage.filter(message_id__in=message_ids)
            .using_db(connection)
            .values_list("message_id", flat=True)
        }
        rows = []
        for item, message_id in zip(fetched, message_ids, strict=True):
            if message_id in known:
                continue  # stored before, or twice in this batch
            known.add(message_id)
            rows.append(
                InboundMessage(
                    message_id=message_id,
                    raw_bytes=item.raw[:MAX_RAW_BYTES],
                    source_key=item.key[:100],
                    received_at=now,
                    reason=None if len(item.raw) <= MAX_RAW_BYTES else "truncated: over 25 MB",
                )
            )
        if rows:
            await InboundMessage.bulk_create(rows, using_db=connection)
            stored = dict(
                await InboundMessage.filter(message_id__in=[row.message_id for row in rows])
                .using_db(connection)
                .values_list("message_id", "id")
            )
            new_ids = [int(stored[row.message_id]) for row in rows]
    # Only after the commit: a crash before this line means a re-fetch, deduplicated above.
    await ctx.incoming.ack([item.key for item in fetched])
    ctx.count("inbound_stored", len(new_ids))
    return new_ids
