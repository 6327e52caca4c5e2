"""Helpers that build the messages people send back, for tests."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from zoneinfo import ZoneInfo

from icalendar import Calendar


def parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def to_plain_address(
    service_address: str, sender: str, body: str, csv: bytes | None = None
) -> bytes:
    """A new message to the service's plain address, with whatever From its writer chose."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = service_address
    message["Subject"] = "Commands"
    message["Message-ID"] = make_msgid(domain="elsewhere.example")
    message.set_content(body)
    if csv is not None:
        message.add_attachment(csv, maintype="text", subtype="csv", filename="pairs.csv")
    return message.as_bytes()


def reply_to(
    received: bytes | EmailMessage,
    *,
    sender: str,
    body: str,
    name: str = "",
    quote: bool = True,
    use_token: bool = True,
    when: datetime | None = None,
    style: str = "gmail",
) -> bytes:
    """A reply to one of our emails as a mail client writes it: `gmail` (plain text, the
    original quoted with `>` under "On … wrote:"), `outlook` (the original unquoted under a
    From/Sent/To/Subject block) or `html` (HTML only, the original in a blockquote)."""
    original = parse(received) if isinstance(received, bytes) else received
    reply = EmailMessage(policy=policy.SMTP)
    reply["From"] = f"{name} <{sender}>" if name else sender
    reply_address = getaddresses([str(original["Reply-To"])])[0][1]
    reply["To"] = (
        reply_address
        if use_token
        else reply_address.split("+")[0] + "@" + reply_address.split("@")[1]
    )
    reply["Subject"] = ("RE: " if style == "outlook" else "Re: ") + str(original["Subject"])
    reply["Date"] = format_datetime(when or datetime.now(UTC))
    reply["Message-ID"] = make_msgid(domain=sender.split("@")[1])
    reply["In-Reply-To"] = str(original["Message-ID"])
    reply["References"] = str(original["Message-ID"])
    plain = original.get_body(preferencelist=("plain",))
    quoted = str(plain.get_content()) if plain is not None and quote else ""
    if style == "html":
        markup = original.get_body(preferencelist=("html",))
        original_html = str(markup.get_content()) if markup is not None and quote else ""
        paragraphs = "".join(f"<div>{line}</div>" for line in body.splitlines())
        reply.set_content(
            f"<html><body>{paragraphs}<div><br></div>"
            '<div class="gmail_quote">On Mon, 23 Nov 2026 at 14:00, mentormail wrote:<br>'
            f'<blockquote style="margin:0 0 0 .8ex">{original_html}</blockquote></div>'
            "</body></html>",
            subtype="html",
        )
        return reply.as_bytes()
    text = body
    if quote and style == "outlook":
        text += (
            "\n\n________________________________\n"
            f"From: mentormail <{original['From'].addresses[0].addr_spec}>\n"
            "Sent: Monday, November 23, 2026 2:00 PM\n"
            f"To: {sender}\nSubject: {original['Subject']}\n\n{quoted}"
        )
    elif quote:
        text += "\n\nOn Mon, 23 Nov 2026 at 14:00, mentormail wrote:\n" + "\n".join(
            "> " + line for line in quoted.splitlines()
        )
    reply.set_content(text)
    return reply.as_bytes()


