"""Sending the outbox: claim due rows, hand them over on a few connections, record the result."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tortoise import connections

from service.app import AppContext
from service.mail.kinds import log_kind
from service.mail.reading.bounces import Bounce, BouncedRecipient
from service.mail.transports.base import SendError
from service.outbox.deliverability import NOT_SENT, apply_bounce
from service.outbox.retry_rules import retry_after
from service.storage import statements
from service.storage.db import transaction, transient
from service.storage.models import OutboundMessage, OutboundStatus, Person
from service.storage.sealing import open_mail

log = logging.getLogger(__name__)

# How a row's last error begins when it waits for the operator, not for the server.
SETTINGS_PROBLEM = "waits for the settings: "
# … and when it waits for a mail server to answer at all: a relay down loses nothing, and
# the days it is down do not count against a message's days of retries.
SERVER_AWAY = "waits for the mail server: "
# A claimed row whose worker died is taken again after this long.
CLAIM_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class Claimed:
    """What sending a row needs, read without the rest of it (its times, its keys)."""

    id: int
    kind: str
    mail_from: str
    recipients: list[str]
    raw: bytes
    sealed: bool
    attempts: int


async def claim_batch(ctx: AppContext, limit: int) -> list[Claimed]:
    """Claim due rows with one conditional UPDATE, so two workers never take the same row."""
    now = ctx.clock.now()
    rows = await statements.claim_outbound(
        connections.get("default"), now, now + CLAIM_TTL, uuid.uuid4().hex, limit
    )
    return [Claimed(*row) for row in rows]


async def _stopped_addresses(batch: list[Claimed]) -> set[str]:
    """The batch's recipients whose mail has stopped, by bounces or a spam complaint (one
    query per batch)."""
    addresses = {address for row in batch for address in row.recipients}
    if not addresses:
        return set()
    stopped = await Person.filter(
        email__in=list(addresses), mail_disabled_at__isnull=False
    ).values_list("email", flat=True)
    return {str(address) for address in stopped}


# Sent rows are marked in one UPDATE per this many: a worker killed in between sends those
# again (with the same Message-ID), never more. Ten keeps that to a few people's second copy
# and costs a twentieth of a millisecond an email.
ACK_EVERY = 10
# Marking rows sent is tried again while the database is busy or away (seconds between
# tries, about a minute in all): given up, those rows would go out again once their claim
# ran out.
ACK_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)


class _Acknowledgements:
    """Rows handed over, marked sent together."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.rows: list[Claimed] = []

    async def add(self, row: Claimed) -> None:
        self.rows.append(row)
        if len(self.rows) >= ACK_EVERY:
            await self.flush()

    async def flush(self) -> None:
        rows, self.rows = self.rows, []
        if not rows:
            return
        ids = [row.id for row in rows]
        for delay in (*ACK_RETRY_DELAYS, None):
            try:
                await statements.mark_sent(connections.get("default"), ids, self.ctx.clock.now())
                return
            except Exception as exc:
                if delay is None or not transient(exc):
                    raise
                log.warning(
                    "outbound %s: marking them sent waits %.1f s, the database is busy or "
                    "away (%s)",
                    ",".join(map(str, ids)),
                    delay,
                    type(exc).__name__,
                )
                await asyncio.sleep(delay)


