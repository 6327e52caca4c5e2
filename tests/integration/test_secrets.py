"""The service's secret: refused when weak on real servers, made once however many start,
rotated without losing a reply or a sealed word; and the data files are the user's alone."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from service.app import AppContext
from service.config import SecretRefused
from service.jobs.worker import on_startup
from service.mail.transports.local import DirOutgoing
from service.reflections.checkins import PURPOSE
from service.secret import Secret, new_secret, weakness
from service.storage.models import InboundMessage, InboundStatus, OutboundMessage, Reflection
from service.storage.sealing import MAIL, unseal, unseal_bytes
from tests.conftest import PG_ADMIN
from tests.integration.conftest import make_settings
from tests.integration.test_cli import HEADER, ROW
from tests.integration.test_flow import activated, deliver, receive, sent_to
from tests.mail import reply_to
from tests.starts import secrets_taken

ROOT = Path(__file__).resolve().parents[2]
SAM = "sam@university.example"
ZOE = "zoe@hospital.example"
COMPOSE_PLACEHOLDER = "change-me-to-a-long-random-string"
STARTS = 8
TRIALS = 25
# A PostgreSQL server that is there, and a database on it that is not: a start that got as far
# as connecting would fail there, and touch nothing.
NOWHERE = PG_ADMIN.rsplit("/", 1)[0] + "/mm_never_created"


def mentormail(folder: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    """`mentormail ARGS…` in its own process, with only the servers given in `env`."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "IMAP_URL")
        and not k.startswith("MENTORMAIL_")
    }
    return subprocess.Popen(
        [sys.executable, "-m", "service", *args],
        cwd=folder,
        env={**clean, "MENTORMAIL_DATA_DIR": str(folder / "var"), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_eight_starts_on_a_fresh_folder_take_one_secret(tmp_path: Path) -> None:
    folders = [tmp_path / f"fresh-{trial}" for trial in range(TRIALS)]
    taken = secrets_taken(folders, STARTS)
    disagreeing = [trial for trial, secrets in enumerate(taken) if len(set(secrets)) != 1]
    assert disagreeing == [], f"{len(disagreeing)} of {TRIALS} trials took different secrets"
    for folder, secrets in zip(folders, taken, strict=True):
        kept = folder / "secret.key"
        assert kept.read_text() == secrets[0] and weakness(secrets[0]) is None
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert [p.name for p in folder.iterdir()] == ["secret.key"]  # no file left behind


@pytest.mark.parametrize("secret", [COMPOSE_PLACEHOLDER, None, "abc"])
def test_run_on_postgresql_refuses_a_weak_secret_before_connecting(
    tmp_path: Path, postgres_available: str, secret: str | None
) -> None:
    env = {"DATABASE_URL": NOWHERE, **({"MENTORMAIL_SECRET": secret} if secret else {})}
    began = time.monotonic()
    process = mentormail(tmp_path, "run", "--burst", **env)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 2, (out, err)
    assert "MENTORMAIL_SECRET" in err and "`mentormail secret`" in err, err
    assert "DATABASE_URL" in err and "Traceback" not in err
    # Nothing was started: no embedded Redis, no data folder, no schema brought up to date.
    assert not (tmp_path / "var").exists()
    assert time.monotonic() - began < 20


def test_an_import_on_postgresql_refuses_a_placeholder(tmp_path: Path) -> None:
    """The agreement requests it queues are signed with the secret."""
    csv = tmp_path / "pairs.csv"
    csv.write_text(HEADER + ROW, encoding="utf-8")
    process = mentormail(
        tmp_path, "import", str(csv), DATABASE_URL=NOWHERE, MENTORMAIL_SECRET=COMPOSE_PLACEHOLDER
    )
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2 and "`mentormail secret`" in err, err


async def test_the_worker_started_by_arq_refuses_a_placeholder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MENTORMAIL_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DATABASE_URL", NOWHERE)
    monkeypatch.setenv("MENTORMAIL_SECRET", COMPOSE_PLACEHOLDER)
    ctx: dict[str, object] = {}
    with pytest.raises(SecretRefused, match="mentormail secret"):
        await on_startup(ctx)
    assert "app" not in ctx


def test_mentormail_secret_prints_a_new_strong_one(tmp_path: Path) -> None:
    printed = [mentormail(tmp_path, "secret").communicate(timeout=60)[0] for _ in range(2)]
    first, second = (text.strip() for text in printed)
    assert first != second and weakness(first) is None and weakness(second) is None
    assert len(first) == 43
    assert not (tmp_path / "var").exists()  # it touches nothing


def test_the_data_files_are_the_users_alone(tmp_path: Path) -> None:
    process = mentormail(tmp_path, "migrate")
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    data = tmp_path / "var"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for path in data.glob("mentormail.sqlite3*"):  # the database, its WAL and shared memory
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


async def test_outgoing_mail_files_are_the_users_alone(tmp_path: Path) -> None:
    outgoing = DirOutgoing(tmp_path / "outbox")
    await outgoing.send(b"Message-ID: <a@b>\r\n\r\nprivate\r\n", "a@b", ["c@d"])
    (written,) = (tmp_path / "outbox").glob("*.eml")
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "outbox").stat().st_mode) == 0o700


