"""What the scenarios share: Dovecot for a mailbox, replies as mail clients write them."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path

from service.app import AppContext
from service.inbox.processing import process_inbound_batch
from service.inbox.store import store_fetched
from service.outbox.sender import send_due
from tests.mail import parse
from tests.servers import Dovecot, private_dovecot

START = datetime(2026, 12, 28, 9, 0, tzinfo=UTC)


def mailroom() -> contextlib.AbstractContextManager[Dovecot]:
    """A private Dovecot for one scenario."""
    return private_dovecot("mentormail-reliability-dovecot-")


def sent_count(database: Path) -> int:
    """Outbox rows marked sent, read straight from a service's SQLite file."""
    with sqlite3.connect(database) as connection:
        return int(
            connection.execute(
                "SELECT COUNT(*) FROM outbound_message WHERE status = 'sent'"
            ).fetchone()[0]
        )


async def process_all(app: AppContext) -> None:
    """Fetch, store and apply everything in the mailbox, then send every answer."""
    while stored := await store_fetched(app):
        await process_inbound_batch(app, stored)
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
