"""Spam complaints: a mailbox provider's feedback report (ARF, RFC 5965) about our mail.

The standard library's parser reads the report's structure (a `message/feedback-report`
part is parsed as a block of fields, `message/rfc822` as a message, `text/rfc822-headers`
is read here as a header block); the detector library reads bounces alone. What is kept of
a report is its fields and the original's identifiers: never the original's text, which
may be a private email of ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32
from email.utils import getaddresses

# "The recipient thinks this is spam / a fraud / carried a virus" (RFC 5965 section 7.3).
# `not-spam` takes nothing back here, and `auth-failure` (RFC 6591) is a report about a
# domain's signatures, not about a person: neither is a complaint.
COMPLAINT_TYPES = frozenset({"abuse", "fraud", "virus"})
_ID = re.compile(r"<([^<>\s]{1,250})>")


@dataclass(frozen=True)
class Complaint:
    feedback_type: str
    # Whom the complained-of copy was delivered to: Original-Rcpt-To (the report's own
    # field), else the original's To and Cc. Providers that redact it leave a placeholder.
    recipients: tuple[str, ...]
    # The original's Message-ID, and the addresses its From, Reply-To and Sender name (a
    # signed reply address of ours is among them when the original was ours).
    message_id: str | None
    senders: tuple[str, ...]

    @property
    def is_complaint(self) -> bool:
        return self.feedback_type in COMPLAINT_TYPES


def _addresses(values: list[str]) -> tuple[str, ...]:
    found = (a.strip().lower() for _, a in getaddresses(values))
    return tuple(dict.fromkeys(a for a in found if "@" in a))


def _fields(part: Message) -> Message | None:
    """The feedback fields: parsed as a message's headers by the standard parser."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return payload[0] if payload and isinstance(payload[0], Message) else None
    if isinstance(payload, str):
        return HeaderParser(policy=compat32).parsestr(payload.lstrip("\r\n"), headersonly=True)
    return None


def _original_headers(part: Message) -> Message | None:
    """The original's header block, from a `message/rfc822` or `text/rfc822-headers` part."""
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            return payload[0]
        return None
    text = part.get_payload(decode=True)
    if not isinstance(text, bytes):
        return None
    decoded = text.decode(part.get_content_charset() or "utf-8", "replace")
    return HeaderParser(policy=compat32).parsestr(decoded, headersonly=True)


def read_complaint(message: Message) -> Complaint | None:
    """The report a `multipart/report; report-type=feedback-report` message is, or None."""
    if message.get_content_type() != "multipart/report":
        return None
    if str(message.get_param("report-type") or "").lower() != "feedback-report":
        return None
    fields: Message | None = None
    original: Message | None = None
    parts = message.get_payload()
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, Message):
            continue
        kind = part.get_content_type()
        if kind == "message/feedback-report" and fields is None:
            fields = _fields(part)
        elif kind in ("message/rfc822", "text/rfc822-headers") and original is None:
            original = _original_headers(part)
    if fields is None:
        return None
    feedback_type = str(fields.get("Feedback-Type", "")).strip().lower()
    recipients = _addresses([str(v) for v in fields.get_all("Original-Rcpt-To", [])])
    message_id = None
    senders: tuple[str, ...] = ()
    if original is not None:
        if not recipients:
            recipients = _addresses([str(original.get(h, "")) for h in ("To", "Cc")])
        found = _ID.search(str(original.get("Message-ID", "")))
        message_id = found.group(1) if found else None
        senders = _addresses([str(original.get(h, "")) for h in ("From", "Reply-To", "Sender")])
    return Complaint(feedback_type, recipients, message_id, senders)
