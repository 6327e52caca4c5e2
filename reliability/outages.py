"""The outbox through long outages: a relay down for six days, a login refused for an hour.

A program's start (agreements, invitations, exercises) is queued while nothing listens at
the SMTP port; the clock moves on in half hours for six days, the worker trying each time;
then the server comes up at that port and everything is sent. Then another program's start
meets a server that answers every login `535` for an hour before it takes them again.
Nothing may be failed, every email must arrive exactly once, and the program's coordinator
hears once that mail waited. The sending is the worker's own job, `send_outbox`.
"""

from __future__ import annotations

import asyncio
import warnings
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, Session

from bench.common import active_program, free_port, service
from reliability.common import START
from service.app import AppContext
from service.clock import ManualClock
from service.jobs.functions import send_outbox
from service.mail import kinds
from service.mail.transports.smtp import SmtpOutgoing
from service.storage.models import OutboundMessage, OutboundStatus
from tests.mail import parse
from tests.servers import SmtpHandler

DOWN = timedelta(days=6)
REFUSING = timedelta(hours=1)
STEP_DOWN = timedelta(hours=2)  # the worker's tries while the relay is down (72)
STEP_REFUSING = timedelta(minutes=5)


class Logins:
    """Every login refused (`535`) while `refusing`, then every one taken."""

    def __init__(self) -> None:
        self.refusing = True
        self.refused = 0

    def __call__(
        self, server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if self.refusing:
            self.refused += 1
        return AuthResult(success=not self.refusing, handled=False)


def _server(port: int, logins: Logins | None = None) -> tuple[Controller, SmtpHandler]:
    # Logins in plain text are fine on loopback; the library's warning says so at length.
    warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
    handler = SmtpHandler(None, "example.org")
    options: dict[str, Any] = {}
    if logins is not None:
        options.update(authenticator=logins, auth_required=True, auth_require_tls=False)
    return Controller(handler, hostname="127.0.0.1", port=port, **options), handler


async def _send_while(
    app: AppContext, clock: ManualClock, span: timedelta, step: timedelta
) -> None:
    """The worker's ticks over `span` of the clock, one every `step`."""
    until = clock.now() + span
    while clock.now() < until:
        await send_outbox({"app": app})
        clock.advance(step)


async def _drain(app: AppContext, clock: ManualClock) -> None:
    """Everything sent, the clock moved on to mail due later (invitations, exercises)."""
    while True:
        await send_outbox({"app": app})
        waiting = OutboundMessage.filter(status=OutboundStatus.PENDING).order_by("not_before")
        first = await waiting.first()
        if first is None:
            break
        clock.set(max(clock.now(), first.not_before))
    await app.outgoing.close()


async def _judged(handler: SmtpHandler, prefix: str) -> dict[str, float]:
    rows = await OutboundMessage.all().values("message_id", "status", "attempts", "kind")
    held = Counter(str(parse(m.raw)["Message-ID"]).strip("<>") for m in handler.messages)
    return {
        f"{prefix}_emails": len(rows),
        f"{prefix}_failed": sum(1 for r in rows if r["status"] == OutboundStatus.FAILED),
        f"{prefix}_lost": sum(1 for r in rows if r["message_id"] not in held),
        f"{prefix}_duplicates": sum(count - 1 for count in held.values()),
        f"{prefix}_coordinators_told": sum(1 for r in rows if r["kind"] == kinds.MAIL_WAITED.name),
    }


async def _relay_down(folder: Path, pairs: int) -> dict[str, float]:
    clock = ManualClock(START)
    port = free_port()
    async with service(folder, None, port, clock) as app:
        await active_program(app, pairs, clock.now())
        await _send_while(app, clock, DOWN, STEP_DOWN)
        counted = await OutboundMessage.filter(attempts__gt=0).count()
        controller, handler = _server(port)
        controller.start()
        try:
            await _drain(app, clock)
        finally:
            controller.stop()
        figures = await _judged(handler, "relay_down")
    return {"relay_down_days": DOWN.days, **figures, "relay_down_tries_counted": counted}


async def _login_refused(folder: Path, pairs: int) -> dict[str, float]:
    clock = ManualClock(START)
    port = free_port()
    logins = Logins()
    controller, handler = _server(port, logins)
    controller.start()
    try:
        async with service(folder, None, port, clock) as app:
            await app.outgoing.close()
            app.outgoing = SmtpOutgoing(f"smtp://service:secret@127.0.0.1:{port}")
            await active_program(app, pairs, clock.now())
            await _send_while(app, clock, REFUSING, STEP_REFUSING)
            counted = await OutboundMessage.filter(attempts__gt=0).count()
            logins.refusing = False
            await _drain(app, clock)
            figures = await _judged(handler, "login_refused")
    finally:
        controller.stop()
    return {
        "login_refused_minutes": REFUSING.total_seconds() / 60,
        "login_refused_logins": logins.refused,
        **figures,
        "login_refused_tries_counted": counted,
    }


def run(root: Path, pairs: int) -> dict[str, float]:
    figures = asyncio.run(_relay_down(root / "relay-down", pairs))
    figures.update(asyncio.run(_login_refused(root / "login-refused", pairs)))
    return figures
