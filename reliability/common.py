"""What the scenarios share: Dovecot for a mailbox, replies as mail clients write them."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path

from service.app import AppContext
from service.inbox import process_inbound, store_fetched
from service.sender import send_due
from tests.mail import parse
from tests.servers import Dovecot

START = datetime(2026, 12, 28, 9, 0, tzinfo=UTC)


@contextlib.contextmanager
def mailroom() -> Iterator[Dovecot]:
    """A private Dovecot, in a folder its own users can reach."""
    root = Path(tempfile.mkdtemp(prefix="mentormail-reliability-dovecot-"))
    root.chmod(0o755)
    dovecot = Dovecot(root)
    dovecot.start()
    try:
        yield dovecot
    finally:
        dovecot.stop()
        shutil.rmtree(root, ignore_errors=True)


async def process_all(app: AppContext) -> None:
    """Fetch, store and apply everything in the mailbox, then send every answer."""
    while stored := await store_fetched(app):
        for inbound_id in stored:
            await process_inbound(app, inbound_id)
    while await send_due(app):
        pass


def reply(
    original: bytes, sender: str, body: str, *, headers: dict[str, str] | None = None
) -> bytes:
    """What a mail client sends when `sender` answers `original`."""
    message = parse(original)
    answer = EmailMessage()
    for name, value in (headers or {}).items():
        answer[name] = value
    answer["From"] = sender
    answer["To"] = getaddresses([str(message["Reply-To"])])[0][1]
    answer["Subject"] = "Re: " + str(message["Subject"])
    answer["Date"] = format_datetime(START)
    answer["Message-ID"] = make_msgid(domain=sender.partition("@")[2])
    answer["In-Reply-To"] = str(message["Message-ID"])
    answer.set_content(body)
    return answer.as_bytes()
