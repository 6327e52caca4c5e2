"""A simulated year of a program: every email rendered and delivered, replies answered.

Runs the demo (`python -m service demo`) in a process of its own, so that its peak memory
is its own: the worker, the simulation of the people and the delivery of every email.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Timer


def _high_water_kb(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), in kilobytes; 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run(pairs: int, months: int = 12) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "IMAP_URL")
        }
        env["COLUMNS"] = "200"
        out, err = Path(folder) / "demo.out", Path(folder) / "demo.err"
        timer = Timer()
        with out.open("w") as stdout, err.open("w") as stderr:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "service",
                    "demo",
                    "--pairs",
                    str(pairs),
                    "--months",
                    str(months),
                    "--out",
                    str(Path(folder) / "out"),
                ],
                cwd=folder,
                env=env,
                stdout=stdout,
                stderr=stderr,
            )
            peak_kb = 0
            while process.poll() is None:
                # The demo's own high-water mark: what wait4 reports also counts the
                # processes it started, and is the largest of them, not the worker's.
                peak_kb = max(peak_kb, _high_water_kb(process.pid))
                time.sleep(0.2)
        seconds = timer.seconds
        output, errors = out.read_text(), err.read_text()
        if process.returncode != 0:
            raise RuntimeError(f"the simulated year failed:\n{errors[-2000:]}")
    found = re.search(r"(\d+) emails in", output)
    emails = int(found.group(1)) if found else 0
    return {
        "year_pairs": pairs,
        "year_10k_pairs_s": round(seconds, 1),
        "year_10k_emails": emails,
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }
