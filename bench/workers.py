"""Two sending workers against one, on PostgreSQL, and how many messages arrive twice.

The same outbox (a program imported and activated) is sent once by one worker process and,
on a fresh copy, by two at once; the sink records every Message-ID it receives.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bench.common import Timer, active_program, scratch_database, service, smtp_sink
from service.clock import ManualClock
from service.jobs import loop

START = datetime(2026, 12, 28, 9, 0, tzinfo=UTC)
SEND_AT = datetime(2027, 1, 4, 12, tzinfo=UTC)


async def _fill(folder: Path, database_url: str, pairs: int) -> None:
    clock = ManualClock(START)
    async with service(folder, database_url, None, clock) as app:
        await active_program(app, pairs, clock.now())


def _send(folder: Path, database_url: str, port: int, workers: int) -> float:
    timer = Timer()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.sender", database_url, str(port), str(folder / f"w{n}")],
            cwd=Path(__file__).resolve().parents[1],
        )
        for n in range(workers)
    ]
    for process in processes:
        if process.wait(timeout=600) != 0:
            raise RuntimeError("a sending worker failed")
    return timer.seconds


def run(postgres: str, pairs: int) -> dict[str, float]:
    """`postgres`: a server URL whose user may create databases (postgres://…/test)."""
    seconds: dict[int, float] = {}
    duplicates = 0
    sent = 0
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for workers in (1, 2):
            with scratch_database(postgres, "bench") as url:
                loop.run(_fill(root / f"fill{workers}", url, pairs))
                with smtp_sink(root) as (port, ids):
                    seconds[workers] = _send(root, url, port, workers)
                counts = Counter(ids.read_bytes().splitlines())
                sent = sum(counts.values())
                duplicates += sum(c - 1 for c in counts.values() if c > 1)
    return {
        "workers_emails": sent,
        "workers_2_over_1": round(seconds[1] / seconds[2], 3),
        "workers_duplicates": duplicates,
    }


if __name__ == "__main__":  # pragma: no cover
    print(run(os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/test"), 20))
