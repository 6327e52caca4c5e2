"""Inbound: replies fetched from Dovecot, classified, parsed, applied and committed, against
imap-tools batch-fetching the same messages from the same server in the same run.

The replies are what people send: each participant answers their invitation from a mail
client (quoted original, a signature) with an action item and an agenda topic.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from pathlib import Path

from imap_tools import MailBoxUnencrypted, MailMessageFlags

from bench.common import RAW_RUNS, Timer, active_program, service
from service.clock import ManualClock
from service.inbox.processing import process_inbound_batch
from service.inbox.store import store_fetched
from service.jobs import loop
from service.outbox.writer import wire_bytes
from service.storage.models import InboundMessage, InboundStatus, OutboundMessage
from tests.mail import parse
from tests.servers import PASSWORD, USER, Dovecot, private_dovecot

START = datetime(2026, 12, 28, 9, 0, tzinfo=UTC)


# What people write after "by": the date reader's answers are kept per day and wording, so the
# figure would flatter it if every reply said the same.
DEADLINES = (
    "Friday",
    "next week",
    "Monday",
    "the end of the month",
    "Jan 8",
    "tomorrow",
    "1/15",
    "next Tuesday",
    "January 12, 2027",
    "Wednesday",
    "in two weeks",
    "2027-01-20",
)


def _reply(original: bytes, sender: str, n: int) -> bytes:
    message = parse(original)
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = getaddresses([str(message["Reply-To"])])[0][1]
    reply["Subject"] = "Re: " + str(message["Subject"])
    reply["Date"] = format_datetime(START)
    reply["Message-ID"] = f"<bench-{n}@{sender.partition('@')[2]}>"
    reply["In-Reply-To"] = str(message["Message-ID"])
    body = message.get_body(preferencelist=("plain",))
    quoted = "\n".join("> " + line for line in str(body.get_content() if body else "").splitlines())
    reply.set_content(
        f"task: send the draft aims by {DEADLINES[n % len(DEADLINES)]}\n"
        "agenda: fellowship options\n\n"
        f"Thanks!\n--\n{sender}\n\nOn Mon, 28 Dec 2026 at 09:00, mentormail wrote:\n{quoted}"
    )
    return reply.as_bytes()


async def _service(folder: Path, dovecot: Dovecot, pairs: int) -> tuple[int, float]:
    clock = ManualClock(START)
    async with service(folder, None, None, clock) as app:
        await active_program(app, pairs, clock.now())
        invitations = await OutboundMessage.filter(kind="invitation").order_by("id")
        for n, row in enumerate(invitations):
            dovecot.deliver(_reply(wire_bytes(row, app.secret), row.recipients[0], n))
        # The worker's path, with IMAP as configured in production.
        from service.mail.transports.imap import ImapIncoming

        app.incoming = ImapIncoming(dovecot.imap_url())
        timer = Timer()
        while True:
            stored = await store_fetched(app)
            if not stored:
                break
            await process_inbound_batch(app, stored)
        seconds = timer.seconds
        applied = await InboundMessage.filter(status=InboundStatus.PROCESSED).count()
    return applied, seconds


def _raw_fetch(dovecot: Dovecot) -> tuple[int, float]:
    """imap-tools fetching every message, in batches, and flagging them seen."""
    timer = Timer()
    count = 0
    with MailBoxUnencrypted("127.0.0.1", port=dovecot.port).login(USER, PASSWORD, "INBOX") as box:
        uids = []
        for message in box.fetch(mark_seen=False, bulk=100):
            count += 1
            uids.append(message.uid)
            _ = message.obj.as_bytes()
        box.flag([u for u in uids if u], MailMessageFlags.SEEN, True)
    return count, timer.seconds


def run(pairs: int) -> dict[str, float]:
    with private_dovecot("mentormail-bench-dovecot-") as dovecot:
        with tempfile.TemporaryDirectory() as folder:
            applied, seconds = loop.run(_service(Path(folder), dovecot, pairs))
        # The same messages again, read raw (the service left them in INBOX, seen): the
        # best of RAW_RUNS runs.
        fetched, raw_seconds = min(
            (_raw_fetch(dovecot) for _ in range(RAW_RUNS)), key=lambda r: r[1]
        )
    service_rate = applied / seconds
    raw_rate = fetched / raw_seconds
    return {
        "inbound_replies": applied,
        "inbound_replies_per_s": round(service_rate, 1),
        "inbound_raw_per_s": round(raw_rate, 1),
        "inbound_ratio": round(service_rate / raw_rate, 3),
    }
