"""The loop through a standard mail system: Debian's Postfix, configured with the lines
deploy/postfix-main.cf ships, delivering over LMTP to Dovecot configured as
deploy/dovecot.conf is.

A roster is imported; the agreements reach the participants' mailboxes through Postfix and
are read over IMAP; the participants answer as their mail clients write replies (the
original quoted below, a name with accents in From:, the body in 8-bit UTF-8), one client
encoding that name, the other writing it raw; the replies go back through Postfix to the
service's tokened addresses and into its mailbox; the pairing is active and both
invitations arrive. Postfix's log for the run holds no warning, reject, bounce or
deferral, and every connection, the service's too, was closed with QUIT."""

from __future__ import annotations

import asyncio
import imaplib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import aiosmtplib
import pytest
from arq.worker import Worker

from service.agreement.enrolment import import_roster
from service.app import AppContext
from service.clock import ManualClock
from service.jobs.runner import build_worker
from service.jobs.worker import make_app
from service.outbox.writer import OutboxWriter
from service.program.roster import read_roster
from service.storage import db
from service.storage.models import InboundMessage, InboundStatus, Meeting, Pairing, PairingState
from tests.conftest import SERVICE_DOMAIN
from tests.integration.conftest import make_settings
from tests.interop import check_calendar_email
from tests.mail import parse
from tests.servers import PASSWORD, USER, Dovecot, Postfix, private_dovecot, private_postfix

ZOE = "zoe@example.org"  # writes with a client that encodes her name (as Thunderbird does)
SOREN = "soren@example.org"  # writes with one that puts his name in From: as it is
NAMES = {ZOE: "Zoë Ångström", SOREN: "Søren Kierkegård"}
CSV = (
    "program,mentor_name,mentor_email,mentor_timezone,mentee_name,mentee_email,"
    "mentee_timezone,start_date,frequency,weekday,time\n"
    f"Hematology 2027,{NAMES[ZOE]},{ZOE},America/New_York,"
    f"{NAMES[SOREN]},{SOREN},Europe/Copenhagen,2027-01-04,every 2 weeks,Thursday,10:00\n"
).encode()
DEADLINE = 20.0  # seconds for mail to cross Postfix; it takes a fraction of one

# What in Postfix's log means a message of the run was refused, delayed, returned or
# mangled, or a connection left without QUIT (a client gone, or one left to time out).
TROUBLE = (
    "warning:",
    "error:",
    "fatal:",
    "panic:",
    "reject",
    "status=bounced",
    "status=deferred",
    "status=expired",
    "lost connection",
    "timeout after",
)


@dataclass
class MailSystem:
    dovecot: Dovecot
    postfix: Postfix
    log_start: int = 0

    def empty(self) -> None:
        """Every mailbox emptied, as if the run were the first."""
        self.log_start = len(self.postfix.log())
        for user in (USER, *(local(address) for address in NAMES)):
            for sub in ("new", "cur"):
                for path in (self.dovecot.maildir_of(user) / sub).iterdir():
                    path.unlink()

    def fetch(self, address: str) -> list[bytes]:
        """The messages in a person's INBOX, read over IMAP as their client reads them."""
        imap = imaplib.IMAP4("127.0.0.1", self.dovecot.port)
        try:
            imap.login(address, PASSWORD)
            imap.select("INBOX", readonly=True)
            _, found = imap.uid("SEARCH", "ALL")
            messages = []
            for uid in found[0].split():
                _, data = imap.uid("FETCH", uid, "(BODY.PEEK[])")
                item = data[0]
                assert isinstance(item, tuple)
                messages.append(item[1])
            return messages
        finally:
            imap.logout()

    def log(self) -> str:
        """What Postfix logged on its way up and in this run."""
        return self.postfix.startup_log + self.postfix.log()[self.log_start :]

    async def wait_for(self, what: str, found: Callable[[], bool]) -> None:
        """Until `found`; failing at once if Postfix logs trouble on the way."""
        deadline = time.monotonic() + DEADLINE
        while not found():
            assert trouble(self.log()) == [], f"waiting for {what}, Postfix logged trouble"
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{what}: not there after {DEADLINE:.0f} s; Postfix's log ends:\n"
                    + self.log()[-3000:]
                )
            await asyncio.sleep(0.05)

    async def received(self, address: str, kind: str) -> bytes:
        """The one email of this kind in the person's INBOX, once Postfix delivered it."""

        def of_kind() -> list[bytes]:
            return [
                raw for raw in self.fetch(address) if str(parse(raw)["X-Mentormail-Kind"]) == kind
            ]

        await self.wait_for(f"{kind} for {address}", lambda: bool(of_kind()))
        [raw] = of_kind()
        return raw


def local(address: str) -> str:
    return address.partition("@")[0]


@pytest.fixture(scope="module")
def mail_system() -> Iterator[MailSystem]:
    """Started once for both databases: Postfix checks its queue folders on the way up,
    which takes seconds on a busy machine."""
    with private_dovecot("mentormail-postfix-loop-", lmtp=True) as dovecot:
        for address in NAMES:
            dovecot.add_user(local(address))
        with private_postfix(dovecot, list(NAMES)) as postfix:
            yield MailSystem(dovecot, postfix)


@dataclass
class Service:
    app: AppContext
    clock: ManualClock
    worker: Worker

    async def run(self, *jobs: str) -> None:
        for job in jobs:
            await self.worker.pool.enqueue_job(job)
        await self.worker.async_run()


