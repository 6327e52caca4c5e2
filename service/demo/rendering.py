"""One email of the demo's outbox as a page: its HTML part as a mail client shows it (inline
images in place), its headers, plain text and attachments, and a link to the raw message.

The email's HTML is shown in a sandboxed frame, written into its `srcdoc` attribute escaped:
nothing in it can run a script or load anything from elsewhere (the page's own policy
allows images from `data:` only), and nothing in it can break out of that attribute.
"""

from __future__ import annotations

import base64
import html
import re
from email import message_from_bytes
from email.message import Message

from service.demo.mail_client import decoded

SHOWN_HEADERS = ("From", "To", "Cc", "Reply-To", "Date", "Subject")
# What the page may load: inline styles and images from data: URIs, nothing else, no script.
POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-src 'self'"
_CID = re.compile(r"cid:([^\"'\s>)]+)", re.IGNORECASE)
STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1rem;max-width:60rem}"
    "table{border-collapse:collapse}th,td{text-align:left;padding:.15rem .6rem .15rem 0;"
    "vertical-align:top;font-size:.9rem;overflow-wrap:anywhere}"
    "iframe{width:100%;height:75vh;border:1px solid #ccc;background:#fff}"
    "pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:.85rem}"
)


def _bytes_of(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _text_of(part: Message) -> str:
    payload = _bytes_of(part)
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        return payload.decode("utf-8", errors="replace")


def _is_attachment(part: Message) -> bool:
    disposition = str(part.get("Content-Disposition", "")).split(";")[0].strip().lower()
    return disposition == "attachment"


def email_page(raw: bytes, raw_name: str) -> str:
    """The page of one email; `raw_name` is the file name of its .eml beside the page."""
    message = message_from_bytes(raw)
    markup: str | None = None
    text: str | None = None
    images: dict[str, str] = {}
    attachments: list[str] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        content_id = str(part.get("Content-ID", "")).strip().strip("<>")
        if _is_attachment(part) or kind == "text/calendar":
            size = len(_bytes_of(part))
            name = decoded(part.get_filename()) or kind
            attachments.append(f"{name} ({kind}, {size:,} bytes)")
        elif content_id and kind.startswith("image/"):
            data = base64.b64encode(_bytes_of(part)).decode()
            images[content_id] = f"data:{kind};base64,{data}"
        elif kind == "text/html" and markup is None:
            markup = _text_of(part)
        elif kind == "text/plain" and text is None:
            text = _text_of(part)
    if markup is not None:
        # The images the HTML names by Content-ID, in place; an unknown one stays as it was.
        markup = _CID.sub(lambda found: images.get(found.group(1), found.group(0)), markup)
    subject = decoded(str(message["Subject"] or ""))
    rows = "".join(
        f"<tr><th>{name}</th><td>{html.escape(decoded(str(message[name])))}</td></tr>"
        for name in SHOWN_HEADERS
        if message[name] is not None
    )
    shown = (
        f'<iframe sandbox title="The email as its HTML part shows it" '
        f'srcdoc="{html.escape(markup, quote=True)}"></iframe>'
        if markup is not None
        else "<p>This email has no HTML part.</p>"
    )
    plain = (
        f"<details><summary>Plain-text part</summary><pre>{html.escape(text)}</pre></details>"
        if text is not None
        else ""
    )
    attached = (
        "<p>Attachments:</p><ul>"
        + "".join(f"<li>{html.escape(line)}</li>" for line in attachments)
        + "</ul>"
        if attachments
        else ""
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(subject)}</title><style>{STYLE}</style></head><body>"
        f'<p><a href="index.html">All emails</a> · '
        f'<a href="{html.escape(raw_name, quote=True)}">Raw message (.eml)</a></p>'
        f"<table>{rows}</table>{shown}{plain}{attached}</body></html>"
    )
