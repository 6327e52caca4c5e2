"""Reading calendar answers as each client writes them (INTEROP rules 14–18)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from service.mail.reading.itip import answered_by, read_answer, why_ignored

OUTLOOK_COUNTER = (
    b"BEGIN:VCALENDAR\r\nMETHOD:COUNTER\r\nPRODID:Microsoft Exchange Server 2010\r\n"
    b"VERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\n"
    b"BEGIN:STANDARD\r\nDTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\n"
    b"TZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\r\n"
    b"END:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\n"
    b"TZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\r\n"
    b"END:DAYLIGHT\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\n"
    b"ATTENDEE;PARTSTAT=TENTATIVE;CN=Sam Okafor:MAILTO:Sam@University.example\r\n"
    b"COMMENT:Could we do Thursday instead?\r\nUID:m1@mentormail.example\r\nSEQUENCE:0\r\n"
    b"DTSTART;TZID=W. Europe Standard Time:20270114T150000\r\n"
    b"DTEND;TZID=W. Europe Standard Time:20270114T160000\r\n"
    b"DTSTAMP:20270110T120000Z\r\nX-MICROSOFT-CDO-REPLYTIME:20270110T115900Z\r\n"
    b"X-MS-OLK-ORIGINALSTART;TZID=W. Europe Standard Time:20270113T150000\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
)
GOOGLE_REPLY = (
    b"BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"
    b"VERSION:2.0\r\nCALSCALE:GREGORIAN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n"
    b"DTSTART:20270113T140000Z\r\nDTEND:20270113T150000Z\r\nDTSTAMP:20270110T100000Z\r\n"
    b"ORGANIZER:mailto:mentorship+abc@mentormail.example\r\nUID:m1@mentormail.example\r\n"
    b'ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=DECLINED;X-RESPONSE-COMMENT="'
    b'On call that week";CN=zoe@hospital.example;X-NUM-GUESTS=0:mailto:zoe@hospital.example\r\n'
    b"SEQUENCE:2\r\nSTATUS:CONFIRMED\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_an_outlook_proposal_in_a_windows_zone_reads_as_the_instant_it_means() -> None:
    answer = read_answer(OUTLOOK_COUNTER)
    assert answer is not None
    assert answer.method == "COUNTER" and answer.uid == "m1@mentormail.example"
    assert answer.attendee == "sam@university.example"  # no mailto:, any case
    assert answer.proposed_start == datetime(2027, 1, 14, 14, 0, tzinfo=UTC)  # 15:00 in Berlin
    assert answer.proposed_end == datetime(2027, 1, 14, 15, 0, tzinfo=UTC)
    assert answer.comment == "Could we do Thursday instead?"
    # Rule 17: Outlook's reply time orders answers, not its SEQUENCE.
    assert answer.stamp == datetime(2027, 1, 10, 11, 59, tzinfo=UTC)


def test_google_puts_the_comment_on_the_attendee() -> None:
    answer = read_answer(GOOGLE_REPLY)
    assert answer is not None
    assert (answer.method, answer.partstat, answer.comment) == (
        "REPLY",
        "DECLINED",
        "On call that week",
    )
    assert answer.proposed_start is None  # a REPLY proposes nothing


def test_the_mime_method_counts_when_the_calendar_has_none() -> None:
    without = GOOGLE_REPLY.replace(b"METHOD:REPLY\r\n", b"")
    assert read_answer(without) is None
    answer = read_answer(without, method_hint="REPLY")
    assert answer is not None and answer.partstat == "DECLINED"


def test_invitations_and_junk_are_not_answers() -> None:
    assert read_answer(GOOGLE_REPLY.replace(b"METHOD:REPLY", b"METHOD:REQUEST")) is None
    assert read_answer(b"BEGIN:VCALENDAR\r\nnot really\r\n") is None
    assert read_answer(b"\x00\xff" * 100) is None
    assert read_answer(GOOGLE_REPLY.replace(b"UID:m1@mentormail.example\r\n", b"")) is None


def test_what_an_answer_changes() -> None:
    answer = read_answer(GOOGLE_REPLY)
    assert answer is not None
    attendees = ("zoe@hospital.example", "sam@university.example")
    uid = "m1@mentormail.example"
    assert why_ignored(answer, uid=uid, attendees=attendees, sender="zoe@hospital.example") is None
    assert why_ignored(answer, uid="other", attendees=attendees, sender="zoe@hospital.example")
    # Forwarded, and answered by a colleague's calendar: rule 20.
    assert why_ignored(answer, uid=uid, attendees=attendees, sender="sam@university.example")
    assert why_ignored(answer, uid=uid, attendees=attendees[1:], sender="zoe@hospital.example")


def test_whose_answer_a_calendar_sends() -> None:
    """The invited ATTENDEE, through their signed address, their From, or a calendar
    server's Reply-To (INTEROP: Nextcloud and SabreDAV send From: themselves)."""
    answer = read_answer(GOOGLE_REPLY)
    assert answer is not None
    zoe, server, stranger = "zoe@hospital.example", "noreply@cloud.example", "x@elsewhere.example"
    invited = ("sam@university.example", zoe)

    def whose(signed_for: str | None, sender: str | None, reply_to: str | None) -> str | None:
        return answered_by(
            answer, invited=invited, signed_for=signed_for, sender=sender, reply_to=reply_to
        )

    assert whose(zoe, server, None) == zoe  # (a) to her signed ORGANIZER address
    assert whose(None, zoe, None) == zoe  # (b) from her
    assert whose(None, server, zoe) == zoe  # (c) a server answering for her
    assert whose(None, server, stranger) is None
    assert whose(None, stranger, None) is None
    # Her address signed for Sam does not make her answer his.
    assert whose("sam@university.example", server, None) is None
    uninvited = replace(answer, attendee=stranger)
    assert (
        answered_by(uninvited, invited=invited, signed_for=None, sender=stranger, reply_to=stranger)
        is None
    )
    # No ATTENDEE (Apple's iCal): the signed address's person's, else the sender's.
    bare = replace(answer, attendee=None)
    assert answered_by(bare, invited=invited, signed_for=zoe, sender=server, reply_to=None) == zoe
    assert answered_by(bare, invited=invited, signed_for=None, sender=zoe, reply_to=None) == zoe
