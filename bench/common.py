"""What every benchmark needs: a free port, the SMTP sink process, a fresh service."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import asyncpg

from service.app import AppContext
from service.clock import ManualClock
from service.config import Settings
from service.jobs.worker import make_app, warm_up
from service.secret import new_secret
from service.storage import db

SERVICE = "mentorship@bench.example"
# One per run, shared by the benches' own processes and the workers they start (through
# the environment they inherit): a worker with servers configured starts on a strong
# secret only, and one that read replies signed with another would refuse them all.
SECRET = os.environ.setdefault("MENTORMAIL_RUN_SECRET", new_secret())
TIMEZONES = ("America/New_York", "Europe/Berlin", "Asia/Tokyo", "America/Chicago")
COLUMNS = (
    "program,mentor_name,mentor_email,mentor_timezone,mentee_name,mentee_email,"
    "mentee_timezone,start_date,frequency,weekday,time,coordinator_email\n"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def helper_process(module: str, *args: str) -> Iterator[None]:
    """`python -m MODULE ARGS…` from the repository, once it has said "ready"; stopped after."""
    process = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == b"ready"
        yield
    finally:
        process.terminate()
        process.wait(timeout=20)


@contextlib.contextmanager
def recording_server(module: str, folder: Path, name: str) -> Iterator[tuple[int, Path]]:
    """`python -m MODULE PORT FILE`, a server that writes what it receives to FILE, in a
    process of its own on a free port; yields (port, that file)."""
    port = free_port()
    record = folder / f"{name}-{port}.log"
    with helper_process(module, str(port), str(record)):
        yield port, record


# Each raw figure is the best of this many runs of the same work: a run of a few seconds
# caught by a neighbour's burst on this shared machine would flatter the ratio.
RAW_RUNS = 3


def smtp_sink(folder: Path) -> contextlib.AbstractContextManager[tuple[int, Path]]:
    """The sink; yields (port, file of the Message-IDs received, one a line)."""
    return recording_server("bench.sink", folder, "sink")


async def _create_or_drop(admin_url: str, name: str, drop: bool) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        if drop:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


@contextlib.contextmanager
def scratch_database(admin_url: str, prefix: str) -> Iterator[str]:
    """A new PostgreSQL database on the server of `admin_url` (whose user may create
    databases), dropped afterwards; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_create_or_drop(admin_url, name, drop=False))
    try:
        base, _, _ = admin_url.rpartition("/")
        yield f"{base}/{name}"
    finally:
        asyncio.run(_create_or_drop(admin_url, name, drop=True))


async def serve_until_stopped(server: asyncio.AbstractServer) -> None:
    """Say "ready" (for `helper_process`), then serve until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print("ready", flush=True)
    await stop.wait()
    server.close()


def roster(pairs: int, start: date, program: str = "Bench 2027", refused_every: int = 0) -> bytes:
    """A CSV of `pairs` realistic pairs across time zones and cadences; with
    `refused_every`, every such mentee's address is at `refused.example`."""
    lines = [COLUMNS]
    frequencies = ("every 2 weeks", "monthly", "weekly", "every 3 weeks")
    for n in range(pairs):
        mentor_tz = TIMEZONES[n % len(TIMEZONES)]
        mentee_tz = TIMEZONES[(n + 1) % len(TIMEZONES)]
        lines.append(
            f"{program},Dr. Mentor Nº{n} Søren,mentor{n}@hospital.example,{mentor_tz},"
            f"Mentee Nº{n} Zoë,mentee{n}@{mentee_domain(n, refused_every)},{mentee_tz},"
            f"{(start + timedelta(days=7)).isoformat()},{frequencies[n % 4]},"
            f"{('Monday', 'Tuesday', 'Wednesday', 'Thursday')[n % 4]},{9 + n % 6}:00,"
            "coordinator@society.example\n"
        )
    return "".join(lines).encode()


def mentee_domain(n: int, refused_every: int) -> str:
    return "refused.example" if refused_every and n % refused_every == 0 else "university.example"


@contextlib.asynccontextmanager
async def service(
    folder: Path, database_url: str | None, smtp_port: int | None, clock: ManualClock
) -> AsyncIterator[AppContext]:
    """The service's context on a fresh database (SQLite in `folder` unless a URL is given)."""
    folder.mkdir(parents=True, exist_ok=True)
    environ = {
        "MENTORMAIL_DATA_DIR": str(folder),
        "MENTORMAIL_ADDRESS": SERVICE,
        "MENTORMAIL_SECRET": SECRET,
    }
    if smtp_port is not None:
        environ["SMTP_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    saved = {k: os.environ.get(k) for k in [*environ, "DATABASE_URL", "SMTP_URL", "IMAP_URL"]}
    os.environ.update(environ)
    for name in ("DATABASE_URL", "IMAP_URL") + (() if smtp_port else ("SMTP_URL",)):
        os.environ.pop(name, None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    try:
        settings = Settings()
        app = await make_app(settings)
        app.clock = clock
        warm_up()  # as a running worker has
        try:
            yield app
        finally:
            try:
                await app.outgoing.close()
                await app.incoming.close()
            finally:
                await db.close()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class Timer:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


async def active_program(
    app: AppContext, pairs: int, now: datetime, refused_every: int = 0
) -> None:
    """`pairs` pairs imported from a CSV and agreed by both: every email of that, queued."""
    from service.agreement.activation import activate
    from service.agreement.enrolment import import_roster
    from service.outbox.writer import OutboxWriter
    from service.program.roster import read_roster
    from service.storage.db import transaction
    from service.storage.models import Pairing

    outbox = OutboxWriter(app.settings, app.secret)
    csv = roster(pairs, now.date(), refused_every=refused_every)
    await import_roster(read_roster(csv, now.date()), outbox, now)
    for pairing_id in await Pairing.all().values_list("id", flat=True):
        async with transaction() as connection:
            pairing = await Pairing.get(id=pairing_id, using_db=connection)
            pairing.mentor_agreed_at = pairing.mentee_agreed_at = now
            await activate(connection, outbox, pairing, now)
