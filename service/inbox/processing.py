"""Inbound mail: store raw bytes first, then apply each message once (a batch of them in one
transaction, each on its own should the batch fail)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F

from service.app import AppContext
from service.inbox.inbound import Inbound
from service.inbox.outcome import Outcome
from service.inbox.pipeline import decide
from service.inbox.routing import private_on_record
from service.mail.reading.parse import parse_message
from service.outbox.writer import OutboxWriter
from service.storage import statements
from service.storage.db import transaction, transient
from service.storage.models import InboundMessage, InboundStatus
from service.storage.sealing import MAIL, seal_bytes

log = logging.getLogger(__name__)


async def process_inbound(ctx: AppContext, inbound_id: int) -> InboundStatus | None:
    """Apply one stored message. Returns None when it was already handled, PENDING when the
    database was busy or away (it is tried again later), FAILED when applying it began
    MAX_UNFINISHED times before and never came back."""
    try:
        starts = (await _begin([inbound_id])).get(inbound_id)
    except Exception as exc:
        return await _not_applied(ctx, inbound_id, exc, begun=False)
    if starts is None:
        return None
    if starts > MAX_UNFINISHED:
        log.error(
            "inbound %s failed: applying it began %s times and never finished",
            inbound_id,
            MAX_UNFINISHED,
        )
        return await _fail(ctx, inbound_id, UNFINISHED_REASON)
    outbox = OutboxWriter(ctx.settings, ctx.secret)
    now = ctx.clock.now()
    try:
        async with transaction() as connection:
            claimed = await _claim(connection, [inbound_id])
            outcome = await _apply(ctx, connection, outbox, claimed.get(inbound_id), now)
    except Exception as exc:
        return await _not_applied(ctx, inbound_id, exc, begun=True)
    return None if outcome is None else _applied(ctx, inbound_id, outcome)


# Stored messages are applied this many to a transaction (and to a worker's job): a commit
# each cost as much as reading a reply.
PROCESS_BATCH = 25

# Applying a message that began this many times and never came back (it stopped the worker,
# or outlasted the job's time limit, each time) is not begun again: the message is failed,
# its raw bytes kept, and the messages queued with it go on without it.
MAX_UNFINISHED = 3
UNFINISHED_REASON = (
    f"applying it began {MAX_UNFINISHED} times and never finished "
    "(the worker stopped or ran out of time); see the log"
)


async def process_inbound_batch(
    ctx: AppContext, inbound_ids: Sequence[int]
) -> list[InboundStatus | None]:
    """Apply stored messages, PROCESS_BATCH to a transaction; see `_apply_together`."""
    statuses: list[InboundStatus | None] = []
    for start in range(0, len(inbound_ids), PROCESS_BATCH):
        statuses += await _apply_together(ctx, inbound_ids[start : start + PROCESS_BATCH])
    return statuses


async def _apply_together(
    ctx: AppContext, inbound_ids: Sequence[int]
) -> list[InboundStatus | None]:
    """Apply stored messages in one transaction. Should any of them fail (a fault of ours,
    the database busy or away, two workers' batches waiting on each other's pairings), or
    should any have begun before and never come back, nothing of the batch is kept and each
    message is applied on its own, as `process_inbound` does, so that one message's trouble
    stays its own."""
    try:
        begun = await _begin(inbound_ids)
    except Exception as exc:
        begun = {}
        _log_one_by_one(inbound_ids, exc)
    else:
        if not begun:
            return [None] * len(inbound_ids)
        if all(starts == 1 for starts in begun.values()):
            outbox = OutboxWriter(ctx.settings, ctx.secret)
            now = ctx.clock.now()
            try:
                async with transaction() as connection:
                    claimed = await _claim(connection, inbound_ids)
                    outcomes = [
                        await _apply(ctx, connection, outbox, claimed.get(inbound_id), now)
                        for inbound_id in inbound_ids
                    ]
            except Exception as exc:
                _log_one_by_one(inbound_ids, exc)
            else:
                return [
                    None if outcome is None else _applied(ctx, inbound_id, outcome)
                    for inbound_id, outcome in zip(inbound_ids, outcomes, strict=True)
                ]
        # Each on its own counts its own start. Should the database refuse even this, the
        # counts stay one higher, which only brings the last chance nearer.
        with contextlib.suppress(Exception):
            await _came_back(list(begun))
    # Those that began fewest times first: one that stops the worker holds up no other.
    statuses = {
        inbound_id: await process_inbound(ctx, inbound_id)
        for inbound_id in sorted(inbound_ids, key=lambda i: (begun.get(i, 0), i))
    }
    return [statuses[inbound_id] for inbound_id in inbound_ids]


def _log_one_by_one(inbound_ids: Sequence[int], exc: Exception) -> None:
    # The type only: the message of an error while applying might quote a reply.
    log.info(
        "inbound %s-%s: applied one by one (%s)",
        inbound_ids[0],
        inbound_ids[-1],
        type(exc).__name__,
    )


async def _begin(inbound_ids: Sequence[int]) -> dict[int, int]:
    """Count a start for each message still pending, committed before the work; returns how
    many times each began without coming back, this time included."""
    async with transaction() as connection:
        pending = InboundMessage.filter(id__in=inbound_ids, status=InboundStatus.PENDING).using_db(
            connection
        )
        await pending.update(attempts=F("attempts") + 1)
        rows = await pending.values_list("id", "attempts")
    return {int(inbound_id): int(starts) for inbound_id, starts in rows}


async def _came_back(inbound_ids: Sequence[int]) -> None:
    """Give back the starts `_begin` counted, once the attempt's end was seen."""
    await InboundMessage.filter(
        id__in=inbound_ids, status=InboundStatus.PENDING, attempts__gt=0
    ).update(attempts=F("attempts") - 1)