async def test_a_rotated_secret_still_routes_old_mail_and_opens_then_reseals_what_it_sealed(
    app: AppContext, database_url: str, tmp_path: Path
) -> None:
    old = app.secret
    await activated(app)
    invitation = (await sent_to(app, SAM, "invitation"))[-1]
    deliver(app, reply_to(invitation, sender=SAM, body="phase out"))
    await receive(app)
    sam_closure = (await sent_to(app, SAM, "closure"))[0]
    zoe_closure = (await sent_to(app, ZOE, "closure"))[0]
    deliver(app, reply_to(sam_closure, sender=SAM, body="PRIVATE-7f3a I never felt heard."))
    assert await receive(app) == [InboundStatus.PROCESSED]

    # The new secret alone: mail signed with the old one routes nothing.
    new = new_secret()
    app.secret = make_settings(
        tmp_path / "data", database_url, MENTORMAIL_SECRET=new
    ).resolved_secret()
    deliver(app, reply_to(zoe_closure, sender=ZOE, body="Proud of the abstract."))
    assert await receive(app) != [InboundStatus.PROCESSED]

    # With the old one listed, a reply to mail signed with it is applied, by its address or
    # by its thread, and what it sealed opens.
    rotated = make_settings(
        tmp_path / "data", database_url, MENTORMAIL_SECRET=new, MENTORMAIL_OLD_SECRETS=old.decode()
    ).resolved_secret()
    app.secret = rotated
    deliver(app, reply_to(zoe_closure, sender=ZOE, body="SHARED-91bc Proud.\nshare"))
    deliver(app, reply_to(zoe_closure, sender=ZOE, body="One more thing.", use_token=False))
    assert await receive(app) == [InboundStatus.PROCESSED, InboundStatus.PROCESSED]
    assert isinstance(rotated, Secret) and rotated.old == (bytes(old),)
    sam_row = await Reflection.filter(person__email=SAM).get()
    assert unseal(rotated, bytes(sam_row.sealed), PURPOSE).startswith("PRIVATE-7f3a")
    with pytest.raises(ValueError):
        unseal(new.encode(), bytes(sam_row.sealed), PURPOSE)

    # `mentormail rotate-secret` seals it all again: the new secret alone opens everything.
    process = mentormail(
        tmp_path,
        "rotate-secret",
        DATABASE_URL=database_url,
        MENTORMAIL_SECRET=new,
        MENTORMAIL_OLD_SECRETS=old.decode(),
    )
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert "reflections: 3 sealed again" in out, out
    alone = new.encode()
    for reflection in await Reflection.all():
        unseal(alone, bytes(reflection.sealed), PURPOSE)
    sealed_mail = [
        *(await OutboundMessage.filter(sealed=True)),
        *(await InboundMessage.filter(sealed=True)),
    ]
    assert sealed_mail
    for row in sealed_mail:
        unseal_bytes(alone, bytes(row.raw_bytes), MAIL)
    sam_row = await Reflection.filter(person__email=SAM).get()
    assert unseal(alone, bytes(sam_row.sealed), PURPOSE).startswith("PRIVATE-7f3a")
