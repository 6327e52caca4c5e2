"""A small SMTP server that hands every message to an LMTP server (a mailbox store).

It is what `docker-compose.yml` runs as the SMTP server in front of the IMAP server, so a whole
deployment can be tried on one machine: `python -m service.mail.transports.relay --lmtp-host imap`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import smtplib
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from service.config import DELIMITERS, Delimiter, tag_delimiter

log = logging.getLogger(__name__)


class LmtpHandler:
    def __init__(self, host: str, port: int, domain: str, delimiter: Delimiter = "+") -> None:
        self.host, self.port, self.domain = host, port, domain
        # The service's own setting (MENTORMAIL_ADDRESS_DELIMITER): what it writes
        # between its mailbox and a token.
        self.delimiter = tag_delimiter(delimiter)

    def mailbox(self, rcpt: str) -> str:
        """LMTP needs a local user: the local part before the tag (`mentorship+3-7-…`)."""
        local, _, domain = rcpt.rpartition("@")
        if domain.lower() != self.domain.lower():
            return rcpt
        return local.partition(self.delimiter)[0]

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        recipients = [self.mailbox(rcpt) for rcpt in envelope.rcpt_tos]
        try:
            await asyncio.to_thread(self._deliver, envelope.mail_from or "", recipients, content)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("delivery to the mailbox store failed: %s", type(exc).__name__)
            return "451 4.3.0 mailbox store unavailable, try again later"
        return "250 OK"

    def _deliver(self, mail_from: str, recipients: list[str], content: bytes) -> None:
        with smtplib.LMTP(self.host, self.port, timeout=30) as lmtp:
            lmtp.sendmail(mail_from, recipients, content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=25)
    parser.add_argument("--lmtp-host", default="imap")
    parser.add_argument("--lmtp-port", type=int, default=24)
    parser.add_argument("--domain", default="mentormail.localhost")
    parser.add_argument(
        "--delimiter", choices=DELIMITERS, default="+", help="as MENTORMAIL_ADDRESS_DELIMITER"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    controller = Controller(
        LmtpHandler(args.lmtp_host, args.lmtp_port, args.domain, args.delimiter),
        hostname=args.listen,
        port=args.port,
    )
    controller.start()
    log.info(
        "relaying SMTP on %s:%s to LMTP %s:%s",
        args.listen,
        args.port,
        args.lmtp_host,
        args.lmtp_port,
    )
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
