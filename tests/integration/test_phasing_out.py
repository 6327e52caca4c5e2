"""Phasing out at a participant's word: the last meeting, the closure questions, the record."""

from __future__ import annotations

import mailbox
import tempfile
from datetime import timedelta
from pathlib import Path

from service.app import AppContext
from service.clock import ManualClock
from service.meetings.planning import plan_meetings
from service.outbox.sender import send_due
from service.outbox.writer import OutboxWriter
from service.phase_out.closing import close_due
from service.storage.models import (
    InboundStatus,
    Meeting,
    OutboundMessage,
    Pairing,
    PairingState,
)
from tests.integration.test_flow import activated, deliver, plain, receive, sent_to
from tests.interop import check_calendar_email
from tests.mail import parse, reply_to

SAM = "sam@university.example"
ZOE = "zoe@hospital.example"


def mbox_messages(data: bytes) -> list[bytes]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "record.mbox"
        path.write_bytes(data)
        box = mailbox.mbox(path)
        try:
            return [box.get_bytes(key) for key in box.iterkeys()]
        finally:
            box.close()


async def test_a_participant_phases_out_and_each_gets_their_own_record(app: AppContext) -> None:
    pairing = await activated(app)
    await plan_meetings(app)  # two meetings issued ahead
    first, second = await Meeting.filter(pairing_id=pairing.id).order_by("number")
    # Zoë writes a private reflection after the first meeting; it must never reach Sam.
    # (Her "I agree" signed the agreement: the signed agreement is its only answer.)
    checkin = (await sent_to(app, ZOE, "agreement_signed"))[-1]
    deliver(app, reply_to(checkin, sender=ZOE, body="MARKER-ZOE-PRIVATE my own thoughts"))
    # Sam asks to phase out.
    invitation = (await sent_to(app, SAM, "invitation"))[-1]
    answers = len(await sent_to(app, SAM, "understood"))
    deliver(app, reply_to(invitation, sender=SAM, body="phase out"))
    assert await receive(app) == [InboundStatus.PROCESSED, InboundStatus.PROCESSED]
    pairing = await Pairing.get(id=pairing.id)
    assert pairing.state == PairingState.CLOSING and pairing.closing_path == "participant"
    # The next meeting is the last one; the one after it is cancelled for both. Its
    # invitation was still waiting for a quieter day: it gives way to the cancellation.
    assert not (await Meeting.get(id=first.id)).cancelled
    assert (await Meeting.get(id=second.id)).cancelled
    calendars = OutboundMessage.filter(topic_ref=second.id, kind__in=("invitation", "cancellation"))
    assert sorted(await calendars.values_list("kind", flat=True)) == ["cancellation"] * 2
    # The letter says so at once; the calendars' own emails wait for a quieter day.
    assert all(at > app.clock.now() for at in await calendars.values_list("not_before", flat=True))
    for address in (SAM, ZOE):
        (cancellation,) = await sent_to(app, address, "cancellation")
        check_calendar_email(cancellation, address)
        (closure,) = await sent_to(app, address, "closure")
        assert "Your last meeting is meeting 1" in plain(closure)
    assert "You asked to phase out" in plain((await sent_to(app, SAM, "closure"))[0])
    assert "Sam Okafor has asked to phase out" in plain((await sent_to(app, ZOE, "closure"))[0])
    zoe_closure = (await sent_to(app, ZOE, "closure"))[0]
    assert "Is your mentee" not in plain(zoe_closure) and "Has your mentee" in plain(zoe_closure)
    # The closure answers Sam's "phase out": no `understood` besides.
    assert len(await sent_to(app, SAM, "understood")) == answers
    # A second "phase out" changes nothing more.
    deliver(app, reply_to(invitation, sender=SAM, body="phase out"))
    await receive(app)
    assert len(await sent_to(app, ZOE, "closure")) == 1

    # Sam's last reflection, then the pairing closes after the last meeting.
    sam_closure = (await sent_to(app, SAM, "closure"))[0]
    deliver(app, reply_to(sam_closure, sender=SAM, body="MARKER-SAM-REFLECTION I learned a lot"))
    await receive(app)
    clock = app.clock
    assert isinstance(clock, ManualClock)
    await send_due(app)
    clock.set(first.ends_at + timedelta(days=3))
    assert await close_due(OutboxWriter(app.settings, app.secret), clock.now()) == 1
    assert (await Pairing.get(id=pairing.id)).state == PairingState.CLOSED
    (archive,) = await sent_to(app, SAM, "closure_archive")
    message = parse(archive)
    assert "MEETINGS HELD (1)" in plain(archive)
    (attachment,) = [p for p in message.walk() if p.get_filename() == "mentoring-record.mbox"]
    record = attachment.get_payload(decode=True)
    assert isinstance(record, bytes)
    messages = mbox_messages(record)
    assert len(messages) > 5
    assert b"MARKER-SAM-REFLECTION" in record  # Sam's own words come back to Sam
    assert b"MARKER-ZOE-PRIVATE" not in record  # never Zoë's
    (zoe_archive,) = await sent_to(app, ZOE, "closure_archive")
    assert b"MARKER-SAM-REFLECTION" not in zoe_archive
