"""Real servers for the integration tests: a private Dovecot, a private Postfix, an SMTP
server, Redis."""

from __future__ import annotations

import base64
import contextlib
import json
import mailbox
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from service.jobs.embedded_redis import free_port
from tests.oauth_server import OAuthServer

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"
DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
SHIPPED_POSTFIX = DEPLOY / "postfix-main.cf"
# deploy/dovecot.conf's settings that make `mentorship+<token>@domain`, delivered over
# LMTP, the user `mentorship`: the test's Dovecot takes them from there as they are.
SHIPPED_DOVECOT = DEPLOY / "dovecot.conf"
USER_NAMES = ("auth_username_format", "recipient_delimiter", "lmtp_save_to_detail_mailbox")
USER = "mentorship"
PASSWORD = "test-password"


@contextlib.contextmanager
def private_dovecot(
    prefix: str = "mentormail-dovecot-",
    *,
    lmtp: bool = False,
    introspection_url: str | None = None,
    tls: bool = False,
) -> Iterator[Dovecot]:
    """A Dovecot of its own, in a folder outside private temporary folders: Dovecot's own
    users must be able to reach it. With `lmtp`, it also takes mail over LMTP (Debian's
    dovecot-lmtpd); with `introspection_url`, XOAUTH2 and OAUTHBEARER sign-ins, asking that
    OAuth server whether each token is live; with `tls`, IMAP over TLS on `imaps_port`."""
    with _running_in_own_folder(
        prefix, lambda root: Dovecot(root, lmtp=lmtp, introspection_url=introspection_url, tls=tls)
    ) as server:
        yield server


