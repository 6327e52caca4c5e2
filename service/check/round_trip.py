"""The round trip: a message to the service's own signed address, through the SMTP server,
found again in the IMAP mailbox with its token intact, as a participant's reply would be.

The message can never be acted on by a worker that fetches it first: it is `From:` the
service's own address (the inbound rule `our_own`: "our own mail came back") and marked
`Auto-Submitted: auto-generated` (the rule `automatic`), and its token names pairing 0,
which no pairing is. Such a worker stores it and ignores it; the check then removes it
from the mailbox all the same.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from email.message import EmailMessage
from email.utils import formatdate

from service.check.results import Check, failed, ok, redacted, skipped
from service.check.servers import outgoing
from service.config import Settings
from service.mail.kinds import About, Topic
from service.mail.reading.parse import parse_message
from service.mail.tokens import ReplyToken, find_token, make_token, reply_address
from service.mail.transports.base import SendError
from service.mail.transports.imap import ImapIncoming
from service.mail.transports.oauth import token_source
from service.secret import Secret, new_secret

NAME = "Round trip"
# Pairing 0 is no pairing (a coordinator's address is pairing 0 with a coordinator's topic).
CHECK_TOKEN = ReplyToken(0, 0, About(Topic.GENERAL))
# Seconds between looks into the mailbox: quick at first, then every five seconds.
LOOKS = (1.0, 1.0, 2.0, 3.0, 5.0)


def plus_addressing_fix(settings: Settings) -> str:
    local, _, domain = settings.service_address.partition("@")
    return (
        f"the mail server does not deliver {local}{settings.delimiter}…@{domain} to this "
        "mailbox: turn on plus-addressing (recipient_delimiter = + in Postfix; Microsoft "
        "365: plus addressing is on by default for new tenants, "
        "Set-OrganizationConfig -DisablePlusAddressInRecipients $false; Google: always on) "
        "or set MENTORMAIL_ADDRESS_DELIMITER to the delimiter the server uses"
    )


def check_message(settings: Settings, to: str, nonce: str) -> tuple[bytes, str]:
    """The check's message and its Message-ID."""
    domain = settings.service_address.partition("@")[2]
    message_id = f"<check.{nonce}@{domain}>"
    message = EmailMessage()
    message["From"] = f"{settings.service_name} <{settings.service_address}>"
    message["To"] = to
    message["Subject"] = f"mentormail check {nonce}"
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(
        "This message tests the way replies come back to mentormail: `mentormail check` "
        "sent it to the service's own signed address and removes it once it arrives.\n"
    )
    return message.as_bytes(), message_id


async def round_trip(settings: Settings, timeout: float, wait: float) -> Check:
    if not settings.smtp_url or not settings.imap_url:
        return skipped(
            NAME,
            "needs SMTP_URL and IMAP_URL: on embedded defaults replies are files put in "
            f"{settings.inbox_dir}",
        )
    # The secret the worker signs with; without one set (the secret check says so) a
    # throwaway one still proves the address survives the trip.
    secret = Secret(settings.secret.encode()) if settings.secret else Secret(new_secret().encode())
    address = reply_address(
        secret, settings.service_address, CHECK_TOKEN, delimiter=settings.delimiter
    )
    # Shown without its signature: a reply token is a secret like any other.
    signature = make_token(secret, CHECK_TOKEN).rpartition("-")[2]
    shown = address.replace(signature, "…")
    nonce = secrets.token_hex(8)
    raw, message_id = check_message(settings, address, nonce)
    transport = outgoing(settings, timeout)
    started = time.monotonic()
    try:
        refused = await asyncio.wait_for(
            transport.send(raw, settings.service_address, [address]), timeout * 2
        )
    except SendError as exc:
        if exc.refused:
            return failed(
                NAME,
                f"the SMTP server refused {shown}: "
                f"{redacted(next(iter(exc.refused.values())), signature)}",
                plus_addressing_fix(settings),
            )
        return failed(
            NAME,
            f"the SMTP server did not take the message ({exc.code or 'no answer'})",
            "see the SMTP row above",
        )
    except TimeoutError:
        return failed(NAME, "the SMTP server did not take the message in time", "see above")
    finally:
        await transport.close()
    if refused:
        return failed(
            NAME,
            f"the SMTP server refused {shown}: {redacted(next(iter(refused.values())), signature)}",
            plus_addressing_fix(settings),
        )
    incoming = ImapIncoming(settings.imap_url, token_source(settings), settings.imap_ca_file)
    try:
        found = await _look(incoming, message_id, timeout, started + wait)
    except Exception as exc:
        return failed(
            NAME,
            f"sent to {shown}; reading {incoming.folder} failed ({type(exc).__name__})",
            "see the IMAP row above",
        )
    finally:
        await incoming.close()
    if found is None:
        return failed(
            NAME,
            f"sent to {shown}, not in {incoming.folder} after {wait:g} s",
            plus_addressing_fix(settings)
            + f"; if tagged mail is filed elsewhere (Dovecot's lmtp_save_to_detail_mailbox = "
            f"yes, a Sieve or mailbox rule), keep it in {incoming.folder}; if delivery is "
            f"slow, try again with a longer --wait than {wait:g}",
        )
    seconds = time.monotonic() - started
    token, _ = find_token(
        secret,
        settings.service_address,
        parse_message(found).recipients,
        delimiter=settings.delimiter,
    )
    if token != CHECK_TOKEN:
        return failed(
            NAME,
            f"came back in {seconds:.1f} s, but without {shown} in To, Delivered-To or "
            "X-Original-To: replies would be routed by their thread alone",
            plus_addressing_fix(settings),
        )
    return ok(
        NAME,
        f"sent to {shown}, back in {incoming.folder} in {seconds:.1f} s with its token "
        "intact (then removed): plus-addressing works",
    )


async def _look(
    incoming: ImapIncoming, message_id: str, timeout: float, deadline: float
) -> bytes | None:
    """The message once it is in the mailbox, taken out of it; None at the deadline."""
    look = 0
    while True:
        pause = min(LOOKS[min(look, len(LOOKS) - 1)], deadline - time.monotonic())
        await asyncio.sleep(max(0.0, pause))
        found = await incoming.take(message_id, timeout)
        if found is not None or time.monotonic() >= deadline:
            return found
        look += 1
