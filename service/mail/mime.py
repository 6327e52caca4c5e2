"""MIME parts built on the standard library's fast message classes.

The modern email API parses every header it is given and again when it writes the message;
for mail we compose ourselves from checked values that costs more than rendering the
templates, so the parts are assembled here with the plain classes and written with CRLF.
"""

from __future__ import annotations

from email import encoders
from email.charset import QP, Charset
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32

WIRE = compat32.clone(linesep="\r\n")
_MAX_8BIT_LINE = 990  # bytes; RFC 5322 allows 998 before the CRLF

_EIGHT_BIT = Charset("utf-8")  # sent as 8bit (7bit when it is all ASCII)
_EIGHT_BIT.body_encoding = None  # type: ignore[assignment]
_QUOTED = Charset("utf-8")
_QUOTED.body_encoding = QP


def text_part(text: str, subtype: str) -> MIMEText:
    """UTF-8 text, 8bit unless a line is too long for it, then quoted-printable."""
    too_long = any(len(line.encode()) > _MAX_8BIT_LINE for line in text.splitlines())
    part = MIMEText(text, subtype, _QUOTED if too_long else _EIGHT_BIT)  # type: ignore[arg-type]
    del part["MIME-Version"]  # said once, at the top
    return part


def alternative(text: str, html: str) -> MIMEMultipart:
    message = MIMEMultipart("alternative", policy=WIRE)
    del message["MIME-Version"]
    message.attach(text_part(text, "plain"))
    message.attach(text_part(html, "html"))
    return message


def calendar_part(ics: bytes, method: str) -> MIMEBase:
    """Rule 1: the method parameter equals METHOD inside; base64 keeps CRLF and long lines."""
    part = MIMEBase("text", "calendar", method=method, charset="UTF-8")
    del part["MIME-Version"]
    part.set_payload(ics)
    encoders.encode_base64(part)
    return part


def ics_attachment(ics: bytes) -> MIMEApplication:
    part = MIMEApplication(ics, "ics")
    del part["MIME-Version"]
    part.add_header("Content-Disposition", "attachment", filename="invite.ics")
    return part
