"""`python -m reliability [--quick] [--json PATH]`: faults and abuse, each scenario's figures.

Every scenario runs against real servers on loopback, in bounded loops that stop by
themselves. A figure named `*_lost`, `*_accepted`, `*_leaks`, `*_crashes` or `*_injected`
must be 0; the others are judged by their own bound (a most or a least) or reported.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.table import Table

ZERO_SUFFIXES = ("_lost", "_accepted", "_leaks", "_crashes", "_injected")


@dataclass(frozen=True)
class Sizes:
    smtp_pairs: int
    privacy_pairs: int
    fuzz_messages: int
    import_rows: int
    kill_pairs: int
    kills: int
    imap_pairs: int
    imap_replies: int
    imap_kills: int
    restart_emails: int
    outage_pairs: int


QUICK = Sizes(
    smtp_pairs=100,
    privacy_pairs=3,
    fuzz_messages=300,
    import_rows=1_000,
    kill_pairs=150,
    kills=5,
    imap_pairs=20,
    imap_replies=400,
    imap_kills=3,
    restart_emails=400,
    outage_pairs=10,
)
FULL = Sizes(  # 10,000 emails in the SMTP and the kill scenarios
    smtp_pairs=1_250,
    privacy_pairs=10,
    fuzz_messages=10_000,
    import_rows=100_000,
    kill_pairs=1_250,
    kills=20,
    imap_pairs=100,
    imap_replies=2_000,
    imap_kills=10,
    restart_emails=2_000,
    outage_pairs=250,
)


Bound = tuple[float, Literal["max", "min"]]


def bound(key: str, figures: dict[str, Any]) -> Bound | None:
    """(bound, "max") for a figure that may not exceed it, (bound, "min") for one that may
    not fall short of it; None for a reported one."""
    if key.endswith(ZERO_SUFFIXES):
        return 0, "max"
    if key.startswith("calendar_server_reply_recorded_"):
        # Each calendar server's style of answer, sent once, is heard once.
        return 1, "min"
    if key == "smtp_duplicates":
        return float(figures.get("smtp_dropped_acks", 0)), "max"
    if key == "kill_duplicates":
        # Only what was handed over and not yet marked sent when the worker died.
        return float(figures.get("kill_kills", 0) * figures.get("kill_window", 0)), "max"
    if key in (
        "smtp_5xx_retried",
        "auto_answered",
        "forged_unkept",
        "injection_refusal_unclear",
        "import_errors_unclear",
        "import_partial",
        "kill_unsettled",
        "imap_applied_twice",
        "uidvalidity_applied_twice",
        "redis_restart_worker_crashes",
        "db_restart_worker_crashes",
        "placeholder_secret_started",
        # Outages: mail waits for the relay or the login, and every email arrives once.
        "relay_down_failed",
        "relay_down_duplicates",
        "relay_down_tries_counted",
        "login_refused_failed",
        "login_refused_duplicates",
        "login_refused_tries_counted",
    ):
        return 0, "max"
    if key in ("refusals_per_address_day", "max_reminders_per_person_day"):
        return 1, "max"
    if key == "max_emails_from_one_inbound":
        # The most one message may cause: a coordinator's ten pairings (closing one sends
        # four emails) and their answer; a participant's message stays under twenty.
        return 50, "max"
    if key == "max_tasks_from_one_inbound":
        from service.program.grammar import TASK

        return TASK.per_message, "max"
    if key == "fuzz_worst_s":
        return 1.0, "max"
    return None


def verdict(key: str, figures: dict[str, Any]) -> tuple[bool, str]:
    judged = bound(key, figures)
    if judged is None:
        return True, "report"
    limit, kind = judged
    value = float(figures[key])
    ok = value >= limit if kind == "min" else value <= limit
    sign = "≥" if kind == "min" else "≤"
    return ok, ("meets" if ok else "MISSES") + f" {sign} {limit:g}"


def scenarios(sizes: Sizes, root: Path) -> list[tuple[str, Callable[[], dict[str, Any]]]]:
    from reliability import (
        calendar_servers,
        database_restart,
        dates,
        forged,
        fuzz,
        imap_faults,
        imports,
        injection,
        kills,
        outages,
        privacy,
        restarts,
        secrets,
        smtp_faults,
        trust,
    )

    return [
        ("smtp faults", lambda: smtp_faults.run(root, sizes.smtp_pairs)),
        (
            "relay down six days, login refused an hour",
            lambda: outages.run(root, sizes.outage_pairs),
        ),
        ("worker killed", lambda: kills.run(root, sizes.kill_pairs, sizes.kills)),
        (
            "imap cut, worker killed, mailbox made again",
            lambda: imap_faults.run(root, sizes.imap_pairs, sizes.imap_replies, sizes.imap_kills),
        ),
        ("redis restarted", lambda: restarts.run(root, sizes.restart_emails)),
        ("postgresql restarted", lambda: database_restart.run(root, sizes.restart_emails)),
        ("forged and unwanted mail", forged.run),
        ("who may act, and how much", trust.run),
        ("calendar servers' answers", calendar_servers.run),
        ("header and markup injection", injection.run),
        ("privacy markers", lambda: privacy.run(sizes.privacy_pairs)),
        ("hostile mail", lambda: fuzz.run(sizes.fuzz_messages)),
        ("days and times no calendar has", dates.run),
        ("roster imports", lambda: imports.run(sizes.import_rows)),
        ("weak and racing secrets", lambda: secrets.run(root)),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reliability", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, a few minutes")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)
    console = Console()
    sizes = QUICK if args.quick else FULL
    started = time.perf_counter()
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, scenario in scenarios(sizes, Path(folder)):
            began = time.perf_counter()
            console.print(f"[bold]{name}[/bold] …", end=" ")
            figures.update(scenario())
            console.print(f"{time.perf_counter() - began:.0f} s")
    table = Table(title="mentormail reliability" + (" (quick)" if args.quick else ""))
    for column in ("figure", "value", "bound"):
        table.add_column(column)
    failed = []
    for key, value in figures.items():
        ok, text = verdict(key, figures)
        table.add_row(key, str(value), text)
        if not ok:
            failed.append(key)
    console.print(table)
    if failed:
        console.print("missed: " + ", ".join(f"{key} = {figures[key]}" for key in failed))
    if args.json:
        result = {
            "date": time.strftime("%Y-%m-%d"),
            "quick": args.quick,
            "sizes": sizes.__dict__,
            "seconds": round(time.perf_counter() - started, 1),
            **figures,
        }
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
