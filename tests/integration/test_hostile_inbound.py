"""Hostile and random mail through the whole inbound path: stored, read, routed, applied.

Nothing of it may crash the worker, change a pairing or be answered beyond a refusal, and
every message keeps its raw bytes and a reason."""

from __future__ import annotations

import asyncio
import mailbox
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from service.agreement.enrolment import import_roster
from service.app import AppContext
from service.clock import ManualClock
from service.inbox.processing import process_inbound
from service.inbox.store import store_fetched
from service.mail.transports.local import DirOutgoing, MaildirIncoming
from service.outbox.writer import OutboxWriter
from service.program.roster import read_roster
from service.storage import db
from service.storage.models import (
    AgendaItem,
    InboundMessage,
    InboundStatus,
    MeetingAnswer,
    OutboundMessage,
    Pairing,
    Task,
)
from tests.hostile import hostile_messages
from tests.integration.conftest import make_settings
from tests.integration.test_flow import CSV


async def _scenario(messages: list[bytes], root: Path) -> None:
    url = f"sqlite://{root / 'hostile.sqlite3'}"
    settings = make_settings(root / "data", url)
    await db.init(url)
    app = AppContext(
        settings=settings,
        clock=ManualClock(datetime(2026, 11, 23, 14, 0, tzinfo=UTC)),
        secret=settings.resolved_secret(),
        outgoing=DirOutgoing(root / "outbox"),
        incoming=MaildirIncoming(root / "inbox"),
    )
    try:
        await import_roster(
            read_roster(CSV, app.clock.now().date()),
            OutboxWriter(settings, app.secret),
            app.clock.now(),
        )
        terms = (await Pairing.get()).terms
        folder = mailbox.Maildir(root / "inbox", create=True)
        for raw in messages:
            folder.add(raw)
        ids = await store_fetched(app)
        # One row per message (a repeated Message-ID is the same message, stored once).
        assert 0 < len(ids) <= len(messages)
        statuses = [await process_inbound(app, i) for i in ids]
        assert InboundStatus.PROCESSED not in statuses  # no token, no effect
        for row in await InboundMessage.all():
            assert row.reason, f"message {row.id} has no reason"
            assert bytes(row.raw_bytes) or b"" in messages, f"message {row.id} lost its bytes"
        assert (await Pairing.get()).terms == terms
        for model in (Task, AgendaItem, MeetingAnswer):
            assert await model.all().count() == 0
        kinds = set(await OutboundMessage.all().values_list("kind", flat=True))
        assert kinds <= {"agreement_request", "refusal"}
    finally:
        await app.outgoing.close()
        await app.incoming.close()
        await db.close()


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")  # long examples
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.generate],  # shrinking lists of megabyte messages takes minutes
)
@given(messages=st.lists(hostile_messages(), min_size=15, max_size=25))
def test_hostile_mail_changes_nothing_and_is_kept(
    tmp_path_factory: pytest.TempPathFactory, messages: list[bytes]
) -> None:
    asyncio.run(_scenario(messages, tmp_path_factory.mktemp("hostile")))