def delivery_report(
    original: bytes,
    recipient: str,
    *,
    status: str = "5.1.1",
    action: str = "failed",
    day: str = "Mon, 1 Mar 2027 10:00:00 +0000",
) -> bytes:
    """An RFC 3464 report for `original`, as a receiving mail system returns it."""
    sent = parse(original)
    boundary = "report-boundary-1"
    headers = b"".join(
        f"{name}: {sent[name]}\r\n".encode() for name in ("From", "To", "Subject", "Message-ID")
    )
    return (
        (
            f"From: Mail Delivery System <MAILER-DAEMON@mx.university.example>\r\n"
            f"To: {sent['From'].addresses[0].addr_spec}\r\n"
            f"Subject: Undelivered Mail Returned to Sender\r\n"
            f"Date: {day}\r\n"
            f"Message-ID: <{abs(hash((recipient, day, status)))}@mx.university.example>\r\n"
            f"Auto-Submitted: auto-replied\r\n"
            f"MIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status;\r\n"
            f' boundary="{boundary}"\r\n'
            f"\r\n--{boundary}\r\n"
            f"Content-Type: text/plain\r\n\r\n"
            f"I'm sorry to have to inform you that your message could not be delivered.\r\n"
            f"\r\n--{boundary}\r\n"
            f"Content-Type: message/delivery-status\r\n\r\n"
            f"Reporting-MTA: dns; mx.university.example\r\n\r\n"
            f"Final-Recipient: rfc822; {recipient}\r\n"
            f"Action: {action}\r\n"
            f"Status: {status}\r\n"
            f"Diagnostic-Code: smtp; 550 {status} user unknown\r\n"
            f"\r\n--{boundary}\r\n"
            f"Content-Type: text/rfc822-headers\r\n\r\n"
        ).encode()
        + headers
        + f"\r\n--{boundary}--\r\n".encode()
    )


_WINDOWS_BERLIN = (
    "BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\n"
    "BEGIN:STANDARD\r\nDTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\n"
    "BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
)


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar_answer(
    invitation: bytes,
    *,
    sender: str,
    partstat: str = "ACCEPTED",
    client: str = "outlook",
    comment: str | None = None,
    proposed: tuple[datetime, datetime] | None = None,
    written: datetime | None = None,
    to: str | None = None,
    answering_for: str | None = None,
    server: str = "no-reply@cloud.university.example",
) -> bytes:
    """A calendar's answer to one of our invitations, shaped as each client writes it:
    Outlook (Windows zone names, COMMENT, reply time, no ORGANIZER), Google (the comment as
    an ATTENDEE parameter, the file twice), Apple (a plain REPLY with the file attached),
    Nextcloud and other SabreDAV servers (`From:` the server's own `server` address,
    `Reply-To:` the attendee or `answering_for`). With `proposed`, a COUNTER: "propose a
    new time". It goes to the invitation's ORGANIZER, or `to`."""
    sent = parse(invitation)
    method = "COUNTER" if proposed else "REPLY"
    ics_in = next(p for p in sent.walk() if p.get_content_type() == "text/calendar")
    original = ics_in.get_payload(decode=True)
    assert isinstance(original, bytes)
    event = Calendar.from_ical(original).walk("VEVENT")[0]
    uid = str(event["UID"])
    organizer = str(event["ORGANIZER"]).removeprefix("mailto:")
    written = written or datetime.now(UTC)
    attendee = f"ATTENDEE;PARTSTAT={partstat};CN=Someone:mailto:{sender}\r\n"
    lines = ["BEGIN:VCALENDAR\r\n", f"METHOD:{method}\r\n", "VERSION:2.0\r\n"]
    if client == "outlook":
        lines += ["PRODID:Microsoft Exchange Server 2010\r\n", _WINDOWS_BERLIN]
    elif client == "nextcloud":
        lines += ["PRODID:-//Sabre//Sabre VObject 4.5.4//EN\r\n", "CALSCALE:GREGORIAN\r\n"]
    elif client == "google":
        lines += ["PRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"]
        if comment:
            attendee = (
                f'ATTENDEE;PARTSTAT={partstat};X-RESPONSE-COMMENT="{comment}":mailto:{sender}\r\n'
            )
    else:
        lines += ["PRODID:-//Apple Inc.//macOS 14.0//EN\r\n"]
    lines += ["BEGIN:VEVENT\r\n", f"UID:{uid}\r\n", attendee, f"DTSTAMP:{_stamp(written)}\r\n"]
    if client != "outlook":
        lines.append(f"ORGANIZER:mailto:{organizer}\r\n")
    if client == "outlook":
        lines.append(f"X-MICROSOFT-CDO-REPLYTIME:{_stamp(written)}\r\n")
    if comment and client != "google":
        lines.append(f"COMMENT:{comment}\r\n")
    if proposed:
        start, end = proposed
        if client == "outlook":
            berlin = "W. Europe Standard Time"
            local = ZoneInfo("Europe/Berlin")
            lines += [
                f"DTSTART;TZID={berlin}:{start.astimezone(local):%Y%m%dT%H%M%S}\r\n",
                f"DTEND;TZID={berlin}:{end.astimezone(local):%Y%m%dT%H%M%S}\r\n",
            ]
        else:
            lines += [f"DTSTART:{_stamp(start)}\r\n", f"DTEND:{_stamp(end)}\r\n"]
    lines += [
        "SEQUENCE:0\r\n" if client == "outlook" else "",
        "END:VEVENT\r\n",
        "END:VCALENDAR\r\n",
    ]
    ics = "".join(lines).encode()
    answer = EmailMessage(policy=policy.SMTP)
    if client == "nextcloud":
        answer["From"] = f"Calendar via Nextcloud <{server}>"
        answer["Reply-To"] = answering_for or sender
        answer["Auto-Submitted"] = "auto-generated"
    else:
        answer["From"] = sender
    answer["To"] = to or organizer
    answer["Subject"] = ("Accepted: " if partstat == "ACCEPTED" else "Re: ") + str(sent["Subject"])
    answer["Date"] = format_datetime(written)
    answer["Message-ID"] = make_msgid(domain=sender.split("@")[1])
    answer.set_content(f"{sender} has answered: {partstat.lower()}.\n")
    answer.add_alternative(ics, maintype="text", subtype="calendar", params={"method": method})
    if client in ("google", "apple"):
        answer.add_attachment(ics, maintype="application", subtype="ics", filename="invite.ics")
    elif client == "nextcloud":
        answer.add_attachment(
            ics,
            maintype="text",
            subtype="calendar",
            filename="event.ics",
            params={"method": method},
        )
    return answer.as_bytes()


