"""Outbound: a program's mail waves through the outbox path, against aiosmtplib's raw speed.

The service's figure is four weeks of an agreed program's mail, tick by tick: the planning
pass finding what is due, rendering every email from the real templates (invitations with
their calendars, agenda requests with open action items, agendas, follow-ups, check-ins,
the coordinator's digest), storing it in the outbox, and the sender handing it to an SMTP
sink in another process. Setting the program up (the import and both agreements) is not
timed. The raw figure is aiosmtplib sending the very same bytes over as many connections as
the service opens (SMTP_CONNECTIONS) to the same sink, the best of RAW_RUNS runs.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosmtplib

from bench.common import RAW_RUNS, SERVICE, Timer, active_program, service, smtp_sink
from service.app import AppContext
from service.clock import ManualClock
from service.config import Settings
from service.jobs import loop
from service.jobs.functions import plan
from service.outbox.sender import send_due
from service.outbox.writer import wire_bytes
from service.storage.models import OutboundMessage, OutboundStatus

START = datetime(2026, 12, 28, 9, 0, tzinfo=UTC)
WEEKS = 4


async def _send_all(app: AppContext) -> int:
    sent = 0
    while batch := await send_due(app):
        sent += batch
    return sent


async def service_path(
    app_folder: Path, database_url: str | None, port: int, pairs: int
) -> tuple[int, float, list[tuple[bytes, list[str]]]]:
    """(emails sent, seconds, the sent messages) for four weeks of `pairs` agreed pairs."""
    clock = ManualClock(START)
    async with service(app_folder, database_url, port, clock) as app:
        await active_program(app, pairs, clock.now())
        clock.set(START + timedelta(days=1))  # every "not before" of the set-up has come
        await _send_all(app)
        first = await OutboundMessage.all().order_by("-id").first()
        after = first.id if first else 0
        timer = Timer()
        sent = 0
        for hours in range(12, WEEKS * 7 * 24, 12):  # a tick every twelve hours
            clock.set(START + timedelta(days=1, hours=hours))
            await plan(app)
            sent += await _send_all(app)
        seconds = timer.seconds
        rows = await OutboundMessage.filter(status=OutboundStatus.SENT, id__gt=after).order_by("id")
        messages = [(wire_bytes(row, app.secret), list(row.recipients)) for row in rows]
    return sent, seconds, messages


async def raw_path(port: int, messages: list[tuple[bytes, list[str]]], connections: int) -> float:
    """aiosmtplib alone: the same messages over as many connections, each taking the next."""
    clients = [aiosmtplib.SMTP(hostname="127.0.0.1", port=port) for _ in range(connections)]
    for client in clients:
        await client.connect()
    pending = iter(messages)
    timer = Timer()

    async def lane(client: aiosmtplib.SMTP) -> None:
        for raw, recipients in pending:
            await client.sendmail(SERVICE, recipients, raw)

    await asyncio.gather(*(lane(client) for client in clients))
    seconds = timer.seconds
    for client in clients:
        await client.quit()
    return seconds


def run(folder: Path, database_url: str | None, pairs: int) -> dict[str, float]:
    with smtp_sink(folder) as (port, _):
        sent, seconds, messages = loop.run(
            service_path(folder / "outbound", database_url, port, pairs)
        )
        connections = Settings().smtp_connections
        raw_seconds = min(loop.run(raw_path(port, messages, connections)) for _ in range(RAW_RUNS))
    service_rate = sent / seconds
    raw_rate = len(messages) / raw_seconds
    return {
        "outbound_emails": sent,
        "outbound_emails_per_s": round(service_rate, 1),
        "outbound_raw_per_s": round(raw_rate, 1),
        "outbound_ratio": round(service_rate / raw_rate, 3),
    }
