"""PostgreSQL restarted under a running worker (`mentormail run`, cron and all) just before
a wave falls due: the worker's connections die with the server, and it must carry on.

The server is a private one, made for the scenario with the machine's PostgreSQL programs
(run as the `postgres` user when the suite runs as root, as PostgreSQL requires).
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

from bench.common import SECRET, SERVICE, free_port, smtp_sink
from reliability.restarts import DOWN_AT, DOWN_FOR, wave

ROOT = Path(__file__).resolve().parents[1]
DEADLINE = 300.0


def _program(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None
    )
    if found is None:
        raise RuntimeError(
            f"PostgreSQL's {name} is not on this machine; ./scripts/test installs it"
        )
    return found


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PrivatePostgres:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def create(self) -> None:
        self.root.chmod(0o777)
        subprocess.run(
            _as_postgres(
                [
                    _program("initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                ]
            ),
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self.process = subprocess.Popen(
            _as_postgres(
                [_program("postgres"), "-D", str(self.data), "-p", str(self.port),
                 "-c", "listen_addresses=127.0.0.1", "-k", str(self.root), "-c", "fsync=off"]
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                asyncio.run(self._ping())
                return
            except (OSError, asyncpg.PostgresError):
                time.sleep(0.1)
        raise RuntimeError("the private PostgreSQL did not start")

    async def _ping(self) -> None:
        connection = await asyncpg.connect(self.url, timeout=2)
        await connection.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()  # a smart shutdown: the clients' connections are cut
            self.process.wait(timeout=60)
            self.process = None


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    root = Path(tempfile.mkdtemp(prefix="mentormail-reliability-pg-"))
    server = PrivatePostgres(root)
    try:
        server.create()
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


async def _query(url: str, sql: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(url, timeout=5)
    try:
        return list(await connection.fetch(sql))
    finally:
        await connection.close()


def _sent(url: str) -> int:
    try:
        rows = asyncio.run(
            _query(url, "SELECT COUNT(*) FROM outbound_message WHERE status = 'sent'")
        )
    except (OSError, asyncpg.PostgresError):
        return -1
    return int(rows[0][0])


def run(folder: Path, emails: int) -> dict[str, float]:
    data = folder / "db-restart"
    with private_postgres() as database, smtp_sink(folder) as (smtp, ids):
        asyncio.run(wave(data, emails, database.url))
        env = {
            "PATH": "/usr/bin:/bin",
            "MENTORMAIL_DATA_DIR": str(data),
            "MENTORMAIL_ADDRESS": SERVICE,
            "MENTORMAIL_SECRET": SECRET,
            "DATABASE_URL": database.url,
            "SMTP_URL": f"smtp://127.0.0.1:{smtp}",
        }
        with (folder / "db-worker.log").open("wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "service", "run"], cwd=ROOT, env=env,
                stdout=subprocess.DEVNULL, stderr=log,
            )  # fmt: skip
            started = time.monotonic()
            time.sleep(DOWN_AT)
            database.stop()
            time.sleep(DOWN_FOR)
            database.start()
            back = time.monotonic()
            recovery = None
            while time.monotonic() - started < DEADLINE and worker.poll() is None:
                sent = _sent(database.url)
                if sent > 0 and recovery is None:
                    recovery = time.monotonic() - back
                if sent >= emails:
                    break
                time.sleep(0.2)
            alive = worker.poll() is None
            worker.terminate()
            worker.wait(timeout=30)
        expected = {
            f"<{r[0]}>"
            for r in asyncio.run(_query(database.url, "SELECT message_id FROM outbound_message"))
        }
    arrived = set(ids.read_text().split())
    return {
        "db_restart_emails": emails,
        "db_restart_lost": len(expected - arrived),
        "db_restart_worker_crashes": int(not alive),
        "db_restart_recovery_s": round(recovery if recovery is not None else -1.0, 1),
    }
