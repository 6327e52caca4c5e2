"""One planning pass at 1,000 and at 100,000 active pairings with the same number due.

The pairings are written in bulk (SQL, a generated series) so that setting up 100,000 takes
seconds; `due` of them have their next planning moment passed, the rest are months away.
The pass issues the due pairings' next meetings (invitations rendered and queued), exactly
as the worker's tick does. Its cost must follow what is due, not the size of the program.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tortoise import connections

from bench.common import Timer, service
from service.clock import ManualClock
from service.jobs.tasks import plan
from service.models import Pairing

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
SIGNED = NOW - timedelta(days=30)


def _iso(when: datetime) -> str:
    return when.isoformat(sep=" ")  # as the database driver writes it


async def populate(total: int, due: int) -> None:
    """`total` active pairings, `due` of them due for planning now."""
    connection = connections.get("default")
    assert await Pairing.all().count() == 0, "a fresh database"
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
    created = _iso(SIGNED - timedelta(days=7))
    await connection.execute_script(
        f"""
        INSERT INTO program (name, timezone, digest_weekday, digest_hour, created_at)
        VALUES ('Bench tick', 'UTC', 0, 8, '{created}');
        {series}
        INSERT INTO person (email, name, timezone, wants_receipts, created_at, bounce_score)
        SELECT 'mentor' || i || '@hospital.example', 'Dr. Mentor ' || i, 'America/New_York',
               1, '{created}', 0 FROM n
        UNION ALL
        SELECT 'mentee' || i || '@university.example', 'Mentee ' || i, 'Europe/Berlin',
               1, '{created}', 0 FROM n;
        {series}
        INSERT INTO pairing (program_id, mentor_id, mentee_id, state, start_date, terms,
               terms_version, anchor_number, plan_at, reevaluate_at, signed_at,
               mentor_agreed_at, mentee_agreed_at, created_at, updated_at)
        SELECT (SELECT id FROM program WHERE name = 'Bench tick'),
               (SELECT id FROM person WHERE email = 'mentor' || i || '@hospital.example'),
               (SELECT id FROM person WHERE email = 'mentee' || i || '@university.example'),
               'active', '{SIGNED.date().isoformat()}', '{terms}', 1, 1,
               CASE WHEN i <= {due} THEN '{_iso(NOW - timedelta(minutes=5))}'
                    ELSE '{_iso(NOW + timedelta(days=60))}' END,
               '{_iso(NOW + timedelta(days=150))}', '{_iso(SIGNED)}', '{_iso(SIGNED)}',
               '{_iso(SIGNED)}', '{created}', '{created}'
        FROM n;
        INSERT INTO meeting (pairing_id, number, uid, sequence, starts_at, ends_at, tzid,
               cancelled, private, created_at)
        SELECT id, 1, 'bench-' || id || '@bench.example', 0, '{_iso(SIGNED + timedelta(days=2))}',
               '{_iso(SIGNED + timedelta(days=2, hours=1))}', 'America/New_York', 0, 0,
               '{_iso(SIGNED)}'
        FROM pairing;
        """
    )


async def one_pass(folder: Path, total: int, due: int) -> float:
    clock = ManualClock(NOW)
    async with service(folder, None, None, clock) as app:
        await populate(total, due)
        timer = Timer()
        done = await plan(app)
        seconds = timer.seconds
        assert done["meetings_issued"] >= due, done
    return seconds * 1000


def run(folder: Path, small: int, large: int, due: int) -> dict[str, float]:
    small_ms = asyncio.run(one_pass(folder / "tick-small", small, due))
    large_ms = asyncio.run(one_pass(folder / "tick-large", large, due))
    return {
        "tick_1k_ms": round(small_ms, 1),
        "tick_100k_ms": round(large_ms, 1),
        "tick_100k_over_1k": round(large_ms / small_ms, 3),
        "tick_due": due,
        "tick_small_pairings": small,
        "tick_large_pairings": large,
    }
