"""Header and markup injection: hostile names in the roster, hostile goals in the agreement,
hostile agenda items, action items and subjects in replies; then every email the service
sent is read back.

A header is injected when a message carries a field we never write (Bcc, X-Injected) or a
recipient we were not asked to write to; markup is injected when an HTML part carries a
tag or attribute from the input unescaped.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

from bench.common import COLUMNS, service
from reliability.common import START, mailroom, process_all, reply
from service.agreement.enrolment import import_roster
from service.app import AppContext
from service.clock import ManualClock
from service.jobs.functions import plan
from service.mail.transports.imap import ImapIncoming
from service.outbox.writer import OutboxWriter, wire_bytes
from service.program.roster import read_roster
from service.storage.models import OutboundMessage, Pairing, Person
from tests.servers import Dovecot

VICTIM = "victim@evil.example"
NAMES = (
    f"Eve\r\nBcc: {VICTIM}",
    "Eve\u2028X-Injected: yes",
    f"=?utf-8?q?Eve=0D=0ABcc:_{VICTIM}?=",
    "Eve=0ABcc: victim",
    "<script>alert('name')</script>",
    'Zoë <img src=x onerror="alert(1)">',
    "Ω" * 10_000,
)
PAYLOADS = (
    "<script>alert('agenda')</script>",
    f"line one\u2028Bcc: {VICTIM}",
    '"><img src=x onerror=alert(2)>',
    "=0D=0AX-Injected: yes",
    "A" * 10_000,
)


class _Elements(HTMLParser):
    """The elements and attributes an HTML part really has (not text that looks like them)."""

    def __init__(self) -> None:
        super().__init__()
        self.hostile = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "iframe", "object") or any(
            name.startswith("on") or (value or "").strip() == "x" for name, value in attrs
        ):
            self.hostile = True


ALLOWED = {
    "from", "to", "cc", "reply-to", "subject", "date", "message-id", "in-reply-to",
    "references", "auto-submitted", "x-mentormail-kind", "mime-version", "content-type",
    "content-transfer-encoding", "list-id", "list-unsubscribe", "list-unsubscribe-post",
    "precedence", "x-auto-response-suppress",
}  # fmt: skip


def roster(names: tuple[str, ...]) -> bytes:
    lines = [COLUMNS]
    for n, name in enumerate(names):
        quoted = '"' + name.replace('"', '""') + '"'
        lines.append(
            f"Injection 2027,{quoted},mentor{n}@hospital.example,Europe/Berlin,"
            f"{quoted},mentee{n}@university.example,America/New_York,2027-01-04,"
            "every 2 weeks,Monday,10:00,coordinator@society.example\r\n"
        )
    return "".join(lines).encode()


def injected_headers(message: EmailMessage, recipients: list[str]) -> bool:
    if any(name.lower() not in ALLOWED for name in message):
        return True
    written = [a.addr_spec.lower() for a in message["To"].addresses]
    if message["Cc"] is not None:
        written += [a.addr_spec.lower() for a in message["Cc"].addresses]
    return VICTIM in written or any(r.lower() not in written for r in recipients)


def injected_markup(message: EmailMessage) -> bool:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            elements = _Elements()
            elements.feed(str(part.get_content()))
            if elements.hostile:
                return True
    return False


async def _scenario(folder: Path, dovecot: Dovecot) -> dict[str, float]:
    clock = ManualClock(START)
    async with service(folder, None, None, clock) as app:
        outbox = OutboxWriter(app.settings, app.secret)
        # The 10,000-character name is refused with its line and field, the file with it.
        refused = read_roster(roster(NAMES), clock.now().date())
        named = {(e.line, e.field) for e in refused.errors}
        clear = not refused.rows and named == {(8, "mentor_name"), (8, "mentee_name")}
        await import_roster(
            read_roster(roster(NAMES[:-1]), clock.now().date()), outbox, clock.now()
        )
        app.incoming = ImapIncoming(dovecot.imap_url())
        await _agree(app, dovecot)
        await _replies(app, dovecot)
        for days in range(1, 15):  # agendas, follow-ups and check-ins carry the items
            clock.set(START + timedelta(days=days))
            await plan(app)
            await process_all(app)
        rows = await OutboundMessage.all().order_by("id")
        headers = markup = shown = 0
        for row in rows:
            message = message_from_bytes(wire_bytes(row, app.secret), policy=policy.default)
            assert isinstance(message, EmailMessage)
            try:
                headers += injected_headers(message, list(row.recipients))
            except ValueError:  # a header the standard reader cannot take: counted too
                headers += 1
            markup += injected_markup(message)
            shown += b"&lt;script&gt;alert(&#39;agenda&#39;)" in wire_bytes(row, app.secret)
        agreed = await Pairing.filter(signed_at__isnull=False).count()
        return {
            "injection_pairings_agreed": agreed,
            "injection_refusal_unclear": int(not clear),
            "injection_emails": len(rows),
            "header_injected": headers,
            "html_injected": markup,
            # The payload did reach the mail, escaped: the two figures above mean something.
            "injection_payload_shown": shown,
        }


async def _agree(app: AppContext, dovecot: Dovecot) -> None:
    """Each mentor writes hostile goals into the agreement and agrees; the mentee agrees."""
    goals = "\n".join(f"Goal {n}: {payload}" for n, payload in enumerate(PAYLOADS[:3], 1))
    for pairing in await Pairing.all():
        mentor = await Person.get(id=pairing.mentor_id)
        await _answer(app, dovecot, mentor, "agreement_request", goals + "\nI agree")
    for pairing in await Pairing.all():
        mentee = await Person.get(id=pairing.mentee_id)
        await _answer(app, dovecot, mentee, "agreement_request", "I agree")


async def _answer(app: AppContext, dovecot: Dovecot, person: Person, kind: str, body: str) -> None:
    row = await OutboundMessage.filter(person_id=person.id, kind=kind).order_by("-id").first()
    if row is not None:
        dovecot.deliver(reply(wire_bytes(row, app.secret), person.email, body))
        await process_all(app)


async def _replies(app: AppContext, dovecot: Dovecot) -> None:
    """Every participant answers their invitation with hostile items and a hostile subject."""
    for person in await Person.all():
        invitation = await OutboundMessage.filter(person_id=person.id, kind="invitation").first()
        if invitation is None:
            continue
        body = "\n".join(
            [f"agenda: {p}" for p in PAYLOADS] + [f"task: {p} by Friday" for p in PAYLOADS]
        )
        raw = reply(wire_bytes(invitation, app.secret), person.email, body)
        raw = raw.replace(b"Subject: ", "Subject: <script>x</script>\u2028Bcc: ".encode(), 1)
        dovecot.deliver(raw)
    await process_all(app)


def run() -> dict[str, float]:
    with mailroom() as dovecot, tempfile.TemporaryDirectory() as folder:
        return asyncio.run(_scenario(Path(folder), dovecot))
