"""Bounces: which recipient could not be reached, and whether it is worth trying again.

Standard delivery status notifications (RFC 3464) are read field by field; the vendor
formats older servers send (Postfix, Exim, qmail, Exchange, GroupWise, Yahoo…) go to a
well-kept detector library; a plain "Delivery failed" note from a postmaster is read last.
Read receipts (RFC 8098) and spam complaints (RFC 5965) are reports too, but not bounces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message
from email.utils import parseaddr

from flufl.bounce import all_failures

# Only the start of a bounce is read: the returned original can be large. The detectors try
# each of their patterns on every line, so lines count as well as bytes (a report of 19,000
# one-word lines took them 0.45 s).
MAX_BOUNCE_BYTES = 256_000
MAX_BOUNCE_LINES = 2_000


def _start_of(raw: bytes) -> bytes:
    """The first MAX_BOUNCE_BYTES of a bounce, and of those its first MAX_BOUNCE_LINES."""
    raw = raw[:MAX_BOUNCE_BYTES]
    end = -1
    for _ in range(MAX_BOUNCE_LINES):
        end = raw.find(b"\n", end + 1)
        if end < 0:
            return raw
    return raw[: end + 1]


_DAEMON = re.compile(
    r"^(?:mailer-?daemon|postmaster|mail-?daemon|mdaemon|mail delivery)|antivirus", re.IGNORECASE
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (?:status notification|failure|failed|has failed|warning)|"
    r"returned mail|mail delivery failed|failure notice|non[- ]?delivery|user unknown|"
    r"could not be delivered|"
    r"unzustellbar|non remis|no se puede entregar|onbestelbaar",
    re.IGNORECASE,
)
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_ORIGINAL = re.compile(
    r"^(?:-+ ?(?:original message|this is a copy)|original message follows|"
    r"-+ ?(?:below this line is a copy)|the original message)",
    re.IGNORECASE | re.MULTILINE,
)
_TRANSIENT_WORDS = re.compile(
    r"\b(?:delayed|will (?:be )?retr(?:y|ied)|temporar(?:y|ily)|still trying|deferred)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class BouncedRecipient:
    address: str
    permanent: bool
    status: str | None  # the enhanced status code (RFC 3463) when the report gives one


@dataclass(frozen=True)
class Bounce:
    recipients: tuple[BouncedRecipient, ...]


def _report_type(message: Message) -> str:
    if message.get_content_type() != "multipart/report":
        return ""
    return str(message.get_param("report-type") or "").lower()


def is_other_report(message: Message) -> bool:
    """A read receipt or a spam complaint: machine mail that is not a bounce."""
    return _report_type(message) in ("disposition-notification", "feedback-report")


def _permanent(status: str | None, action: str) -> bool:
    """RFC 3464: "failed" is final for the message, "delayed" is not. A full mailbox (X.2.2)
    is reported as failed by some servers, but it may empty again: that one counts as soft."""
    if action != "failed":
        return False
    return status is None or not re.fullmatch(r"[45]\.2\.2", status)


def _recipient_address(value: str) -> str | None:
    # "rfc822; <a@b.example>"
    _, _, address = value.partition(";")
    found = _ADDRESS.search(address or value)
    return found.group(0).lower() if found else None


def _delivery_status(message: Message) -> list[BouncedRecipient] | None:
    """The per-recipient blocks of an RFC 3464 report, or None when there are none."""
    for part in message.walk():
        if part.get_content_type() not in (
            "message/delivery-status",
            "message/global-delivery-status",
        ):
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            text = blocks if isinstance(blocks, str) else ""
            blocks = [
                message_from_bytes(chunk.strip().encode("utf-8", "replace"))
                for chunk in re.split(r"\r?\n\s*\r?\n", text)
                if chunk.strip()
            ]
        found: list[BouncedRecipient] = []
        for block in blocks:
            if not isinstance(block, Message):
                continue
            # The address we sent to, when the receiving system rewrote it on the way.
            recipient = block.get("Original-Recipient") or block.get("Final-Recipient")
            action = str(block.get("Action", "")).strip().lower()
            if recipient is None or action not in ("failed", "delayed"):
                continue
            address = _recipient_address(str(recipient))
            status_match = re.search(r"\b[245]\.\d{1,3}\.\d{1,3}\b", str(block.get("Status", "")))
            status = status_match.group(0) if status_match else None
            if address:
                found.append(BouncedRecipient(address, _permanent(status, action), status))
        if found:
            return found
    return None


def _library(message: Message) -> list[BouncedRecipient]:
    try:
        temporary, permanent = all_failures(message)
    except Exception:
        # The detectors are regular expressions over whatever arrived: a malformed bounce
        # must not stop the rest of the reading.
        return []
    found = {_text(a): BouncedRecipient(_text(a), True, None) for a in permanent}
    for address in temporary:
        found.setdefault(_text(address), BouncedRecipient(_text(address), False, None))
    # The detectors answer with sets: in address order, the same whatever the hash seed.
    return sorted((r for r in found.values() if "@" in r.address), key=lambda r: r.address)


def _text(address: bytes | str) -> str:
    value = address.decode("utf-8", "replace") if isinstance(address, bytes) else address
    return value.strip("<> ").lower()


def _plain_note(message: Message, own: set[str]) -> list[BouncedRecipient]:
    """ "Delivery failed 10 attempts: info@example.net" from a postmaster, in plain text."""
    body = ""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                body = payload.decode(part.get_content_charset() or "utf-8", "replace")
            break
    cut = _ORIGINAL.search(body)
    notice = body[: cut.start()] if cut else body[:5000]
    permanent = not _TRANSIENT_WORDS.search(notice)
    addresses = dict.fromkeys(a.lower() for a in _ADDRESS.findall(notice))
    return [BouncedRecipient(a, permanent, None) for a in addresses if a not in own]


def _from_machine(message: Message) -> bool:
    """Sent by a mail system: a daemon's address or name, or the null return path."""
    name, address = parseaddr(str(message.get("From", "")))
    return_path = str(message.get("Return-Path", "x")).strip().strip("<>").lower()
    return bool(_DAEMON.search(address) or _DAEMON.match(name)) or return_path in (
        "",
        "mailer-daemon",
    )


def read_bounce(raw: bytes, headers: Message, subject: str) -> Bounce | None:
    """The recipients a bounce names; None when the message is not a bounce.

    `headers` is the message as the caller already parsed it, `subject` its decoded Subject.
    Only mail that looks like a mail system's report (by its headers) is read further: the
    vendor detectors find "bounces" in ordinary replies.
    """
    from_daemon = _from_machine(headers)
    if is_other_report(headers) and not from_daemon:
        return None
    looks_like = (
        _report_type(headers) == "delivery-status"
        or headers.get_content_type() == "message/delivery-status"
        or from_daemon
        or bool(_BOUNCE_SUBJECT.search(subject))
    )
    if not looks_like:
        return None
    message = message_from_bytes(_start_of(raw), policy=policy.compat32)
    recipients = _delivery_status(message) or _library(message)
    if not recipients and (from_daemon or _BOUNCE_SUBJECT.search(subject)):
        own = {a.lower() for _, a in [parseaddr(str(message.get("To", "")))] if a}
        recipients = _plain_note(message, own)
    if not recipients and not (from_daemon or _report_type(message) == "delivery-status"):
        return None
    return Bounce(tuple(recipients))
