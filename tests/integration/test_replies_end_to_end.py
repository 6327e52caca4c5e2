"""Replies as people and their mail systems send them, through real servers: an SMTP server
delivering into Dovecot, the worker on Redis fetching over IMAP, PostgreSQL or SQLite.

Gmail-, Outlook- and HTML-only replies complete tasks (the quoted originals list `done 2`
as an example, and must not count); an Outlook calendar answer and a Google "propose a new
time" update the meeting; an out-of-office gets no answer; a forged sender changes nothing
and hears once; bounces stop mail to an address at the threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosmtplib

from service import db
from service.clock import ManualClock
from service.domain.roster import read_roster
from service.jobs.worker import make_app
from service.models import (
    InboundMessage,
    Meeting,
    MeetingAnswer,
    OutboundMessage,
    Pairing,
    PairingState,
    Person,
    Task,
    TaskState,
)
from service.outbox import OutboxWriter
from service.pairings import import_roster
from service.runner import build_worker, worker_pool
from tests.conftest import SERVICE_DOMAIN
from tests.integration.conftest import make_settings
from tests.mail import calendar_answer, delivery_report, parse, reply_to
from tests.servers import USER, Dovecot, SmtpServer

SAM = "sam@university.example"
ZOE = "zoe@hospital.example"
CSV = (
    "program,mentor_name,mentor_email,mentor_timezone,mentee_name,mentee_email,"
    "mentee_timezone,start_date,frequency,weekday,time\n"
    f"Hematology 2027,Dr. Zoë O'Brien,{ZOE},America/New_York,"
    f"Sam Okafor,{SAM},Europe/Berlin,2027-01-04,every 2 weeks,Thursday,10:00\n"
).encode()


def kind_of(raw: bytes) -> str:
    return str(parse(raw)["X-Mentormail-Kind"])


async def test_replies_answers_and_machine_mail_through_real_servers(
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
    clock = ManualClock(datetime(2026, 12, 28, 9, 0, tzinfo=UTC))
    app.clock = clock
    worker = build_worker(redis_url, app=app, burst=True, cron_jobs=[], poll_delay=0.01)
    pool = await worker_pool(worker)

    async def run(*jobs: str) -> None:
        for job in jobs:
            await pool.enqueue_job(job)
        await worker.async_run()

    async def send(raw: bytes, sender: str) -> None:
        await aiosmtplib.send(
            raw,
            sender=sender,
            recipients=[str(parse(raw)["To"]).strip("<>")],
            hostname="127.0.0.1",
            port=smtp_server.port,
        )

    def ours() -> list[tuple[list[str], str]]:
        """What the service sent so far (the server also carries mail to the service)."""
        return [
            (m.rcpt_tos, kind_of(m.raw))
            for m in smtp_server.messages
            if not m.rcpt_tos[0].endswith("@" + SERVICE_DOMAIN)
        ]

    def received(address: str, kind: str) -> list[bytes]:
        return [
            m.raw
            for m in smtp_server.messages
            if m.rcpt_tos == [address] and kind_of(m.raw) == kind
        ]

    try:
        await import_roster(read_roster(CSV), OutboxWriter(settings, app.secret), clock.now())
        await run("send_outbox")
        for address in (SAM, ZOE):
            await send(
                reply_to(received(address, "agreement_request")[0], sender=address, body="I agree"),
                address,
            )
        await run("poll_inbox")
        assert (await Pairing.get()).state == PairingState.ACTIVE

        # Sam notes three action items, then closes each from a different client. Every
        # quoted original lists "done 2" as an example: only what Sam wrote may count.
        invitation = received(SAM, "invitation")[0]
        await send(
            reply_to(
                invitation,
                sender=SAM,
                body="task: read the two papers by Friday\ntask: draft aims by Jan 20\n"
                "task: send my CV by Jan 25",
            ),
            SAM,
        )
        await run("poll_inbox")
        assert await Task.filter(state=TaskState.OPEN).count() == 3
        for number, style in ((1, "gmail"), (3, "outlook"), (2, "html")):
            latest = received(SAM, "understood")[-1]
            await send(reply_to(latest, sender=SAM, body=f"done {number}", style=style), SAM)
            await run("poll_inbox")
            done = await Task.filter(state=TaskState.DONE).values_list("number", flat=True)
            assert number in done, f"the {style} reply did not complete task {number}"
            assert len(done) == [1, 3, 2].index(number) + 1, f"{style}: quoted text was applied"

        # Sam's Outlook accepts meeting 1; Zoë's Google calendar proposes another time for it.
        meeting = await Meeting.get(number=1)
        await send(calendar_answer(invitation, sender=SAM, client="outlook"), SAM)
        start = meeting.starts_at + timedelta(days=1)
        await send(
            calendar_answer(
                received(ZOE, "invitation")[0],
                sender=ZOE,
                partstat="TENTATIVE",
                client="google",
                comment="Friday suits me better",
                proposed=(start, start + (meeting.ends_at - meeting.starts_at)),
            ),
            ZOE,
        )
        await run("poll_inbox")
        assert (await MeetingAnswer.get(person__email=SAM)).partstat == "ACCEPTED"
        (offer,) = received(SAM, "time_proposed")
        await send(reply_to(offer, sender=SAM, body="Accept", style="outlook"), SAM)
        await run("poll_inbox")
        moved = await Meeting.get(id=meeting.id)
        assert moved.starts_at == start and moved.sequence == 1
        assert len(received(ZOE, "invitation")) == 2 and len(received(SAM, "invitation")) == 2
        # The earlier acceptance was for the old time: both are asked again.
        assert await MeetingAnswer.all().count() == 0

        # Machine mail and strangers: nothing is applied, nothing answers a machine, and a
        # forged sender hears once a day however often it tries.
        before = len(ours())
        away = reply_to(received(ZOE, "understood")[-1], sender=ZOE, body="I am away until 4 Jan.")
        away = away.replace(
            b"Subject: ", b"Auto-Submitted: auto-replied\r\nSubject: Out of Office ", 1
        )
        await send(away, ZOE)
        for _ in range(2):
            forged = reply_to(
                received(SAM, "understood")[-1],
                sender="mallory@elsewhere.example",
                body="done 3\nfrequency: weekly",
            )
            await send(forged, "mallory@elsewhere.example")
        await run("poll_inbox")
        assert ours()[before:] == [(["mallory@elsewhere.example"], "refusal")]
        assert (await Pairing.get()).terms["frequency"] == {"n": 2, "unit": "weeks"}

        # Sam's mailbox goes away: three days of bounces stop the mail to Sam, not to Zoë.
        for day in range(3):
            assert (await Person.get(email=SAM)).mail_disabled_at is None
            report = delivery_report(
                received(SAM, "invitation")[-1], SAM, day=f"day {day}"
            ).replace(b"To: mentorship@", f"To: {USER}@".encode(), 1)
            await send(report, "mailer-daemon@mx.university.example")
            await run("poll_inbox")
            clock.advance(timedelta(days=1))
        assert (await Person.get(email=SAM)).mail_disabled_at is not None
        assert await InboundMessage.filter(kind="bounce").count() == 3
        # Zoë moves the next meeting: the updated invitation reaches her, not Sam.
        before = len(ours())
        last = received(ZOE, "understood")[-1]
        await send(reply_to(last, sender=ZOE, body="reschedule: Jan 12 11am"), ZOE)
        await run("poll_inbox")
        assert sorted(ours()[before:]) == [([ZOE], "invitation"), ([ZOE], "understood")]
        (held,) = await OutboundMessage.filter(status="failed")
        assert held.recipients == [SAM] and held.kind == "invitation"
        assert "bounces" in (held.last_error or "")
    finally:
        await worker.close()
        await app.outgoing.close()
        await app.incoming.close()
        await db.close()
