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
from pathlib import Path

from bench.common import Timer


def run(pairs: int, months: int = 12) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "IMAP_URL")
        }
        env["COLUMNS"] = "200"
        timer = Timer()
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
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = timer.seconds
        output = process.stdout.read() if process.stdout else ""
        errors = process.stderr.read() if process.stderr else ""
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"the simulated year failed:\n{errors[-2000:]}")
    found = re.search(r"(\d+) emails in", output)
    emails = int(found.group(1)) if found else 0
    return {
        "year_pairs": pairs,
        "year_10k_pairs_s": round(seconds, 1),
        "year_10k_emails": emails,
        # ru_maxrss is in kilobytes on Linux.
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }
