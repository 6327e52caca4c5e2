"""Two workers on one SQLite file take turns at writing instead of failing, and a reply that
finds the file locked for too long is tried again rather than given up, as is marking mail
sent."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from service.app import AppContext
from service.clock import ManualClock
from service.inbox.processing import process_inbound
from service.mail.transports.local import DirOutgoing, MaildirIncoming
from service.outbox.sender import send_due
from service.storage import db
from service.storage.models import (
    InboundMessage,
    InboundStatus,
    OutboundMessage,
    OutboundStatus,
    Program,
)
from tests.integration.conftest import SERVICE_ADDRESS, make_settings

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _other_worker_writes(path: Path, started: threading.Event, errors: list[str]) -> None:
    """What a second worker process does meanwhile: one write, waiting for its turn."""
    connection = sqlite3.connect(path, timeout=10)
    try:
        started.set()
        connection.execute(
            "INSERT INTO program (name, timezone, digest_weekday, digest_hour, created_at) "
            "VALUES ('Written by the other worker', 'UTC', 0, 8, ?)",
            (NOW.isoformat(),),
        )
        connection.commit()
    except sqlite3.Error as exc:
        errors.append(str(exc))
    finally:
        connection.close()


async def test_a_transaction_that_reads_then_writes_outlasts_another_writer(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shared.sqlite3"
    await db.init(f"sqlite://{path}")
    try:
        started, errors = threading.Event(), []
        other = threading.Thread(target=_other_worker_writes, args=(path, started, errors))
        async with db.transaction() as connection:
            # A planning chunk reads first: what is due, under its lock.
            assert await Program.all().using_db(connection).count() == 0
            other.start()
            started.wait(5)
            await asyncio.sleep(0.3)  # the other worker's write comes in meanwhile
            await Program.create(name="Written by this worker", created_at=NOW, using_db=connection)
        await asyncio.to_thread(other.join, 15)
        assert errors == []
        names = set(await Program.all().values_list("name", flat=True))
        assert names == {"Written by this worker", "Written by the other worker"}
    finally:
        await db.close()


def _hold_the_write_lock(
    path: Path, held: threading.Event, release: threading.Event, program: str | None = None
) -> None:
    """Another process's long write: it holds the lock until told to let go, and commits
    a program of that name if given one."""
    connection = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        if program is not None:
            connection.execute(
                "INSERT INTO program (name, timezone, digest_weekday, digest_hour, created_at) "
                "VALUES (?, 'UTC', 0, 8, ?)",
                (program, NOW.isoformat()),
            )
        held.set()
        release.wait(30)
        connection.execute("COMMIT")
    finally:
        connection.close()


async def test_a_worker_waiting_for_the_write_lock_goes_on_with_its_other_work(
    tmp_path: Path,
) -> None:
    """Waiting for another process's lock happens on the driver's thread: the worker's other
    jobs (mail going out, the inbox) go on meanwhile."""
    path = tmp_path / "shared.sqlite3"
    await db.init(f"sqlite://{path}")
    try:
        held, release = threading.Event(), threading.Event()
        other = threading.Thread(target=_hold_the_write_lock, args=(path, held, release))
        other.start()
        assert await asyncio.to_thread(held.wait, 5)

        async def write() -> None:
            async with db.transaction() as connection:
                await Program.create(name="After the wait", created_at=NOW, using_db=connection)

        writer = asyncio.create_task(write())
        for _ in range(40):  # another job's steps while the writer waits for its turn
            await asyncio.sleep(0.01)
        assert not writer.done()
        release.set()
        await asyncio.wait_for(writer, 15)
        await asyncio.to_thread(other.join, 15)
        assert await Program.filter(name="After the wait").count() == 1
    finally:
        release.set()
        await db.close()


async def test_a_transaction_begun_while_another_writes_waits_then_reads_what_it_wrote(
    tmp_path: Path,
) -> None:
    """The lock is taken before the transaction reads anything: begun while another process
    holds it, the transaction waits, then reads what that process committed, and its write
    after the read does not fail (a transaction that read first would have read too early,
    and its write would have failed at once)."""
    path = tmp_path / "shared.sqlite3"
    await db.init(f"sqlite://{path}")
    try:
        held, release = threading.Event(), threading.Event()
        other = threading.Thread(
            target=_hold_the_write_lock, args=(path, held, release, "Written by the other")
        )
        other.start()
        assert await asyncio.to_thread(held.wait, 5)

        async def read_then_write() -> int:
            async with db.transaction() as connection:
                seen = await Program.all().using_db(connection).count()
                await Program.create(name=f"After {seen}", created_at=NOW, using_db=connection)
                return seen

        task = asyncio.create_task(read_then_write())
        await asyncio.sleep(0.3)
        assert not task.done()
        release.set()
        assert await asyncio.wait_for(task, 15) == 1
        await asyncio.to_thread(other.join, 15)
        names = set(await Program.all().values_list("name", flat=True))
        assert names == {"Written by the other", "After 1"}
    finally:
        release.set()
        await db.close()


async def test_a_reply_that_finds_the_database_locked_waits_and_is_applied_later(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shared.sqlite3"
    url = f"sqlite://{path}?busy_timeout=200"  # short, so that the lock outlasts it
    await db.init(url)
    settings = make_settings(tmp_path / "data", url)
    app = AppContext(
        settings=settings,
        clock=ManualClock(NOW),
        secret=settings.resolved_secret(),
        outgoing=DirOutgoing(tmp_path / "outbox"),
        incoming=MaildirIncoming(tmp_path / "inbox"),
    )
    raw = (
        b"From: Sam <sam@university.example>\r\nTo: " + SERVICE_ADDRESS.encode() + b"\r\n"
        b"Subject: Hello\r\nMessage-ID: <hello-1@university.example>\r\n\r\nHello there.\r\n"
    )
    try:
        row = await InboundMessage.create(
            message_id="<hello-1@university.example>", raw_bytes=raw, received_at=NOW
        )
        held, release = threading.Event(), threading.Event()
        other = threading.Thread(target=_hold_the_write_lock, args=(path, held, release))
        other.start()
        try:
            assert await asyncio.to_thread(held.wait, 5)
            assert await process_inbound(app, row.id) == InboundStatus.PENDING
        finally:
            release.set()
            await asyncio.to_thread(other.join, 15)
        kept = await InboundMessage.get(id=row.id)
        assert kept.status == InboundStatus.PENDING and kept.reason is None
        assert bytes(kept.raw_bytes) == raw
        # The lock is gone: the next try applies it.
        status = await process_inbound(app, row.id)
        assert status not in (None, InboundStatus.PENDING, InboundStatus.FAILED), status
        assert (await InboundMessage.get(id=row.id)).status == status
    finally:
        await app.outgoing.close()
        await app.incoming.close()
        await db.close()


class _LockedAfterSending(DirOutgoing):
    """The real folder transport; once a message is handed over, another process takes the
    write lock for a second, as a long import would, before the sender can mark it sent."""

    def __init__(self, directory: Path, database: Path) -> None:
        super().__init__(directory)
        self.database = database
        self.holder: threading.Thread | None = None

    async def send(self, raw: bytes, mail_from: str, rcpt_to: Sequence[str]) -> dict[str, str]:
        answer = await super().send(raw, mail_from, rcpt_to)
        if self.holder is None:
            held, release = threading.Event(), threading.Event()
            self.holder = threading.Thread(
                target=_hold_the_write_lock, args=(self.database, held, release)
            )
            self.holder.start()
            assert await asyncio.to_thread(held.wait, 5)
            threading.Timer(1.0, release.set).start()
        return answer


async def test_mail_handed_over_while_the_database_is_locked_is_marked_sent_once_it_frees(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shared.sqlite3"
    url = f"sqlite://{path}?busy_timeout=200"
    await db.init(url)
    settings = make_settings(tmp_path / "data", url)
    clock = ManualClock(NOW)
    outgoing = _LockedAfterSending(tmp_path / "outbox", path)
    app = AppContext(
        settings=settings,
        clock=clock,
        secret=settings.resolved_secret(),
        outgoing=outgoing,
        incoming=MaildirIncoming(tmp_path / "inbox"),
    )
    try:
        row = await OutboundMessage.create(
            dedupe_key="hello:1",
            kind="nudge",
            message_id="<hello-1@mentormail.example>",
            mail_from=SERVICE_ADDRESS,
            recipients=["sam@university.example"],
            raw_bytes=b"Message-ID: <hello-1@mentormail.example>\r\nSubject: Hello\r\n\r\nHi.\r\n",
            not_before=NOW,
            created_at=NOW,
        )
        assert await send_due(app) == 1
        assert outgoing.holder is not None
        await asyncio.to_thread(outgoing.holder.join, 15)
        sent = await OutboundMessage.get(id=row.id)
        assert sent.status == OutboundStatus.SENT and sent.attempts == 1
        # Long after its claim would have run out, nothing goes out a second time.
        clock.set(NOW + timedelta(hours=1))
        assert await send_due(app) == 0
        assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    finally:
        await app.incoming.close()
        await db.close()
