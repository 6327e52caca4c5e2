"""The outbox sender against a real SMTP server: retries, final failures, no duplicates."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.app import AppContext
from service.clock import ManualClock
from service.jobs.embedded_redis import free_port
from service.jobs.functions import send_outbox
from service.mail import kinds
from service.mail.transports.base import SendError
from service.mail.transports.factory import outgoing_from_url
from service.mail.transports.smtp import SmtpOutgoing
from service.outbox.retry_rules import WAITS, tries_in
from service.outbox.sender import SETTINGS_PROBLEM, send_due
from service.outbox.writer import OutboxWriter, Reader
from service.storage.db import transaction
from service.storage.models import Coordinator, OutboundMessage, OutboundStatus, Person, Program
from tests.integration.test_cli import mentormail
from tests.mail import parse
from tests.servers import SmtpServer, self_signed


async def queue(app: AppContext, count: int, batch: str = "test") -> None:
    """`count` emails to person0@…, person1@…; each `batch` of them a new one."""
    writer = OutboxWriter(app.settings, app.secret)
    async with transaction() as connection:
        for number in range(count):
            await writer.add(
                connection,
                kind=kinds.REFUSAL,
                dedupe_key=f"{batch}:{number}",
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


async def test_we_greet_as_our_domain_and_say_goodbye_when_the_outbox_is_drained(
    app: AppContext, smtp_server: SmtpServer
) -> None:
    settings = app.settings.model_copy(update={"service_address": "mentorship@hospital.example"})
    app.outgoing = outgoing_from_url(smtp_server.url, settings.outbox_dir, 2, settings.helo_name)
    await queue(app, 4)
    assert await send_due(app) == 4
    assert smtp_server.handler.helo_names == ["hospital.example"] * 2
    assert smtp_server.handler.goodbyes == 2, "no connection is left for the server to time out"


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
    clock.advance(WAITS[0])
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
    assert row.not_before == clock.now() + WAITS[0]
    assert await send_due(app) == 0, "not before its retry time"
    clock.advance(WAITS[0])
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


async def test_a_relay_away_for_six_days_loses_nothing(
    app: AppContext, database_url: str, tmp_path: Path
) -> None:
    clock = app.clock
    assert isinstance(clock, ManualClock)
    # Nothing listens on the port: every connection is refused.
    port = free_port()
    app.outgoing = SmtpOutgoing(f"smtp://127.0.0.1:{port}", connect_timeout=2)
    await queue(app, 3)
    began = clock.now()
    while clock.now() < began + timedelta(days=6):  # longer than the five days of retries
        assert await send_due(app) == 0
        clock.advance(timedelta(minutes=30))
    rows = await OutboundMessage.all()
    assert {(r.status, r.attempts) for r in rows} == {(OutboundStatus.PENDING, 0)}
    status = mentormail(tmp_path, "status", database_url=database_url)
    assert f"Sending waits: no mail server answers (nothing answers at 127.0.0.1:{port}" in (
        status.stdout
    )
    back = SmtpServer(None, "example.org")
    back.start()
    try:
        app.outgoing = SmtpOutgoing(back.url)
        assert await send_due(app) == 3
        assert len(back.messages) == 3 and app.sending_paused is None
        await app.outgoing.close()
    finally:
        back.stop()


async def test_mail_given_up_is_sent_again_when_the_operator_asks(
    app: AppContext, smtp_server: SmtpServer, database_url: str, tmp_path: Path
) -> None:
    app.outgoing = SmtpOutgoing(smtp_server.url)
    clock = app.clock
    assert isinstance(clock, ManualClock)
    await queue(app, 1)
    tries = tries_in(app.settings.retry_window)
    smtp_server.handler.fail_next(421, count=tries)
    for _ in range(tries):
        await send_due(app)
        clock.advance(timedelta(days=1))
    row = await OutboundMessage.get()
    assert row.status == OutboundStatus.FAILED and row.attempts == tries
    assert clock.now() - row.created_at > timedelta(days=5), "tried for five days at least"
    assert smtp_server.messages == []

    wrong = mentormail(tmp_path, "outbox", "retry", "--kind", "nonsense", database_url=database_url)
    assert wrong.returncode == 2 and "no kind of email is called 'nonsense'" in wrong.stderr
    again = mentormail(tmp_path, "outbox", "retry", "--kind", "refusal", database_url=database_url)
    assert again.returncode == 0, again.stderr
    assert "1 failed message queued again." in again.stdout
    clock.set(datetime.now(UTC))  # the command queues it for now, by the system's clock
    assert await send_due(app) == 1
    assert len(smtp_server.messages) == 1
    await app.outgoing.close()


async def test_a_refused_login_fails_nothing_and_says_so_until_mended(
    app: AppContext, database_url: str, tmp_path: Path
) -> None:
    clock = app.clock
    assert isinstance(clock, ManualClock)
    server = SmtpServer(None, "example.org", login=("service", "right"))
    server.start()
    try:
        port = server.port
        app.outgoing = SmtpOutgoing(f"smtp://service:wrong@127.0.0.1:{port}")
        await queue(app, 3)
        for _ in range(12):  # an hour of ticks
            assert await send_due(app) == 0
            clock.advance(timedelta(minutes=5))
        rows = await OutboundMessage.all()
        assert {(r.status, r.attempts) for r in rows} == {(OutboundStatus.PENDING, 0)}
        tried = [r for r in rows if r.last_error]
        assert tried and all(str(r.last_error).startswith(SETTINGS_PROBLEM) for r in tried)
        assert app.sending_paused and "535" in app.sending_paused
        status = mentormail(tmp_path, "status", database_url=database_url)
        assert "Sending waits: the mail server refuses our settings (535" in status.stdout

        app.outgoing = SmtpOutgoing(f"smtp://service:right@127.0.0.1:{port}")
        assert await send_due(app) == 3
        assert app.sending_paused is None
        assert len(server.messages) == 3
        await app.outgoing.close()
    finally:
        server.stop()


async def test_coordinators_hear_once_mail_goes_again_after_a_refused_login(
    app: AppContext, tmp_path: Path
) -> None:
    clock = app.clock
    assert isinstance(clock, ManualClock)
    now = clock.now()
    first = await Program.create(
        name="Hematology 2027", timezone="America/New_York", created_at=now
    )
    second = await Program.create(name="Oncology 2027", created_at=now)
    for program, email in ((first, "ana@hospital.example"), (second, "ana@hospital.example")):
        await Coordinator.create(program=program, email=email, created_at=now)
    await Coordinator.create(program=second, email="ben@hospital.example", created_at=now)
    server = SmtpServer(None, "example.org", login=("service", "right"))
    server.start()
    try:
        port = server.port
        jobs = {"app": app}
        app.outgoing = SmtpOutgoing(f"smtp://service:wrong@127.0.0.1:{port}")
        await queue(app, 3)
        for _ in range(24):  # two hours of ticks
            assert await send_outbox(jobs) == 0
            clock.advance(timedelta(minutes=5))
        app.outgoing = SmtpOutgoing(f"smtp://service:right@127.0.0.1:{port}")
        assert await send_outbox(jobs) == 5, (
            "the three that waited, and one word to each coordinator"
        )
        told = {
            message.rcpt_tos[0]: parse(message.raw)
            for message in server.messages
            if message.rcpt_tos[0].endswith("hospital.example")
        }
        assert sorted(told) == ["ana@hospital.example", "ben@hospital.example"]
        ana = told["ana@hospital.example"]
        assert ana["Subject"] == "Mail from mentormail waited about 2 hours; it is going out again"
        text = ana.get_body(("plain",)).get_content()
        assert "Monday 23 November 2026, 09:00–11:00" in text, "in the program's own time"
        assert "refused the service's settings" in text and "535" in text
        assert "No email was lost. The 3 emails that waited are going out now" in text
        assert "wrong" not in text

        # A server away for five minutes (a restart) is not news: nobody is told.
        app.outgoing = SmtpOutgoing(f"smtp://127.0.0.1:{free_port()}")
        clock.advance(timedelta(days=1))
        await queue(app, 1, batch="later")
        assert await send_outbox(jobs) == 0 and app.sending_paused
        clock.advance(timedelta(minutes=5))
        app.outgoing = SmtpOutgoing(f"smtp://service:right@127.0.0.1:{port}")
        assert await send_outbox(jobs) == 1
        assert len(server.messages) == 6
        await app.outgoing.close()
    finally:
        server.stop()


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


async def test_an_address_refused_at_once_counts_as_a_bounce(
    app: AppContext, smtp_server: SmtpServer
) -> None:
    app.outgoing = SmtpOutgoing(smtp_server.url)
    clock = app.clock
    assert isinstance(clock, ManualClock)
    person = await Person.create(
        email="person0@example.org", name="Person 0", timezone="UTC", created_at=clock.now()
    )
    smtp_server.handler.unknown.add("person0@example.org")
    for day in range(3):  # as three days of bounces do, three days of refusals stop the mail
        await queue(app, 1, f"day {day}")
        await send_due(app)
        clock.advance(timedelta(days=1))
    await person.refresh_from_db()
    assert person.bounce_score == 3 and person.mail_disabled_at is not None
    assert await OutboundMessage.filter(status=OutboundStatus.FAILED).count() == 3
    assert smtp_server.messages == []
    await app.outgoing.close()


async def test_plain_smtp_encrypts_when_offered_and_starttls_checks_the_certificate(
    app: AppContext, database_url: str, tmp_path: Path
) -> None:
    certificate = self_signed(tmp_path)
    server = SmtpServer(None, "example.org", certificate=certificate)
    server.start()
    try:
        url = f"127.0.0.1:{server.port}"
        app.outgoing = SmtpOutgoing(f"smtp://{url}")  # as mail servers do: any certificate
        await queue(app, 1)
        assert await send_due(app) == 1
        assert server.messages[-1].encrypted

        app.outgoing = SmtpOutgoing(f"smtp://{url}?starttls=no")
        await queue(app, 1, "plain")
        assert await send_due(app) == 1
        assert not server.messages[-1].encrypted

        app.outgoing = SmtpOutgoing(f"smtp+starttls://{url}")  # checked: nobody vouches for it
        await queue(app, 1, "checked")
        assert await send_due(app) == 0
        waiting = await OutboundMessage.get(status=OutboundStatus.PENDING)
        assert waiting.attempts == 0 and str(waiting.last_error).startswith(SETTINGS_PROBLEM)
        assert "certificate" in str(waiting.last_error).lower()

        app.outgoing = SmtpOutgoing(f"smtp+starttls://{url}", ca_file=str(certificate[0]))
        assert await send_due(app) == 1
        assert server.messages[-1].encrypted and len(server.messages) == 3
    finally:
        server.stop()


async def test_people_are_never_needed_to_send(app: AppContext) -> None:
    """Refusals go to strangers: no Person row is made for them."""
    await queue(app, 1)
    assert await Person.all().count() == 0
    assert await send_due(app) == 1


async def _queue_to(app: AppContext, name: str, address: str) -> None:
    writer = OutboxWriter(app.settings, app.secret)
    async with transaction() as connection:
        await writer.add(
            connection,
            kind=kinds.REFUSAL,
            dedupe_key=f"to:{address}",
            to=Reader(name, address, "mentee", "Test"),
            now=app.clock.now(),
            context={"reason": "Just a test."},
        )


def _beside_size(options: list[str]) -> list[str]:
    return [option for option in options if not option.upper().startswith("SIZE=")]


async def test_the_envelope_says_which_mail_is_8bit(
    app: AppContext, smtp_server: SmtpServer
) -> None:
    app.outgoing = SmtpOutgoing(smtp_server.url)
    await _queue_to(app, "Ann Lee", "ann@example.org")
    await _queue_to(app, "Zoë Ångström", "zoe@example.org")
    assert await send_due(app) == 2
    await app.outgoing.close()
    options = {m.rcpt_tos[0]: _beside_size(m.mail_options) for m in smtp_server.messages}
    eight_bit = {m.rcpt_tos[0] for m in smtp_server.messages if not m.raw.isascii()}
    assert "zoe@example.org" in eight_bit, "a name beyond ASCII makes 8-bit text"
    for address, given in options.items():
        assert given == (["BODY=8BITMIME"] if address in eight_bit else []), address


async def test_an_address_beyond_ascii_goes_with_smtputf8_or_not_at_all() -> None:
    raw = b"From: a@example.org\r\nTo: zo\xc3\xab@example.org\r\nSubject: hi\r\n\r\nHi\r\n"
    for utf8 in (True, False):
        server = SmtpServer(None, "example.org", utf8=utf8)
        server.start()
        outgoing = SmtpOutgoing(server.url)
        try:
            if utf8:
                assert await outgoing.send(raw, "a@example.org", ["zoë@example.org"]) == {}
                given = _beside_size(server.messages[0].mail_options)
                assert given == ["BODY=8BITMIME", "SMTPUTF8"]
            else:  # the server cannot take it: final, saying why
                with pytest.raises(SendError, match="SMTPUTF8") as refused:
                    await outgoing.send(raw, "a@example.org", ["zoë@example.org"])
                assert refused.value.permanent and server.messages == []
        finally:
            await outgoing.close()
            server.stop()
