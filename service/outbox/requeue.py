"""Mail that failed for good, sent again when the operator asks (`mentormail outbox retry`):
after a long outage, or a fault of ours mended."""

from __future__ import annotations

from datetime import datetime

from service.outbox.deliverability import NOT_SENTS
from service.storage.models import OutboundMessage, OutboundStatus


async def requeue_failed(
    now: datetime, kind: str | None = None, since: datetime | None = None
) -> str:
    """Queue failed mail again (of one kind, or first queued since a time), and say what
    was done. Mail not sent because its address bounces, or its owner marked our mail as
    spam, stays failed: the address's owner writing again is what lifts that."""
    failed = OutboundMessage.filter(status=OutboundStatus.FAILED)
    if kind:
        failed = failed.filter(kind=kind)
    if since:
        failed = failed.filter(created_at__gte=since)
    rows = await failed.values_list("id", "last_error")
    again = [row_id for row_id, error in rows if error not in NOT_SENTS]
    stopped = len(rows) - len(again)
    count = await OutboundMessage.filter(id__in=again).update(
        status=OutboundStatus.PENDING,
        attempts=0,
        not_before=now,
        claimed_until=None,
        last_error=None,
    )
    said = f"{count} failed message{'s' if count != 1 else ''} queued again."
    if stopped:
        said += f" {stopped} to addresses whose mail stopped stay failed until their owners write."
    return said
