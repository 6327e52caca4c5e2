"""Forged and unwanted mail through the inbound path, from Dovecot: nothing let in, nothing
answered that must not be, and never more than one refusal an address a day.

The attacks, each several times: a stranger writing on a participant's reply address; a
participant's address with a token one character off; a reply on a pairing that has ended;
a participant's address that our receiving server found failing DMARC; out-of-office
replies, marked and unmarked; the null sender; our own address; and two auto-responders
that answer everything, one of them without saying it is one.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

from bench.common import active_program, service
from reliability.common import START, mailroom, process_all, reply
from service.app import AppContext
from service.clock import ManualClock
from service.mail.transports.imap import ImapIncoming
from service.outbox.sender import send_due
from service.outbox.writer import wire_bytes
from service.storage.models import (
    AgendaItem,
    InboundMessage,
    OutboundMessage,
    Pairing,
    PairingState,
    Person,
    Task,
)
from tests.mail import parse
from tests.servers import Dovecot

AUTHSERV_ID = "mx.reliability.test"
STRANGER = "mallory@elsewhere.example"
ROUNDS = 6  # each attack this many times, a round of the auto-responders each


def tampered(raw: bytes) -> bytes:
    """The same reply with one character of its token changed."""
    head, _, tail = raw.partition(b"\n\n")
    marker = b"+"
    at = head.find(marker, head.find(b"\nTo:"))
    changed = head[: at + 3] + (b"A" if head[at + 3 : at + 4] != b"A" else b"B") + head[at + 4 :]
    return changed + b"\n\n" + tail


class Attack:
    def __init__(self, app: AppContext, dovecot: Dovecot) -> None:
        self.app = app
        self.dovecot = dovecot
        self.auto_ids: set[str] = set()  # Message-IDs of the machine mail we were sent

    async def latest(self, person: Person) -> bytes:
        row = await OutboundMessage.filter(person_id=person.id).order_by("-id").first()
        assert row is not None, f"nothing was sent to {person.email}"
        return wire_bytes(row, self.app.secret)

    def deliver(self, raw: bytes, *, automatic: bool = False) -> None:
        if automatic:
            self.auto_ids.add(str(parse(raw)["Message-ID"]).strip("<>"))
        self.dovecot.deliver(raw)

    async def process(self) -> None:
        await process_all(self.app)

    async def round(self, people: list[Person], ended: Person, own: bytes) -> None:
        sam, zoe, ana, bo = people[:4]
        self.deliver(reply(await self.latest(sam), STRANGER, "task: wire the money\nphase out"))
        self.deliver(tampered(reply(await self.latest(zoe), zoe.email, "task: from a bad token")))
        self.deliver(reply(await self.latest(ended), ended.email, "task: after the end"))
        verdict = (
            f"{AUTHSERV_ID}; spf=fail smtp.mailfrom=elsewhere.example; dkim=none;"
            f" dmarc=fail (p=reject) header.from={ana.email.partition('@')[2]}"
        )
        self.deliver(
            reply(
                await self.latest(ana),
                ana.email,
                "frequency: weekly\ntask: forged",
                headers={"Authentication-Results": verdict},
            )
        )
        self.deliver(
            reply(
                await self.latest(bo),
                bo.email,
                "I am away until 4 January.\ntask: away",
                headers={"Auto-Submitted": "auto-replied"},
            ),
            automatic=True,
        )
        self.deliver(
            reply(
                await self.latest(bo),
                bo.email,
                "task: from the null sender",
                headers={"Return-Path": "<>"},
            ),
            automatic=True,
        )
        self.deliver(own)
        # Two responders that answer whatever reaches them: one says it is automatic, the
        # other (a badly made one) does not, and writes the same words every time.
        for person, marked in ((people[4], True), (people[5], False)):
            headers = {"Auto-Submitted": "auto-replied"} if marked else {}
            self.deliver(
                reply(
                    await self.latest(person),
                    person.email,
                    "Thank you for your message. I am out of the office with limited access "
                    "to email.",
                    headers=headers,
                ),
                automatic=True,
            )
        await self.process()


async def _scenario(folder: Path, dovecot: Dovecot) -> dict[str, float]:
    clock = ManualClock(START)
    async with service(folder, None, None, clock) as app:
        app.settings.authserv_id = AUTHSERV_ID
        await active_program(app, 8, clock.now())
        clock.set(START + timedelta(days=1))
        while await send_due(app):
            pass
        app.incoming = ImapIncoming(dovecot.imap_url())
        people = await Person.all().order_by("id")
        ended_pairing = await Pairing.all().order_by("-id").first()
        assert ended_pairing is not None
        ended_pairing.state = PairingState.CLOSED
        await ended_pairing.save()
        ended = await Person.get(id=ended_pairing.mentee_id)
        attack = Attack(app, dovecot)
        first = await OutboundMessage.filter(person_id=people[0].id).first()
        assert first is not None
        own = wire_bytes(first, app.secret)  # our own mail, come back to us
        terms = {p.id: p.terms for p in await Pairing.all()}
        tasks, items = await Task.all().count(), await AgendaItem.all().count()
        before = await OutboundMessage.all().order_by("-id").first()
        assert before is not None
        for day in range(ROUNDS):
            clock.set(START + timedelta(days=2 + day // 2, hours=day % 2))
            await attack.round(list(people), ended, own)
        after = await OutboundMessage.filter(id__gt=before.id).order_by("id")
        refused = Counter(
            (row.recipients[0], row.created_at.date()) for row in after if row.kind == "refusal"
        )
        answered = [
            row
            for row in after
            if row.kind != "refusal" and _in_reply_to(row, app) in attack.auto_ids
        ]
        changed = sum(1 for p in await Pairing.all() if p.terms != terms[p.id])
        statuses = Counter(
            str(s) for s in await InboundMessage.all().values_list("status", flat=True)
        )
        return {
            "forged_messages": sum(statuses.values()),
            "forged_accepted": changed
            + (await Task.all().count() - tasks)
            + (await AgendaItem.all().count() - items),
            "refusals_per_address_day": max(refused.values(), default=0),
            "auto_answered": len(answered),
            "forged_unkept": await InboundMessage.filter(raw_bytes__isnull=True).count(),
        }


def _in_reply_to(row: OutboundMessage, app: AppContext) -> str:
    return str(parse(wire_bytes(row, app.secret))["In-Reply-To"] or "").strip("<>")


def run() -> dict[str, float]:
    with mailroom() as dovecot, tempfile.TemporaryDirectory() as folder:
        return asyncio.run(_scenario(Path(folder), dovecot))
