"""One planning pass at 1,000 and at 100,000 active pairings with the same number due.

The pairings are written in bulk (SQL, a generated series) so that setting up 100,000 takes
seconds; `due` of them have their next planning moment passed, the rest are months away.
The pass issues the due pairings' next meetings (invitations rendered and queued), exactly
as the worker's tick does. Its cost must follow what is due, not the size of the program.

Every SELECT the pass at 100,000 sends is then shown to the database's planner (EXPLAIN
QUERY PLAN on SQLite, EXPLAIN on PostgreSQL after ANALYZE, the same pass run there too):
`tick_full_scans_*` counts the statements that would read a whole large table, and
`tick_plans` keeps every statement with its plan.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tortoise import connections

from bench.common import Timer, scratch_database, service
from service.clock import ManualClock
from service.jobs import loop
from service.jobs.functions import plan
from service.storage.models import Pairing

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
SIGNED = NOW - timedelta(days=30)


def _iso(when: datetime) -> str:
    return when.isoformat(sep=" ")  # as the database driver writes it


async def populate(total: int, due: int, postgres: bool = False) -> None:
    """`total` active pairings, `due` of them due for planning now."""
    connection = connections.get("default")
    assert await Pairing.all().count() == 0, "a fresh database"

    def at(when: datetime | str, kind: str = "TIMESTAMPTZ") -> str:
        text = when if isinstance(when, str) else _iso(when)
        # PostgreSQL types a bare literal in a SELECT list as text; SQLite stores text.
        return f"CAST('{text}' AS {kind})" if postgres else f"'{text}'"

    terms = json.dumps(
        {
            "goals": ["Submit a first-author abstract", "Decide on a fellowship track"],
            "meeting_minutes": 60,
            "frequency": {"unit": "weeks", "n": 2},
            "weekday": 1,
            "time": "15:00",
            "reevaluate_months": 6,
            "projected_months": 12,
            "reschedule_notice_hours": 48,
            "reschedule_channel": "email",
        }
    )
    series = f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {total})"
    created = at(SIGNED - timedelta(days=7))
    due_day = at((NOW + timedelta(days=30)).date().isoformat(), "DATE")
    await connection.execute_script(
        f"""
        INSERT INTO program (name, timezone, digest_weekday, digest_hour, created_at)
        VALUES ('Bench tick', 'UTC', 0, 8, {created});
        {series}
        INSERT INTO person (email, name, timezone, wants_receipts, created_at, bounce_score)
        SELECT 'mentor' || i || '@hospital.example', 'Dr. Mentor ' || i, 'America/New_York',
               TRUE, {created}, 0 FROM n
        UNION ALL
        SELECT 'mentee' || i || '@university.example', 'Mentee ' || i, 'Europe/Berlin',
               TRUE, {created}, 0 FROM n;
        {series}
        INSERT INTO pairing (program_id, mentor_id, mentee_id, state, start_date, terms,
               terms_version, anchor_number, plan_at, reevaluate_at, signed_at,
               mentor_agreed_at, mentee_agreed_at, created_at, updated_at)
        SELECT (SELECT id FROM program WHERE name = 'Bench tick'),
               (SELECT id FROM person WHERE email = 'mentor' || i || '@hospital.example'),
               (SELECT id FROM person WHERE email = 'mentee' || i || '@university.example'),
               'active', {at(SIGNED.date().isoformat(), "DATE")},
               {f"CAST('{terms}' AS JSONB)" if postgres else f"'{terms}'"}, 1, 1,
               CASE WHEN i <= {due} THEN {at(NOW - timedelta(minutes=5))}
                    ELSE {at(NOW + timedelta(days=60))} END,
               {at(NOW + timedelta(days=150))}, {at(SIGNED)}, {at(SIGNED)},
               {at(SIGNED)}, {created}, {created}
        FROM n;
        INSERT INTO meeting (pairing_id, number, uid, sequence, starts_at, ends_at, tzid,
               cancelled, private, created_at)
        SELECT id, 1, 'bench-' || id || '@bench.example', 0, {at(SIGNED + timedelta(days=2))},
               {at(SIGNED + timedelta(days=2, hours=1))}, 'America/New_York', FALSE, FALSE,
               {at(SIGNED)}
        FROM pairing;
        INSERT INTO task (pairing_id, owner_id, number, text, due_date, private, state,
               remind_at, created_at)
        SELECT id, mentee_id, 1, 'Send the draft aims', {due_day}, FALSE, 'open',
               {at(NOW + timedelta(days=29))}, {at(SIGNED)}
        FROM pairing;
        """
    )
    await connection.execute_script("ANALYZE")


# Reading a whole table of this many rows is what a tick must never do: the tables that grow
# with the program (here 100,000 pairings, meetings and action items, 200,000 people). A
# planner may rightly read a small one whole, such as the pass's own thousand emails.
LARGE_ROWS = 10_000


class _Selects(logging.Handler):
    """Each SELECT the database client sends, once, with the values it was first sent with."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: dict[str, list[Any]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.args, tuple) and len(record.args) == 2:
            query, values = record.args
            if str(query).lstrip().upper().startswith("SELECT"):
                self.seen.setdefault(str(query), list(values) if isinstance(values, list) else [])


