"""Sending the outbox: claim due rows, transmit over one connection, record what happened."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from tortoise.expressions import Q

from service.app import AppContext
from service.deliverability import NOT_SENT
from service.mail.kinds import log_kind
from service.mail.transport import SendError
from service.models import OutboundMessage, OutboundStatus, Person
from service.outbox import wire_bytes

log = logging.getLogger(__name__)

# Retry policy as data: seconds to wait after the 1st, 2nd… transient failure; then it is final.
SMTP_RETRY_DELAYS = (60, 300, 1800, 7200, 21600)
# A claimed row whose worker died is taken again after this long.
CLAIM_TTL = timedelta(minutes=10)
# What an attempt changes: never the stored message itself.
_AFTER_ATTEMPT = ("status", "attempts", "not_before", "claimed_until", "last_error", "sent_at")


async def claim_batch(ctx: AppContext, limit: int) -> list[OutboundMessage]:
    """Claim due rows with one conditional UPDATE, so two workers never take the same row."""
    now = ctx.clock.now()
    candidates = await (
        OutboundMessage.filter(status=OutboundStatus.PENDING, not_before__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("not_before", "id")
        .limit(limit)
        .values_list("id", flat=True)
    )
    if not candidates:
        return []
    token = uuid.uuid4().hex
    # The conditions are checked again under the row lock: a row another worker took in the
    # meantime is left out, and the token tells which rows this worker holds.
    await OutboundMessage.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        id__in=list(candidates),
        status=OutboundStatus.PENDING,
    ).update(claimed_until=now + CLAIM_TTL, claim_token=token)
    return await OutboundMessage.filter(claim_token=token, id__in=list(candidates)).order_by(
        "not_before", "id"
    )


async def _stopped_addresses(batch: list[OutboundMessage]) -> set[str]:
    """The batch's recipients whose mail was stopped by bounces (one query per batch)."""
    addresses = {address for row in batch for address in row.recipients}
    if not addresses:
        return set()
    stopped = await Person.filter(
        email__in=list(addresses), mail_disabled_at__isnull=False
    ).values_list("email", flat=True)
    return {str(address) for address in stopped}


async def send_due(ctx: AppContext, limit: int | None = None) -> int:
    """Send what is due now; returns how many were sent."""
    sent = 0
    batch = await claim_batch(ctx, limit or ctx.settings.send_batch)
    stopped = await _stopped_addresses(batch)
    for row in batch:
        now = ctx.clock.now()
        if stopped and all(address in stopped for address in row.recipients):
            row.status = OutboundStatus.FAILED
            row.claimed_until = None
            row.last_error = NOT_SENT
            await row.save(update_fields=_AFTER_ATTEMPT)
            ctx.count("outbound_not_sent")
            continue
        try:
            await ctx.outgoing.send(
                wire_bytes(row, ctx.secret), row.mail_from, list(row.recipients)
            )
        except SendError as exc:
            row.attempts += 1
            row.claimed_until = None
            row.last_error = f"{exc.code or '-'}: {str(exc)[:500]}"
            if exc.permanent or row.attempts > len(SMTP_RETRY_DELAYS):
                row.status = OutboundStatus.FAILED
                log.warning(
                    "outbound %s (%s) failed for good: %s", row.id, log_kind(row.kind), exc.code
                )
                ctx.count("outbound_failed")
            else:
                row.not_before = now + timedelta(seconds=SMTP_RETRY_DELAYS[row.attempts - 1])
                log.info(
                    "outbound %s (%s) will be retried: %s", row.id, log_kind(row.kind), exc.code
                )
                ctx.count("outbound_retried")
            await row.save(update_fields=_AFTER_ATTEMPT)
            if not exc.permanent:
                # The connection is likely gone; the rest of the batch waits for the next run.
                await OutboundMessage.filter(
                    id__in=[
                        r.id
                        for r in batch
                        if r.status == OutboundStatus.PENDING
                        and r.id != row.id
                        and r.claimed_until is not None
                    ]
                ).update(claimed_until=None)
                break
            continue
        row.status = OutboundStatus.SENT
        row.sent_at = now
        row.attempts += 1
        row.claimed_until = None
        await row.save(update_fields=_AFTER_ATTEMPT)
        sent += 1
        ctx.count(f"sent_{log_kind(row.kind)}")
    return sent
