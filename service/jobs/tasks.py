"""The arq jobs: thin functions that take ids and plain values and call the service code."""

from __future__ import annotations

import logging
from typing import Any

from service.app import AppContext
from service.inbox import process_inbound, store_fetched
from service.models import InboundMessage, InboundStatus, OutboundMessage, OutboundStatus
from service.planning import (
    plan_meetings,
    plan_prompts,
    plan_reevaluations,
    plan_task_reminders,
)
from service.sender import send_due

log = logging.getLogger(__name__)


def app_of(ctx: dict[str, Any]) -> AppContext:
    app = ctx["app"]
    assert isinstance(app, AppContext)
    return app


async def poll_inbox(ctx: dict[str, Any]) -> int:
    """Store new mail and hand each new message to its own processing job."""
    new_ids = await store_fetched(app_of(ctx))
    for inbound_id in new_ids:
        await ctx["redis"].enqueue_job(
            "process_inbound_job", inbound_id, _job_id=f"process:inbound:{inbound_id}"
        )
    return len(new_ids)


async def process_inbound_job(ctx: dict[str, Any], inbound_id: int) -> str | None:
    status = await process_inbound(app_of(ctx), inbound_id)
    if status is not None:
        await ctx["redis"].enqueue_job("send_outbox", _job_id=f"send:outbox:after:{inbound_id}")
    return status.value if status else None


async def send_outbox(ctx: dict[str, Any]) -> int:
    app = app_of(ctx)
    total = 0
    while True:
        sent = await send_due(app)
        total += sent
        if sent < app.settings.send_batch:
            return total


async def tick(ctx: dict[str, Any]) -> dict[str, int]:
    """The periodic work: plan meetings, re-queue stored mail whose job was lost, send."""
    app = app_of(ctx)
    pending = await InboundMessage.filter(status=InboundStatus.PENDING).values_list("id", flat=True)
    for inbound_id in pending:
        await ctx["redis"].enqueue_job(
            "process_inbound_job", inbound_id, _job_id=f"process:inbound:{inbound_id}"
        )
    issued = await plan_meetings(app)
    prompts = await plan_prompts(app)
    prompts += await plan_task_reminders(app)
    prompts += await plan_reevaluations(app)
    due = await OutboundMessage.filter(
        status=OutboundStatus.PENDING, not_before__lte=app.clock.now()
    ).count()
    if due:
        await ctx["redis"].enqueue_job("send_outbox")
    return {
        "requeued_inbound": len(pending),
        "meetings_issued": issued,
        "prompts_queued": prompts,
        "due_outbound": due,
    }