async def _claim(
    connection: BaseDBAsyncClient, inbound_ids: Sequence[int]
) -> dict[int, InboundMessage]:
    """Lock those of the messages still pending, in the caller's transaction. The claim and
    the effects commit together: whoever locks a pending row owns it (another worker waits
    for the lock, then finds it no longer pending)."""
    rows = await (
        InboundMessage.filter(id__in=inbound_ids, status=InboundStatus.PENDING)
        .order_by("id")
        .select_for_update()
        .using_db(connection)
    )
    return {row.id: row for row in rows}


async def _apply(
    ctx: AppContext,
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    row: InboundMessage | None,
    now: datetime,
) -> Outcome | None:
    """Read, apply and record one claimed message inside the caller's transaction; None when
    it was no longer pending."""
    if row is None:
        return None
    # In a thread: a hostile message may keep the reader busy for a good part of a second.
    parsed = await asyncio.to_thread(parse_message, bytes(row.raw_bytes))
    outcome = await decide(Inbound(ctx, connection, outbox, row, parsed, now))
    private: dict[str, Any] = {}
    if outcome.private or outcome.sealed:
        # Kept, as every message is, but readable only with the service's key.
        private = {
            "raw_bytes": seal_bytes(ctx.secret, bytes(row.raw_bytes), MAIL),
            "sealed": True,
        }
    await statements.update(
        connection,
        InboundMessage,
        row.id,
        {
            "status": outcome.status,
            "processed_at": now,
            "kind": parsed.kind,
            "reason": "private reply" if outcome.private else outcome.reason,
            "topic": None if outcome.about is None else outcome.about.topic,
            "topic_ref": None if outcome.about is None else outcome.about.ref,
            "from_addr": (parsed.from_addr or "")[:254] or None,
            "person_id": row.person_id,
            "pairing_id": row.pairing_id,
            **private,
        },
    )
    return outcome


def _applied(ctx: AppContext, inbound_id: int, outcome: Outcome) -> InboundStatus:
    """Counted and logged once committed."""
    ctx.count(f"inbound_{outcome.status.value}")
    reason = "private reply" if outcome.private else outcome.reason or "-"
    log.info("inbound %s: %s (%s)", inbound_id, outcome.status.value, reason)
    return outcome.status


async def _not_applied(
    ctx: AppContext, inbound_id: int, exc: Exception, *, begun: bool
) -> InboundStatus:
    """A message whose transaction failed: left pending when the database was busy or away,
    failed (raw bytes and a reason kept) when the fault was ours."""
    if transient(exc):
        # The database was busy or away: nothing was applied, the message stays pending
        # and the tick queues it again.
        log.warning(
            "inbound %s left pending: the database was busy or away (%s)",
            inbound_id,
            type(exc).__name__,
        )
        ctx.count("inbound_deferred")
        if begun:
            # This start came back; if the database refuses even that, the count stays.
            with contextlib.suppress(Exception):
                await _came_back([inbound_id])
        return InboundStatus.PENDING
    return await _fail(ctx, inbound_id, "internal error while applying; see the log", exc)


async def _fail(
    ctx: AppContext, inbound_id: int, reason: str, exc: Exception | None = None
) -> InboundStatus:
    """A fault of ours: the message keeps its raw bytes and the reason, the worker goes on."""
    row = await InboundMessage.get(id=inbound_id)
    secret, address = ctx.secret, ctx.settings.service_address
    delimiter = ctx.settings.delimiter
    if await private_on_record(bytes(row.raw_bytes), secret, address, delimiter=delimiter):
        # Not even an exception's message: it might quote the reply.
        # Nor where: a module's name would tell what kind of private matter it was.
        # The message is kept sealed; it can be replayed with the key to find the fault.
        if exc is not None:
            log.error("inbound %s failed (%s) in a private reply", inbound_id, type(exc).__name__)
        sealed = seal_bytes(ctx.secret, bytes(row.raw_bytes), MAIL)
        await InboundMessage.filter(id=inbound_id).update(raw_bytes=sealed, sealed=True)
    elif exc is not None:
        log.exception("inbound %s failed", inbound_id, exc_info=exc)
    await InboundMessage.filter(id=inbound_id).update(status=InboundStatus.FAILED, reason=reason)
    ctx.count("inbound_failed")
    return InboundStatus.FAILED
