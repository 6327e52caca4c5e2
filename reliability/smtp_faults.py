"""The outbox against an SMTP server that fails on a schedule (`reliability.faulty_smtp`).

Every email of a program's start (agreements, invitations, exercises) is sent until
nothing is pending, the clock moving on past each retry delay. The server's log says
which Message-IDs it holds; the outbox says what the service believes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import Timer, active_program, recording_server, service
from reliability.faulty_smtp import REFUSED_DOMAIN
from service.clock import ManualClock
from service.mail.transports.smtp import SmtpOutgoing
from service.outbox.sender import send_due
from service.storage.models import OutboundMessage, OutboundStatus

START = datetime(2026, 12, 28, 9, 0, tzinfo=UTC)
ROUNDS = 400  # clock steps of 30 minutes: longer than every retry delay together
CONNECT_TIMEOUT = 1.0  # seconds; a server that never greets costs a lane this long


def faulty_server(folder: Path) -> contextlib.AbstractContextManager[tuple[int, Path]]:
    """The faulty SMTP server; yields (port, its log of what it did)."""
    return recording_server("reliability.faulty_smtp", folder, "faulty")


@dataclass(frozen=True)
class Outcome:
    expected: list[str]  # Message-IDs the server should hold
    retried_5xx: int  # refused messages tried again, or not recorded as failed
    seconds: float


async def _scenario(folder: Path, port: int, pairs: int) -> Outcome:
    clock = ManualClock(START)
    async with service(folder, None, port, clock) as app:
        await app.outgoing.close()
        app.outgoing = SmtpOutgoing(
            f"smtp://127.0.0.1:{port}", connections=4, connect_timeout=CONNECT_TIMEOUT
        )
        await active_program(app, pairs, clock.now(), refused_every=25)
        timer = Timer()
        for _ in range(ROUNDS):
            while await send_due(app):
                pass
            if not await OutboundMessage.filter(status=OutboundStatus.PENDING).exists():
                break
            clock.advance(timedelta(minutes=30))
        seconds = timer.seconds
        rows = await OutboundMessage.all().values("message_id", "recipients", "status", "attempts")
        await app.outgoing.close()
    refused = [r for r in rows if r["recipients"][0].endswith("@" + REFUSED_DOMAIN)]
    expected = [r for r in rows if not r["recipients"][0].endswith("@" + REFUSED_DOMAIN)]
    return Outcome(
        [f"<{r['message_id']}>" for r in expected],
        sum(1 for r in refused if r["attempts"] > 1 or r["status"] != OutboundStatus.FAILED),
        seconds,
    )


def run(folder: Path, pairs: int) -> dict[str, float]:
    with faulty_server(folder) as (port, log):
        outcome = asyncio.run(_scenario(folder / "smtp", port, pairs))
    lines = log.read_text().splitlines()
    held = Counter(line.split()[1] for line in lines if line.startswith(("kept ", "dropped ")))
    expected = outcome.expected
    return {
        "smtp_emails": len(expected),
        "smtp_lost": sum(1 for message_id in expected if message_id not in held),
        "smtp_duplicates": sum(count - 1 for count in held.values()),
        "smtp_dropped_acks": sum(1 for line in lines if line.startswith("dropped ")),
        "smtp_451": sum(1 for line in lines if line == "451"),
        "smtp_hung_connects": sum(1 for line in lines if line == "hung"),
        "smtp_5xx_retried": outcome.retried_5xx,
        "smtp_seconds": round(outcome.seconds, 1),
    }
