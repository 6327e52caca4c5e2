"""The deployment's SMTP relay hands mail to an LMTP mailbox store, tag stripped."""

from __future__ import annotations

import aiosmtplib
from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import Envelope, Session

from service.jobs.embedded_redis import free_port
from service.mail.transports.relay import LmtpHandler


class Store:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: object, session: Session, envelope: Envelope) -> str:
        self.received.append((list(envelope.rcpt_tos), envelope.original_content or b""))
        return "250 OK"


class LmtpController(Controller):
    def factory(self) -> LMTP:
        return LMTP(self.handler)


async def test_relay_delivers_to_the_mailbox_named_before_the_tag() -> None:
    store = Store()
    lmtp = LmtpController(store, hostname="127.0.0.1", port=free_port())
    lmtp.start()
    relay = Controller(
        LmtpHandler("127.0.0.1", lmtp.port, "mentormail.example"),
        hostname="127.0.0.1",
        port=free_port(),
    )
    relay.start()
    try:
        raw = b"From: sam@university.example\r\nSubject: hi\r\n\r\nI agree\r\n"
        await aiosmtplib.send(
            raw,
            sender="sam@university.example",
            recipients=["mentorship+1-2-agreement-x@mentormail.example"],
            hostname="127.0.0.1",
            port=relay.port,
        )
        ((recipients, content),) = store.received
        assert recipients == ["mentorship"]
        assert content.endswith(b"I agree\r\n")
    finally:
        relay.stop()
        lmtp.stop()


async def test_relay_asks_to_retry_when_the_store_is_down() -> None:
    relay = Controller(
        LmtpHandler("127.0.0.1", free_port(), "mentormail.example"),
        hostname="127.0.0.1",
        port=free_port(),
    )
    relay.start()
    try:
        try:
            await aiosmtplib.send(
                b"Subject: x\r\n\r\nx\r\n",
                sender="a@b.example",
                recipients=["mentorship@mentormail.example"],
                hostname="127.0.0.1",
                port=relay.port,
            )
        except aiosmtplib.SMTPDataError as exc:
            assert exc.code == 451
        else:
            raise AssertionError("the relay accepted mail it could not store")
    finally:
        relay.stop()


async def test_relay_strips_the_tag_at_the_delimiter_the_service_writes() -> None:
    for delimiter, address in (
        ("-", "mentorship-1-2-meeting3-x@mentormail.example"),
        (".", "mentorship.1-2-meeting3-x@mentormail.example"),
        ("none", "mentorship+1-2-agreement-x@mentormail.example"),  # replies keep `+`
    ):
        handler = LmtpHandler("127.0.0.1", 24, "mentormail.example", delimiter)
        assert handler.mailbox(address) == "mentorship"
        assert handler.mailbox("Mentorship@MentorMail.example") == "Mentorship"
        assert handler.mailbox("sam-x@university.example") == "sam-x@university.example"
