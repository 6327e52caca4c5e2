"""MIME parts built on the standard library's fast message classes.

The modern email API parses every header it is given and again when it writes the message;
for mail we compose ourselves from checked values that costs more than rendering the
templates, so the parts are assembled here with the plain classes and written with CRLF.
"""

from __future__ import annotations

from collections.abc import Sequence
from email import encoders
from email.charset import QP, Charset
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from typing import TypeVar

WIRE = compat32.clone(linesep="\r\n")
_MAX_8BIT_LINE = 990  # bytes; RFC 5322 allows 998 before the CRLF

_EIGHT_BIT = Charset("utf-8")  # sent as 8bit (7bit when it is all ASCII)
_EIGHT_BIT.body_encoding = None  # type: ignore[assignment]
_QUOTED = Charset("utf-8")
_QUOTED.body_encoding = QP

_Part = TypeVar("_Part", bound=Message)


def _inner(part: _Part) -> _Part:
    """A part inside a message: MIME-Version is said once, at the top."""
    del part["MIME-Version"]
    return part


def text_part(text: str, subtype: str) -> MIMEText:
    """UTF-8 text, 8bit unless a line is too long for it, then quoted-printable."""
    too_long = any(len(line.encode()) > _MAX_8BIT_LINE for line in text.splitlines())
    return _inner(MIMEText(text, subtype, _QUOTED if too_long else _EIGHT_BIT))  # type: ignore[arg-type]


def alternative(text: str, html: str, images: Sequence[Message] = ()) -> MIMEMultipart:
    """Text and HTML; with `images`, the HTML and its images as one multipart/related."""
    message = _inner(MIMEMultipart("alternative", policy=WIRE))
    message.attach(text_part(text, "plain"))
    if images:
        related = _inner(MIMEMultipart("related", policy=WIRE))
        related.attach(text_part(html, "html"))
        for image in images:
            related.attach(image)
        message.attach(related)
    else:
        message.attach(text_part(html, "html"))
    return message


def inline_image(data: bytes, mimetype: str, content_id: str) -> MIMEBase:
    maintype, _, subtype = mimetype.partition("/")
    part = _inner(MIMEBase(maintype, subtype))
    part.set_payload(data)
    encoders.encode_base64(part)
    part.add_header("Content-ID", f"<{content_id}>")
    part.add_header("Content-Disposition", "inline", filename=f"{content_id}.{subtype}")
    return part


def mixed(*parts: Message) -> MIMEMultipart:
    message = _inner(MIMEMultipart("mixed", policy=WIRE))
    for part in parts:
        message.attach(part)
    return message


def calendar_part(ics: bytes, method: str) -> MIMEBase:
    """Rule 1: the method parameter equals METHOD inside; base64 keeps CRLF and long lines."""
    part = _inner(MIMEBase("text", "calendar", method=method, charset="UTF-8"))
    part.set_payload(ics)
    encoders.encode_base64(part)
    return part


def ics_attachment(ics: bytes) -> MIMEApplication:
    part = _inner(MIMEApplication(ics, "ics"))
    part.add_header("Content-Disposition", "attachment", filename="invite.ics")
    return part


def attachment(data: bytes, mimetype: str, filename: str) -> MIMEBase:
    maintype, _, subtype = mimetype.partition("/")
    part = _inner(MIMEBase(maintype, subtype))
    part.set_payload(data)
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part
