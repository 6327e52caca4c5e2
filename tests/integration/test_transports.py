"""The mail transports against a real SMTP server and a real Dovecot."""

from __future__ import annotations

import asyncio
import socket
import ssl
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest

from service.jobs.embedded_redis import EmbeddedRedis
from service.mail.transports.base import SendError
from service.mail.transports.imap import ImapIncoming
from service.mail.transports.local import DirOutgoing, MaildirIncoming
from service.mail.transports.smtp import SmtpOutgoing
from tests.servers import PASSWORD, USER, Dovecot, SmtpServer, private_dovecot

SERVICE = "mentorship+1-2-agreement-abcdefghijklmnop@mentormail.example"


def message(number: int) -> bytes:
    mail = EmailMessage(policy=SMTP)
    mail["From"] = "sam@university.example"
    mail["To"] = SERVICE
    mail["Subject"] = f"message {number}"
    mail["Message-ID"] = f"<m{number}@university.example>"
    mail.set_content(f"body {number}")
    return mail.as_bytes()


async def test_smtp_to_imap_round_trip_and_seen_only_after_ack(
    smtp_server: SmtpServer, mailroom: Dovecot
) -> None:
    outgoing = SmtpOutgoing(smtp_server.url)
    for number in range(3):
        assert await outgoing.send(message(number), "sam@university.example", [SERVICE]) == {}
    await outgoing.close()
    assert len(smtp_server.messages) == 3

    incoming = ImapIncoming(mailroom.imap_url())
    try:
        fetched = await incoming.fetch(limit=10)
        assert [b"message %d" % n in f.raw for n, f in enumerate(fetched)] == [True] * 3
        assert fetched[0].raw.replace(b"\r\n", b"\n").endswith(b"body 0\n")
        assert mailroom.seen_count() == (3, 0), "fetching must not mark anything"
        again = await incoming.fetch(limit=10)
        assert [f.key for f in again] == [f.key for f in fetched]
        await incoming.ack([fetched[0].key, fetched[1].key])
        assert mailroom.seen_count() == (3, 2)
        assert [f.key for f in await incoming.fetch()] == [fetched[2].key]
    finally:
        await incoming.close()


async def test_a_stale_uidvalidity_acknowledges_nothing(mailroom: Dovecot) -> None:
    mailroom.deliver(message(1))
    incoming = ImapIncoming(mailroom.imap_url())
    try:
        (first,) = await incoming.fetch()
        await incoming.close()
        mailroom.recreate_inbox()
        incoming = ImapIncoming(mailroom.imap_url())
        (again,) = await incoming.fetch()
        assert again.key != first.key
        await incoming.ack([first.key])
        assert mailroom.seen_count() == (1, 0)
        await incoming.ack([again.key])
        assert mailroom.seen_count() == (1, 1)
    finally:
        await incoming.close()


async def test_idle_wakes_on_new_mail_and_survives_a_dropped_connection(
    mailroom: Dovecot,
) -> None:
    incoming = ImapIncoming(mailroom.imap_url())
    try:
        # Nothing arrives: the wait ends at its timeout and says so.
        assert await incoming.wait_for_mail(1.0) is False
        # Mail arrives while the watcher waits: the server's word ends the wait, long before
        # its timeout would have.
        waiting = asyncio.create_task(incoming.wait_for_mail(120.0))
        await asyncio.sleep(0.5)
        mailroom.deliver(message(1))
        assert await asyncio.wait_for(waiting, 30) is True
        assert [f.raw for f in await incoming.fetch()] == [message(1)]
        # The server drops the watcher's connection: the wait says "fetch to be sure", and
        # the next wait starts on a new connection.
        box = incoming._idle_box
        assert box is not None
        box.client.sock.shutdown(socket.SHUT_RDWR)
        assert await asyncio.wait_for(incoming.wait_for_mail(120.0), 30) is True
        waiting = asyncio.create_task(incoming.wait_for_mail(120.0))
        await asyncio.sleep(0.5)
        mailroom.deliver(message(2))
        assert await asyncio.wait_for(waiting, 30) is True
    finally:
        await incoming.close()


