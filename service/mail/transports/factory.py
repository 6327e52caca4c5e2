"""The transports a configuration names: SMTP and IMAP servers, or the local mail folders."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from service.mail.transports.base import Incoming, Outgoing

if TYPE_CHECKING:
    from service.mail.transports.oauth import TokenSource


def outgoing_from_url(
    url: str | None,
    outbox_dir: Path,
    connections: int = 1,
    helo_name: str | None = None,
    ca_file: str | None = None,
    tokens: TokenSource | None = None,
) -> Outgoing:
    if not url:
        from service.mail.transports.local import DirOutgoing

        return DirOutgoing(outbox_dir)
    from service.mail.transports.smtp import SmtpOutgoing

    return SmtpOutgoing(url, connections, helo_name=helo_name, ca_file=ca_file, tokens=tokens)


def incoming_from_url(
    url: str | None,
    inbox_dir: Path,
    tokens: TokenSource | None = None,
    ca_file: str | None = None,
) -> Incoming:
    if not url:
        from service.mail.transports.local import MaildirIncoming

        return MaildirIncoming(inbox_dir)
    from service.mail.transports.imap import ImapIncoming

    return ImapIncoming(url, tokens, ca_file)
