"""Fixtures for service-level tests: an initialised database and an AppContext around it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from arq.worker import Worker

from service.app import AppContext
from service.clock import ManualClock
from service.config import Settings
from service.jobs.runner import build_worker
from service.jobs.worker import make_app
from service.mail.transports.local import DirOutgoing, MaildirIncoming
from service.storage import db
from tests.conftest import SERVICE_DOMAIN
from tests.mail import parse
from tests.servers import USER, Dovecot, SmtpServer

SERVICE_ADDRESS = "mentorship@mentormail.example"


def make_settings(data_dir: Path, database_url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "MENTORMAIL_DATA_DIR": data_dir,
        "DATABASE_URL": database_url,
        "REDIS_URL": None,
        "SMTP_URL": None,
        "IMAP_URL": None,
        "MENTORMAIL_SECRET": "integration-test-secret",
        "MENTORMAIL_ADDRESS": SERVICE_ADDRESS,
        **extra,
    }
    return Settings(**values)


@pytest.fixture
async def app(database_url: str, tmp_path: Path) -> AsyncIterator[AppContext]:
    """The service on a fresh database, with mail going to folders under tmp_path."""
    settings = make_settings(tmp_path / "data", database_url)
    await db.init(database_url)
    context = AppContext(
        settings=settings,
        clock=ManualClock(datetime(2026, 11, 23, 14, 0, tzinfo=UTC)),
        secret=settings.resolved_secret(),
        outgoing=DirOutgoing(tmp_path / "outbox"),
        incoming=MaildirIncoming(tmp_path / "inbox"),
    )
    try:
        yield context
    finally:
        await context.outgoing.close()
        await context.incoming.close()
        await db.close()


AUTHSERV_ID = "mx.mentormail.test"  # what the live service's receiving server writes


@dataclass
class Live:
    """The service on real servers: SMTP into Dovecot, IMAP out of it, a worker on Redis."""

    app: AppContext
    clock: ManualClock
    smtp: SmtpServer
    worker: Worker
    pool: Any

    async def run(self, *jobs: str) -> None:
        for job in jobs:
            await self.pool.enqueue_job(job)
        await self.worker.async_run()

    async def send(self, raw: bytes, sender: str) -> None:
        """Mail from a participant's client, through the SMTP server into Dovecot."""
        await aiosmtplib.send(
            raw,
            sender=sender,
            recipients=[str(parse(raw)["To"]).strip("<>")],
            hostname="127.0.0.1",
            port=self.smtp.port,
        )

    def ours(self) -> list[tuple[list[str], str]]:
        """What the service sent so far (the server also carries mail to the service)."""
        return [
            (m.rcpt_tos, str(parse(m.raw)["X-Mentormail-Kind"]))
            for m in self.smtp.messages
            if not m.rcpt_tos[0].endswith("@" + SERVICE_DOMAIN)
        ]

    def received(self, address: str, kind: str) -> list[bytes]:
        return [
            m.raw
            for m in self.smtp.messages
            if m.rcpt_tos == [address] and str(parse(m.raw)["X-Mentormail-Kind"]) == kind
        ]


@pytest.fixture
async def live(
    postgres_available: str,
    database_url: str,
    redis_url: str,
    smtp_server: SmtpServer,
    mailroom: Dovecot,
    tmp_path: Path,
) -> AsyncIterator[Live]:
    settings = make_settings(
        tmp_path / "data",
        database_url,
        SMTP_URL=smtp_server.url,
        IMAP_URL=mailroom.imap_url(),
        MENTORMAIL_ADDRESS=f"{USER}@{SERVICE_DOMAIN}",
        MENTORMAIL_AUTHSERV_ID=AUTHSERV_ID,
    )
    app = await make_app(settings)
    clock = ManualClock(datetime(2026, 12, 28, 9, 0, tzinfo=UTC))
    app.clock = clock
    worker = await build_worker(redis_url, app=app, burst=True, cron_jobs=[], poll_delay=0.01)
    try:
        yield Live(app, clock, smtp_server, worker, worker.pool)
    finally:
        await worker.close()
        await app.outgoing.close()
        await app.incoming.close()
        await db.close()
