"""Coordinators' CSV files: bad rows, duplicate pairs, the wrong encoding, a very large file,
and an import stopped half-way. Each file lands whole or not at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.common import roster, service
from reliability.common import START
from service.agreement.enrolment import import_roster
from service.clock import ManualClock
from service.outbox.writer import OutboxWriter
from service.program.roster import read_roster
from service.storage.models import Pairing, Program

STOP_AFTER = 1.0  # seconds into the stopped import


async def _landed(program: str) -> int:
    found = await Program.get_or_none(name=program)
    return await Pairing.filter(program_id=found.id).count() if found else 0


async def _scenario(folder: Path, rows: int) -> dict[str, float]:
    clock = ManualClock(START)
    async with service(folder, None, None, clock) as app:
        outbox = OutboxWriter(app.settings, app.secret)
        start = date(2027, 1, 4)
        await import_roster(
            read_roster(roster(10, start, "Existing"), clock.now().date()), outbox, clock.now()
        )
        partial = unclear = 0
        good = roster(500, start, "Bad row").decode()
        broken = {
            "Bad row": (good + good.splitlines()[-1].replace("@hospital", "@") + "\n").encode(),
            "Duplicate": (lambda t: (t + t.splitlines()[7] + "\n").encode())(
                roster(300, start, "Duplicate").decode()
            ),
            "Encoding": roster(50, start, "Encoding").decode().encode("latin-1"),
        }
        for program, data in broken.items():
            result = read_roster(data, clock.now().date())
            unclear += not result.errors or any(e.line < 1 or not e.field for e in result.errors)
            if not result.errors:
                await import_roster(result, outbox, clock.now())
            partial += await _landed(program) not in (0,)
        # A large file, whole.
        big = roster(rows, start, "Large")
        began = time.perf_counter()
        await import_roster(read_roster(big, clock.now().date()), outbox, clock.now())
        seconds = time.perf_counter() - began
        partial += await _landed("Large") != rows
        # The same size again, stopped a second in (a worker shut down, a timeout).
        stopped = asyncio.ensure_future(
            import_roster(
                read_roster(roster(rows, start, "Stopped"), clock.now().date()), outbox, clock.now()
            )
        )
        await asyncio.sleep(STOP_AFTER)
        stopped.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await stopped
        partial += await _landed("Stopped") not in (0, rows)
        existing = await _landed("Existing")
    return {
        "import_rows": rows,
        "import_rows_per_s": round(rows / seconds, 1),
        "import_partial": partial + (existing != 10),
        "import_errors_unclear": unclear,
    }


def run(rows: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        return asyncio.run(_scenario(Path(folder), rows))
