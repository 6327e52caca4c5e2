"""The arq jobs: thin functions that take ids and plain values and call the service code."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

from service.action_items.reminders import plan_task_reminders
from service.app import AppContext
from service.coordinators.digest import asked_digests, digests_due
from service.coordinators.mail_waited import tell_pauses_ended
from service.inbox.processing import PROCESS_BATCH, process_inbound_batch
from service.inbox.store import store_fetched
from service.meetings.planning import plan_meetings
from service.meetings.prompts import plan_prompts
from service.meetings.reevaluation import plan_reevaluations
from service.outbox.sender import send_due
from service.outbox.writer import OutboxWriter
from service.performance.conversations import checkback_due, summaries_due
from service.phase_out.closing import close_due, ends_due
from service.storage.models import InboundMessage, InboundStatus, OutboundMessage, OutboundStatus

log = logging.getLogger(__name__)


def app_of(ctx: dict[str, Any]) -> AppContext:
    app = ctx["app"]
    assert isinstance(app, AppContext)
    return app


# Stored messages are applied PROCESS_BATCH to a job (and a transaction): one job per
# message would cost more in queue round trips than the work itself, and batches still
# spread over several workers.
REQUEUE_AFTER = timedelta(minutes=5)


async def enqueue_processing(ctx: dict[str, Any], inbound_ids: Sequence[int]) -> None:
    for start in range(0, len(inbound_ids), PROCESS_BATCH):
        batch = list(inbound_ids[start : start + PROCESS_BATCH])
        # The job id names the batch, so a re-queue of the same pending rows is one job.
        await ctx["redis"].enqueue_job(
            "process_inbound_job", batch, _job_id=f"process:inbound:{batch[0]}-{batch[-1]}"
        )


async def poll_inbox(ctx: dict[str, Any]) -> int:
    """Store new mail and hand it to processing jobs."""
    new_ids = await store_fetched(app_of(ctx))
    await enqueue_processing(ctx, new_ids)
    return len(new_ids)


async def process_inbound_job(ctx: dict[str, Any], inbound_ids: list[int]) -> dict[str, int]:
    """Apply the stored messages, then send the answers at once."""
    app = app_of(ctx)
    counts: dict[str, int] = {}
    for status in await process_inbound_batch(app, inbound_ids):
        key = status.value if status else "already_done"
        counts[key] = counts.get(key, 0) + 1
    batch = f"{inbound_ids[0]}-{inbound_ids[-1]}" if inbound_ids else "none"
    if counts.get("already_done", 0) < len(inbound_ids):
        await ctx["redis"].enqueue_job("send_outbox", _job_id=f"send:outbox:after:{batch}")
    # A coordinator's "digest now", made once the reply asking for it is committed, and
    # after the answers are on their way: a large program's digest takes seconds.
    if await asked_digests(OutboxWriter(app.settings, app.secret), app.clock.now()):
        await ctx["redis"].enqueue_job("send_outbox", _job_id=f"send:outbox:digests:{batch}")
    return counts


async def send_outbox(ctx: dict[str, Any]) -> int:
    app = app_of(ctx)
    total = 0
    while True:
        sent = await send_due(app)
        total += sent
        # Mail goes again after waiting: the coordinators' word of it goes in this loop too.
        told = await tell_pauses_ended(app) if app.pauses_ended else 0
        if sent < app.settings.send_batch and not told:
            return total


async def tick(ctx: dict[str, Any]) -> dict[str, int]:
    """The periodic work: plan meetings, re-queue stored mail whose job was lost, send."""
    app = app_of(ctx)
    # Mail stored a while ago and still pending lost its job (a worker died): queue it again.
    stale = app.clock.now() - REQUEUE_AFTER
    pending = await (
        InboundMessage.filter(status=InboundStatus.PENDING, received_at__lt=stale)
        .order_by("id")
        .values_list("id", flat=True)
    )
    await enqueue_processing(ctx, cast(list[int], pending))
    done = await plan(app)
    if done["due_outbound"]:
        await ctx["redis"].enqueue_job("send_outbox")
    return {"requeued_inbound": len(pending), **done}


async def plan(app: AppContext) -> dict[str, int]:
    """One planning pass over what is due now: projected ends, meetings, prompts, reminders,
    re-evaluations, check-backs, closings and digests. Its cost follows what is due, not the
    program's size (digests aside: a digest reads its whole program, a thousand pairings at
    a time, once a period)."""
    outbox = OutboxWriter(app.settings, app.secret)
    # Before planning: a pairing whose length is over gets its last meeting, not the next.
    ended = await ends_due(outbox, app.clock.now())
    issued = await plan_meetings(app)
    prompts = await plan_prompts(app)
    prompts += await plan_task_reminders(app)
    prompts += await plan_reevaluations(app)
    # Counted with the other prompts: a job's result names no performance conversation.
    prompts += await summaries_due(outbox, app.clock.now())
    prompts += await checkback_due(outbox, app.clock.now())
    closed = await close_due(outbox, app.clock.now())
    digests = await digests_due(outbox, app.clock.now())
    # "digest now" asked by a reply whose job ended before making it.
    digests += await asked_digests(outbox, app.clock.now())
    due = await OutboundMessage.filter(
        status=OutboundStatus.PENDING, not_before__lte=app.clock.now()
    ).count()
    return {
        "meetings_issued": issued,
        "prompts_queued": prompts,
        "pairings_phasing_out": ended,
        "pairings_closed": closed,
        "digests_queued": digests,
        "due_outbound": due,
    }
