"""Helpers that build the messages people send back, for tests."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid


def parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def reply_to(
    received: bytes | EmailMessage,
    *,
    sender: str,
    body: str,
    name: str = "",
    quote: bool = True,
    use_token: bool = True,
    when: datetime | None = None,
) -> bytes:
    """A plain-text reply to one of our emails, as a Gmail user would write it."""
    original = parse(received) if isinstance(received, bytes) else received
    reply = EmailMessage(policy=policy.SMTP)
    reply["From"] = f"{name} <{sender}>" if name else sender
    reply_address = getaddresses([str(original["Reply-To"])])[0][1]
    reply["To"] = (
        reply_address
        if use_token
        else reply_address.split("+")[0] + "@" + reply_address.split("@")[1]
    )
    reply["Subject"] = "Re: " + str(original["Subject"])
    reply["Date"] = format_datetime(when or datetime.now(UTC))
    reply["Message-ID"] = make_msgid(domain=sender.split("@")[1])
    reply["In-Reply-To"] = str(original["Message-ID"])
    reply["References"] = str(original["Message-ID"])
    text = body
    if quote:
        plain = original.get_body(preferencelist=("plain",))
        quoted = str(plain.get_content()) if plain is not None else ""
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
