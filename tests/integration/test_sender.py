"""The outbox sender against a real SMTP server: retries, final failures, no duplicates."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from service.app import AppContext
from service.clock import ManualClock
from service.mail import kinds
from service.mail.transports.smtp import SmtpOutgoing
from service.outbox.sender import SMTP_RETRY_DELAYS, send_due
from service.outbox.writer import OutboxWriter, Reader
from service.storage.db import transaction
from service.storage.models import OutboundMessage, OutboundStatus, Person
from tests.mail import parse
from tests.servers import SmtpServer


async def queue(app: AppContext, count: int) -> None:
    writer = OutboxWriter(app.settings, app.secret)
    async with transaction() as connection:
        for number in range(count):
            await writer.add(
                connection,
                kind=kinds.REFUSAL,
                dedupe_key=f"test:{number}",
                to=Reader(f"Person {number}", f"person{number}@example.org", "mentee", "Test"),
                now=app.clock.now(),
                context={"reason": "Just a test."},
            )


async def test_a_batch_goes_over_one_connection(app: AppContext, smtp_server: SmtpServer) -> None:
    app.outgoing = SmtpOutgoing(smtp_server.url)
    await queue(app, 5)
    assert await send_due(app) == 5
    assert smtp_server.handler.greetings == 1
    assert [m.rcpt_tos for m in smtp_server.messages] == [
        [f"person{n}@example.org"] for n in range(5)
    ]
    assert await OutboundMessage.filter(status=OutboundStatus.SENT).count() == 5


async def test_a_batch_goes_over_the_connections_it_may_open(
    app: AppContext, smtp_server: SmtpServer
) -> None:
    app.outgoing = SmtpOutgoing(smtp_server.url, connections=3)
    await queue(app, 30)
    assert await send_due(app) == 30
    assert smtp_server.handler.greetings == 3, "three connections, each used for ten"
    ids = [parse(m.raw)["Message-ID"] for m in smtp_server.messages]
    assert len(set(ids)) == 30
    rows = await OutboundMessage.filter(status=OutboundStatus.SENT).order_by("id")
    assert len(rows) == 30 and all(r.attempts == 1 and r.sent_at for r in rows)
    await app.outgoing.close()
    assert smtp_server.handler.greetings == 3


async def test_a_transient_failure_on_one_connection_leaves_the_rest_for_the_next_run(
    app: AppContext, smtp_server: SmtpServer
) -> None:
    app.outgoing = SmtpOutgoing(smtp_server.url, connections=3)
    await queue(app, 12)
    smtp_server.handler.fail_next(421)
    sent = await send_due(app)
    assert 0 <= sent < 12
    assert await OutboundMessage.filter(status=OutboundStatus.SENT).count() == sent
    waiting = await OutboundMessage.filter(status=OutboundStatus.PENDING)
    assert len(waiting) == 12 - sent
    assert all(row.claimed_until is None for row in waiting), "nothing stays claimed"
    clock = app.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(seconds=SMTP_RETRY_DELAYS[0]))
    while await send_due(app):
        pass
    ids = [parse(m.raw)["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == 12 and len(set(ids)) == 12
    await app.outgoing.close()


async def test_4xx_is_retried_later_with_the_same_message_id(
    app: AppContext, smtp_server: SmtpServer
) -> None:
    app.outgoing = SmtpOutgoing(smtp_server.url)
    clock = app.clock
    assert isinstance(clock, ManualClock)
    await queue(app, 1)
    smtp_server.handler.fail_next(451)
    assert await send_due(app) == 0
    row = await OutboundMessage.get()
    assert (row.status, row.attempts) == (OutboundStatus.PENDING, 1)
    assert row.not_before == clock.now() + timedelta(seconds=SMTP_RETRY_DELAYS[0])
    assert await send_due(app) == 0, "not before its retry time"
    clock.advance(timedelta(seconds=SMTP_RETRY_DELAYS[0]))
    assert await send_due(app) == 1
    (delivered,) = smtp_server.messages
    assert parse(delivered.raw)["Message-ID"] == f"<{row.message_id}>"


async def test_5xx_is_final_and_recorded(app: AppContext, smtp_server: SmtpServer) -> None:
    app.outgoing = SmtpOutgoing(smtp_server.url)
    await queue(app, 2)
    smtp_server.handler.fail_next(550, text="no such user")
    assert await send_due(app) == 1
    failed = await OutboundMessage.get(status=OutboundStatus.FAILED)
    assert failed.attempts == 1 and failed.last_error and "550" in failed.last_error
    assert await send_due(app) == 0


async def test_transient_failures_give_up_after_the_last_delay(
    app: AppContext, smtp_server: SmtpServer
) -> None:
    app.outgoing = SmtpOutgoing(smtp_server.url)
    clock = app.clock
    assert isinstance(clock, ManualClock)
    await queue(app, 1)
    smtp_server.handler.fail_next(421, count=len(SMTP_RETRY_DELAYS) + 1)
    for _ in range(len(SMTP_RETRY_DELAYS) + 1):
        await send_due(app)
        clock.advance(timedelta(days=1))
    row = await OutboundMessage.get()
    assert row.status == OutboundStatus.FAILED and row.attempts == len(SMTP_RETRY_DELAYS) + 1
    assert smtp_server.messages == []


async def test_two_senders_at_once_never_send_a_message_twice(
    app: AppContext, smtp_server: SmtpServer
) -> None:
    app.outgoing = SmtpOutgoing(smtp_server.url)
    other = AppContext(
        app.settings, app.clock, app.secret, SmtpOutgoing(smtp_server.url), app.incoming
    )
    await queue(app, 40)
    app.settings.send_batch = 7
    results = await asyncio.gather(*(send_due(a) for a in (app, other, app, other)))
    while sum(results) < 40:
        sent = await send_due(app)
        assert sent > 0
        results.append(sent)
    ids = [parse(m.raw)["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == 40 and len(set(ids)) == 40
    await other.outgoing.close()


async def test_people_are_never_needed_to_send(app: AppContext) -> None:
    """Refusals go to strangers: no Person row is made for them."""
    await queue(app, 1)
    assert await Person.all().count() == 0
    assert await send_due(app) == 1