@contextlib.contextmanager
def selects() -> Iterator[_Selects]:
    logger = logging.getLogger("tortoise.db_client")
    handler = _Selects()
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


async def explain(seen: dict[str, list[Any]], postgres: bool) -> list[dict[str, Any]]:
    """Each statement's plan, and the large tables it would read whole."""
    connection = connections.get("default")
    # Statistics as a running database keeps them (PostgreSQL's autovacuum): the pass has just
    # filled tables the planner would otherwise still take for empty.
    await connection.execute_script("ANALYZE")
    plans = []
    large = set()
    for table in ("pairing", "meeting", "person", "task", "outbound_message", "inbound_message"):
        rows = await connection.execute_query_dict(f'SELECT COUNT(*) AS n FROM "{table}"')
        if int(rows[0]["n"]) >= LARGE_ROWS:
            large.add(table)
    for query, values in seen.items():
        if postgres:
            rows = await connection.execute_query_dict("EXPLAIN " + query, values)
            plan = [str(row["QUERY PLAN"]) for row in rows]
            scanned = re.findall(r"Seq Scan on (\w+)", "\n".join(plan))
        else:
            rows = await connection.execute_query_dict("EXPLAIN QUERY PLAN " + query, values)
            plan = [str(row["detail"]) for row in rows]
            scanned = [m.group(1) for line in plan if (m := re.match(r"SCAN (\w+)", line))]
        plans.append(
            {"query": query, "plan": plan, "full_scans": [t for t in scanned if t in large]}
        )
    return plans


async def one_pass(
    folder: Path, total: int, due: int, database_url: str | None = None
) -> tuple[float, list[dict[str, Any]]]:
    """The pass's milliseconds, and each SELECT it sent with its plan."""
    clock = ManualClock(NOW)
    postgres = bool(database_url)
    async with service(folder, database_url, None, clock) as app:
        await populate(total, due, postgres)
        with selects() as sent:
            timer = Timer()
            done = await plan(app)
            seconds = timer.seconds
        assert done["meetings_issued"] >= due, done
        plans = await explain(sent.seen, postgres)
    return seconds * 1000, plans


def _on_postgres(admin_url: str, folder: Path, total: int, due: int) -> list[dict[str, Any]]:
    with scratch_database(admin_url, "bench_tick") as url:
        return loop.run(one_pass(folder, total, due, url))[1]


def _scans(plans: list[dict[str, Any]]) -> int:
    return sum(1 for item in plans if item["full_scans"])


def run(folder: Path, small: int, large: int, due: int, postgres: str) -> dict[str, Any]:
    small_ms, _ = loop.run(one_pass(folder / "tick-small", small, due))
    large_ms, sqlite_plans = loop.run(one_pass(folder / "tick-large", large, due))
    postgres_plans = _on_postgres(postgres, folder / "tick-postgres", large, due)
    return {
        "tick_1k_ms": round(small_ms, 1),
        "tick_100k_ms": round(large_ms, 1),
        "tick_100k_over_1k": round(large_ms / small_ms, 3),
        "tick_due": due,
        "tick_small_pairings": small,
        "tick_large_pairings": large,
        "tick_full_scans_sqlite": _scans(sqlite_plans),
        "tick_full_scans_postgres": _scans(postgres_plans),
        "tick_plans": {"sqlite": sqlite_plans, "postgres": postgres_plans},
    }
