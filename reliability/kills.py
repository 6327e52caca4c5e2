"""The sending worker killed with SIGKILL at random moments during a wave, then restarted.

Nothing may be lost. A message handed over but not yet marked sent when the worker died is
sent again by the next one, with the same Message-ID: those are the duplicates, and the
acknowledgement window (`service.outbox.sender.ACK_EVERY`) bounds them.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from bench.common import active_program, service, smtp_sink
from reliability.common import START, sent_count
from service.clock import ManualClock
from service.config import Settings
from service.outbox.sender import ACK_EVERY, CLAIM_TTL

ROOT = Path(__file__).resolve().parents[1]


def _worker(folder: Path, port: int, restart: int) -> subprocess.Popen[bytes]:
    # A month on: every "not before" of the program's first mail has come.
    now = START + timedelta(days=30) + (CLAIM_TTL + timedelta(minutes=1)) * restart
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reliability.sender_worker",
            str(folder),
            str(port),
            now.isoformat(),
        ],
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == b"ready"
    return process


async def _prepare(folder: Path, pairs: int) -> list[str]:
    async with service(folder, None, None, ManualClock(START)) as app:
        await active_program(app, pairs, START)
    with sqlite3.connect(folder / "mentormail.sqlite3") as connection:
        return [
            f"<{row[0]}>" for row in connection.execute("SELECT message_id FROM outbound_message")
        ]


def run(folder: Path, pairs: int, kills: int) -> dict[str, float]:
    data = folder / "kills"
    expected = asyncio.run(_prepare(data, pairs))
    database = data / "mentormail.sqlite3"
    chance = random.Random(20261126)
    recoveries: list[float] = []
    with smtp_sink(folder) as (port, ids):
        for restart in range(kills):
            before = sent_count(database)
            started = time.perf_counter()
            worker = _worker(data, port, restart)
            while sent_count(database) == before and worker.poll() is None:
                time.sleep(0.02)
            recoveries.append(time.perf_counter() - started)
            time.sleep(chance.uniform(0.05, 1.0))
            worker.kill()
            worker.wait()
        last = _worker(data, port, kills)
        last.wait(timeout=1800)
        left = len(expected) - sent_count(database)
    arrived = Counter(ids.read_text().split())
    return {
        "kill_emails": len(expected),
        "kill_kills": kills,
        # What one death may send twice: the unacknowledged rows and those on the wire.
        "kill_window": ACK_EVERY + Settings().smtp_connections,
        "kill_lost": sum(1 for message_id in expected if message_id not in arrived),
        # Rows still not marked sent once the last worker finished.
        "kill_unsettled": left,
        "kill_duplicates": sum(count - 1 for count in arrived.values()),
        "kill_recovery_s": round(max(recoveries, default=0.0), 2),
    }
