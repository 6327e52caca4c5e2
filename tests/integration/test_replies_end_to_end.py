"""Replies as people and their mail systems send them, through real servers: an SMTP server
delivering into Dovecot, the worker on Redis fetching over IMAP, PostgreSQL or SQLite.

Gmail-, Outlook- and HTML-only replies complete tasks (the quoted originals list `done 2`
as an example, and must not count); an Outlook calendar answer and a Google "propose a new
time" update the meeting; an out-of-office gets no answer; a forged sender changes nothing
and hears once; bounces stop mail to an address at the threshold."""

from __future__ import annotations

from datetime import timedelta

from service.agreement.enrolment import import_roster
from service.outbox.writer import OutboxWriter
from service.program.roster import read_roster
from service.storage.models import (
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
from tests.integration.conftest import AUTHSERV_ID, Live
from tests.mail import calendar_answer, delivery_report, reply_to
from tests.servers import USER

SAM = "sam@university.example"
ZOE = "zoe@hospital.example"
CSV = (
    "program,mentor_name,mentor_email,mentor_timezone,mentee_name,mentee_email,"
    "mentee_timezone,start_date,frequency,weekday,time\n"
    f"Hematology 2027,Dr. Zoë O'Brien,{ZOE},America/New_York,"
    f"Sam Okafor,{SAM},Europe/Berlin,2027-01-04,every 2 weeks,Thursday,10:00\n"
).encode()


async def agree_both(live: Live) -> None:
    """The pairing from the CSV, agreed by both from their own clients."""
    outbox = OutboxWriter(live.app.settings, live.app.secret)
    await import_roster(read_roster(CSV, live.clock.now().date()), outbox, live.clock.now())
    await live.run("send_outbox")
    for address in (SAM, ZOE):
        request = live.received(address, "agreement_request")[0]
        await live.send(reply_to(request, sender=address, body="I agree"), address)


async def invitations_come(live: Live) -> None:
    """The first meeting's invitations, which follow the signed agreement on the next day
    that brings each reader no other mail."""
    waiting = await OutboundMessage.filter(kind="invitation", status="pending").values_list(
        "not_before", flat=True
    )
    assert waiting, "no invitation waits"
    live.clock.set(max(live.clock.now(), *waiting))
    await live.run("send_outbox")


async def test_replies_answers_and_machine_mail_through_real_servers(live: Live) -> None:
    await agree_both(live)
    await live.run("poll_inbox")
    await invitations_come(live)
    assert (await Pairing.get()).state == PairingState.ACTIVE

    # Sam notes three action items, then closes each from a different client. Every
    # quoted original lists "done 2" as an example: only what Sam wrote may count.
    invitation = live.received(SAM, "invitation")[0]
    await live.send(
        reply_to(
            invitation,
            sender=SAM,
            body="task: read the two papers by Friday\ntask: draft aims by Jan 20\n"
            "task: send my CV by Jan 25",
        ),
        SAM,
    )
    await live.run("poll_inbox")
    assert await Task.filter(state=TaskState.OPEN).count() == 3
    for number, style in ((1, "gmail"), (3, "outlook"), (2, "html")):
        latest = live.received(SAM, "understood")[-1]
        await live.send(reply_to(latest, sender=SAM, body=f"done {number}", style=style), SAM)
        await live.run("poll_inbox")
        done = await Task.filter(state=TaskState.DONE).values_list("number", flat=True)
        assert number in done, f"the {style} reply did not complete task {number}"
        assert len(done) == [1, 3, 2].index(number) + 1, f"{style}: quoted text was applied"

    # Sam's Outlook accepts meeting 1; Zoë's Google calendar proposes another time for it.
    meeting = await Meeting.get(number=1)
    await live.send(calendar_answer(invitation, sender=SAM, client="outlook"), SAM)
    start = meeting.starts_at + timedelta(days=1)
    await live.send(
        calendar_answer(
            live.received(ZOE, "invitation")[0],
            sender=ZOE,
            partstat="TENTATIVE",
            client="google",
            comment="Friday suits me better",
            proposed=(start, start + (meeting.ends_at - meeting.starts_at)),
        ),
        ZOE,
    )
    await live.run("poll_inbox")
    assert (await MeetingAnswer.get(person__email=SAM)).partstat == "ACCEPTED"
    (offer,) = live.received(SAM, "time_proposed")
    await live.send(reply_to(offer, sender=SAM, body="Accept", style="outlook"), SAM)
    await live.run("poll_inbox")
    moved = await Meeting.get(id=meeting.id)
    assert moved.starts_at == start and moved.sequence == 1
    assert len(live.received(ZOE, "invitation")) == 2 and len(live.received(SAM, "invitation")) == 2
    # The earlier acceptance was for the old time: both are asked again.
    assert await MeetingAnswer.all().count() == 0

    # Machine mail and strangers: nothing is applied, nothing answers a machine, and a
    # forged sender hears once a day however often it tries.
    before = len(live.ours())
    # (Zoë's "I agree" signed the agreement: the signed agreement was its only answer.)
    signed = live.received(ZOE, "agreement_signed")[-1]
    away = reply_to(signed, sender=ZOE, body="I am away until 4 Jan.")
    # (Its long subject is folded onto the next line: "Subject:" and no space.)
    away = away.replace(b"Subject:", b"Auto-Submitted: auto-replied\r\nSubject: Out of Office", 1)
    await live.send(away, ZOE)
    for _ in range(2):
        forged = reply_to(
            live.received(SAM, "understood")[-1],
            sender="mallory@elsewhere.example",
            body="done 3\nfrequency: weekly",
        )
        await live.send(forged, "mallory@elsewhere.example")
    # Sam's own address on a valid token, but our server found DMARC failing for it; and
    # Sam's address again from the null sender, which nobody may answer.
    spoofed = reply_to(live.received(SAM, "understood")[-1], sender=SAM, body="frequency: weekly")
    verdicts = (
        f"Authentication-Results: {AUTHSERV_ID}; spf=fail smtp.mailfrom=elsewhere.example;"
        " dkim=none; dmarc=fail (p=none) header.from=university.example\r\n"
        # What the sender wrote about itself, under our server's name or its own: not believed.
        "Authentication-Results: mx.elsewhere.example; dmarc=pass header.from=university.example"
        "\r\n"
    )
    await live.send(verdicts.encode() + spoofed, "mallory@elsewhere.example")
    nobody = reply_to(live.received(SAM, "understood")[-1], sender=SAM, body="frequency: weekly")
    await live.send(b"Return-Path: <>\r\n" + nobody, SAM)
    await live.run("poll_inbox")
    assert live.ours()[before:] == [(["mallory@elsewhere.example"], "refusal")]
    assert (await Pairing.get()).terms["frequency"] == {"n": 2, "unit": "weeks"}
    spoofed_row = await InboundMessage.get(reason="forged sender: DMARC failed at our server")
    assert spoofed_row.status == "refused" and spoofed_row.raw_bytes
    null_sender = await InboundMessage.get(from_addr=SAM, kind="bounce")
    assert null_sender.status == "ignored"

    # Sam's mailbox goes away: three days of bounces stop the mail to Sam, not to Zoë.
    for day in range(3):
        assert (await Person.get(email=SAM)).mail_disabled_at is None
        report = delivery_report(
            live.received(SAM, "invitation")[-1], SAM, day=f"day {day}"
        ).replace(b"To: mentorship@", f"To: {USER}@".encode(), 1)
        await live.send(report, "mailer-daemon@mx.university.example")
        await live.run("poll_inbox")
        live.clock.advance(timedelta(days=1))
    assert (await Person.get(email=SAM)).mail_disabled_at is not None
    assert await InboundMessage.filter(kind="bounce").exclude(from_addr=SAM).count() == 3
    # Zoë moves the next meeting: the updated invitation reaches her, not Sam.
    before = len(live.ours())
    last = live.received(ZOE, "agreement_signed")[-1]
    await live.send(reply_to(last, sender=ZOE, body="reschedule: Jan 12 11am"), ZOE)
    await live.run("poll_inbox")
    # (The updated invitation is the answer to a reply that did nothing else.)
    assert live.ours()[before:] == [([ZOE], "invitation")]
    (held,) = await OutboundMessage.filter(status="failed")
    assert held.recipients == [SAM] and held.kind == "invitation"
    assert "bounces" in (held.last_error or "")


async def test_phasing_out_through_real_servers_from_a_reply_and_from_the_projected_end(
    live: Live,
) -> None:
    from email import message_from_bytes

    from service.meetings.cadence import add_months
    from service.storage.models import Meeting

    await agree_both(live)
    await live.run("poll_inbox")
    pairing = await Pairing.get()
    assert pairing.signed_at is not None

    # The projected end: the planning tick sets up a last meeting and sends the closure.
    live.clock.set(add_months(pairing.signed_at, 12) + timedelta(hours=1))
    await live.run("tick")
    pairing = await Pairing.get()
    assert (pairing.state, pairing.closing_path) == (PairingState.CLOSING, "projected_end")
    for address in (SAM, ZOE):
        (closure,) = live.received(address, "closure")
        assert b"The 12 months you agreed" in closure.replace(b"=\r\n", b"")
    # Sam answers the closure questions from his client; it is kept, not passed on.
    await live.send(
        reply_to(live.received(SAM, "closure")[0], sender=SAM, body="I met my goals, thanks."),
        SAM,
    )
    await live.run("poll_inbox")
    assert live.received(ZOE, "reflection_shared") == []
    # Two days after the last meeting, each gets their record, with their own mail in it.
    last = await Meeting.filter(pairing_id=pairing.id).order_by("-number").first()
    assert last is not None
    live.clock.set(last.ends_at + timedelta(days=3))
    await live.run("tick")
    assert (await Pairing.get()).state == PairingState.CLOSED
    for address in (SAM, ZOE):
        (archive,) = live.received(address, "closure_archive")
        record = next(
            p.get_payload(decode=True)
            for p in message_from_bytes(archive).walk()
            if p.get_filename() == "mentoring-record.mbox"
        )
        assert isinstance(record, bytes)
        assert (b"I met my goals" in record) == (address == SAM)
    # The pairing has ended: its reply addresses have expired. A reply changes nothing and
    # is answered once a day, politely.
    tasks = await Task.all().count()
    before = len(live.ours())
    for _ in range(2):
        await live.send(
            reply_to(live.received(ZOE, "closure")[0], sender=ZOE, body="task: one more thing"),
            ZOE,
        )
    await live.run("poll_inbox")
    assert await Task.all().count() == tasks
    assert live.ours()[before:] == [([ZOE], "refusal")]
    # Answers to the closure questions are private: kept sealed, the reason says no more.
    late = await InboundMessage.filter(status="refused", from_addr=ZOE)
    assert len(late) == 2 and all(r.sealed and r.reason == "private reply" for r in late)


async def test_phase_out_written_by_a_participant_through_real_servers(live: Live) -> None:
    await agree_both(live)
    await live.run("poll_inbox")
    await invitations_come(live)
    invitation = live.received(ZOE, "invitation")[0]
    await live.send(reply_to(invitation, sender=ZOE, body="phase out", style="outlook"), ZOE)
    await live.run("poll_inbox")
    pairing = await Pairing.get()
    assert (pairing.state, pairing.closing_path) == (PairingState.CLOSING, "participant")
    assert len(live.received(SAM, "closure")) == len(live.received(ZOE, "closure")) == 1
