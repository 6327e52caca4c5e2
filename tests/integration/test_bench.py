"""The benchmark suite runs from the repository and writes every figure (its targets are
judged in BENCHMARKS.md and by `python -m bench`, never by a timed test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import TARGETS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(600)
def test_the_quick_benchmarks_run_and_write_every_figure(
    tmp_path: Path, postgres_available: str
) -> None:
    out = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SMTP_URL")}
    env["BENCH_POSTGRES"] = postgres_available
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-3000:]
    figures = json.loads(out.read_text())
    missing = [key for key in TARGETS if not isinstance(figures.get(key), int | float)]
    assert not missing, missing
    assert figures["quick"] is True and figures["machine"]["cpus"]
    assert figures["outbound_emails"] > 0 and figures["inbound_replies"] > 0
