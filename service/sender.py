"""Sending the outbox: claim due rows, transmit over one connection, record what happened."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import cast

from tortoise.expressions import Q

from service.app import AppContext
from service.mail.transport import SendError
from service.models import OutboundMessage, OutboundStatus

log = logging.getLogger(__name__)

# Retry policy as data: seconds to wait after the 1st, 2nd… transient failure; then it is final.
SMTP_RETRY_DELAYS = (60, 300, 1800, 7200, 21600)
# A claimed row whose worker died is taken again after this long.
CLAIM_TTL = timedelta(minutes=10)


async def claim_batch(ctx: AppContext, limit: int) -> list[OutboundMessage]:
    """Claim due rows one conditional UPDATE each, so two workers never take the same row."""
    now = ctx.clock.now()
    candidates = await (
        OutboundMessage.filter(status=OutboundStatus.PENDING, not_before__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("not_before", "id")
        .limit(limit)
        .values_list("id", flat=True)
    )
    claimed_ids: list[int] = []
    for row_id in cast(list[int], candidates):
        taken = await OutboundMessage.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            id=row_id,
            status=OutboundStatus.PENDING,
        ).update(claimed_until=now + CLAIM_TTL)
        if taken:
            claimed_ids.append(row_id)
    if not claimed_ids:
        return []
    return await OutboundMessage.filter(id__in=claimed_ids).order_by("not_before", "id")


async def send_due(ctx: AppContext, limit: int | None = None) -> int:
    """Send what is due now; returns how many were sent."""
    sent = 0
    batch = await claim_batch(ctx, limit or ctx.settings.send_batch)
    for row in batch:
        now = ctx.clock.now()
        try:
            await ctx.outgoing.send(bytes(row.raw_bytes), row.mail_from, list(row.recipients))
        except SendError as exc:
            row.attempts += 1
            row.claimed_until = None
            row.last_error = f"{exc.code or '-'}: {str(exc)[:500]}"
            if exc.permanent or row.attempts > len(SMTP_RETRY_DELAYS):
                row.status = OutboundStatus.FAILED
                log.warning("outbound %s (%s) failed for good: %s", row.id, row.kind, exc.code)
                ctx.count("outbound_failed")
            else:
                row.not_before = now + timedelta(seconds=SMTP_RETRY_DELAYS[row.attempts - 1])
                log.info("outbound %s (%s) will be retried: %s", row.id, row.kind, exc.code)
                ctx.count("outbound_retried")
            await row.save()
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
        await row.save()
        sent += 1
        ctx.count(f"sent_{row.kind}")
    return sent