async def send_due(ctx: AppContext, limit: int | None = None) -> int:
    """Send what is due now over the configured connections; returns how many were sent."""
    batch = await claim_batch(ctx, limit or ctx.settings.send_batch)
    if not batch:
        return 0
    stopped = await _stopped_addresses(batch)
    acknowledged = _Acknowledgements(ctx)
    rows = iter(batch)
    finished: set[int] = set()
    halted = False
    sent = 0

    async def lane() -> None:
        nonlocal halted, sent
        for row in rows:  # the lanes share the iterator: each row is taken by one of them
            if halted:
                return
            finished.add(row.id)
            if stopped and all(address in stopped for address in row.recipients):
                await OutboundMessage.filter(id=row.id).update(
                    status=OutboundStatus.FAILED, claimed_until=None, last_error=NOT_SENT
                )
                ctx.count("outbound_not_sent")
                continue
            try:
                raw = open_mail(ctx.secret, row.raw, row.sealed)
                refused = await ctx.outgoing.send(raw, row.mail_from, row.recipients)
            except SendError as exc:
                if exc.configuration or exc.unreached:
                    await _paused(ctx, row, exc)
                    halted = True
                    continue
                await _failed(ctx, row, exc)
                await _refused_at_once(ctx, exc.refused)
                if not exc.permanent:
                    # The server or the connection is likely gone: the rest waits a run.
                    halted = True
                continue
            await _refused_at_once(ctx, refused)
            sent += 1
            if ended := ctx.resume_sending():
                log.warning(
                    "sending again: the mail server takes mail (it waited %s)",
                    ended.until - ended.since,
                )
            ctx.count(f"sent_{log_kind(row.kind)}")
            await acknowledged.add(row)

    lanes = min(ctx.outgoing.connections, len(batch))
    try:
        await asyncio.gather(*(lane() for _ in range(lanes)))
    finally:
        await acknowledged.flush()
        untouched = [row.id for row in batch if row.id not in finished]
        if untouched:
            await OutboundMessage.filter(id__in=untouched).update(claimed_until=None)
    if len(batch) < (limit or ctx.settings.send_batch) or halted:
        # Nothing more is due: say goodbye, rather than leave the connections open for the
        # server to time out (and log) while nothing is sent.
        await ctx.outgoing.close()
    return sent


async def _failed(ctx: AppContext, row: Claimed, exc: SendError) -> None:
    """Record a refused or failed hand-over: retried later, or failed for good."""
    attempts = row.attempts + 1
    change: dict[str, Any] = {
        "attempts": attempts,
        "claimed_until": None,
        "last_error": f"{exc.code or '-'}: {str(exc)[:500]}",
    }
    delay = None if exc.permanent else retry_after(attempts, ctx.settings.retry_window)
    if delay is None:
        change["status"] = OutboundStatus.FAILED
        log.warning("outbound %s (%s) failed for good: %s", row.id, log_kind(row.kind), exc.code)
        ctx.count("outbound_failed")
    else:
        change["not_before"] = ctx.clock.now() + delay
        log.info("outbound %s (%s) will be retried: %s", row.id, log_kind(row.kind), exc.code)
        ctx.count("outbound_retried")
    await OutboundMessage.filter(id=row.id).update(**change)


async def _paused(ctx: AppContext, row: Claimed, exc: SendError) -> None:
    """A message the mail server would not take for a reason of our settings, or that no
    mail server answered for: it waits, its tries uncounted, with the reason for
    `mentormail status`, and the operator is told once."""
    problem = str(exc)[:300]  # the server's code leads it, where there is one
    if ctx.pause_sending(problem, exc.configuration):
        if exc.configuration:
            log.error("sending waits until the mail server's settings are mended: %s", problem)
        else:
            log.error("sending waits until the mail server answers: %s", problem)
    ctx.count("outbound_paused")
    prefix = SETTINGS_PROBLEM if exc.configuration else SERVER_AWAY
    await OutboundMessage.filter(id=row.id).update(claimed_until=None, last_error=prefix + problem)


async def _refused_at_once(ctx: AppContext, refused: dict[str, str]) -> None:
    """Recipients the server refused for good when we named them (`550 5.1.1 no such
    user`) bounced as surely as those whose bounce comes back later: scored the same way."""
    bounced = tuple(
        BouncedRecipient(address.lower(), permanent=True, status=None)
        for address, answer in refused.items()
        if answer.startswith("5")
    )
    if not bounced:
        return
    async with transaction() as connection:
        disabled = await apply_bounce(
            connection, Bounce(bounced), ctx.clock.now(), ctx.settings.bounce_threshold
        )
    ctx.count("outbound_refused_recipients", len(bounced))
    if disabled:
        ctx.count("mail_stopped", len(disabled))
