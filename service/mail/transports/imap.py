"""Reading the service's mailbox over IMAP without marking anything until it is stored."""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import logging
import re
import ssl
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar
from urllib.parse import unquote, urlsplit

from imap_tools import AND, H, MailBox, MailBoxUnencrypted, MailMessageFlags
from imap_tools.errors import MailboxLoginError

from service.mail.transports.base import Fetched
from service.mail.transports.oauth import TokenRefused, TokenSource, TokenUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
_UID = re.compile(rb"UID (\d+)")
TIMEOUT = 60.0
# RFC 2177: servers may drop an IDLE after 30 minutes; it is renewed well before.
IDLE_RENEW = 25 * 60.0
MAX_DIVISOR = 128  # after failed fetches a batch shrinks this far: one message at the least


class SignInRefused(Exception):
    """The IMAP server refused our access token: the message says what it answered."""


# Refusals that another try on a new connection cannot mend.
REFUSALS = (MailboxLoginError, SignInRefused, TokenRefused, TokenUnavailable)


class ImapIncoming:
    """`imap://user:pass@host:port/MAILBOX` or `imaps://…`; the mailbox defaults to INBOX.

    With `tokens` and no password in the URL, it signs in with XOAUTH2 (Microsoft 365,
    Google Workspace) as the URL's user, with an access token from `tokens`. `imaps` checks
    the server's certificate and name, against `ca_file` when given, else the system's CAs.

    imap-tools is blocking, so every call runs on one private thread, one at a time.
    """

    def __init__(
        self, url: str, tokens: TokenSource | None = None, ca_file: str | None = None
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
            raise ValueError("IMAP_URL must look like imap://user:pass@host:143/INBOX")
        self.secure = parts.scheme == "imaps"
        self.hostname = parts.hostname
        self.port = parts.port or (993 if self.secure else 143)
        self.username = unquote(parts.username)
        self.password = unquote(parts.password or "")
        self.folder = unquote(parts.path.lstrip("/")) or "INBOX"
        self.tokens = tokens if not self.password else None
        self.ca_file = ca_file
        self._box: MailBox | MailBoxUnencrypted | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="imap")
        # IDLE holds its connection: the watcher has its own, on its own thread.
        self._idle_box: MailBox | MailBoxUnencrypted | None = None
        self._idle_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="imap-idle")
        self._closing = False
        # A connection that drops part-way through large fetches gets smaller ones: each
        # failed fetch halves the batch (down to one message), each good one doubles it back.
        self._divisor = 1

    async def _run(self, work: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        return await asyncio.wait_for(loop.run_in_executor(self._executor, work), TIMEOUT)

    def _open(self, timeout: float = TIMEOUT) -> MailBox | MailBoxUnencrypted:
        box: MailBox | MailBoxUnencrypted
        if self.secure:
            context = ssl.create_default_context(cafile=self.ca_file)
            box = MailBox(self.hostname, self.port, timeout=timeout, ssl_context=context)
        else:
            box = MailBoxUnencrypted(self.hostname, self.port, timeout=timeout)
        try:
            if self.tokens is not None:
                self._sign_in(box, self.tokens)
            else:
                box.login(self.username, self.password, initial_folder=self.folder)
        except Exception:
            with contextlib.suppress(Exception):
                box.client.shutdown()  # refused: the connection is of no further use
            raise
        return box

    def _sign_in(self, box: MailBox | MailBoxUnencrypted, tokens: TokenSource) -> None:
        """XOAUTH2, with a new token once if the server refuses one it took before."""
        for again in (True, False):
            token = tokens.token_now()
            try:
                box.xoauth2(self.username, token, initial_folder=self.folder)
            except (imaplib.IMAP4.error, MailboxLoginError) as exc:
                if isinstance(exc, imaplib.IMAP4.abort):
                    raise  # the connection broke: not a refusal
                if again and tokens.refused(token, "imap"):
                    continue
                raise SignInRefused(f"the IMAP server refused our access token: {exc}") from None
            tokens.accepted(token, "imap")
            return

    def _connect(self) -> MailBox | MailBoxUnencrypted:
        if self._box is None:
            self._box = self._open()
        return self._box

    def _drop(self) -> None:
        box, self._box = self._box, None
        if box is not None:
            # The connection is being thrown away; a failing logout changes nothing.
            with contextlib.suppress(Exception):
                box.logout()

    def _with_retry(self, work: Callable[[MailBox | MailBoxUnencrypted], T]) -> T:
        """One reconnect on a dropped connection; a second failure goes to the caller."""
        try:
            return work(self._connect())
        except REFUSALS:
            self._drop()
            raise
        except Exception:
            log.info("IMAP connection lost; reconnecting")
            self._drop()
            return work(self._connect())

    def _uidvalidity(self, box: MailBox | MailBoxUnencrypted) -> str:
        status = box.folder.status(self.folder, ["UIDVALIDITY"])
        return str(status["UIDVALIDITY"])

    async def fetch(self, limit: int = 100) -> list[Fetched]:
        limit = max(1, limit // self._divisor)
        try:
            fetched = await self._fetch(limit)
        except Exception:
            self._divisor = min(self._divisor * 2, MAX_DIVISOR)
            raise
        self._divisor = max(1, self._divisor // 2)
        return fetched

    async def _fetch(self, limit: int) -> list[Fetched]:
        def work(box: MailBox | MailBoxUnencrypted) -> list[Fetched]:
            box.folder.set(self.folder)
            validity = self._uidvalidity(box)
            uids = sorted(box.uids(AND(seen=False)), key=int)[:limit]
            if not uids:
                return []
            # BODY.PEEK[] leaves \Seen alone (a crash before ack() loses nothing) and gives the
            # message's bytes exactly as stored, even when they are not valid MIME.
            status, data = box.client.uid("FETCH", ",".join(uids), "(UID BODY.PEEK[])")
            if status != "OK":
                raise ConnectionError(f"FETCH failed: {status}")
            fetched: list[Fetched] = []
            for item in data:
                if not isinstance(item, tuple) or len(item) < 2:
                    continue
                match = _UID.search(item[0])
                if match is not None:
                    fetched.append(Fetched(f"{validity}:{match.group(1).decode()}", item[1]))
            return sorted(fetched, key=lambda f: int(f.key.split(":")[1]))

        return await self._run(lambda: self._with_retry(work))

    async def ack(self, keys: Sequence[str]) -> None:
        if not keys:
            return

        def work(box: MailBox | MailBoxUnencrypted) -> None:
            box.folder.set(self.folder)
            validity = self._uidvalidity(box)
            # Keys from before a UIDVALIDITY change name other messages now: leave them; the
            # message is fetched again and recognised by its Message-ID.
            uids = [key.split(":", 1)[1] for key in keys if key.split(":", 1)[0] == validity]
            stale = len(keys) - len(uids)
            if stale:
                log.warning("UIDVALIDITY changed: %d acknowledgement(s) skipped", stale)
            if uids:
                box.flag(uids, MailMessageFlags.SEEN, True)

        await self._run(lambda: self._with_retry(work))

    async def probe(self, timeout: float) -> frozenset[str]:
        """Log in and open the mailbox as fetching does, on a connection of its own, and
        say what the server offers (its capabilities, upper-case). Raises imap-tools' or the
        socket's own errors, for whoever checks the settings to explain."""

        def work() -> frozenset[str]:
            box = self._open(timeout)
            try:
                return frozenset(str(c).upper() for c in box.client.capabilities)
            finally:
                with contextlib.suppress(Exception):
                    box.logout()

        return await self._run(work)

    async def take(self, message_id: str, timeout: float) -> bytes | None:
        """The message with this Message-ID, as stored, removed from the mailbox; None when
        it is not there. For the settings check's own message only: the mailbox is the
        service's, so expunging what it marked deleted loses nobody's mail."""

        def work() -> bytes | None:
            box = self._open(timeout)
            try:
                uids = box.uids(AND(header=H("Message-ID", message_id)))
                if not uids:
                    return None
                status, data = box.client.uid("FETCH", ",".join(uids), "(BODY.PEEK[])")
                raw = next((item[1] for item in data if isinstance(item, tuple)), None)
                if status != "OK" or raw is None:
                    raise ConnectionError(f"FETCH failed: {status}")
                box.delete(uids)
                return bytes(raw)
            finally:
                with contextlib.suppress(Exception):
                    box.logout()

        return await self._run(work)

    async def wait_for_mail(self, timeout: float) -> bool:
        """Wait until the server says something arrived (IDLE), or `timeout` seconds.

        Returns True when it is worth fetching now: new mail, or the watch cannot tell
        (no IDLE on this server, a dropped connection: the caller then polls as usual).
        """
        seconds = min(timeout, IDLE_RENEW)

        def work() -> bool:
            try:
                if self._idle_box is None:
                    self._idle_box = self._open(timeout=seconds + TIMEOUT)
                box = self._idle_box
                if "IDLE" not in box.client.capabilities:
                    time.sleep(seconds)  # the polling fallback
                    return True
                return bool(box.idle.wait(timeout=seconds))
            except Exception as exc:
                self._drop_idle()
                if self._closing:
                    return False
                # EOF, a timeout, a server restart: start again from a new connection.
                log.info("IMAP IDLE ended (%s); reconnecting", type(exc).__name__)
                time.sleep(min(seconds, 5.0))
                return True

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._idle_executor, work)

    def _drop_idle(self) -> None:
        box, self._idle_box = self._idle_box, None
        if box is not None:
            with contextlib.suppress(Exception):
                box.logout()
            with contextlib.suppress(Exception):
                box.client.shutdown()

    async def close(self) -> None:
        try:
            await self._run(self._drop)
        finally:
            self._executor.shutdown(wait=False)
            # Closing the watcher's socket ends a wait blocked in IDLE at once.
            self._closing = True
            box = self._idle_box
            if box is not None:
                with contextlib.suppress(Exception):
                    box.client.shutdown()
            self._idle_executor.shutdown(wait=False)
