"""The report of every pairing of some programs, as a coordinator asks for it by email and
whoever runs the service with `mentormail report`: read a chunk of pairings at a time, a few
grouped queries each, nothing private (see `report_rules`)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from tortoise.functions import Count, Max, Min

from service.coordinators.digest import summarise
from service.coordinators.digest_rules import Period
from service.coordinators.report_rules import Cell, PairingFacts, report_row
from service.coordinators.spreadsheet import CSV_TYPE, XLSX_TYPE, as_csv, as_xlsx
from service.program.pairings import pairings_by_number
from service.storage.models import (
    Coordinator,
    InboundMessage,
    InboundStatus,
    Meeting,
    MeetingAnswer,
    Pairing,
    Program,
    Task,
    TaskState,
)

# The flags name `help:` notes written this long before the report.
HELP_NOTES_SINCE = timedelta(days=7)


@dataclass
class Report:
    rows: list[tuple[Cell, ...]] = field(default_factory=list)
    total: int = 0  # pairings in the programs, reported or not (beyond `limit`)

    def files(self, stem: str) -> list[tuple[str, str, bytes]]:
        """The rows as (file name, MIME type, bytes): a CSV and an XLSX."""
        return [
            (f"{stem}.csv", CSV_TYPE, as_csv(self.rows)),
            (f"{stem}.xlsx", XLSX_TYPE, as_xlsx(self.rows)),
        ]


async def program_report(
    programs: Sequence[Program], now: datetime, limit: int | None = None
) -> Report:
    """Every pairing of `programs` (by program name, then number), the first `limit` rows."""
    report = Report()

    def full() -> bool:
        return limit is not None and len(report.rows) >= limit

    for program in sorted(programs, key=lambda p: p.name):
        report.total += await Pairing.filter(program_id=program.id).count()
        if full():
            continue  # counted, not read
        async for chunk in pairings_by_number(program.id, "mentor", "mentee"):
            room = len(chunk) if limit is None else limit - len(report.rows)
            report.rows += await _rows(program, chunk[:room], now)
            if full():
                break  # the rest is counted, not read
    return report


async def _rows(program: Program, pairings: list[Pairing], now: datetime) -> list[tuple[Cell, ...]]:
    ids = [p.id for p in pairings]
    zone = ZoneInfo(program.timezone)

    def day(when: datetime | None) -> date | None:
        return when.astimezone(zone).date() if when is not None else None

    summaries = await summarise(pairings, Period("report", now - HELP_NOTES_SINCE, now), now)
    held = await _held(ids, now)
    ahead = {
        pairing_id: (int(count), first)
        for pairing_id, count, first in await Meeting.filter(
            pairing_id__in=ids, private=False, cancelled=False, starts_at__gt=now
        )
        .annotate(count=Count("id"), first=Min("starts_at"))
        .group_by("pairing_id")
        .values_list("pairing_id", "count", "first")
    }
    replied = {
        (pairing_id, person_id): last
        for pairing_id, person_id, last in await InboundMessage.filter(
            pairing_id__in=ids, status=InboundStatus.PROCESSED, sealed=False
        )
        .annotate(last=Max("received_at"))
        .group_by("pairing_id", "person_id")
        .values_list("pairing_id", "person_id", "last")
    }
    open_items = Counter(
        cast(
            list[int],
            await Task.filter(pairing_id__in=ids, private=False, state=TaskState.OPEN).values_list(
                "pairing_id", flat=True
            ),
        )
    )
    rows = []
    for pairing in pairings:
        summary = summaries[pairing.id]
        planned, first = ahead.get(pairing.id, (0, None))
        facts = PairingFacts(
            summary=summary,
            program=program.name,
            mentor_email=pairing.mentor.email,
            mentee_email=pairing.mentee.email,
            mentor_agreed=pairing.mentor_agreed_at is not None,
            mentee_agreed=pairing.mentee_agreed_at is not None,
            signed_on=day(pairing.signed_at),
            held=held.get(pairing.id, 0),
            planned=planned,
            last_held=day(summary.last_held),
            next_meeting=day(first),
            mentor_replied=day(replied.get((pairing.id, pairing.mentor_id))),
            mentee_replied=day(replied.get((pairing.id, pairing.mentee_id))),
            open_items=open_items.get(pairing.id, 0),
        )
        rows.append(report_row(facts, now))
    return rows


async def _held(ids: list[int], now: datetime) -> dict[int, int]:
    """Meetings held by pairing: ended, not cancelled, not private, declined by nobody."""
    ended = {
        "pairing_id__in": ids,
        "private": False,
        "cancelled": False,
        "ends_at__lte": now,
    }
    counts: Counter[int] = Counter(
        {
            int(pairing_id): int(count)
            for pairing_id, count in await Meeting.filter(**ended)
            .annotate(count=Count("id"))
            .group_by("pairing_id")
            .values_list("pairing_id", "count")
        }
    )
    declined = set(
        await MeetingAnswer.filter(
            **{f"meeting__{key}": value for key, value in ended.items()}, partstat="DECLINED"
        ).values_list("meeting__pairing_id", "meeting_id")
    )
    counts.subtract(Counter(int(pairing_id) for pairing_id, _ in declined))
    return dict(counts)


# Pairings one emailed report holds: it is read while the coordinator's message is applied,
# in its transaction (as many as an emailed import makes, in a few seconds). Larger
# programs' whole report is `mentormail report`'s.
EMAIL_REPORT_ROWS = 5_000


def _pairings(count: int) -> str:
    return f"{count:,} pairing" + ("" if count == 1 else "s")


async def by_email(
    coordinating: Sequence[Coordinator], now: datetime
) -> tuple[str, list[tuple[str, str, bytes]]]:
    """A coordinator's report of the programs they coordinate: what the answer says, and
    its attachments."""
    programs = await Program.filter(id__in=[c.program_id for c in coordinating])
    report = await program_report(programs, now, EMAIL_REPORT_ROWS)
    # Writing the XLSX takes about half a second a thousand rows: off the event loop.
    files = await asyncio.to_thread(report.files, f"pairings-{now:%Y-%m-%d}")
    names = " and ".join(name for name, _, _ in files)
    if report.total > len(report.rows):
        return (
            f"The report of the first {_pairings(len(report.rows))} of your "
            f"{report.total:,}, by number, is attached ({names}): one email carries at most "
            f"{EMAIL_REPORT_ROWS:,}. Whoever runs the service can make the whole report "
            "with `mentormail report`.",
            files,
        )
    return f"The report of your {_pairings(report.total)} is attached ({names}).", files
