"""Reading one inbound message: headers, the human text, what is quoted, what kind it is."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.policy import EmailPolicy
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from functools import lru_cache
from itertools import islice
from typing import Literal, NamedTuple

import html2text

from service.mail.reading.bounces import Bounce, read_bounce
from service.mail.reading.complaints import Complaint, read_complaint
from service.mail.reading.invisible import without_invisible
from service.mail.reading.itip import CalendarAnswer, read_answer
from service.mail.reading.quotes import split_signature, strip_quotation

Kind = Literal["reply", "itip", "bounce", "complaint", "auto_reply", "unknown"]

MAX_TEXT = 200_000
MAX_LINE = 5_000
MAX_PARTS = 200
MAX_MARKUP = 300_000  # characters of HTML; the text itself is capped at MAX_TEXT
MAX_CALENDAR = 200_000  # an answer is a few kilobytes, Outlook's with its zones some more; a
# calendar of 900 KB (20,000 events) took the calendar reader 0.9 s of a 1 s budget

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")
# A header field name (RFC 5322 allows more, but no client sends it); "<http://x>" is not one.
_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]{0,75}:[ \t]?")


@dataclass
class ParsedMessage:
    message_id: str | None
    from_addr: str | None
    from_name: str | None
    recipients: list[str]
    subject: str
    in_reply_to: str | None
    references: list[str]
    date: datetime | None
    kind: Kind
    text: str
    visible_text: str
    signature: str | None
    calendar: bytes | None
    defects: list[str] = field(default_factory=list)
    # The text without the quoted original, signature and all (visible_text is without them).
    reply_text: str = ""
    bounce: Bounce | None = None
    # A spam complaint about our mail (its identifiers only, never the original's text).
    complaint: Complaint | None = None
    answer: CalendarAnswer | None = None  # a calendar REPLY or COUNTER
    # Authentication-Results fields as written (whose they are is the reader's to check).
    authentication: list[str] = field(default_factory=list)
    # The first Reply-To address: whom a calendar server answers for (it writes From: as
    # itself). Nothing but a calendar answer reads it.
    reply_to: str | None = None


def clean_header(value: object, limit: int = 998) -> str:
    """A header value as a plain one-line string: no CR, LF or other control characters."""
    text = str(value or "")
    return " ".join(_CONTROL.sub(" ", text).split())[:limit]


def message_ids(value: str) -> list[str]:
    """The Message-IDs a header names (In-Reply-To, References), without their brackets."""
    return [i for i in re.findall(r"<([^<>\s]{1,250})>", value)] or (
        [value.strip("<> ")] if value.strip("<> ") and " " not in value.strip() else []
    )


_KNOWN_HEADERS = frozenset(
    {
        b"from",
        b"to",
        b"subject",
        b"date",
        b"message-id",
        b"received",
        b"return-path",
        b"mime-version",
        b"delivered-to",
        b"content-type",
        b"reply-to",
        b"x-original-to",
    }
)


def _looks_like_headers(raw: bytes) -> bool:
    """A raw message (an mbox "From " line or a header block with a header every mail
    has), not a bare body that happens to begin "Od: Jan" or "<http://x>"."""
    head = raw.lstrip(b"\r\n")[:8000]
    if head.startswith(b"From "):
        return True
    known = False
    for line in head.replace(b"\r\n", b"\n").split(b"\n")[:100]:
        if not line.strip():
            return known
        if line[:1] in (b" ", b"\t"):
            continue  # a folded header line
        if not _HEADER_LINE.match(line):
            return False
        known = known or line.split(b":", 1)[0].strip().lower() in _KNOWN_HEADERS
    return known


MAX_FIELD = 4_000  # bytes of one header field (folded lines included)
# Multiparts inside one message: real mail has a handful. The standard parser checks every
# line against the boundary of each multipart it is inside, so nesting costs it the square
# of the depth (800 levels took it 0.4 s).
MAX_MULTIPARTS = 50
_BODY_START = re.compile(rb"\r?\n\r?\n")
_DELIMITER = re.compile(rb"\n--")
_BOUNDARY = re.compile(rb"boundary\s*=", re.IGNORECASE)


def _bounded(raw: bytes, defects: list[str]) -> bytes:
    """The message cut where the standard parser's time would grow with hostile input:
    header fields of thousands of encoded words, multiparts by the hundred (nested, each one
    slows the reading of every line inside it), and parts by the ten thousand (only
    MAX_PARTS are read anyway)."""
    split = _BODY_START.search(raw)
    head, rest = (raw[: split.start()], raw[split.start() :]) if split else (raw, b"")
    if len(head) > MAX_FIELD:
        fields: list[bytes] = []
        for line in head.splitlines(keepends=True):
            if line[:1] in (b" ", b"\t") and fields:
                if len(fields[-1]) + len(line) > MAX_FIELD:
                    if not fields[-1].endswith(b"\n"):
                        fields[-1] += b"\r\n"
                    continue
                fields[-1] += line
            else:
                fields.append(line[:MAX_FIELD] + (b"\r\n" if len(line) > MAX_FIELD else b""))
        trimmed = b"".join(fields)
        if len(trimmed) < len(head):
            defects.append("header field too long: cut")
            head = trimmed.rstrip(b"\r\n")
    multipart = b"multipart" in head.lower()
    if multipart:
        beyond = next(islice(_BOUNDARY.finditer(rest), MAX_MULTIPARTS, None), None)
        cut = rest.rfind(b"\n--", 0, beyond.start()) if beyond else -1
        if cut > 0:
            defects.append("too many multiparts: the rest was not read")
            rest = rest[:cut] + b"\r\n"
    for count, delimiter in enumerate(_DELIMITER.finditer(rest) if multipart else (), 1):
        if count > 4 * MAX_PARTS:
            defects.append("too many parts: the rest was not read")
            rest = rest[: delimiter.start()] + b"\r\n"
            break
    return head + rest


@lru_cache(maxsize=1024)
def _parsed_header(name: str, value: str) -> object:
    return policy.default.header_fetch_parse(name, value)


# Fields only this module reads, and only as text: in plain ASCII with no encoded word, the
# standard parser's reading of them is the text itself, unfolded, and skipping it saved a
# sixth of the time spent reading a reply. Address fields are not among them: the standard
# parser's reading of a malformed address is what tells it is one (only the plainest are
# taken as they are, below).
_READ_AS_TEXT = frozenset(
    {
        "subject",
        "date",
        "message-id",
        "in-reply-to",
        "references",
        "auto-submitted",
        "precedence",
        "x-auto-response-suppress",
        "x-autoreply",
        "x-autorespond",
        "authentication-results",
    }
)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

# Address fields of the plainest form, "Name Words <local@domain.tld>" or "local@domain.tld",
# one or several joined by ", ": the standard parser's reading of them is the text itself,
# and it took two fifths of the time spent reading a reply (0.67 ms, now 0.39). Anything
# else (quotes, a dot in the name, comments, a dotless or bracketed domain, stray spaces)
# takes the standard reading.
_ADDRESS_FIELDS = frozenset(
    {"from", "to", "cc", "reply-to", "sender", "delivered-to", "x-original-to", "envelope-to"}
)
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_ADDR_SPEC = rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+"
_MAILBOX = rf"(?:[A-Za-z0-9'-]+(?: [A-Za-z0-9'-]+)* <{_ADDR_SPEC}>|{_ADDR_SPEC})"
_PLAIN_ADDRESSES = re.compile(rf"{_MAILBOX}(?:, {_MAILBOX})*")


class _ParsedOnce(EmailPolicy):
    """The standard policy, with each header field parsed once rather than on every read:
    reading a reply asks for Content-Type, From or Subject a couple of dozen times, and
    parsing them again was three quarters of the time spent reading it. Parsed headers are
    immutable strings, so one can be handed out again."""

    def header_fetch_parse(self, name: str, value: str) -> object:  # type: ignore[override]
        if hasattr(value, "name") or len(value) > 4096:
            return super().header_fetch_parse(name, value)
        if value.isascii() and "=?" not in value:
            field = name.lower()
            if field in _READ_AS_TEXT:
                return _LINE_BREAK.sub("", value)
            if field in _ADDRESS_FIELDS and _PLAIN_ADDRESSES.fullmatch(value):
                return value
        return _parsed_header(name, value)


READING = _ParsedOnce()


def parse_message(raw: bytes) -> ParsedMessage:
    """Never raises: anything unreadable becomes a defect, and the kind says what is left."""
    if raw.startswith(b"From ") and b"\n" in raw:
        raw = raw.split(b"\n", 1)[1]  # an mbox separator line, not a header
    if not _looks_like_headers(raw):
        return _bare_body(raw)
    defects: list[str] = []
    raw = _bounded(raw, defects)
    try:
        message = message_from_bytes(raw, policy=READING)
    except Exception as exc:
        return _unreadable(exc)
    defects.extend(type(d).__name__ for d in message.defects[:10])
    header = _header_reader(message, defects)
    envelope = _read_envelope(header, defects)
    text, calendar, method, report = _walk(message, defects)
    # Whatever the writer's words become (commands, goals, notes) is echoed to others.
    text = without_invisible(text)
    answer = read_answer(calendar, method) if calendar is not None else None
    complaint = _read_complaint(message, defects)
    bounce = None if complaint is not None else _read_bounce(raw, message, header, defects)
    reply = strip_quotation(text)
    visible, signature = split_signature(reply)
    kind: Kind = "bounce" if bounce is not None else "itip" if answer is not None else "reply"
    if complaint is not None and complaint.is_complaint:
        kind = "complaint"
    if kind == "reply":
        kind = _classify(header, envelope.from_addr, text, report)
    return ParsedMessage(
        message_id=envelope.message_id,
        from_addr=envelope.from_addr or None,
        from_name=envelope.from_name or None,
        recipients=envelope.recipients,
        subject=header("Subject"),
        in_reply_to=envelope.in_reply_to,
        references=envelope.references,
        date=envelope.date,
        kind=kind,
        text=text,
        visible_text=visible,
        signature=signature,
        calendar=calendar,
        defects=defects,
        reply_text=reply,
        bounce=bounce,
        complaint=complaint,
        answer=answer,
        authentication=_fields(message, "Authentication-Results", defects),
        reply_to=envelope.reply_to,
    )


def _bare_body(raw: bytes) -> ParsedMessage:
    """Text with no header block: all of it is the reply, and nothing says who sent it."""
    text = without_invisible(_decode(raw[:MAX_TEXT], "utf-8"))
    reply = strip_quotation(text)
    visible, signature = split_signature(reply)
    return ParsedMessage(
        message_id=None,
        from_addr=None,
        from_name=None,
        recipients=[],
        subject="",
        in_reply_to=None,
        references=[],
        date=None,
        kind="reply" if visible.strip() else "unknown",
        text=text,
        visible_text=visible,
        signature=signature,
        calendar=None,
        defects=["no header block: read as a bare body"],
        reply_text=reply,
    )


def _unreadable(exc: Exception) -> ParsedMessage:
    """A message the standard parser gave up on: nothing in it is read."""
    return ParsedMessage(
        message_id=None,
        from_addr=None,
        from_name=None,
        recipients=[],
        subject="",
        in_reply_to=None,
        references=[],
        date=None,
        kind="unknown",
        text="",
        visible_text="",
        signature=None,
        calendar=None,
        defects=[f"unreadable message: {type(exc).__name__}"],
    )


_HeaderReader = Callable[[str], str]


def _header_reader(message: Message, defects: list[str]) -> _HeaderReader:
    """A reader of one header field as a clean line: "" (and a defect) when it is unreadable."""

    def header(name: str) -> str:
        try:
            return clean_header(message.get(name, ""))
        except Exception:
            defects.append(f"unreadable {name} header")
            return ""

    return header


class _Envelope(NamedTuple):
    """Who wrote, to whom, when, and which messages this one answers."""

    from_addr: str  # "" when there is none we could answer
    from_name: str
    reply_to: str | None
    recipients: list[str]
    date: datetime | None
    message_id: str | None
    in_reply_to: str | None
    references: list[str]


def _read_envelope(header: _HeaderReader, defects: list[str]) -> _Envelope:
    from_name, from_addr = parseaddr(header("From"))
    from_addr = from_addr.lower() if "@" in from_addr else ""
    if from_addr and not _REPLYABLE.fullmatch(from_addr):
        # Nobody in a program writes from such an address, and no answer could reach it.
        defects.append("sender address is not one mail can be sent to")
        from_addr = ""
    recipients = [
        addr.lower()
        for _, addr in getaddresses(
            [header(h) for h in ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")]
        )
        if "@" in addr
    ]
    reply_to = next(
        (
            addr.lower()
            for _, addr in getaddresses([header("Reply-To")])
            if _REPLYABLE.fullmatch(addr.lower())
        ),
        None,
    )
    date = None
    try:
        if header("Date"):
            date = parsedate_to_datetime(header("Date"))
            if date.tzinfo is None:
                date = None
    except (TypeError, ValueError, IndexError):
        defects.append("unreadable Date header")
    return _Envelope(
        from_addr=from_addr,
        from_name=clean_header(from_name, 200),
        reply_to=reply_to,
        recipients=recipients,
        date=date,
        message_id=next(iter(message_ids(header("Message-ID"))), None),
        in_reply_to=next(iter(message_ids(header("In-Reply-To"))), None),
        references=message_ids(header("References"))[-20:],
    )


def _read_bounce(
    raw: bytes, message: Message, header: _HeaderReader, defects: list[str]
) -> Bounce | None:
    """The delivery report the message is, if it is one: one we cannot read is a defect."""
    try:
        return read_bounce(raw, message, header("Subject"))
    except Exception as exc:
        defects.append(f"unreadable delivery report: {type(exc).__name__}")
        return None


def _read_complaint(message: Message, defects: list[str]) -> Complaint | None:
    """The feedback report the message is, if it is one: one we cannot read is a defect."""
    try:
        return read_complaint(message)
    except Exception as exc:
        defects.append(f"unreadable feedback report: {type(exc).__name__}")
        return None


def _fields(message: Message, name: str, defects: list[str]) -> list[str]:
    """Every field of that name (a message may carry several), each one clean line."""
    try:
        return [clean_header(value) for value in (message.get_all(name) or [])[:10]]
    except Exception:
        defects.append(f"unreadable {name} header")
        return []


def _decode(payload: bytes, charset: str | None) -> str:
    try:
        return payload.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def _part_text(part: Message, defects: list[str]) -> str:
    try:
        if isinstance(part, EmailMessage):
            content = part.get_content()
            if isinstance(content, str):
                return content
    except Exception:
        defects.append(f"undecodable {part.get_content_type()} part")
    payload = part.get_payload(decode=True)
    return _decode(payload, part.get_content_charset()) if isinstance(payload, bytes) else ""


def html_to_text(markup: str) -> str:
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_links = True
    converter.ignore_tables = True
    # html2text renders <blockquote> as "> " lines, which the quote stripper understands.
    text = str(converter.handle(markup))
    return "\n".join(line.rstrip() for line in text.splitlines()).strip() + "\n"


def _walk(message: Message, defects: list[str]) -> tuple[str, bytes | None, str | None, bool]:
    """The text to read, the calendar and its MIME method, and whether it is a report."""
    plain: str | None = None
    markup: str | None = None
    calendar: bytes | None = None
    method: str | None = None
    report = message.get_content_type() == "multipart/report"
    for index, part in enumerate(message.walk()):
        if index >= MAX_PARTS:
            defects.append("too many parts: the rest was not read")
            break
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = (part.get_filename() or "").lower()
        if calendar is None and (
            ctype in ("text/calendar", "application/ics") or filename.endswith(".ics")
        ):
            # Rule 14: the first calendar wins (Google sends the same file twice).
            payload = part.get_payload(decode=True)
            calendar = payload if isinstance(payload, bytes) else None
            if calendar is not None and len(calendar) > MAX_CALENDAR:
                defects.append("calendar too large: not read")
                calendar = None
            method = str(part.get_param("method") or "").upper() or None
            continue
        if part.get_content_disposition() == "attachment":
            continue
        if ctype == "text/plain" and plain is None:
            plain = _part_text(part, defects)
        elif ctype == "text/html" and markup is None:
            markup = _part_text(part, defects)
    text = plain or ""
    if not text.strip() and markup:
        # HTML is cut before it is converted: the converter's time grows with its input.
        text = html_to_text(markup[:MAX_MARKUP])
    text = text[:MAX_TEXT].replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line[:MAX_LINE] for line in text.split("\n"))
    return text, calendar, method, report


# An address we could answer: ASCII, one @, no spaces or brackets (participants' addresses
# are checked the same way when a roster is read).
_REPLYABLE = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+")

# How absence notices open when their sender forgot to mark them as automatic.
_ABSENCE_OPENING = re.compile(
    r"^\W*(?:thank you for (?:your|the) (?:e-?mail|message)[^\n]{0,40}?[.!]\s*"
    r"(?:i am|i'm|i will be) (?:currently )?(?:out|away|on (?:annual )?leave|on vacation|"
    r"travell?ing|attending)|i am currently (?:out of (?:the )?office|away|on leave)|"
    r"(?:this is an )?automatic (?:reply|response)|auto-?reply\b)",
    re.IGNORECASE,
)


def reads_as_absence_notice(text: str) -> bool:
    """Whether a message opens as an out-of-office notice does ("Thank you for your message.
    I am out of the office…"): unmarked automatic mail, which a reply would only feed."""
    return bool(_ABSENCE_OPENING.match(text[:300]))


_AUTO_SUBJECT = re.compile(
    r"^(?:auto(?:matic)?[ -]?(?:reply|response|antwort)|out of (?:the )?office|"
    r"abwesenheitsnotiz|r[ée]ponse automatique|absence|fuera de la oficina|"
    r"respuesta autom[áa]tica|afwezig|automatisch antwoord|vacation|on vacation|"
    r"ausser haus|au[ßs]er haus|risposta automatica|fora do escrit[óo]rio)",
    re.IGNORECASE,
)
_MACHINE_SENDER = re.compile(
    r"^(?:mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?)[@+.-]", re.IGNORECASE
)


def _classify(get: _HeaderReader, from_addr: str, text: str, report: bool) -> Kind:
    """What a message that is neither a bounce nor a calendar answer is: a reply, machine
    mail, or unknown. `get` is the caller's safe header reader."""
    if report:
        # A read receipt, a spam complaint, a report nobody could attribute: machine mail.
        return "auto_reply"
    auto_submitted = str(get("Auto-Submitted")).lower()
    precedence = str(get("Precedence")).lower()
    suppress = str(get("X-Auto-Response-Suppress")).lower()
    if (
        (auto_submitted and not auto_submitted.startswith("no"))
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or get("X-Autoreply")
        or get("X-Autorespond")
        or any(word in suppress for word in ("all", "oof", "autoreply"))
        or _AUTO_SUBJECT.match(str(get("Subject")))
    ):
        return "auto_reply"
    if _MACHINE_SENDER.match(from_addr):
        return "bounce" if from_addr.startswith(("mailer-daemon", "postmaster")) else "auto_reply"
    if from_addr and text.strip():
        return "reply"
    return "unknown"