@pytest.mark.parametrize(("code", "permanent"), [(451, False), (421, False), (550, True)])
async def test_smtp_failures_are_sorted_into_retry_and_final(
    smtp_server: SmtpServer, code: int, permanent: bool
) -> None:
    outgoing = SmtpOutgoing(smtp_server.url)
    smtp_server.handler.fail_next(code)
    with pytest.raises(SendError) as failure:
        await outgoing.send(message(1), "sam@university.example", [SERVICE])
    assert failure.value.permanent is permanent and failure.value.code == code
    # The next message goes through on a fresh or reused connection.
    await outgoing.send(message(2), "sam@university.example", [SERVICE])
    await outgoing.close()
    assert [m.raw.count(b"message 2") for m in smtp_server.messages] == [1]


async def test_an_unreachable_server_is_a_transient_error() -> None:
    from service.jobs.embedded_redis import free_port

    outgoing = SmtpOutgoing(f"smtp://127.0.0.1:{free_port()}")
    with pytest.raises(SendError) as failure:
        await outgoing.send(message(1), "a@b.example", ["c@d.example"])
    assert failure.value.permanent is False


async def test_folder_transports_round_trip(tmp_path: Path) -> None:
    outgoing = DirOutgoing(tmp_path / "out")
    await outgoing.send(message(1), "a@b.example", ["c@d.example"])
    await outgoing.send(message(1), "a@b.example", ["c@d.example"])
    files = sorted((tmp_path / "out").glob("*.eml"))
    assert len(files) == 2 and files[0].read_bytes() == message(1)
    assert DirOutgoing(tmp_path / "out") is not None  # a restart keeps counting, never overwrites
    restarted = DirOutgoing(tmp_path / "out")
    await restarted.send(message(2), "a@b.example", ["c@d.example"])
    assert len(list((tmp_path / "out").glob("*.eml"))) == 3

    incoming = MaildirIncoming(tmp_path / "in")
    import mailbox

    mailbox.Maildir(tmp_path / "in").add(message(3))
    (fetched,) = await incoming.fetch()
    assert b"message 3" in fetched.raw
    assert len(await incoming.fetch()) == 1
    await incoming.ack([fetched.key])
    assert await incoming.fetch() == []
    # Mail a client moved to cur/ and flagged, but did not mark as read, is still unread;
    # the acknowledgement adds Seen and keeps the other flags.
    (tmp_path / "in" / "cur" / "1700000000.flagged:2,F").write_bytes(message(4))
    (flagged,) = await incoming.fetch()
    assert flagged.key == "1700000000.flagged" and b"message 4" in flagged.raw
    await incoming.ack([flagged.key])
    assert (tmp_path / "in" / "cur" / "1700000000.flagged:2,FS").exists()
    assert await incoming.fetch() == []


def test_embedded_redis_starts_answers_and_stops(tmp_path: Path) -> None:
    import redis

    server = EmbeddedRedis(tmp_path / "redis")
    server.start()
    try:
        client = redis.Redis.from_url(server.url)
        assert client.ping() is True
        client.close()
        process = server.process
        assert process is not None
    finally:
        server.stop()
    assert process.poll() is not None, "the server process is still running"


async def test_imaps_checks_the_server_s_certificate_and_trusts_the_ca_it_is_given() -> None:
    with private_dovecot(tls=True) as mailroom:
        mailroom.deliver(message(1))
        url = f"imaps://{USER}:{PASSWORD}@127.0.0.1:{mailroom.imaps_port}/INBOX"
        unchecked = ImapIncoming(url)  # the system's CAs: nobody vouches for this one
        try:
            with pytest.raises(ssl.SSLCertVerificationError):
                await unchecked.probe(timeout=5)
        finally:
            await unchecked.close()
        trusted = ImapIncoming(url, ca_file=str(mailroom.certificate))
        try:
            fetched = await trusted.fetch()
            assert len(fetched) == 1 and b"message 1" in fetched[0].raw
        finally:
            await trusted.close()
