"""Fixtures for service-level tests: an initialised database and an AppContext around it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from service import db
from service.app import AppContext
from service.clock import ManualClock
from service.config import Settings
from service.mail.local import DirOutgoing, MaildirIncoming

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