@pytest.fixture
async def service(
    database_url: str, redis_url: str, mail_system: MailSystem, tmp_path: Path
) -> AsyncIterator[Service]:
    """The service sending through Postfix and reading its mailbox in Dovecot."""
    mail_system.empty()
    settings = make_settings(
        tmp_path / "data",
        database_url,
        SMTP_URL=mail_system.postfix.url,
        IMAP_URL=mail_system.dovecot.imap_url(),
        MENTORMAIL_ADDRESS=f"{USER}@{SERVICE_DOMAIN}",
    )
    app = await make_app(settings)
    clock = ManualClock(datetime(2026, 12, 28, 9, 0, tzinfo=UTC))
    app.clock = clock
    worker = await build_worker(redis_url, app=app, burst=True, cron_jobs=[], poll_delay=0.01)
    try:
        yield Service(app, clock, worker)
    finally:
        await worker.close()
        await app.outgoing.close()
        await app.incoming.close()
        await db.close()


def text_of(raw: bytes) -> str:
    body = parse(raw).get_body(("plain",))
    assert body is not None, "no text part"
    return str(body.get_content())


def client_reply(original: bytes, sender: str, text: str, *, raw_names: bool) -> bytes:
    """A reply as a mail client writes one: to the Reply-To, `Re:` and the thread's headers,
    the text above the original quoted with `>` under "On … wrote:", 8-bit UTF-8 body.
    The name in From: is an encoded word, or with `raw_names` UTF-8 as it is."""
    sent = parse(original)
    reply = EmailMessage(policy=policy.SMTPUTF8 if raw_names else policy.SMTP)
    reply["From"] = Address(NAMES[sender], addr_spec=sender)
    reply["To"] = str(sent["Reply-To"])
    reply["Subject"] = "Re: " + str(sent["Subject"])
    reply["Date"] = format_datetime(datetime.now(UTC))
    reply["Message-ID"] = make_msgid(domain=sender.partition("@")[2])
    reply["In-Reply-To"] = str(sent["Message-ID"])
    reply["References"] = str(sent["Message-ID"])
    quoted = "\n".join(f"> {line}".rstrip() for line in text_of(original).splitlines())
    written = f"{text}\n\nOn 28/12/2026 10:00, {sent['From']} wrote:\n{quoted}\n"
    reply.set_content(written, cte="8bit")
    return reply.as_bytes()


async def submit(postfix: Postfix, raw: bytes, sender: str) -> None:
    """Hand a message to Postfix as a client does: BODY=8BITMIME for 8-bit data, and
    SMTPUTF8 for a raw UTF-8 header when the server offers it (Postfix, as shipped, does
    not: see deploy/postfix-main.cf)."""
    headers = raw.partition(b"\r\n\r\n")[0]
    recipient = str(parse(raw)["To"])
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=postfix.port, start_tls=False)
    async with client:
        await client.ehlo()
        options: list[str] = []
        if not raw.isascii() and client.supports_extension("8BITMIME"):
            options.append("BODY=8BITMIME")
        if not headers.isascii() and client.supports_extension("SMTPUTF8"):
            options.append("SMTPUTF8")
        await client.sendmail(sender, [recipient], raw, mail_options=options)


def trouble(log: str) -> list[str]:
    return [line for line in log.splitlines() if any(word in line for word in TROUBLE)]


async def test_the_loop_through_postfix(service: Service, mail_system: MailSystem) -> None:
    postfix, dovecot = mail_system.postfix, mail_system.dovecot
    outbox = OutboxWriter(service.app.settings, service.app.secret)
    now = service.clock.now()
    await import_roster(read_roster(CSV, now.date()), outbox, now)
    await service.run("send_outbox")

    # Each reads the agreement in their own mailbox and answers it from their client.
    for address, partner, text in (
        (ZOE, SOREN, "Ça me va très bien — à jeudi !\nI agree"),
        (SOREN, ZOE, "Tak, det lyder godt. Vi ses på torsdag.\nI agree"),
    ):
        request = await mail_system.received(address, "agreement_request")
        assert NAMES[partner] in text_of(request)
        reply = client_reply(request, address, text, raw_names=address == SOREN)
        headers = reply.partition(b"\r\n\r\n")[0]
        assert b"Content-Transfer-Encoding: 8bit" in headers
        assert (NAMES[address].encode() in headers) is (address == SOREN)
        await submit(postfix, reply, address)

    await mail_system.wait_for(
        "both replies in the service's mailbox", lambda: dovecot.seen_count()[0] == 2
    )
    await service.run("poll_inbox")
    assert [m.status for m in await InboundMessage.all()] == [InboundStatus.PROCESSED] * 2
    assert (await Pairing.get()).state == PairingState.ACTIVE
    # The invitation may wait for a quieter day, but comes six days before the meeting.
    first = await Meeting.get(number=1)
    service.clock.set(max(service.clock.now(), first.starts_at - timedelta(days=6)))
    await service.run("send_outbox")

    for address in NAMES:
        invitation = await mail_system.received(address, "invitation")
        check_calendar_email(invitation, address)

    # Every message has left Postfix's queue, and the service said goodbye on each of its
    # connections once it had nothing more to send, not leaving them to time out.
    await mail_system.wait_for("Postfix's queue emptied", lambda: postfix.queued() == 0)
    await mail_system.wait_for(
        "every SMTP connection closed",
        lambda: (
            mail_system.log().count(": connect from ")
            == mail_system.log().count(": disconnect from ")
        ),
    )
    log = mail_system.log()
    assert trouble(log) == [], "Postfix logged trouble with our mail"
    assert log.count(" quit=1 ") == log.count(": disconnect from "), log
    delivered = [line for line in log.splitlines() if " status=sent " in line]
    # Two agreements, two replies, two "agreed" notes, two invitations, at least.
    assert len(delivered) >= 8, log
