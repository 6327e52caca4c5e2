"""Composing: a template name and a context become an email on the wire (with its calendar)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from service.mail.kinds import KINDS
from service.mail.writing.calendar import calendar_body
from service.mail.writing.mime import (
    Part,
    address,
    alternative,
    attachment,
    header_value,
    inline_image,
    message_bytes,
    mixed,
)

TEMPLATES = Path(__file__).resolve().parents[3] / "templates" / "email"
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@cache
def environment() -> Environment:
    """Compiled once per process: templates are parsed on first use and kept."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=lambda name: bool(name and name.endswith(".html")),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        # Every template kept in a plain dict: there are a few dozen, and the default
        # bounded cache reorders itself on each of the five lookups an email makes.
        cache_size=-1,
    )


def header_text(value: str, limit: int = 200) -> str:
    """One safe header line: control characters and line separators become spaces."""
    return " ".join(_UNSAFE.sub(" ", value).split())[:limit]


# "Re:" as mail clients write it in several languages, stacked or numbered ("Re[2]:").
_REPLY_PREFIX = re.compile(r"^(?:\s*(?:re|aw|sv|antw|vs|odp|res)\s*(?:\[\d+\])?\s*:)+\s*", re.I)
# How many of a thread's Message-IDs an answer's References keeps (the first and the latest).
MAX_REFERENCES = 20


def reply_subject(subject: str) -> str | None:
    """The subject of an answer to a message: "Re: " and its own, once however many
    prefixes its mail client stacked; None when it had none to answer."""
    base = _REPLY_PREFIX.sub("", header_text(subject, 240))
    return f"Re: {base}" if base else None


def thread_references(references: Sequence[str], message_id: str) -> list[str]:
    """An answer's References: the answered message's, then its own Message-ID (RFC 5322
    §3.6.4), the thread's first kept when a long one is trimmed to its latest."""
    chain = [ref for ref in references if ref != message_id] + [message_id]
    if len(chain) > MAX_REFERENCES:
        chain = chain[:1] + chain[-(MAX_REFERENCES - 1) :]
    return chain


def render(kind: str, context: Mapping[str, Any]) -> Rendered:
    if kind not in KINDS:
        raise KeyError(f"unknown email kind {kind!r}")
    env = environment()
    values = dict(context)
    subject = env.get_template(f"{kind}.subject.txt").render(values)
    text = env.get_template(f"{kind}.txt").render(values)
    markup = env.get_template(f"{kind}.html").render(values)
    return Rendered(
        header_text(subject, 250), re.sub(r"\n{3,}", "\n\n", text).strip() + "\n", markup
    )


def _address_of(name: str, email: str) -> str:
    return address(header_text(name), email)


def _body(
    rendered: Rendered,
    calendar: tuple[bytes, str] | None,
    attachments: Sequence[tuple[str, str, bytes]],
    inline: Sequence[tuple[str, str, bytes]],
) -> Part:
    """The MIME structure: text and HTML, with the calendar, the attachments or the images."""
    if calendar is not None:
        return calendar_body(rendered.text, rendered.html, calendar[0], calendar[1])
    if attachments:
        return mixed(
            alternative(rendered.text, rendered.html),
            *(attachment(data, mimetype, name) for name, mimetype, data in attachments),
        )
    if inline:
        # Images the HTML shows by `cid:` (e.g. the digest's chart), next to the HTML part.
        return alternative(
            rendered.text,
            rendered.html,
            images=[inline_image(data, mimetype, cid) for cid, mimetype, data in inline],
        )
    return alternative(rendered.text, rendered.html)


def build_message(
    kind: str,
    rendered: Rendered,
    *,
    from_addr: tuple[str, str],
    to: tuple[str, str],
    reply_to: str,
    message_id: str,
    date: datetime,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    calendar: tuple[bytes, str] | None = None,
    extra_headers: Mapping[str, str] | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    cc: tuple[str, str] | None = None,
    inline: Sequence[tuple[str, str, bytes]] = (),
) -> bytes:
    """The email as it goes on the wire (CRLF line ends, 8bit text where lines allow).

    `attachments` are (file name, MIME type, bytes); `inline` images are (content id, MIME
    type, bytes), shown by the HTML part as `cid:<content id>`.
    """
    body = _body(rendered, calendar, attachments, inline)
    headers = [("From", _address_of(*from_addr)), ("To", _address_of(*to))]
    if cc is not None:
        headers.append(("Cc", _address_of(*cc)))
    headers += [
        ("Reply-To", reply_to),
        ("Subject", header_value(header_text(rendered.subject, 250))),
        ("Date", format_datetime(date)),
        ("Message-ID", f"<{message_id}>"),
    ]
    if in_reply_to:
        headers.append(("In-Reply-To", f"<{in_reply_to}>"))
    if references:
        headers.append(("References", header_value(" ".join(f"<{r}>" for r in references))))
    headers += [("Auto-Submitted", "auto-generated"), ("X-Mentormail-Kind", kind)]
    for name, value in (extra_headers or {}).items():
        headers.append((name, header_value(header_text(value, 900))))
    return message_bytes(headers, body)
