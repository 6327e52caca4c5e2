"""`python -m bench [--quick] [--json PATH] [--postgres URL]`: every figure, in a table."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class Sizes:
    outbound_pairs: int
    inbound_pairs: int
    tick_small: int
    tick_large: int
    tick_due: int
    year_pairs: int
    worker_pairs: int
    generated: int


QUICK = Sizes(100, 50, 1_000, 100_000, 50, 5, 60, 200)
FULL = Sizes(400, 500, 1_000, 100_000, 200, 100, 400, 2_000)

# key: (target, "min" or "max"); None where the figure is reported, not judged.
TARGETS: dict[str, tuple[float, str] | None] = {
    "outbound_emails_per_s": (1000, "min"),
    "outbound_raw_per_s": None,
    "outbound_ratio": (0.7, "min"),
    "inbound_replies_per_s": (500, "min"),
    "inbound_raw_per_s": None,
    "inbound_ratio": None,
    "tick_1k_ms": None,
    "tick_100k_ms": None,
    "tick_100k_over_1k": (2, "max"),
    "tick_full_scans_sqlite": (0, "max"),
    "tick_full_scans_postgres": (0, "max"),
    "year_10k_pairs_s": None,
    "year_10k_emails": None,
    "peak_rss_mb": (300, "max"),
    "workers_2_over_1": None,
    "workers_duplicates": (0, "max"),
    "parse_worst_s": (1.0, "max"),
}


def machine() -> dict[str, Any]:
    memory = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) // 1024
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "memory_mb": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def measure(sizes: Sizes, postgres: str, console: Console) -> dict[str, Any]:
    from bench import inbound, outbound, parse, tick, workers, year

    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        steps = (
            ("outbound", lambda: outbound.run(root, None, sizes.outbound_pairs)),
            ("inbound", lambda: inbound.run(sizes.inbound_pairs)),
            (
                "tick",
                lambda: tick.run(
                    root, sizes.tick_small, sizes.tick_large, sizes.tick_due, postgres
                ),
            ),
            ("parse", lambda: parse.run(sizes.generated)),
            ("workers", lambda: workers.run(postgres, sizes.worker_pairs)),
            ("year", lambda: year.run(sizes.year_pairs)),
        )
        for name, step in steps:
            started = time.perf_counter()
            console.print(f"[bold]{name}[/bold] …", end=" ")
            figures.update(step())
            console.print(f"{time.perf_counter() - started:.0f} s")
    return figures


def verdict(key: str, value: Any) -> str:
    target = TARGETS.get(key)
    if target is None or not isinstance(value, int | float):
        return "report"
    bound, kind = target
    ok = value >= bound if kind == "min" else value <= bound
    return ("meets " if ok else "MISSES ") + (f"≥ {bound}" if kind == "min" else f"≤ {bound}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, a few minutes")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/test"),
        help="a PostgreSQL server whose user may create databases (for the workers' figure)",
    )
    args = parser.parse_args(argv)
    console = Console()
    sizes = QUICK if args.quick else FULL
    started = time.perf_counter()
    figures = measure(sizes, args.postgres, console)
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "quick": args.quick,
        "sizes": sizes.__dict__,
        "machine": machine(),
        "seconds": round(time.perf_counter() - started, 1),
        **figures,
    }
    table = Table(title="mentormail benchmarks" + (" (quick)" if args.quick else ""))
    for column in ("figure", "value", "target"):
        table.add_column(column)
    for key in TARGETS:
        table.add_row(key, str(figures.get(key, "-")), verdict(key, figures.get(key)))
    console.print(table)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    missing = [key for key in TARGETS if key not in figures]
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
