"""`mentormail check` as an operator runs it, against real servers: the database, Redis,
Dovecot over IMAP and an SMTP server that delivers into it."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from service.jobs.embedded_redis import free_port
from service.secret import new_secret
from tests.conftest import SERVICE_DOMAIN, Migrated
from tests.integration.test_cli import mentormail
from tests.servers import PASSWORD, USER, Dovecot, SmtpServer, private_dovecot, self_signed

SMTP_USER, SMTP_PASSWORD = "mentormail", "smtp-password-42"
SECRET = new_secret()


@dataclass(frozen=True)
class Row:
    status: str
    detail: str
    fix: str


def rows(output: str) -> dict[str, Row]:
    """The check table's rows by name, each cell's wrapped lines joined."""
    cells: dict[str, list[list[str]]] = {}
    name = ""
    for line in output.splitlines():
        if line.startswith("└"):
            break
        if not line.startswith("│"):
            continue
        first, *rest = (cell.strip() for cell in line.strip("│").split("│"))
        name = first or name
        for column, text in zip(cells.setdefault(name, [[], [], []]), rest, strict=True):
            if text:
                column.append(text)
    return {n: Row(*(" ".join(c) for c in columns)) for n, columns in cells.items()}


def check(tmp_path: Path, *options: str, **settings: str) -> subprocess.CompletedProcess[str]:
    secret = ("MENTORMAIL_SECRET",)  # unset unless a test sets it
    return mentormail(tmp_path, "check", *options, columns=400, without=secret, **settings)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("certificate"))


@pytest.fixture
def smtp(mailroom: Dovecot, certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """An SMTP server that asks for a login, offers STARTTLS and delivers the service's mail
    into Dovecot."""
    server = SmtpServer(
        mailroom, SERVICE_DOMAIN, login=(SMTP_USER, SMTP_PASSWORD), certificate=certificate
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def configured(
    database_url: str, redis_url: str, smtp_port: int, dovecot: Dovecot, **changed: str
) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SMTP_URL": f"smtp://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{smtp_port}",
        "IMAP_URL": dovecot.imap_url(),
        "MENTORMAIL_SECRET": SECRET,
        "MENTORMAIL_ADDRESS": f"{USER}@{SERVICE_DOMAIN}",
        **changed,
    }


def no_secret_shown(result: subprocess.CompletedProcess[str]) -> None:
    for secret in (SMTP_PASSWORD, PASSWORD, SECRET):
        assert secret not in result.stdout + result.stderr


def test_everything_passes_and_the_round_trip_leaves_nothing_behind(
    database_url: str,
    redis_url: str,
    smtp: SmtpServer,
    mailroom: Dovecot,
    certificate: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    starttls = f"smtp+starttls://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{smtp.port}"
    settings = configured(database_url, redis_url, smtp.port, mailroom, SMTP_URL=starttls)
    result = check(tmp_path, **settings, SMTP_CA_FILE=str(certificate[0]))
    assert result.returncode == 0, result.stdout + result.stderr
    table = rows(result.stdout)
    assert {name: row.status for name, row in table.items()} == {
        "Database": "ok",
        "Redis": "ok",
        "Secret": "ok",
        "SMTP": "ok",
        "IMAP": "ok",
        "Round trip": "ok",
    }
    assert "every migration applied" in table["Database"].detail
    assert "encrypted (STARTTLS); logged in" in table["SMTP"].detail
    assert "offers 8BITMIME, SMTPUTF8" in table["SMTP"].detail
    assert "IDLE offered" in table["IMAP"].detail
    assert "plus-addressing works" in table["Round trip"].detail
    # It went through the SMTP server to the signed address, and is gone from the mailbox.
    (sent,) = smtp.messages
    assert sent.rcpt_tos[0].startswith(f"{USER}+0-0-general-")
    signature = sent.rcpt_tos[0].rpartition("-")[2].partition("@")[0]
    assert f"sent to {USER}+0-0-general-…@{SERVICE_DOMAIN}" in table["Round trip"].detail
    assert signature not in result.stdout  # a reply token is shown without its signature
    assert mailroom.seen_count() == (0, 0)
    assert f"_dmarc.{SERVICE_DOMAIN}" in result.stdout and "v=spf1" in result.stdout
    no_secret_shown(result)


@pytest.fixture
async def sqlite_url(tmp_path: Path, migrated: Migrated) -> str:
    """A migrated SQLite database, for the checks that are not about the database."""
    path = tmp_path / "db.sqlite3"
    shutil.copyfile(await migrated.sqlite_file(), path)
    return f"sqlite://{path}"


def test_wrong_passwords_fail_with_their_fixes(
    sqlite_url: str, redis_url: str, smtp: SmtpServer, mailroom: Dovecot, tmp_path: Path
) -> None:
    # A Dovecot of its own: Dovecot makes every login from an address that failed one wait
    # (its auth penalty), which would slow the other tests' logins.
    with private_dovecot() as dovecot:
        result = check(
            tmp_path,
            **configured(
                sqlite_url,
                redis_url,
                smtp.port,
                mailroom,
                SMTP_URL=f"smtp://{SMTP_USER}:not-the-password@127.0.0.1:{smtp.port}",
                IMAP_URL=f"imap://{USER}:not-the-password-either@127.0.0.1:{dovecot.port}/",
            ),
        )
    assert result.returncode == 1
    table = rows(result.stdout)
    assert table["SMTP"].status == "failed"
    assert "login refused (535" in table["SMTP"].detail
    assert "the SMTP user or password is wrong" in table["SMTP"].fix
    assert table["IMAP"].status == "failed"
    assert "login refused" in table["IMAP"].detail
    assert "the IMAP user or password is wrong" in table["IMAP"].fix
    assert table["Round trip"] == Row("skipped", "not tried: SMTP and IMAP failed", "-")
    assert table["Database"].status == "ok" and table["Redis"].status == "ok"
    assert "not-the-password" not in result.stdout + result.stderr
    no_secret_shown(result)


def test_an_unmigrated_database_and_an_untrusted_certificate_fail_with_their_fixes(
    redis_url: str, mailroom: Dovecot, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    smtp = SmtpServer(mailroom, SERVICE_DOMAIN, certificate=certificate)
    smtp.start()
    try:
        result = check(
            tmp_path,
            **configured(
                f"sqlite://{empty}",
                redis_url,
                smtp.port,
                mailroom,
                SMTP_URL=f"smtp+starttls://127.0.0.1:{smtp.port}",
            ),
        )
    finally:
        smtp.stop()
    assert result.returncode == 1
    table = rows(result.stdout)
    assert table["Database"].status == "failed"
    assert "migration(s) not applied (0001_initial" in table["Database"].detail
    assert table["Database"].fix == "`mentormail migrate`"
    with sqlite3.connect(empty) as looked_at:  # and not migrated
        assert looked_at.execute("SELECT name FROM sqlite_master").fetchall() == []
    assert table["SMTP"].status == "failed"
    assert "certificate is not trusted" in table["SMTP"].detail
    assert "set SMTP_CA_FILE" in table["SMTP"].fix


def test_a_server_without_plus_addressing_fails_the_round_trip(
    sqlite_url: str, redis_url: str, mailroom: Dovecot, tmp_path: Path
) -> None:
    smtp = SmtpServer(
        mailroom, SERVICE_DOMAIN, login=(SMTP_USER, SMTP_PASSWORD), plus_addressing=False
    )
    smtp.start()
    try:
        result = check(tmp_path, **configured(sqlite_url, redis_url, smtp.port, mailroom))
    finally:
        smtp.stop()
    assert result.returncode == 1
    table = rows(result.stdout)
    assert table["SMTP"].status == "ok" and table["IMAP"].status == "ok"
    trip = table["Round trip"]
    assert trip.status == "failed"
    assert "550 5.1.1" in trip.detail and "User unknown" in trip.detail
    assert f"<{USER}+0-0-general-***@{SERVICE_DOMAIN}>" in trip.detail
    assert f"does not deliver {USER}+…@{SERVICE_DOMAIN} to this mailbox" in trip.fix
    assert "recipient_delimiter = +" in trip.fix and "MENTORMAIL_ADDRESS_DELIMITER" in trip.fix
    no_secret_shown(result)


def test_mail_accepted_but_never_delivered_fails_at_the_deadline(
    sqlite_url: str, redis_url: str, mailroom: Dovecot, tmp_path: Path
) -> None:
    """A server that takes the signed address and loses it (delivers nowhere)."""
    smtp = SmtpServer(None, SERVICE_DOMAIN)
    smtp.start()
    try:
        started = time.monotonic()
        result = check(
            tmp_path,
            "--wait",
            "2",
            **configured(sqlite_url, redis_url, smtp.port, mailroom, SMTP_URL=smtp.url),
        )
        elapsed = time.monotonic() - started
    finally:
        smtp.stop()
    assert result.returncode == 1
    trip = rows(result.stdout)["Round trip"]
    assert trip.status == "failed" and "not in INBOX after 2 s" in trip.detail
    assert "turn on plus-addressing" in trip.fix and "longer --wait" in trip.fix
    assert "lmtp_save_to_detail_mailbox = yes" in trip.fix
    assert elapsed < 20


def test_a_closed_port_and_a_silent_one_fail_within_the_timeout(
    postgres_available: str, redis_url: str, mailroom: Dovecot, tmp_path: Path
) -> None:
    """And a database server that answers, but has no such database."""
    missing = postgres_available.rpartition("/")[0] + "/mm_no_such_database"
    closed = free_port()  # nothing listens there
    with socket.socket() as silent:  # listens, never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        silent_port = silent.getsockname()[1]
        started = time.monotonic()
        result = check(
            tmp_path,
            "--timeout",
            "2",
            **configured(
                missing,
                redis_url,
                closed,
                mailroom,
                IMAP_URL=f"imap://{USER}:{PASSWORD}@127.0.0.1:{silent_port}/INBOX",
            ),
        )
        elapsed = time.monotonic() - started
    assert result.returncode == 1
    table = rows(result.stdout)
    assert table["SMTP"].status == "failed"
    assert f"nothing answers on 127.0.0.1:{closed}" in table["SMTP"].fix
    assert table["IMAP"].status == "failed"
    assert f"nothing answers on 127.0.0.1:{silent_port}" in table["IMAP"].fix
    assert table["Round trip"].detail == "not tried: SMTP and IMAP failed"
    assert table["Database"].status == "failed"
    assert 'database "mm_no_such_database" does not exist' in table["Database"].detail
    assert "create the database" in table["Database"].fix
    assert elapsed < 15, elapsed  # start-up and two-second timeouts, not a hang
    no_secret_shown(result)


def test_a_placeholder_secret_fails_with_how_to_make_one(
    sqlite_url: str, redis_url: str, smtp: SmtpServer, mailroom: Dovecot, tmp_path: Path
) -> None:
    result = check(
        tmp_path,
        **configured(sqlite_url, redis_url, smtp.port, mailroom, MENTORMAIL_SECRET="change-me"),
    )
    assert result.returncode == 1
    table = rows(result.stdout)
    secret = table["Secret"]
    assert secret.status == "failed"
    assert "is a placeholder" in secret.detail and "the worker will not start" in secret.detail
    assert secret.fix.startswith("`mentormail secret`, then set MENTORMAIL_SECRET")
    # Everything else works: the round trip proves the mail path whatever the secret.
    assert [n for n, row in table.items() if row.status != "ok"] == ["Secret"]


def test_embedded_defaults_say_what_does_not_apply(tmp_path: Path) -> None:
    result = check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    table = rows(result.stdout)
    assert {row.status for row in table.values()} == {"skipped"}
    assert table["SMTP"].detail == f"SMTP_URL not set: mail is written to {tmp_path}/var/outbox"
    assert table["IMAP"].detail == f"IMAP_URL not set: replies are read from {tmp_path}/var/inbox"
    assert "no database yet at" in table["Database"].detail
    assert "DNS: nothing to publish" in result.stdout
    assert not (tmp_path / "var").exists()  # a check makes nothing
    wrong = check(tmp_path, MENTORMAIL_ADDRESS="mentorship")
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    assert "MENTORMAIL_ADDRESS: Value error, must be a plain address like" in wrong.stderr
