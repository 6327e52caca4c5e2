"""The checks of each server the settings name: the database, Redis, the secret, SMTP, IMAP.

Each is a small function of the settings and a timeout returning a `Check`; none changes
anything, and a server that does not answer fails within the timeout.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiosmtplib
import asyncpg
from imap_tools.errors import MailboxFolderSelectError, MailboxLoginError

from service.check.results import Check, failed, ok, redacted, skipped
from service.config import Settings
from service.mail.transports.imap import ImapIncoming
from service.mail.transports.oauth import token_source
from service.mail.transports.smtp import SmtpOutgoing
from service.secret import weakness
from service.storage import db

DEFAULT_SQLITE = Path("var") / "mentormail.sqlite3"


def _password(url: str | None) -> str | None:
    if not url:
        return None
    password = urlsplit(url).password
    return unquote(password) if password else None


def _where(url: str, default_port: int) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or default_port}"


def _causes(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in found:
        found.append(cause)
        cause = cause.__cause__ or cause.__context__
    return found


# Nothing listens there, nothing answered in time, or the name is unknown.
_UNREACHABLE = (
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    aiosmtplib.SMTPConnectError,
    aiosmtplib.SMTPConnectTimeoutError,
)


def _unreachable(exc: BaseException) -> bool:
    return any(isinstance(e, _UNREACHABLE) for e in _causes(exc))


def _said(exc: BaseException, *secrets: str | None) -> str:
    """What an error says, in one line, without any password."""
    text = str(exc).strip().replace("\n", " ") or type(exc).__name__
    return redacted(text, *secrets)


async def database(settings: Settings, timeout: float) -> Check:
    name = "Database"
    url = settings.resolved_database_url
    shown = db.shown(url)
    if url.startswith("sqlite://"):
        path = Path(url.removeprefix("sqlite://").partition("?")[0])
        if str(path) != ":memory:" and not path.is_file():
            if settings.database_url is None:
                return skipped(
                    name,
                    f"no database yet at {path}: `mentormail run`, `import` or `migrate` makes it",
                )
            return failed(
                name,
                f"there is no database at {path}",
                "correct DATABASE_URL (an absolute path: sqlite:///srv/mentormail/db.sqlite3),"
                " or run `mentormail migrate` to make an empty one there",
            )
    password = _password(settings.database_url)
    try:
        pending = await asyncio.wait_for(db.pending_migrations(url), timeout)
    except Exception as exc:
        await db.close()
        # The server's own answer (no such database, a wrong password), however wrapped.
        answer = next((e for e in _causes(exc) if isinstance(e, asyncpg.PostgresError)), None)
        if answer is None and _unreachable(exc):
            return failed(
                name,
                f"nothing answers for {shown} (within {timeout:g} s)",
                "start the database server, or correct the host and port in DATABASE_URL",
            )
        return failed(
            name,
            f"{shown}: {_said(answer or exc, password)}",
            "correct DATABASE_URL (user, password, database name), create the database, or "
            "mend its access rules",
        )
    if pending:
        return failed(
            name,
            f"{shown}: {len(pending)} migration(s) not applied ({', '.join(pending[:3])}"
            f"{'…' if len(pending) > 3 else ''})",
            "`mentormail migrate`",
        )
    return ok(name, f"{shown}: reachable, every migration applied")


async def redis(settings: Settings, timeout: float) -> Check:
    import redis.asyncio as aioredis
    from redis.exceptions import AuthenticationError, ResponseError

    name = "Redis"
    if not settings.redis_url:
        return skipped(name, "REDIS_URL not set: `mentormail run` starts an embedded Redis")
    url = settings.redis_url
    shown = db.shown(url)
    password = _password(url)
    client = aioredis.Redis.from_url(
        url, socket_connect_timeout=timeout, socket_timeout=timeout, retry_on_timeout=False
    )
    try:
        await asyncio.wait_for(client.ping(), timeout)
    except (AuthenticationError, ResponseError) as exc:
        return failed(
            name,
            f"{shown}: {_said(exc, password)}",
            "correct the user or password in REDIS_URL (redis://:password@host:6379/0)",
        )
    except Exception as exc:
        return failed(
            name,
            f"nothing answers on {_where(url, 6379)} ({_said(exc, password)})",
            "start Redis, or correct the host and port in REDIS_URL",
        )
    finally:
        await client.aclose()
    return ok(name, f"{shown}: PING answered")


def secret(settings: Settings) -> Check:
    name = "Secret"
    fix = "`mentormail secret`, then set MENTORMAIL_SECRET to what it prints"
    refusal = settings.secret_refusal()
    if refusal is not None:
        return failed(
            name,
            f"MENTORMAIL_SECRET {weakness(settings.secret)}: the worker will not start",
            fix + " (list the old one in MENTORMAIL_OLD_SECRETS if mail went out with it)",
        )
    if settings.secret is None:
        return skipped(
            name,
            f"MENTORMAIL_SECRET not set: embedded defaults keep one in "
            f"{settings.data_dir / 'secret.key'}",
        )
    why = weakness(settings.secret)
    if why is not None:
        return failed(
            name,
            f"MENTORMAIL_SECRET {why}: accepted on embedded defaults only, refused once any "
            "server is set",
            fix,
        )
    return ok(name, "MENTORMAIL_SECRET is strong enough (about 256 bits or more)")


def outgoing(settings: Settings, timeout: float) -> SmtpOutgoing:
    assert settings.smtp_url is not None
    return SmtpOutgoing(
        settings.smtp_url,
        1,
        connect_timeout=timeout,
        helo_name=settings.helo_name,
        ca_file=settings.smtp_ca_file,
        tokens=token_source(settings),
    )


async def smtp(settings: Settings, timeout: float) -> Check:
    name = "SMTP"
    if not settings.smtp_url:
        return skipped(name, f"SMTP_URL not set: mail is written to {settings.outbox_dir}")
    url = settings.smtp_url
    shown = db.shown(url)
    password = _password(url)
    try:
        transport = outgoing(settings, timeout)
    except ValueError as exc:
        return failed(name, str(exc), "correct SMTP_URL")
    where = f"{transport.hostname}:{transport.port}"
    try:
        greeting = await asyncio.wait_for(transport.greet(), timeout)
    except aiosmtplib.SMTPAuthenticationError as exc:
        return failed(
            name,
            f"{shown}: login refused ({exc.code} {_said(exc, password)})",
            "the SMTP user or password is wrong: correct them in SMTP_URL (a provider may "
            "want an app password, or SMTP AUTH turned on for the mailbox)",
        )
    except Exception as exc:
        if any(isinstance(e, ssl.SSLCertVerificationError) for e in _causes(exc)):
            return failed(
                name,
                f"{shown}: the server's certificate is not trusted ({_said(exc, password)})",
                "set SMTP_CA_FILE to the CA that signed it, or use the host name the "
                "certificate names",
            )
        if _unreachable(exc):
            return failed(
                name,
                f"nothing answers on {where} (within {timeout:g} s)",
                f"nothing answers on {where}: correct the host and port in SMTP_URL "
                "(587 for smtp+starttls://, 465 for smtps://, 25 for smtp://), or open the "
                "firewall to it",
            )
        if isinstance(exc, aiosmtplib.SMTPResponseException):
            return failed(
                name,
                f"{shown}: {exc.code} {_said(exc, password)}",
                "the server refuses this connection: see its answer; often the scheme "
                "(smtp+starttls:// or smtps://) or the login is missing",
            )
        return failed(
            name,
            f"{shown}: {type(exc).__name__}: {_said(exc, password)}",
            "correct SMTP_URL, or see what the server logged",
        )
    finally:
        await transport.close()
    offered = [e.upper() for e in ("8bitmime", "smtputf8") if e in greeting.extensions]
    notes = [
        f"encrypted ({greeting.encryption})" if greeting.encryption else "not encrypted",
        "logged in" if greeting.logged_in else "no login (SMTP_URL names no user)",
        f"offers {', '.join(offered)}" if offered else "offers neither 8BITMIME nor SMTPUTF8",
    ]
    if greeting.encryption is None and "starttls" in greeting.extensions:
        notes.append("offers STARTTLS, not used (?starttls=no)")
    elif greeting.encryption is None:
        notes.append("no STARTTLS offered")
    return ok(name, f"{shown}: " + "; ".join(notes))


async def imap(settings: Settings, timeout: float) -> Check:
    name = "IMAP"
    if not settings.imap_url:
        return skipped(name, f"IMAP_URL not set: replies are read from {settings.inbox_dir}")
    url = settings.imap_url
    shown = db.shown(url)
    password = _password(url)
    try:
        incoming = ImapIncoming(url, token_source(settings), settings.imap_ca_file)
    except ValueError as exc:
        return failed(name, str(exc), "correct IMAP_URL")
    where = f"{incoming.hostname}:{incoming.port}"
    try:
        capabilities = await asyncio.wait_for(incoming.probe(timeout), timeout + 1)
    except MailboxLoginError as exc:
        return failed(
            name,
            f"{shown}: login refused ({_said(exc, password)})",
            "the IMAP user or password is wrong: correct them in IMAP_URL",
        )
    except MailboxFolderSelectError:
        return failed(
            name,
            f"{shown}: logged in, but there is no mailbox {incoming.folder!r}",
            "correct the mailbox at the end of IMAP_URL (/INBOX when unsure)",
        )
    except Exception as exc:
        if any(isinstance(e, ssl.SSLError) for e in _causes(exc)):
            return failed(
                name,
                f"{shown}: TLS failed ({_said(exc, password)})",
                "the server's certificate is not trusted, or it speaks no TLS on this port: "
                "imaps:// is port 993, imap:// port 143",
            )
        if _unreachable(exc):
            return failed(
                name,
                f"nothing answers on {where} (within {timeout:g} s)",
                f"nothing answers on {where}: correct the host and port in IMAP_URL, or "
                "open the firewall to it",
            )
        return failed(
            name,
            f"{shown}: {type(exc).__name__}: {_said(exc, password)}",
            "correct IMAP_URL, or see what the server logged",
        )
    finally:
        await incoming.close()
    idle = (
        "IDLE offered: new replies are read at once"
        if "IDLE" in capabilities
        else "no IDLE: replies are read by the 15-second poll"
    )
    return ok(name, f"{shown}: logged in, {incoming.folder} opened; {idle}")
