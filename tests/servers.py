"""Real servers for the integration tests: a private Dovecot, an SMTP server, Redis."""

from __future__ import annotations

import base64
import contextlib
import json
import mailbox
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from service.jobs.embedded_redis import free_port
from tests.oauth_server import OAuthServer

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "mentorship"
PASSWORD = "test-password"


@contextlib.contextmanager
def private_dovecot(
    prefix: str = "mentormail-dovecot-", introspection_url: str | None = None
) -> Iterator[Dovecot]:
    """A Dovecot of its own, in a folder outside private temporary folders: Dovecot's own
    users must be able to reach it. With `introspection_url`, it also takes XOAUTH2 and
    OAUTHBEARER sign-ins, asking that OAuth server whether each token is live."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    server = Dovecot(root, introspection_url=introspection_url)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no one vouches for, and its key."""
    certificate, key = folder / "smtp.crt", folder / "smtp.key"
    command = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1"
    command += " -addext subjectAltName=IP:127.0.0.1"
    subprocess.run(
        [*command.split(), "-keyout", str(key), "-out", str(certificate)],
        check=True,
        capture_output=True,
    )
    return certificate, key


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port}")


@dataclass
class Dovecot:
    """A private Dovecot instance with one user, `mentorship`, whose mail is a Maildir."""

    root: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    introspection_url: str | None = None  # set: XOAUTH2 too, tokens checked there

    @property
    def maildir(self) -> Path:
        return self.root / "mail" / USER / "Maildir"

    def imap_url(self, mailbox_name: str = "INBOX") -> str:
        return f"imap://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{mailbox_name}"

    def oauth_imap_url(self, mailbox_name: str = "INBOX") -> str:
        """The user and no password: the service signs in with XOAUTH2."""
        return f"imap://{USER}@127.0.0.1:{self.port}/{mailbox_name}"

    def _auth_config(self) -> str:
        users = f"{self.root}/users"
        if self.introspection_url is None:
            return f"""auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {users}
}}"""
        oauth = self.root / "dovecot-oauth2.conf.ext"
        oauth.write_text(
            f"""introspection_mode = post
introspection_url = {self.introspection_url}
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 5000
"""
        )
        # No delay after a refused sign-in: the tests refuse tokens on purpose.
        return f"""auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%n {users}
}}
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {oauth}
}}"""

    def start(self) -> None:
        self.port = free_port()
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        (self.root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        config = self.root / "dovecot.conf"
        config.write_text(
            f"""
protocols = imap
listen = 127.0.0.1
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
ssl = no
disable_plaintext_auth = no
{self._auth_config()}
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
mail_location = maildir:{self.root}/mail/%u/Maildir
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={self.root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
        )
        for sub in ("new", "cur", "tmp"):
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        shutil.chown(self.root / "mail", "dovecot", "dovecot")
        for path in (self.root / "mail").rglob("*"):
            shutil.chown(path, "dovecot", "dovecot")
        os.chmod(self.root, 0o755)
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(self.port)
        except RuntimeError:
            self.stop()
            log_file = self.root / "dovecot.log"
            log = log_file.read_text() if log_file.exists() else ""
            raise RuntimeError(f"Dovecot did not start:\n{log[-3000:]}") from None

    def deliver(self, raw: bytes) -> None:
        """Put a message into the user's INBOX as a local delivery agent would."""
        box = mailbox.Maildir(self.maildir, create=False)
        key = box.add(raw)
        path = self.maildir / "new" / key
        shutil.chown(path, "dovecot", "dovecot")

    def seen_count(self) -> tuple[int, int]:
        """(messages, of which flagged Seen), read from the Maildir itself."""
        box = mailbox.Maildir(self.maildir, create=False)
        messages = [box.get_message(k) for k in box.iterkeys()]
        return len(messages), sum("S" in m.get_flags() for m in messages)

    def recreate_inbox(self) -> None:
        """Empty INBOX under a new UIDVALIDITY, as when a mailbox is deleted and recreated."""
        for name in (
            "dovecot-uidlist",
            "dovecot.index",
            "dovecot.index.cache",
            "dovecot.index.log",
        ):
            path = self.maildir / name
            if path.exists():
                path.unlink()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    encrypted: bool = False  # came after STARTTLS


@dataclass(frozen=True)
class _Authenticator:
    user: str
    password: str

    def __call__(
        self, server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            self.user.encode(),
            self.password.encode(),
        )
        return AuthResult(success=ok, handled=False)


@dataclass
class SmtpHandler:
    """Records every message; delivers those for the Dovecot user into its Maildir."""

    dovecot: Dovecot | None
    domain: str
    messages: list[Received] = field(default_factory=list)
    failures: list[tuple[int, str]] = field(default_factory=list)
    greetings: int = 0  # EHLOs seen: one per connection a client opens
    helo_names: list[str] = field(default_factory=list)
    goodbyes: int = 0  # QUITs seen
    unknown: set[str] = field(default_factory=set)  # refused at RCPT: "550 5.1.1"

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower() in self.unknown:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_EHLO(
        self,
        server: Any,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        self.greetings += 1
        self.helo_names.append(hostname)
        return responses

    async def handle_QUIT(self, server: Any, session: Session, envelope: Envelope) -> str:
        self.goodbyes += 1
        return "221 Bye"

    def fail_next(self, code: int, count: int = 1, text: str = "injected failure") -> None:
        self.failures.extend([(code, text)] * count)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.failures:
            code, text = self.failures.pop(0)
            return f"{code} {text}"
        raw = envelope.original_content or b""
        self.messages.append(
            Received(
                envelope.mail_from or "", list(envelope.rcpt_tos), raw, session.ssl is not None
            )
        )
        ours = [
            r
            for r in envelope.rcpt_tos
            if r.lower().partition("@")[0].partition("+")[0] == USER
            and r.lower().endswith("@" + self.domain)
        ]
        if ours and self.dovecot is not None:
            self.dovecot.deliver(raw)
        return "250 OK"


@dataclass
class OAuthSmtpHandler(SmtpHandler):
    """Also takes AUTH XOAUTH2, as Microsoft 365 and Gmail do, asking `oauth` whether the
    token is live and was issued for the user named."""

    oauth: OAuthServer | None = None
    signed_in: list[str] = field(default_factory=list)  # the user of each sign-in taken

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        if len(args) == 2:
            blob = args[1].encode()
        else:
            answer = await server.challenge_auth("")
            if not isinstance(answer, bytes):
                return AuthResult(success=False, handled=True)
            blob = base64.b64encode(answer)
        try:
            fields = base64.b64decode(blob, validate=True).decode().split("\x01")
        except ValueError:
            await server.push("501 5.5.2 Can't decode base64")
            return AuthResult(success=False, handled=True)
        values = dict(item.split("=", 1) for item in fields if "=" in item)
        user, auth = values.get("user", ""), values.get("auth", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else ""
        if self.oauth is not None and token and self.oauth.user_of(token) == user:
            self.signed_in.append(user)
            return AuthResult(success=True, auth_data=user)
        # As Gmail and Microsoft 365 do: the reason as a JSON challenge, then 535.
        reason = {"status": "401", "schemes": "Bearer", "scope": "https://mail.google.com/"}
        answered = await server.challenge_auth(json.dumps(reason))
        return AuthResult(success=False, handled=not isinstance(answered, bytes))


class SmtpServer:
    """aiosmtpd on loopback; with `login`, it asks for that user and password (AUTH PLAIN
    or LOGIN, over plain text: it is loopback) and answers others 535; with `oauth`, it
    asks for XOAUTH2 and a token that OAuth server issued."""

    def __init__(
        self,
        dovecot: Dovecot | None,
        domain: str,
        login: tuple[str, str] | None = None,
        certificate: tuple[Path, Path] | None = None,
        oauth: OAuthServer | None = None,
    ) -> None:
        self.handler = (
            SmtpHandler(dovecot, domain) if oauth is None else OAuthSmtpHandler(dovecot, domain)
        )
        self.port = free_port()
        options: dict[str, Any] = {}
        if isinstance(self.handler, OAuthSmtpHandler):
            self.handler.oauth = oauth
            options.update(
                auth_required=True,
                auth_require_tls=False,
                auth_exclude_mechanism=["PLAIN", "LOGIN"],
            )
        if login is not None:
            options.update(
                authenticator=_Authenticator(*login), auth_required=True, auth_require_tls=False
            )
        if certificate is not None:  # offers STARTTLS with this (certificate, key)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*certificate)
            options.update(tls_context=context)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