class _Server(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


S = TypeVar("S", bound=_Server)


@contextlib.contextmanager
def _running_in_own_folder(prefix: str, make: Callable[[Path], S]) -> Iterator[S]:
    """A server made in a temporary folder of its own, started, and stopped and removed
    after. The folder is outside private temporary folders and open to all (0755): the
    servers' own users must reach it."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    server = make(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no one vouches for, and its key."""
    certificate, key = folder / "server.crt", folder / "server.key"
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


def shipped_dovecot(names: Sequence[str]) -> str:
    """These settings' lines from deploy/dovecot.conf (outside any section)."""
    lines: dict[str, str] = {}
    depth = 0
    for line in SHIPPED_DOVECOT.read_text().splitlines():
        text = line.partition("#")[0].strip()
        if depth == 0 and text.partition("=")[0].strip() in names:
            lines[text.partition("=")[0].strip()] = text
        depth += text.count("{") - text.count("}")
    missing = [name for name in names if name not in lines]
    if missing:
        raise ValueError(f"{SHIPPED_DOVECOT} does not set {', '.join(missing)}")
    return "\n".join(lines[name] for name in names)


@dataclass
class Dovecot:
    """A private Dovecot instance with one user, `mentorship`, whose mail is a Maildir, and
    others added with `add_user`. IMAP on `port`; with `lmtp`, LMTP on `lmtp_port`, for a
    mail server to deliver into any user's INBOX (`mentorship+<token>@domain` into
    `mentorship`'s)."""

    root: Path
    lmtp: bool = False
    port: int = 0
    lmtp_port: int = 0
    process: subprocess.Popen[bytes] | None = None
    introspection_url: str | None = None  # set: XOAUTH2 too, tokens checked there
    tls: bool = False  # IMAP over TLS too, on `imaps_port`, with `certificate` (self-signed)
    imaps_port: int = 0

    @property
    def maildir(self) -> Path:
        return self.maildir_of(USER)

    def maildir_of(self, user: str) -> Path:
        return self.root / "mail" / user / "Maildir"

    def imap_url(self, mailbox_name: str = "INBOX", user: str = USER) -> str:
        return f"imap://{user}:{PASSWORD}@127.0.0.1:{self.port}/{mailbox_name}"

    def add_user(self, user: str) -> None:
        """Another user, logging in as `user` (or `user@any.domain`) with the same password,
        and receiving mail for `user@any.domain` over LMTP."""
        with (self.root / "users").open("a") as users:
            users.write(f"{user}:{{PLAIN}}{PASSWORD}::::::\n")
        self._make_maildir(user)

    def _make_maildir(self, user: str) -> None:
        for sub in ("new", "cur", "tmp"):
            (self.maildir_of(user) / sub).mkdir(parents=True, exist_ok=True)
        shutil.chown(self.root / "mail", "dovecot", "dovecot")
        for path in (self.root / "mail").rglob("*"):
            shutil.chown(path, "dovecot", "dovecot")

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

    @property
    def certificate(self) -> Path:
        """The certificate `imaps` shows, for a client to trust (`IMAP_CA_FILE`)."""
        return self.root / "server.crt"

    def _ssl_config(self) -> str:
        if not self.tls:
            return "ssl = no"
        certificate, key = self_signed(self.root)
        return f"ssl = yes\nssl_cert = <{certificate}\nssl_key = <{key}"

    def start(self) -> None:
        self.port = free_port()
        self.lmtp_port = free_port() if self.lmtp else 0
        self.imaps_port = free_port() if self.tls else 0
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        (self.root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        config = self.root / "dovecot.conf"
        config.write_text(
            f"""
protocols = imap{" lmtp" if self.lmtp else ""}
listen = 127.0.0.1
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
{self._ssl_config()}
disable_plaintext_auth = no
{self._auth_config()}
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
{shipped_dovecot(USER_NAMES)}
mail_location = maildir:{self.root}/mail/%n/Maildir
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={self.root}/mail/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
  }}
}}
{self._lmtp_service()}service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
        )
        self._make_maildir(USER)
        os.chmod(self.root, 0o755)
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(self.port)
            if self.lmtp:
                wait_for_port(self.lmtp_port)
            if self.tls:
                wait_for_port(self.imaps_port)
        except RuntimeError:
            self.stop()
            log_file = self.root / "dovecot.log"
            log = log_file.read_text() if log_file.exists() else ""
            raise RuntimeError(f"Dovecot did not start:\n{log[-3000:]}") from None

    def _lmtp_service(self) -> str:
        if not self.lmtp:
            return ""
        return (
            "service lmtp {\n  inet_listener lmtp {\n    address = 127.0.0.1\n"
            f"    port = {self.lmtp_port}\n  }}\n}}\n"
        )

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


def main_cf(path: Path) -> dict[str, str]:
    """The `name = value` settings of a Postfix main.cf, continuation lines joined."""
    settings: dict[str, str] = {}
    name = ""
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace():  # Postfix's continuation line
            settings[name] += " " + line.strip()
            continue
        name, equals, value = (part.strip() for part in line.partition("="))
        if not equals:
            raise ValueError(f"{path}: not a setting: {line!r}")
        settings[name] = value
    return settings


@contextlib.contextmanager
def private_postfix(
    dovecot: Dovecot, people: Sequence[str] = (), prefix: str = "mentormail-postfix-"
) -> Iterator[Postfix]:
    """Debian's Postfix, an instance of its own: deploy/postfix-main.cf's lines for the
    service's domain, delivering over LMTP to `dovecot`, which must have been started with
    `lmtp`; `people`'s addresses are delivered there too, each to the Dovecot user named
    by its local part."""
    if not Path(POSTFIX).exists():
        raise RuntimeError(f"no Postfix at {POSTFIX}: ./scripts/test installs Debian's")
    # Postfix's own user must reach its queue.
    with _running_in_own_folder(
        prefix, lambda root: Postfix(root, dovecot.lmtp_port, tuple(people))
    ) as server:
        yield server


@dataclass
class Postfix:
    """A private Postfix: smtpd on loopback at `port`, its queue, data and log (`log_file`)
    in `root`, delivering the shipped configuration's domain and `people`'s over LMTP."""

    root: Path
    lmtp_port: int
    people: tuple[str, ...] = ()
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    startup_log: str = ""  # what it logged on the way up

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def config_dir(self) -> Path:
        return self.root / "etc"

    @property
    def log_file(self) -> Path:
        return self.root / "postfix.log"

    def log(self) -> str:
        return self.log_file.read_text() if self.log_file.exists() else ""

    def settings(self) -> dict[str, str]:
        """The shipped lines, the people's domains and mailboxes added, the LMTP address
        made Dovecot's here; then what only a test needs."""
        settings = main_cf(SHIPPED_POSTFIX)
        transport = settings["virtual_transport"]
        if not transport.startswith("lmtp:inet:"):
            raise ValueError(f"{SHIPPED_POSTFIX}: virtual_transport is not LMTP: {transport}")
        settings["virtual_transport"] = f"lmtp:inet:127.0.0.1:{self.lmtp_port}"
        if self.people:
            domains = sorted({address.partition("@")[2] for address in self.people})
            settings["virtual_mailbox_domains"] += " " + " ".join(domains)
            mailboxes = ", ".join(f"{a}={a.partition('@')[0]}" for a in self.people)
            settings["virtual_mailbox_maps"] += f" inline:{{ {mailboxes} }}"
        settings.update(
            # Debian's own main.cf says the same; without it, Postfix warns about every
            # default it keeps from older versions.
            compatibility_level="3.6",
            queue_directory=f"{self.root}/queue",
            data_directory=f"{self.root}/data",
            maillog_file=str(self.log_file),
            maillog_file_prefixes=str(self.root),
            syslog_name=f"postfix-{self.root.name}",  # its lines, should any reach syslog
            myhostname="mx.mentormail.example",
            mydestination="",
            # No local users: Debian's main.cf names /etc/aliases, which `newaliases` makes.
            alias_maps="",
            inet_interfaces="127.0.0.1",
            inet_protocols="ipv4",
            smtp_dns_support_level="disabled",
            lmtp_dns_support_level="disabled",
        )
        return settings

    def start(self) -> None:
        self.port = free_port()
        self.config_dir.mkdir(parents=True, exist_ok=True)
        (self.root / "queue").mkdir(exist_ok=True)
        lines = [f"{name} = {value}" for name, value in self.settings().items()]
        (self.config_dir / "main.cf").write_text("\n".join(lines) + "\n")
        # Debian's master.cf, less what nothing here uses, and out of chroot (in one, each
        # service would need copies of the system's files in the queue folder).
        services = (
            f"127.0.0.1:{self.port} inet n - n - - smtpd",
            "pickup unix n - n 60 1 pickup",
            "cleanup unix n - n - 0 cleanup",
            "qmgr unix n - n 300 1 qmgr",
            "rewrite unix - - n - - trivial-rewrite",
            "bounce unix - - n - 0 bounce",
            "defer unix - - n - 0 bounce",
            "trace unix - - n - 0 bounce",
            "verify unix - - n - 1 verify",
            "flush unix n - n 1000? 0 flush",
            "proxymap unix - - n - - proxymap",
            "showq unix n - n - - showq",
            "error unix - - n - - error",
            "retry unix - - n - - error",
            "discard unix - - n - - discard",
            "smtp unix - - n - - smtp",
            "lmtp unix - - n - - lmtp",
            "anvil unix - - n - 1 anvil",
            "scache unix - - n - 1 scache",
            "postlog unix-dgram n - n - 1 postlogd",
        )
        (self.config_dir / "master.cf").write_text("\n".join(services) + "\n")
        # In the foreground, in a process group of its own that `stop` can end whole.
        self.process = subprocess.Popen(
            [POSTFIX, "-c", str(self.config_dir), "start-fg"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        # Its log says when it listens: a connection to find out would be logged as lost.
        deadline = time.monotonic() + 20
        while "daemon started" not in self.log():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"Postfix did not start:\n{self.log()[-3000:]}")
            time.sleep(0.02)
        self.startup_log = self.log()

    def queued(self) -> int:
        """Messages Postfix holds, not yet delivered."""
        queues = ("maildrop", "incoming", "active", "deferred", "hold")
        return sum(
            1
            for name in queues
            for path in (self.root / "queue" / name).rglob("*")
            if path.is_file()
        )

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            subprocess.run(
                [POSTFIX, "-c", str(self.config_dir), "stop"], capture_output=True, check=False
            )
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    encrypted: bool = False  # came after STARTTLS
    mail_options: list[str] = field(default_factory=list)  # MAIL FROM's: BODY=8BITMIME…


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
    # False: `mentorship+tag@domain` is refused as Postfix refuses it without
    # `recipient_delimiter = +`, while the plain address is delivered.
    plus_addressing: bool = True

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower() in self.unknown:
            return "550 5.1.1 no such user here"
        local, _, domain = address.lower().rpartition("@")
        if not self.plus_addressing and "+" in local and domain == self.domain:
            return (
                f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in local "
                "recipient table"
            )
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
                envelope.mail_from or "",
                list(envelope.rcpt_tos),
                raw,
                session.ssl is not None,
                list(envelope.mail_options),
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
    asks for XOAUTH2 and a token that OAuth server issued. Mail for the Dovecot user,
    tagged or not, is delivered into its Maildir; without `plus_addressing`, tagged
    addresses are refused as unknown users."""

    def __init__(
        self,
        dovecot: Dovecot | None,
        domain: str,
        login: tuple[str, str] | None = None,
        certificate: tuple[Path, Path] | None = None,
        utf8: bool = True,  # offers SMTPUTF8, as aiosmtpd's controller does unless told
        plus_addressing: bool = True,
        oauth: OAuthServer | None = None,
    ) -> None:
        handler = SmtpHandler if oauth is None else OAuthSmtpHandler
        self.handler = handler(dovecot, domain, plus_addressing=plus_addressing)
        self.port = free_port()
        options: dict[str, Any] = {"enable_SMTPUTF8": utf8}
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
