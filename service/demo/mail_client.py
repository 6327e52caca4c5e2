"""The simulated people's mail client: reading what arrives, and writing a reply as theirs would."""

from __future__ import annotations

import html
import random
from datetime import datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import format_datetime, getaddresses, make_msgid

from service.demo.people import Person

# Headers only, as they are on the wire: the modern parser's header objects cost more than
# the simulation's own work, and only names and subjects need decoding.
HEADERS = BytesHeaderParser(policy=policy.compat32)


def decoded(value: str | None) -> str:
    """An RFC 2047 encoded header (a name or subject with accents) as the reader sees it."""
    if value is None:
        return ""
    return str(make_header(decode_header(value))) if "=?" in value else value


def plain_text(received: EmailMessage) -> str:
    """The plain-text body, as the reader sees it and as a reply quotes it."""
    part = received.get_body(preferencelist=("plain",))
    text = part.get_content() if part is not None else ""
    return str(text)


def _reply_text(person: Person, received: EmailMessage, body: str, when: datetime) -> str:
    """The body, then the signature and the quoted original in the style of the client."""
    sender = str(received["From"])
    sent_at = received["Date"].datetime if received["Date"] else when
    original = plain_text(received)
    if person.style == "gmail":
        return (
            f"{body}\n\n--\n{person.name}\n\n"
            f"On {sent_at:%a, %b %d, %Y at %H:%M}, {sender} wrote:\n"
            + "\n".join(f"> {line}" if line else ">" for line in original.splitlines())
        )
    if person.style == "outlook":
        return (
            f"{body}\n\nBest regards,\n{person.name}\n\n"
            "________________________________\n"
            f"From: {sender}\nSent: {sent_at:%A, %B %d, %Y %H:%M}\n"
            f"To: {person.name} <{person.email}>\nSubject: {received['Subject']}\n\n"
            f"{original}"
        )
    return (
        f"{body}\n\nSent from my iPhone\n\n"
        f"> On {sent_at:%d %b %Y}, at {sent_at:%H:%M}, {sender} wrote:\n>\n"
        + "\n".join(f"> {line}" for line in original.splitlines())
    )


def compose_reply(
    person: Person, received: EmailMessage, body: str, when: datetime, rng: random.Random
) -> bytes:
    """A reply as the person's mail client would write it: quoting, signature and all."""
    text = _reply_text(person, received, body, when)
    reply = EmailMessage(policy=policy.SMTP)
    reply["From"] = f"{person.name} <{person.email}>"
    reply_to = getaddresses([str(received.get("Reply-To", ""))])
    reply["To"] = reply_to[0][1] if reply_to else str(received["From"])
    subject = str(received["Subject"])
    reply["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    reply["Date"] = format_datetime(when)
    reply["Message-ID"] = make_msgid(
        idstring=str(rng.randrange(10**9)), domain=person.email.partition("@")[2]
    )
    reply["In-Reply-To"] = str(received["Message-ID"])
    reply["References"] = str(received["Message-ID"])
    reply.set_content(text)
    if person.style == "outlook":
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n"))
        reply.add_alternative(f"<html><body>{paragraphs}</body></html>", subtype="html")
    return reply.as_bytes()