def complaint_report(
    original: bytes,
    recipient: str | None,
    *,
    body: str | None = None,
    headers_only: bool = False,
    feedback_type: str = "abuse",
) -> bytes:
    """A spam complaint (ARF, RFC 5965) about `original`, as a mailbox provider's feedback
    loop sends it: the whole original as delivered (its body replaced by `body` when given),
    or its headers alone; `recipient` as Original-Rcpt-To (None: left out)."""
    head, _, text = original.partition(b"\r\n\r\n")
    copy = head + b"\r\n\r\n" + (body.encode() if body is not None else text)
    part = (
        b"Content-Type: text/rfc822-headers\r\n\r\n" + head + b"\r\n"
        if headers_only
        else b"Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n" + copy
    )
    rcpt = f"Original-Rcpt-To: {recipient}\r\n" if recipient else ""
    return (
        (
            "From: Feedback Loop <fbl@feedback.mail.example>\r\n"
            "To: mentorship@mentormail.example\r\n"
            "Subject: Complaint about a message from mentormail.example\r\n"
            f"Message-ID: {make_msgid(domain='feedback.mail.example')}\r\n"
            "Date: Tue, 1 Dec 2026 10:00:00 +0000\r\n"
            "MIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type="feedback-report";\r\n'
            ' boundary="arf-boundary"\r\n'
            "\r\n--arf-boundary\r\n"
            "Content-Type: text/plain\r\n\r\n"
            "This is an email abuse report for a message received from our user.\r\n"
            "\r\n--arf-boundary\r\n"
            "Content-Type: message/feedback-report\r\n\r\n"
            f"Feedback-Type: {feedback_type}\r\n"
            "User-Agent: ExampleFBL/1.0\r\n"
            "Version: 1\r\n"
            "Original-Mail-From: <mentorship@mentormail.example>\r\n"
            f"{rcpt}"
            "Reported-Domain: mentormail.example\r\n"
            "\r\n--arf-boundary\r\n"
        ).encode()
        + part
        + b"\r\n--arf-boundary--\r\n"
    )
