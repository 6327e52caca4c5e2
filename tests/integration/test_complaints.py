"""Spam complaints (ARF) on a real database (SQLite and PostgreSQL): one about our email to
a person stops mail to them at once and the coordinator's next digest says so; a forged
one changes nothing; the private text a complaint carries reaches no log, digest or row."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from service.app import AppContext
from service.clock import ManualClock
from service.coordinators.digest import digests_due
from service.outbox.deliverability import NOT_SENT
from service.outbox.sender import send_due
from service.outbox.writer import OutboxWriter
from service.storage.models import (
    Coordinator,
    DigestEvery,
    InboundMessage,
    InboundStatus,
    MailStopped,
    OutboundMessage,
    Person,
)
from tests.integration.test_flow import deliver, import_csv, receive, sent_to
from tests.mail import complaint_report, delivery_report, parse, reply_to, to_plain_address

SAM = "sam@university.example"
ZOE = "zoe@hospital.example"
PAT = "pat@society.example"  # the coordinator
CSV = (
    "program,mentor_name,mentor_email,mentor_timezone,mentee_name,mentee_email,"
    "mentee_timezone,start_date,weekday,time,coordinator_email\n"
    f"Hematology 2027,Dr. Zoë O'Brien,{ZOE},America/New_York,"
    f"Sam Okafor,{SAM},Europe/Berlin,2026-12-01,Thursday,10:00,{PAT}\n"
).encode()
# Monday 30 November 2026, 08:05 in New York: the first weekly digest is due.
DIGEST_AT = datetime(2026, 11, 30, 13, 5, tzinfo=UTC)
PRIVATE = "PRIVATE-c0ffee: I keep missing targets and fear the review"


async def started(app: AppContext) -> tuple[bytes, bytes]:
    """The program imported and its first mail sent: Sam's and Zoë's agreement requests."""
    await import_csv(app, CSV)
    await send_due(app)
    return (
        (await sent_to(app, SAM, "agreement_request"))[0],
        (await sent_to(app, ZOE, "agreement_request"))[0],
    )


def without(raw: bytes, *fields: bytes) -> bytes:
    """The message without the header fields named (lower case, with their colon)."""
    head, _, body = raw.partition(b"\r\n\r\n")
    kept = [line for line in head.split(b"\r\n") if not line.lower().startswith(fields)]
    return b"\r\n".join(kept) + b"\r\n\r\n" + body


async def digest_text(app: AppContext) -> str:
    clock = app.clock
    assert isinstance(clock, ManualClock)
    clock.set(DIGEST_AT)
    assert await digests_due(OutboxWriter(app.settings, app.secret), DIGEST_AT) == 1
    (raw,) = await sent_to(app, PAT, "digest")
    message = parse(raw)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return str(text.get_content()) + str(html.get_content())


async def test_a_complaint_about_our_email_stops_mail_at_once_and_the_digest_says_so(
    app: AppContext,
) -> None:
    to_sam, to_zoe = await started(app)
    deliver(app, complaint_report(to_sam, SAM))
    assert await receive(app) == [InboundStatus.IGNORED]
    row = await InboundMessage.get(kind="complaint")
    assert row.reason is not None and "believed" in row.reason and "not believed" not in row.reason
    sam = await Person.get(email=SAM)
    assert sam.mail_stopped == MailStopped.COMPLAINT and sam.mail_disabled_at is not None
    assert sam.bounce_score == 0  # one complaint is enough: no score
    # Nothing answers a complaint; the next email to Sam is not sent, Zoë's mail still goes.
    assert await OutboundMessage.filter(kind__in=["understood", "refusal"]).count() == 0
    deliver(app, reply_to(to_zoe, sender=ZOE, body="Frequency: every 2 weeks"))
    assert await receive(app) == [InboundStatus.PROCESSED]
    # Zoë's change reaches Sam the next morning (Sam's day brought mail already), or would.
    (waiting,) = await OutboundMessage.filter(kind="agreement_request", status="pending")
    clock = app.clock
    assert isinstance(clock, ManualClock)
    clock.set(waiting.not_before)
    await send_due(app)
    to_sam_again = await OutboundMessage.filter(kind="agreement_request", status="failed")
    assert [r.recipients for r in to_sam_again] == [[SAM]]
    assert to_sam_again[0].last_error == NOT_SENT
    assert await OutboundMessage.filter(kind="understood", status="sent").count() == 1
    # A new email whose From says Sam (anybody can write that) does not start it again.
    deliver(app, to_plain_address(app.settings.service_address, SAM, "hello"))
    await receive(app)
    assert (await Person.get(email=SAM)).mail_stopped == MailStopped.COMPLAINT

    text = " ".join((await digest_text(app)).split())
    assert "mail to Sam Okafor has stopped: they marked our mail as spam" in text
    assert f"{SAM} (Sam Okafor, #" in text and "marked as spam since 23 November 2026" in text
    assert "Please talk to them; their mail starts again when they reply to one of our emails" in (
        text
    )

    # Sam answers one of our emails: mail to Sam starts again.
    deliver(app, reply_to(to_sam, sender=SAM, body="I agree"))
    assert await receive(app) == [InboundStatus.PROCESSED]
    sam = await Person.get(email=SAM)
    assert sam.mail_disabled_at is None and sam.mail_stopped is None


async def test_the_digest_lists_undeliverable_and_complaining_addresses(
    app: AppContext,
) -> None:
    to_sam, to_zoe = await started(app)
    clock = app.clock
    assert isinstance(clock, ManualClock)
    # Zoë's address bounces three days running (23 to 25 November): undeliverable.
    for day in range(3):
        deliver(app, delivery_report(to_zoe, ZOE, day=f"day {day}"))
        assert await receive(app) == [InboundStatus.IGNORED]
        if day < 2:
            clock.advance(timedelta(days=1))
    assert (await Person.get(email=ZOE)).mail_stopped == MailStopped.BOUNCES
    # Its headers alone, without its Message-ID: believed by our signed reply address.
    deliver(app, complaint_report(without(to_sam, b"message-id:"), SAM, headers_only=True))
    assert await receive(app) == [InboundStatus.IGNORED]
    reason = await InboundMessage.get(kind="complaint").values_list("reason", flat=True)
    assert str(reason).startswith("spam complaint believed (our signed reply address)")
    text = " ".join((await digest_text(app)).split())
    assert "MAIL STOPPED" in text and "Mail stopped</h2>" in text
    assert f"{SAM} (Sam Okafor, #1): marked as spam since 25 November 2026" in text
    assert f"{ZOE} (Dr. Zoë O'Brien, #1): undeliverable since 25 November 2026" in text
    assert "mail to Dr. Zoë O'Brien has stopped: their address keeps bouncing" in text


async def test_a_forged_complaint_changes_nothing(app: AppContext) -> None:
    to_sam, to_zoe = await started(app)
    # Our headers, but a Message-ID anybody could write and no signed reply address.
    made_up = without(to_sam, b"message-id:", b"reply-to:").replace(
        b"\r\n\r\n", b"\r\nMessage-ID: <agreement_request.1.2@mentormail.example>\r\n\r\n", 1
    )
    forgeries = {
        "a made-up id": complaint_report(made_up, SAM),
        "another recipient": complaint_report(to_sam, "someone@elsewhere.example"),
        "Zoë's email said to be Sam's": complaint_report(to_zoe, SAM),
        "no original of ours": complaint_report(b"From: x@y.example\r\nTo: " + SAM.encode(), SAM),
    }
    for report in forgeries.values():
        deliver(app, report)
    assert await receive(app) == [InboundStatus.IGNORED] * len(forgeries)
    reasons = await InboundMessage.filter(kind="complaint").values_list("reason", flat=True)
    assert len(reasons) == len(forgeries)
    for reason in reasons:
        assert str(reason).startswith("spam complaint not believed"), reason
        assert str(reason).endswith("no effect"), reason
    for person in await Person.all():
        assert person.mail_disabled_at is None and person.mail_stopped is None, person.email
    assert await OutboundMessage.filter(kind__in=["understood", "refusal"]).count() == 0
    assert "MAIL STOPPED" not in await digest_text(app)


async def test_a_coordinator_who_marks_the_digest_as_spam_gets_no_more_digests(
    app: AppContext,
) -> None:
    await started(app)
    await digest_text(app)
    (digest,) = await sent_to(app, PAT, "digest")
    deliver(app, complaint_report(digest, "someone@elsewhere.example"))
    assert await receive(app) == [InboundStatus.IGNORED]
    assert (await Coordinator.get(email=PAT)).digest_every == DigestEvery.WEEKLY
    deliver(app, complaint_report(digest, PAT))
    assert await receive(app) == [InboundStatus.IGNORED]
    assert (await Coordinator.get(email=PAT)).digest_every == DigestEvery.OFF
    reasons = (
        await InboundMessage.filter(kind="complaint")
        .order_by("id")
        .values_list("reason", flat=True)
    )
    assert [str(r).split(":")[0] for r in reasons] == [
        "spam complaint not believed",
        "spam complaint believed (our keyed Message-ID)",
    ]
    assert await OutboundMessage.filter(kind__in=["understood", "refusal"]).count() == 0


async def test_a_complaint_s_private_original_reaches_no_log_digest_or_clear_row(
    app: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    to_sam, _ = await started(app)
    deliver(app, complaint_report(to_sam, SAM, body=PRIVATE))
    assert await receive(app) == [InboundStatus.IGNORED]
    row = await InboundMessage.get(kind="complaint")
    assert row.sealed and b"PRIVATE-c0ffee" not in bytes(row.raw_bytes)
    assert "c0ffee" not in (row.reason or "")
    assert (await Person.get(email=SAM)).mail_stopped == MailStopped.COMPLAINT
    digest = await digest_text(app)
    assert "marked as spam" in digest and "c0ffee" not in digest
    for sent in await OutboundMessage.all():
        assert b"c0ffee" not in bytes(sent.raw_bytes), sent.kind
    assert "c0ffee" not in caplog.text
