"""Sending over SMTP: a few connections kept open and reused, errors sorted into retry or final."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from service.mail.transports.base import SendError
from service.mail.transports.oauth import TokenRefused, TokenSource, TokenUnavailable

CONNECT_TIMEOUT = 20.0
COMMAND_TIMEOUT = 60.0


def _option(query: str, name: str) -> str | None:
    """One option of the URL's query, lower-cased."""
    values = parse_qs(query).get(name)
    return values[-1].lower() if values else None


def _mail_options(client: aiosmtplib.SMTP, raw: bytes, addresses: Sequence[str]) -> list[str]:
    """What the envelope says of the message, where the server understands it: 8-bit text
    (`BODY=8BITMIME`) and addresses with characters beyond ASCII (`SMTPUTF8`)."""
    options = []
    if not raw.isascii() and client.supports_extension("8bitmime"):
        options.append("BODY=8BITMIME")
    if not all(address.isascii() for address in addresses):
        if not client.supports_extension("smtputf8"):
            raise SendError(
                "the mail server cannot take addresses with characters beyond ASCII "
                "(it does not offer SMTPUTF8)",
                permanent=True,
            )
        options.append("SMTPUTF8")
    return options


def _certificate_refused(exc: BaseException) -> bool:
    """Whether the server's certificate was not trusted, anywhere in the error's causes."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        cause = cause.__cause__
    return False


@dataclass(frozen=True)
class Greeting:
    """What an SMTP server showed on a connection opened as sending opens one."""

    encryption: Literal["TLS", "STARTTLS"] | None
    extensions: frozenset[str]  # as EHLO listed them, lower-case: "8bitmime", "smtputf8"…
    logged_in: bool


class SmtpOutgoing:
    """`smtp://[user:pass@]host[:port]`, `smtp+starttls://…` (587) or `smtps://…` (465).

    `smtps` and `smtp+starttls` check the server's certificate (against `ca_file` when
    given, else the system's); plain `smtp` encrypts with STARTTLS whenever the server
    offers it, as mail servers do between themselves, without checking the certificate
    (`?starttls=no` turns that off).

    Up to `connections` messages are handed over at once, each on a connection of its own:
    one connection waits on the server's answers most of the time.

    With `tokens` and a user but no password in the URL, it signs in with XOAUTH2 (Microsoft
    365, Google Workspace): the user, and an access token from `tokens`.
    """

    def __init__(
        self,
        url: str,
        connections: int = 1,
        connect_timeout: float = CONNECT_TIMEOUT,
        helo_name: str | None = None,
        ca_file: str | None = None,
        tokens: TokenSource | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtp+starttls", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:pass@host:port")
        self.hostname = parts.hostname
        self.tls = parts.scheme == "smtps"
        # True: required and checked; None: whenever offered, unchecked; False: never.
        self.starttls: bool | None = True if parts.scheme == "smtp+starttls" else None
        if parts.scheme == "smtp" and _option(parts.query, "starttls") in ("no", "false", "0"):
            self.starttls = False
        self.validate_certs = self.tls or self.starttls is True
        self.ca_file = ca_file
        default_port = 465 if self.tls else 587 if self.starttls else 25
        self.port = parts.port or default_port
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.connections = max(1, connections)
        self.connect_timeout = connect_timeout
        self.helo_name = helo_name  # None: the machine's name, as the library finds it
        # A password in the URL wins: the provider's sign-in may be for IMAP alone.
        self.tokens = tokens if self.username and not self.password else None
        self._clients: list[aiosmtplib.SMTP | None] = [None] * self.connections
        self._free: asyncio.Queue[int] = asyncio.Queue()
        for slot in range(self.connections):
            self._free.put_nowait(slot)

    async def _connected(self, slot: int) -> aiosmtplib.SMTP:
        current = self._clients[slot]
        if current is not None and current.is_connected:
            return current
        client = await self._signed_in()
        self._clients[slot] = client
        return client

    async def _signed_in(self, again: bool = True) -> aiosmtplib.SMTP:
        """A new connection, signed in as the URL says."""
        token = await self.tokens.token() if self.tokens is not None else None
        client = await self._open()
        try:
            if token is not None and self.username:
                await client.auth_xoauth2(self.username, token)
            elif self.username and self.password:
                await client.login(self.username, self.password)
        except aiosmtplib.SMTPException as exc:
            client.close()  # refused: the connection is of no further use
            if (
                isinstance(exc, aiosmtplib.SMTPAuthenticationError)
                and again
                and token is not None
                and self.tokens is not None
                and self.tokens.refused(token, "smtp")
            ):
                return await self._signed_in(again=False)  # ours was revoked or expired early
            raise
        if token is not None and self.tokens is not None:
            self.tokens.accepted(token, "smtp")
        return client

    async def _open(self) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(
            hostname=self.hostname,
            port=self.port,
            use_tls=self.tls,
            start_tls=self.starttls,
            validate_certs=self.validate_certs,
            cert_bundle=self.ca_file if self.validate_certs else None,
            timeout=COMMAND_TIMEOUT,
            local_hostname=self.helo_name,
        )
        try:
            await asyncio.wait_for(client.connect(), self.connect_timeout)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            if _certificate_refused(exc):
                raise
            client.close()
            # No mail server answered: nothing is known of any message yet.
            raise SendError(
                f"nothing answers at {self.hostname}:{self.port} ({type(exc).__name__})",
                permanent=False,
                unreached=True,
            ) from None
        if client.is_ehlo_or_helo_needed:  # the extensions it offers decide the mail options
            await client.ehlo()
        return client

    async def send(self, raw: bytes, mail_from: str, rcpt_to: Sequence[str]) -> dict[str, str]:
        slot = await self._free.get()
        try:
            try:
                client = await self._connected(slot)
                options = _mail_options(client, raw, [mail_from, *rcpt_to])
                refused, _ = await client.sendmail(
                    mail_from, list(rcpt_to), raw, mail_options=options
                )
            except aiosmtplib.SMTPRecipientsRefused as exc:
                codes = [error.code for error in exc.recipients]
                permanent = all(500 <= code < 600 for code in codes)
                raise SendError(
                    "every recipient was refused",
                    permanent=permanent,
                    code=codes[0] if codes else None,
                    refused={e.recipient: f"{e.code} {e.message}" for e in exc.recipients},
                ) from None
            except TokenRefused as exc:
                self._drop(slot)
                raise SendError(str(exc), permanent=False, configuration=True) from None
            except TokenUnavailable as exc:
                self._drop(slot)
                raise SendError(str(exc), permanent=False) from None
            except aiosmtplib.SMTPResponseException as exc:
                self._drop(slot)
                raise SendError(
                    f"{exc.code} {exc.message}",
                    permanent=500 <= exc.code < 600,
                    code=exc.code,
                    configuration=isinstance(exc, aiosmtplib.SMTPAuthenticationError),
                ) from None
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                # Connection faults and timeouts: the message may be tried again later.
                self._drop(slot)
                raise SendError(
                    f"{type(exc).__name__}: {exc}",
                    permanent=False,
                    configuration=_certificate_refused(exc),
                ) from None
        finally:
            self._free.put_nowait(slot)
        return {address: f"{code} {message}" for address, (code, message) in refused.items()}

    async def greet(self) -> Greeting:
        """Connect and log in exactly as sending does, say what the server showed, and
        QUIT. Raises the library's own errors (a refused login, a connection refused or
        timed out, a certificate not trusted), for whoever checks the settings to explain."""
        slot = await self._free.get()
        try:
            client = await self._connected(slot)
            if client.is_ehlo_or_helo_needed:  # no login: nothing has greeted it yet
                await client.ehlo()
            encrypted = client.get_transport_info("sslcontext") is not None
            greeting = Greeting(
                encryption=("TLS" if self.tls else "STARTTLS") if encrypted else None,
                extensions=frozenset(client.esmtp_extensions),
                logged_in=bool(self.username and (self.password or self.tokens)),
            )
        finally:
            self._free.put_nowait(slot)
        await self.close()
        return greeting

    def _drop(self, slot: int) -> None:
        client, self._clients[slot] = self._clients[slot], None
        if client is not None:
            # Closing a broken connection may fail; it is gone either way.
            with contextlib.suppress(Exception):
                client.close()

    async def close(self) -> None:
        """Say goodbye on every connection, once each is done with its message."""
        slots = [await self._free.get() for _ in range(self.connections)]
        try:
            for slot in slots:
                client, self._clients[slot] = self._clients[slot], None
                if client is not None and client.is_connected:
                    try:
                        await client.quit()
                    except (aiosmtplib.SMTPException, OSError, TimeoutError):
                        client.close()
        finally:
            for slot in slots:
                self._free.put_nowait(slot)
