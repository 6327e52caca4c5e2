"""Who may act, through the inbound path from Dovecot: a forged From is never enough, a
Message-ID of ours cannot be computed, and one email's effects are bounded.

The attacks: commands and an import in a coordinator's name from the plain address; a
tokenless reply whose In-Reply-To is computed from a dedupe key (as Message-IDs were made
before they were keyed); and, from people who may act, the largest messages they can write
(hundreds of action items, every command many times, a coordinator acting on every pairing),
each message applied alone so that what it caused is counted.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from collections import Counter
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.common import active_program, service
from reliability.common import START, mailroom, process_all, reply
from service.action_items.reminders import plan_task_reminders
from service.action_items.rules import OVERDUE_NUDGES
from service.app import AppContext
from service.clock import ManualClock
from service.mail.kinds import About, Topic
from service.mail.transports.imap import ImapIncoming
from service.outbox.sender import send_due
from service.outbox.writer import OutboxWriter, Reader, wire_bytes
from service.storage.models import Coordinator, OutboundMessage, Pairing, PairingState, Person, Task
from tests.mail import to_plain_address
from tests.servers import Dovecot

COORDINATOR = "coordinator@society.example"  # the bench roster's
ATTACKER = "mallory@elsewhere.example"
PAIRS = 4


class Counting:
    """Each message delivered and applied on its own, and what it caused counted."""

    def __init__(self, app: AppContext, dovecot: Dovecot) -> None:
        self.app = app
        self.dovecot = dovecot
        self.most_emails = 0
        self.most_tasks = 0
        self.most_reminders = 0

    async def one(self, raw: bytes) -> int:
        """Deliver and apply `raw`; returns how many emails it caused at once."""
        emails, tasks = await OutboundMessage.all().count(), await Task.all().count()
        self.dovecot.deliver(raw)
        await process_all(self.app)
        caused = await OutboundMessage.all().count() - emails
        self.most_emails = max(self.most_emails, caused)
        self.most_tasks = max(self.most_tasks, await Task.all().count() - tasks)
        return caused

    async def reminders_later(self, caused: int) -> None:
        """The reminders and nudges the action items just made bring, the clock moved a few
        hours at a time past their last nudge, added to what their message caused; and the
        most one person got on one of their days."""
        clock = self.app.clock
        assert isinstance(clock, ManualClock)
        kinds = ("task_reminder", "task_overdue")
        seen = await OutboundMessage.filter(kind__in=kinds).count()
        last = await Task.filter(due_date__isnull=False).order_by("-due_date").first()
        assert last is not None and last.due_date is not None
        end = last.due_date + timedelta(weeks=OVERDUE_NUDGES + 1)
        while clock.now().date() <= end:
            clock.set(clock.now() + timedelta(hours=5))
            await plan_task_reminders(self.app)
        rows = await OutboundMessage.filter(kind__in=kinds).order_by("id").offset(seen)
        zones = dict(await Person.all().values_list("id", "timezone"))
        days = Counter(
            (row.person_id, row.not_before.astimezone(ZoneInfo(zones[row.person_id])).date())
            for row in rows
        )
        self.most_emails = max(self.most_emails, caused + len(rows))
        self.most_reminders = max(self.most_reminders, max(days.values(), default=0))


async def _latest_to(address: str, kind: str) -> OutboundMessage:
    newest_first = await OutboundMessage.filter(kind=kind).order_by("-id")
    return next(row for row in newest_first if address in row.recipients)


async def _forgeries(app: AppContext, counting: Counting) -> dict[str, float]:
    pairings = await Pairing.all().order_by("id")
    for pairing in pairings:
        await counting.one(
            to_plain_address(
                app.settings.service_address, COORDINATOR, f"pause {pairing.id}\nclose {pairing.id}"
            )
        )
    changed = await Pairing.exclude(state=PairingState.ACTIVE).count()
    roster = (
        "program,mentor_name,mentor_email,mentor_timezone,mentee_name,mentee_email,"
        "mentee_timezone,start_date,coordinator_email\n"
        "Bench 2027,Eve,eve@elsewhere.example,UTC,Ivy,ivy@elsewhere.example,UTC,2027-01-11,"
        f"{ATTACKER}\n"
    ).encode()
    await counting.one(
        to_plain_address(app.settings.service_address, COORDINATOR, "import", roster)
    )
    imported = await Pairing.all().count() - len(pairings)
    imported += await Coordinator.filter(email=ATTACKER).count()
    guessed = 0
    for pairing in pairings:
        mentee = await pairing.mentee
        sent = await _latest_to(mentee.email, "invitation")
        domain = app.settings.service_address.partition("@")[2]
        computed = hashlib.sha256(sent.dedupe_key.encode()).hexdigest()[:32] + "@" + domain
        message = EmailMessage()
        message["From"] = mentee.email
        message["To"] = app.settings.service_address
        message["Subject"] = "Re: your meeting"
        message["Message-ID"] = make_msgid(domain="elsewhere.example")
        message["In-Reply-To"] = f"<{computed}>"
        message.set_content("phase out\npause\ntask: wire the money")
        tasks = await Task.all().count()
        await counting.one(message.as_bytes())
        guessed += await Task.all().count() - tasks
    guessed += await Pairing.exclude(state=PairingState.ACTIVE).count() - changed
    return {
        "forged_coordinator_accepted": changed,
        "forged_import_accepted": imported,
        "guessed_thread_accepted": guessed,
    }


async def _largest(app: AppContext, counting: Counting) -> None:
    """The most a participant and a coordinator can ask of one message each."""
    pairing = await Pairing.all().order_by("id").first()
    assert pairing is not None
    mentor = await pairing.mentor
    invitation = wire_bytes(await _latest_to(mentor.email, "invitation"), app.secret)
    lines = [f"task: read chapter {n} by Friday" for n in range(600)]
    lines += ["reschedule: next Tuesday 3pm", "frequency: weekly", "pause", "resume"] * 30
    lines += ["performance conversation", "phase out", "agenda: grants"] * 30
    await counting.reminders_later(
        await counting.one(reply(invitation, mentor.email, "\n".join(lines)))
    )
    coordinator = await Coordinator.get(email=COORDINATOR)
    signed = OutboxWriter(app.settings, app.secret).address_for(
        Reader.coordinator(coordinator, ""), About(Topic.COORDINATOR, coordinator.id)
    )
    numbers = await Pairing.all().values_list("id", flat=True)
    commands = [f"{verb} {n}" for verb in ("nudge", "pause", "close", "details") for n in numbers]
    message = EmailMessage()
    message["From"] = COORDINATOR
    message["To"] = signed
    message["Subject"] = "Commands"
    message["Message-ID"] = make_msgid(domain="society.example")
    message.set_content("\n".join(commands * 10 + ["digest now"] * 10))
    await counting.one(message.as_bytes())


async def _scenario(folder: Path, dovecot: Dovecot) -> dict[str, float]:
    clock = ManualClock(START)
    async with service(folder, None, None, clock) as app:
        await active_program(app, PAIRS, clock.now())
        clock.set(START + timedelta(days=1))
        while await send_due(app):
            pass
        app.incoming = ImapIncoming(dovecot.imap_url())
        counting = Counting(app, dovecot)
        figures = await _forgeries(app, counting)
        await _largest(app, counting)
        return {
            **figures,
            "max_emails_from_one_inbound": counting.most_emails,
            "max_tasks_from_one_inbound": counting.most_tasks,
            "max_reminders_per_person_day": counting.most_reminders,
        }


def run() -> dict[str, float]:
    with mailroom() as dovecot, tempfile.TemporaryDirectory() as folder:
        return asyncio.run(_scenario(Path(folder), dovecot))
