"""What the demo leaves behind: an index page of its outbox, and a summary of what happened."""

from __future__ import annotations

import html
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from service.demo.mail_client import HEADERS, decoded
from service.demo.rendering import email_page
from service.demo.simulation import Simulation
from service.storage.models import (
    InboundMessage,
    OutboundMessage,
    OutboundStatus,
    Pairing,
    Person,
)


@dataclass(frozen=True)
class MailLoad:
    """How much mail the people of a program got: per person and week (every person's
    every week, quiet ones included), and the most one person got on one of their days."""

    week_median: float
    week_max: int
    day_max: int
    # Each person's days above the daily limit, counted.
    days_over_3: int


def mail_load(
    sent: Iterable[tuple[int, datetime]], zones: dict[int, str], start: datetime, end: datetime
) -> MailLoad:
    """`sent`: (person, when) of each email to a participant; `zones`: each person's zone."""
    weeks = max(1, -(-(end - start) // timedelta(days=7)))
    by_week: Counter[tuple[int, int]] = Counter()
    by_day: Counter[tuple[int, date]] = Counter()
    for person, at in sent:
        by_week[person, min(weeks - 1, (at - start) // timedelta(days=7))] += 1
        by_day[person, at.astimezone(ZoneInfo(zones[person])).date()] += 1
    counts = [by_week[person, week] for person in zones for week in range(weeks)]
    return MailLoad(
        week_median=statistics.median(counts) if counts else 0,
        week_max=max(counts, default=0),
        day_max=max(by_day.values(), default=0),
        days_over_3=sum(1 for count in by_day.values() if count > 3),
    )


def write_index(outbox: Path) -> int:
    """The outbox's index page, and beside each .eml a page showing it as a mail client
    would (`rendering.email_page`); the index links both."""
    rows = []
    files = sorted(outbox.glob("*.eml"))
    for path in files:
        raw = path.read_bytes()
        message = HEADERS.parsebytes(raw)
        shown = path.with_suffix(".html")
        shown.write_text(email_page(raw, path.name), encoding="utf-8")
        rows.append(
            "<tr>"
            f"<td>{html.escape(decoded(message['Date']))}</td>"
            f"<td>{html.escape(decoded(message['X-Mentormail-Kind']))}</td>"
            f"<td>{html.escape(decoded(message['To']))}</td>"
            f'<td><a href="{html.escape(shown.name)}">'
            f"{html.escape(decoded(message['Subject']))}</a></td>"
            f'<td><a href="{html.escape(path.name)}">.eml</a></td>'
            "</tr>"
        )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>mentormail demo outbox</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:1rem}table{border-collapse:"
        "collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;"
        "font-size:.9rem}</style></head><body>"
        f"<h1>Demo outbox</h1><p>{len(files)} emails, oldest first: each subject opens the "
        "email as it looks, its raw message beside it.</p>"
        "<table><thead><tr><th>Date</th><th>Kind</th><th>To</th><th>Subject</th><th>Raw</th>"
        "</tr></thead><tbody>" + "".join(rows) + "</tbody></table></body></html>"
    )
    (outbox / "index.html").write_text(page, encoding="utf-8")
    return len(files)


async def summary(
    outbox: Path, simulation: Simulation, start: datetime, end: datetime
) -> dict[str, Any]:
    """Counts of what was sent, the pairings' states and the replies' fates, and how much
    mail each person got; writes the index."""
    kinds: dict[str, int] = {}
    for kind in await OutboundMessage.filter(status=OutboundStatus.SENT).values_list(
        "kind", flat=True
    ):
        kinds[str(kind)] = kinds.get(str(kind), 0) + 1
    states: dict[str, int] = {}
    for state in await Pairing.all().values_list("state", flat=True):
        states[str(state)] = states.get(str(state), 0) + 1
    inbound: dict[str, int] = {}
    for status in await InboundMessage.all().values_list("status", flat=True):
        inbound[str(status)] = inbound.get(str(status), 0) + 1
    emails = write_index(outbox)
    zones = {int(pid): str(tz) for pid, tz in await Person.all().values_list("id", "timezone")}
    sent = await OutboundMessage.filter(
        status=OutboundStatus.SENT, person_id__isnull=False
    ).values_list("person_id", "sent_at")
    load = mail_load(((int(p), at) for p, at in sent), zones, start, end)
    return {
        "load": asdict(load),
        "emails": emails,
        "kinds": kinds,
        "pairings": states,
        "inbound": inbound,
        "replies_written": simulation.replies_written,
    }


def print_summary(
    console: Console, summary: dict[str, Any], out: Path, pairs: int, months: int
) -> None:
    table = Table(title=f"Demo: {pairs} pairs over {months} month(s)")
    table.add_column("what")
    table.add_column("count", justify="right")
    for kind, count in sorted(summary["kinds"].items()):
        table.add_row(f"sent: {kind}", str(count))
    for state, count in sorted(summary["pairings"].items()):
        table.add_row(f"pairings {state}", str(count))
    for status, count in sorted(summary["inbound"].items()):
        table.add_row(f"replies {status}", str(count))
    console.print(table)
    load = summary["load"]
    console.print(
        f"Emails per person per week: median {load['week_median']:g}, most {load['week_max']}; "
        f"most to one person on one day: {load['day_max']} "
        f"({load['days_over_3']} person-days above 3)."
    )
    console.print(
        f"{summary['emails']} emails in {out / 'outbox'}; "
        f"open {out / 'outbox' / 'index.html'} to read them."
    )
