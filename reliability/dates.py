"""Days and times no calendar or clock has, through the inbound path on the embedded
defaults (SQLite, mail in folders): `reschedule:`, `performance conversation:` and a task's
deadline, written by people in zones from UTC-11 to UTC+14.

The dates: the first and the last day there is, in every zone around them; hours and
minutes past the clock's; weekdays that are not the date's; and more made from the same
pieces, the same every run. A crash is a message whose processing raised or that was failed:
the writer then hears nothing.
"""

from __future__ import annotations

import asyncio
import mailbox
import random
import tempfile
from datetime import timedelta
from pathlib import Path

from bench.common import active_program, service
from reliability.common import START, process_all, reply
from service.app import AppContext
from service.clock import ManualClock
from service.outbox.sender import send_due
from service.outbox.writer import wire_bytes
from service.storage.models import (
    InboundMessage,
    InboundStatus,
    OutboundMessage,
    Pairing,
    PerformanceConversation,
    PerformanceState,
    Person,
)

PAIRS = 2
GENERATED = 24
# Far behind and far ahead of UTC, where the first and the last day spill over.
ZONES = ("Pacific/Pago_Pago", "America/New_York", "UTC", "Asia/Tokyo", "Pacific/Kiritimati")
WRITTEN = (
    "Dec 31 9999 11pm",
    "Jan 1 0001 12:30am",
    "December 31, 9999 23:59",
    "0001-01-01 00:00",
    "tomorrow at 25",
    "3:75pm",
    "13pm tomorrow",
    "Tuesday Dec 9",
    "in 99999 years",
    "9999",
    "Feb 30 3pm",
    "\u202eDec 9 3pm",
)
_DAYS = ("", "Mon ", "Tuesday ", "tomorrow ", "next Friday ", "Jan 1 ", "Dec 31 ", "Feb 29 ")
_YEARS = ("", "0001 ", "1 ", "0 ", "9999 ", "10000 ", "2026 ", "2028 ", "1970 ")
_TIMES = ("", "11pm", "12:30am", "24:00", "25", "at 25", "23:60", "0am", "noon", "3:75pm")


def generated(count: int) -> list[str]:
    """Days and times made from the pieces above."""
    pick = random.Random(24)
    return [
        f"{pick.choice(_DAYS)}{pick.choice(_YEARS)}{pick.choice(_TIMES)}".strip()
        for _ in range(count)
    ]


async def _invitations(app: AppContext) -> list[tuple[str, bytes]]:
    """(writer, the invitation they answer) for every participant: mentor, mentee, mentor…"""
    answered = []
    for pairing in await Pairing.all().order_by("id"):
        for person in (await pairing.mentor, await pairing.mentee):
            rows = await OutboundMessage.filter(kind="invitation").order_by("-id")
            row = next(r for r in rows if person.email in r.recipients)
            answered.append((person.email, wire_bytes(row, app.secret)))
    return answered


async def _scenario(folder: Path, count: int) -> dict[str, float]:
    clock = ManualClock(START)
    async with service(folder, None, None, clock) as app:
        await active_program(app, PAIRS, clock.now())
        clock.set(START + timedelta(days=1))
        while await send_due(app):
            pass
        writers = await _invitations(app)
        inbox = mailbox.Maildir(app.settings.inbox_dir, create=True)
        raised = sent = 0
        for n, when in enumerate((*WRITTEN, *generated(count))):
            participant = writers[n % len(writers)]
            mentor = writers[2 * (n % PAIRS)]
            # One reschedule a message: each command in a message of its own.
            for (email, invitation), body in (
                (participant, f"reschedule: {when}"),
                (mentor, f"performance conversation: {when}"),
                (participant, f"task: send the draft by {when}"),
            ):
                await Person.filter(email=email).update(timezone=ZONES[n % len(ZONES)])
                inbox.add(reply(invitation, email, body))
                sent += 1
            try:
                await process_all(app)
            except Exception:
                raised += 1
            # A conversation a sane date set up would stop the next from being read.
            await PerformanceConversation.all().update(state=PerformanceState.CLOSED)
        failed = await InboundMessage.filter(status=InboundStatus.FAILED).count()
        return {"date_messages": sent, "date_crashes": raised + failed}


def run(count: int = GENERATED) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        return asyncio.run(_scenario(Path(folder), count))
