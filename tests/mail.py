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
