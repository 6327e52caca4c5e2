"""The foundation's whole path through real servers: CSV in, two agreement emails out through
SMTP, two replies in through IMAP, two invitations out. PostgreSQL, Redis with an arq worker,
Dovecot and an SMTP server; nothing mocked."""

from __future__ import annotations

from pathlib import Path

import aiosmtplib

from service.agreement.enrolment import import_roster
from service.clock import ManualClock
from service.jobs.runner import build_worker
from service.jobs.worker import make_app
from service.outbox.writer import OutboxWriter
from service.program.roster import read_roster
from service.storage import db
from service.storage.models import (
    InboundMessage,
    InboundStatus,
    Meeting,
    OutboundMessage,
    Pairing,
    PairingState,
)
from tests.conftest import SERVICE_DOMAIN
from tests.integration.conftest import make_settings
from tests.interop import check_calendar_email
from tests.mail import parse, reply_to
from tests.servers import USER, Dovecot, SmtpServer

CSV = (
    "program,mentor_name,mentor_email,mentor_timezone,mentee_name,mentee_email,"
    "mentee_timezone,start_date,frequency,weekday,time\n"
    "Hematology 2027,Dr. Zoë O'Brien,zoe@hospital.example,America/New_York,"
    "Sam Okafor,sam@university.example,Europe/Berlin,2026-12-01,every 2 weeks,Thursday,10:00\n"
).encode()


def kind_of(raw: bytes) -> str:
    return str(parse(raw)["X-Mentormail-Kind"])


async def test_csv_to_invitations_through_real_servers(
    postgres_available: str,
    database_url: str,
    redis_url: str,
    smtp_server: SmtpServer,
    mailroom: Dovecot,
    tmp_path: Path,
) -> None:
    settings = make_settings(
        tmp_path / "data",
        database_url,
        SMTP_URL=smtp_server.url,
        IMAP_URL=mailroom.imap_url(),
        MENTORMAIL_ADDRESS=f"{USER}@{SERVICE_DOMAIN}",
    )
    app = await make_app(settings)
    worker = await build_worker(redis_url, app=app, burst=True, cron_jobs=[], poll_delay=0.01)
    pool = worker.pool

    async def run(*jobs: str) -> None:
        for job in jobs:
            await pool.enqueue_job(job)
        await worker.async_run()

    try:
        roster = read_roster(CSV, app.clock.now().date())
        await import_roster(roster, OutboxWriter(settings, app.secret), app.clock.now())
        await run("send_outbox")
        requests = {m.rcpt_tos[0]: m.raw for m in smtp_server.messages}
        assert sorted(requests) == ["sam@university.example", "zoe@hospital.example"]
        assert {kind_of(raw) for raw in requests.values()} == {"agreement_request"}

        # Both reply from their own clients, through SMTP, into Dovecot.
        for address, body in (
            ("sam@university.example", "Goal 1: Submit an abstract by June\nI agree"),
            ("zoe@hospital.example", "Looks good.\nI agree"),
        ):
            raw = reply_to(requests[address], sender=address, body=body)
            recipient = str(parse(raw)["To"])
            await aiosmtplib.send(
                raw,
                sender=address,
                recipients=[recipient],
                hostname="127.0.0.1",
                port=smtp_server.port,
            )
        assert mailroom.seen_count() == (2, 0)
        smtp_server.messages.clear()

        await run("poll_inbox")
        statuses = await InboundMessage.all().values_list("status", flat=True)
        assert sorted(statuses) == [InboundStatus.PROCESSED] * 2
        assert mailroom.seen_count() == (2, 2), "stored replies are flagged on the server"

        pairing = await Pairing.get()
        # The mentee changed a goal after... or before the mentor agreed: either way the
        # mentor must agree to the version with the goal before the pairing is active.
        if pairing.state != PairingState.ACTIVE:
            newest = [m for m in smtp_server.messages if kind_of(m.raw) == "agreement_request"]
            assert [m.rcpt_tos for m in newest] == [["zoe@hospital.example"]]
            raw = reply_to(newest[0].raw, sender="zoe@hospital.example", body="I agree")
            await aiosmtplib.send(
                raw,
                sender="zoe@hospital.example",
                recipients=[str(parse(raw)["To"])],
                hostname="127.0.0.1",
                port=smtp_server.port,
            )
            await run("poll_inbox")
        pairing = await Pairing.get()
        assert pairing.state == PairingState.ACTIVE
        assert pairing.terms["goals"] == ["Submit an abstract by June"]

        meeting = await Meeting.get(pairing_id=pairing.id)
        # The first invitations follow the signed agreement on each reader's next morning
        # with room for them: the clock moves on to then.
        waiting = await OutboundMessage.filter(kind="invitation", status="pending").values_list(
            "not_before", flat=True
        )
        assert len(waiting) == 2
        app.clock = ManualClock(max(app.clock.now(), *waiting))
        await run("send_outbox")
        invitations = [m for m in smtp_server.messages if kind_of(m.raw) == "invitation"]
        assert sorted(m.rcpt_tos[0] for m in invitations) == [
            "sam@university.example",
            "zoe@hospital.example",
        ]
        for message in invitations:
            check_calendar_email(message.raw, message.rcpt_tos[0])
            assert meeting.uid.encode() in b"".join(
                p.get_payload(decode=True) or b""
                for p in parse(message.raw).walk()
                if p.get_content_type() == "text/calendar"
            )
        signed = [m for m in smtp_server.messages if kind_of(m.raw) == "agreement_signed"]
        assert len(signed) == 2

        # Polling again applies nothing twice and sends nothing new.
        before = len(smtp_server.messages)
        await run("poll_inbox", "send_outbox")
        assert len(smtp_server.messages) == before
        assert await InboundMessage.all().count() == mailroom.seen_count()[0]
    finally:
        await worker.close()
        await app.outgoing.close()
        await app.incoming.close()
        await db.close()
