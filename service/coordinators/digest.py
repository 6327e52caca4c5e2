"""Coordinators' digests: what happened in a program, and which pairings need a person.

One digest per coordinator and period: the outbox's unique dedupe key makes a second worker's
attempt a no-op. What goes in is what a coordinator may know: states, dates, counts, flags,
a participant's `help:` note. Never a reflection, an agenda, a reply's text, a private
meeting, a private action item or anything else of a performance conversation.
"""

from __future__ import annotations

import asyncio
import heapq
import io
import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.functions import Max

from service.coordinators.digest_rules import (
    Attention,
    PairSummary,
    Period,
    StoppedMail,
    attention_order,
    digest_period,
    needing_attention,
)
from service.mail import kinds
from service.mail.kinds import About, EmailKind, Topic
from service.mail.tokens import tag_of
from service.meetings.cadence import add_months
from service.outbox.writer import OutboxWriter, Reader
from service.program.grammar import Grammar, help_text
from service.program.pairings import pairings_by_number
from service.program.schedule import format_day, local_today
from service.program.terms import Terms
from service.storage.db import transaction
from service.storage.models import (
    Coordinator,
    DigestEvery,
    HelpNote,
    InboundMessage,
    InboundStatus,
    Meeting,
    MeetingAnswer,
    OutboundMessage,
    OutboundStatus,
    Pairing,
    PairingState,
    Person,
    Program,
    Task,
    TaskState,
)

log = logging.getLogger(__name__)

# The prompts whose silence is counted (a reply of any kind from the person ends it): the
# mentee's, who manages up. A mentor's check-in questions are for reflection, answered or
# not; an unanswered re-evaluation has a flag of its own.
PROMPT_KINDS = ("agenda_request", "after_meeting")
NAME = "Program coordinator"
ACTIVE_STATES = (PairingState.ACTIVE, PairingState.REEVALUATING, PairingState.CLOSING)
TABLE_ROWS = 60
# The most urgent pairings named in a digest; the rest are counted ("and 140 more").
ATTENTION_ROWS = 100
# The addresses whose mail stopped, newest first, named in a digest; the rest are counted.
STOPPED_ROWS = 100
CHART_WEEKS = 12


def coordinator_address(outbox: OutboxWriter, coordinator: Coordinator, topic: Topic) -> str:
    """A coordinator's own reply address: for commands, or to unsubscribe."""
    return outbox.address_for(Reader.coordinator(coordinator, ""), About(topic, coordinator.id))


async def digests_due(outbox: OutboxWriter, now: datetime) -> int:
    """Queue each coordinator's digest for the period that has come; returns how many."""
    queued = 0
    # Coordinators of one program who get it as often read the same digest: made once.
    made: dict[tuple[int, datetime, datetime], DigestContent] = {}
    coordinators = await Coordinator.exclude(digest_every=DigestEvery.OFF).select_related("program")
    for coordinator in coordinators:
        program = coordinator.program
        period = digest_period(
            coordinator.digest_every.value,
            now,
            program.timezone,
            program.digest_weekday,
            program.digest_hour,
        )
        # The first digest is for the first period the coordinator was there for.
        if period is None or period.end < coordinator.created_at:
            continue
        key = f"digest:coordinator:{coordinator.id}:{period.key}"
        if await OutboundMessage.filter(dedupe_key=key).exists():
            continue
        which = (program.id, period.start, period.end)
        if which not in made:
            made[which] = await program_digest(program, period, now)
        queued += await send_digest(outbox, coordinator, program, period, key, now, made[which])
    return queued


async def asked_digests(outbox: OutboxWriter, now: datetime) -> int:
    """Queue the digests coordinators asked for with "digest now": each program's week so
    far, made outside any transaction, queued with the request cleared. Returns how many."""
    queued = 0
    for coordinator in await Coordinator.filter(digest_asked_by__isnull=False).select_related(
        "program"
    ):
        try:
            queued += await _asked_digest(outbox, coordinator, now)
        except Exception as exc:
            # Left asked: the next tick tries again. The reply itself was applied.
            log.error(
                "digest asked by coordinator %s failed (%s)", coordinator.id, type(exc).__name__
            )
    return queued


async def _asked_digest(outbox: OutboxWriter, coordinator: Coordinator, now: datetime) -> int:
    program = coordinator.program
    week = digest_period("weekly", now, program.timezone, program.digest_weekday, 0)
    assert week is not None  # a weekly period always has a last one
    period = Period("now", week.end, now)
    content = await program_digest(program, period, now)
    asked_by = coordinator.digest_asked_by
    async with transaction() as connection:
        # Cleared only if still this request: another worker may have queued it, or the
        # coordinator asked again meanwhile (then that request is made on the next pass).
        cleared = await (
            Coordinator.filter(id=coordinator.id, digest_asked_by=asked_by)
            .using_db(connection)
            .update(digest_asked_by=None)
        )
        if not cleared:
            return 0
        key = f"digest:coordinator:{coordinator.id}:now:{asked_by}"
        return int(
            await queue_digest(connection, outbox, coordinator, program, period, key, now, content)
        )


async def send_digest(
    outbox: OutboxWriter,
    coordinator: Coordinator,
    program: Program,
    period: Period,
    key: str,
    now: datetime,
    content: DigestContent,
) -> int:
    # Made before the transaction: on SQLite a transaction holds the write lock, and reading
    # a large program takes seconds.
    try:
        async with transaction() as connection:
            return int(
                await queue_digest(
                    connection, outbox, coordinator, program, period, key, now, content
                )
            )
    except IntegrityError:
        return 0  # another worker queued this period's digest first


async def to_coordinator(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    coordinator: Coordinator,
    program: Program,
    *,
    kind: EmailKind,
    dedupe_key: str,
    context: dict[str, Any],
    now: datetime,
    **extra: Any,
) -> bool:
    """An email to a coordinator, with their own reply address for commands."""
    return await outbox.add(
        connection,
        kind=kind,
        dedupe_key=dedupe_key,
        to=Reader.coordinator(coordinator, program.name),
        now=now,
        context=context,
        **extra,
    )


async def queue_digest(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    coordinator: Coordinator,
    program: Program,
    period: Period,
    key: str,
    now: datetime,
    content: DigestContent | None = None,
) -> bool:
    """One coordinator's digest of `program` for `period`, into the outbox under `key`."""
    if content is None:
        content = await program_digest(program, period, now)
    return await to_coordinator(
        connection,
        outbox,
        coordinator,
        program,
        kind=kinds.DIGEST,
        dedupe_key=key,
        context={**content.context, "every": coordinator.digest_every.value},
        now=now,
        inline=[("chart", "image/png", content.chart)],
        extra_headers=list_headers(outbox, coordinator, program),
    )


def list_headers(
    outbox: OutboxWriter, coordinator: Coordinator, program: Program
) -> dict[str, str]:
    """List-Id and List-Unsubscribe (RFC 2919, 2369; RFC 8058 with an HTTPS endpoint)."""
    domain = outbox.settings.service_address.partition("@")[2]
    slug = "".join(c if c.isalnum() else "-" for c in program.name.lower()).strip("-")[:60]
    address = coordinator_address(outbox, coordinator, Topic.UNSUBSCRIBE)
    unsubscribe = f"<mailto:{address}?subject=unsubscribe>"
    headers = {
        "List-Id": f"{program.name[:80]} digest <{slug or 'program'}.digest.{domain}>",
        "List-Unsubscribe": unsubscribe,
    }
    base = outbox.settings.unsubscribe_url
    if base:
        settings = outbox.settings
        token = tag_of(address, settings.service_address, delimiter=settings.delimiter) or ""
        headers["List-Unsubscribe"] = f"<{base}?token={token}>, {unsubscribe}"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


@dataclass(frozen=True)
class DigestContent:
    context: dict[str, Any]
    chart: bytes


async def program_digest(program: Program, period: Period, now: datetime) -> DigestContent:
    """What a coordinator reads about `program` for `period`.

    The program is read a chunk of pairings at a time, and only what the email shows is
    kept: the counts, the first rows of the table and the most urgent pairings. Memory and
    the size of each statement stay the same however large the program.
    """
    weeks = chart_weeks(period.end, now)
    read = await _read_program(program, period, now, weeks)
    held, planned = read.tally.counts(0)
    chart = [(start, *read.tally.counts(n)) for n, (start, _) in enumerate(weeks, start=1)]
    done, replies = await _done_and_replies(program, period)
    context = {
        "period": {
            "start": format_day(period.start, program.timezone),
            "end": format_day(period.end, program.timezone),
        },
        "closed": await _closed_in(program, period),
        **await _stopped_mail(program),
        "numbers": {
            "pairings": read.total,
            "by_state": [
                {"state": state, "count": count} for state, count in sorted(read.by_state.items())
            ],
            "held": held,
            "planned": planned,
            "done": done,
            "overdue": read.overdue,
            "replies": replies,
            "attention": read.flagged,
        },
        "chart_text": chart_text(chart),
        "attention": [_attention_row(a) for a in read.attention],
        "attention_more": read.flagged - len(read.attention),
        "table": read.table,
        "table_more": read.total - len(read.table),
        "commands": help_text(
            Grammar.COORDINATOR,
            "coordinator",
            today=local_today(now, program.timezone),
            pairing=_example_pairing(read),
        ),
    }
    # Drawing takes tens of milliseconds of CPU: the event loop goes on meanwhile.
    return DigestContent(context, await asyncio.to_thread(render_chart, chart))


@dataclass
class _ProgramReading:
    """What a digest keeps of a program as it reads it, a chunk of pairings at a time."""

    tally: MeetingTally
    by_state: Counter[str] = field(default_factory=Counter)
    total: int = 0
    overdue: int = 0
    flagged: int = 0
    attention: list[Attention] = field(default_factory=list)
    table: list[dict[str, Any]] = field(default_factory=list)


async def _read_program(
    program: Program, period: Period, now: datetime, weeks: list[tuple[datetime, datetime]]
) -> _ProgramReading:
    until = min(period.end, now)
    # Each chunk's meetings are read once for the chart's weeks and the period (a monthly
    # digest's period can begin before them).
    since = min(period.start, period.end - timedelta(weeks=CHART_WEEKS))
    read = _ProgramReading(MeetingTally([(period.start, until), *weeks]))
    async for pairings in pairings_by_number(program.id, "mentor", "mentee"):
        summaries = await summarise(pairings, period, now)
        read.tally.add(await HeldMeetings.load(pairings, since, until))
        read.total += len(pairings)
        read.by_state.update(p.state.value for p in pairings)
        read.overdue += sum(s.overdue for s in summaries.values())
        found = needing_attention(list(summaries.values()), now)
        read.flagged += len(found)
        read.attention = heapq.nsmallest(
            ATTENTION_ROWS, [*read.attention, *found], key=attention_order
        )
        read.table += [
            _table_row(summaries[p.id], p) for p in pairings[: TABLE_ROWS - len(read.table)]
        ]
    return read


async def _done_and_replies(program: Program, period: Period) -> tuple[int, int]:
    """Shared action items done in the period, and replies applied in it."""
    done = await Task.filter(
        pairing__program_id=program.id,
        private=False,
        done_at__gte=period.start,
        done_at__lt=period.end,
    ).count()
    replies = await InboundMessage.filter(
        pairing__program_id=program.id,
        status=InboundStatus.PROCESSED,
        received_at__gte=period.start,
        received_at__lt=period.end,
    ).count()
    return done, replies


PATHS = {
    "projected_end": "at the projected end",
    "participant": "by a participant",
    "coordinator": "by a coordinator",
}


async def _closed_in(program: Program, period: Period) -> list[dict[str, Any]]:
    """Pairings that began phasing out or closed in the period: how, never why."""
    rows = (
        await Pairing.filter(program_id=program.id, closing_at__gte=period.start)
        .filter(closing_at__lt=period.end)
        .select_related("mentor", "mentee")
    )
    closed = await Pairing.filter(
        program_id=program.id, closed_at__gte=period.start, closed_at__lt=period.end
    ).select_related("mentor", "mentee")
    return [
        {
            "number": p.id,
            "names": f"{p.mentor.name} and {p.mentee.name}",
            "what": what,
            "path": PATHS.get(p.closing_path or "", "-"),
        }
        for what, pairs in (("began phasing out", rows), ("closed", closed))
        for p in pairs
    ]


async def _stopped_mail(program: Program) -> dict[str, Any]:
    """The addresses in the program's pairings (closed ones aside) that get no more mail,
    newest first: undeliverable or marked as spam, since when, and in which pairings."""
    found: dict[str, tuple[StoppedMail, list[int]]] = {}
    for side in ("mentor", "mentee"):
        rows = await (
            Pairing.filter(program_id=program.id, state__not=PairingState.CLOSED)
            .filter(**{f"{side}__mail_disabled_at__isnull": False})
            .order_by("id")
            .values_list(
                "id",
                f"{side}__email",
                f"{side}__name",
                f"{side}__mail_stopped",
                f"{side}__mail_disabled_at",
            )
        )
        for number, email, name, why, since in rows:
            stopped = StoppedMail(str(name), str(why or "bounces"), since)
            found.setdefault(str(email), (stopped, []))[1].append(number)
    newest = sorted(found.items(), key=lambda item: (-item[1][0].since.timestamp(), item[0]))
    rows_shown = [
        {
            "address": email,
            "name": stopped.name,
            "kind": stopped.kind,
            "complained": stopped.why == "complaint",
            "since": format_day(stopped.since, program.timezone),
            "pairings": ", ".join(f"#{n}" for n in sorted(numbers)),
        }
        for email, (stopped, numbers) in newest[:STOPPED_ROWS]
    ]
    return {"stopped": rows_shown, "stopped_more": len(found) - len(rows_shown)}


def _attention_row(item: Attention) -> dict[str, Any]:
    pair = item.pair
    return {
        "number": pair.number,
        "mentor": pair.mentor,
        "mentee": pair.mentee,
        "reasons": [f.reason for f in item.flags],
    }


def _example_pairing(read: _ProgramReading) -> int | None:
    """A pairing of the program for the commands' examples: the first needing attention."""
    rows = [_attention_row(a) for a in read.attention[:1]] or read.table[:1]
    return int(rows[0]["number"]) if rows else None


def _table_row(summary: PairSummary, pairing: Pairing) -> dict[str, Any]:
    return {
        "number": pairing.id,
        "mentor": summary.mentor,
        "mentee": summary.mentee,
        "state": summary.state,
        "last_held": f"{summary.last_held.day} {summary.last_held:%b}"
        if summary.last_held
        else "-",
        "overdue": summary.overdue,
    }


async def summarise(
    pairings: list[Pairing], period: Period, now: datetime
) -> dict[int, PairSummary]:
    """A few grouped queries for all of `pairings` (a chunk of a program): none per pairing."""
    ids = [p.id for p in pairings]
    if not ids:
        return {}
    # A meeting one of the two declined was not held, whatever its time.
    declined_ids = await MeetingAnswer.filter(
        meeting__pairing_id__in=ids, meeting__ends_at__lte=now, partstat="DECLINED"
    ).values_list("meeting_id", flat=True)
    last_held = dict(
        await Meeting.filter(pairing_id__in=ids, private=False, cancelled=False, ends_at__lte=now)
        .exclude(id__in=list(declined_ids))
        .annotate(last=Max("ends_at"))
        .group_by("pairing_id")
        .values_list("pairing_id", "last")
    )
    declined_rows = await MeetingAnswer.filter(
        meeting__pairing_id__in=ids,
        meeting__cancelled=False,
        meeting__starts_at__gt=now,
        partstat="DECLINED",
    ).values_list("meeting__pairing_id", flat=True)
    declined = Counter(cast(list[int], declined_rows))
    overdue_rows = await Task.filter(
        pairing_id__in=ids, private=False, state=TaskState.OPEN, due_date__lt=now.date()
    ).values_list("pairing_id", flat=True)
    overdue = Counter(cast(list[int], overdue_rows))
    silent = await _unanswered_prompts(ids)
    notes: dict[int, list[str]] = {}
    for pairing_id, text in await HelpNote.filter(
        pairing_id__in=ids, created_at__gte=period.start, created_at__lt=period.end
    ).values_list("pairing_id", "text"):
        notes.setdefault(pairing_id, []).append(" ".join(str(text).split())[:500])
    result: dict[int, PairSummary] = {}
    for pairing in pairings:
        mentor: Person = pairing.mentor
        mentee: Person = pairing.mentee
        terms = Terms.from_json(pairing.terms)
        result[pairing.id] = PairSummary(
            number=pairing.id,
            mentor=mentor.name,
            mentee=mentee.name,
            state=pairing.state.value,
            interval_days=terms.frequency.approx_days,
            cadence=terms.frequency.label,
            created_at=pairing.created_at,
            signed_at=pairing.signed_at,
            last_held=last_held.get(pairing.id),
            declined=declined.get(pairing.id, 0),
            silent=tuple(
                (person.name, silent[(pairing.id, person.id)])
                for person in (mentor, mentee)
                if (pairing.id, person.id) in silent
            ),
            overdue=overdue.get(pairing.id, 0),
            disabled=tuple(
                StoppedMail(p.name, (p.mail_stopped or "bounces"), p.mail_disabled_at)
                for p in (mentor, mentee)
                if p.mail_disabled_at is not None
            ),
            projected_end=(
                add_months(pairing.signed_at, terms.projected_months) if pairing.signed_at else None
            ),
            help_notes=tuple(notes.get(pairing.id, ())),
        )
    return result


async def _unanswered_prompts(ids: list[int]) -> dict[tuple[int, int], int]:
    """(pairing, person): the prompts sent in the pairing since the person last replied in it.

    Counted by the database: a pairing's prompts and a person's replies are found through
    their indexes, however long the program has run. The values are integers and the
    service's own constants, written into the statement.
    """
    sql = f"""
        SELECT o.pairing_id, o.person_id, COUNT(*) AS prompts
        FROM "outbound_message" o
        WHERE o.pairing_id IN ({", ".join(str(int(i)) for i in ids)})
          AND o.kind IN ({", ".join(f"'{kind}'" for kind in PROMPT_KINDS)})
          AND o.status = '{OutboundStatus.SENT.value}'
          AND o.person_id IS NOT NULL
          AND NOT EXISTS (
              SELECT 1 FROM "inbound_message" i
              WHERE i.pairing_id = o.pairing_id AND i.person_id = o.person_id
                AND i.status = '{InboundStatus.PROCESSED.value}'
                AND i.received_at >= o.sent_at
          )
        GROUP BY o.pairing_id, o.person_id
    """
    rows = await connections.get("default").execute_query_dict(sql)
    return {(int(r["pairing_id"]), int(r["person_id"])): int(r["prompts"]) for r in rows}


@dataclass(frozen=True)
class HeldMeetings:
    """Some pairings' meetings over a stretch of time, read once: those planned (issued,
    not cancelled) and those held (planned, and declined by neither), enough to count held
    against planned for any part of it. Held never exceeds planned."""

    ends: list[datetime]
    planned_ends: list[datetime]

    @classmethod
    async def load(cls, pairings: list[Pairing], start: datetime, end: datetime) -> HeldMeetings:
        where = {
            "pairing_id__in": [p.id for p in pairings],
            "private": False,
            "cancelled": False,
            "ends_at__gte": start,
            "ends_at__lt": end,
        }
        rows = await Meeting.filter(**where).values_list("id", "ends_at")
        declined = set(
            await MeetingAnswer.filter(
                **{f"meeting__{key}": value for key, value in where.items()}, partstat="DECLINED"
            ).values_list("meeting_id", flat=True)
        )
        return cls([ends for id_, ends in rows if id_ not in declined], [ends for _, ends in rows])

    def count(self, start: datetime, end: datetime) -> tuple[int, float]:
        """Meetings held in [start, end) against those planned for it (by their end)."""
        if end <= start:
            return 0, 0.0
        held = sum(1 for ends in self.ends if start <= ends < end)
        planned = sum(1 for ends in self.planned_ends if start <= ends < end)
        return held, float(planned)


class MeetingTally:
    """Held and planned meetings in fixed stretches of time, summed over a program's chunks."""

    def __init__(self, stretches: list[tuple[datetime, datetime]]) -> None:
        self.stretches = stretches
        self.held = [0] * len(stretches)
        self.planned = [0.0] * len(stretches)

    def add(self, meetings: HeldMeetings) -> None:
        for n, (start, end) in enumerate(self.stretches):
            held, planned = meetings.count(start, end)
            self.held[n] += held
            self.planned[n] += planned

    def counts(self, n: int) -> tuple[int, int]:
        """Held and planned (rounded) in the `n`th stretch."""
        return self.held[n], round(self.planned[n])


def chart_weeks(end: datetime, now: datetime) -> list[tuple[datetime, datetime]]:
    """The chart's weeks before `end`, oldest first: (start, end), none beyond `now`."""
    starts = [end - timedelta(weeks=back) for back in range(CHART_WEEKS, 0, -1)]
    return [(start, min(start + timedelta(weeks=1), now)) for start in starts]


def chart_text(weeks: list[tuple[datetime, int, int]]) -> str:
    """The chart in words, for mail clients that block images and for screen readers."""
    held = sum(h for _, h, _ in weeks)
    planned = sum(p for _, _, p in weeks)
    recent = ", ".join(f"week of {start:%d %b}: {h} of {p}" for start, h, p in weeks[-4:])
    return (
        f"Meetings held against planned over the last {len(weeks)} weeks: {held} of "
        f"{planned}. The last four weeks: {recent}."
    )


# The chart library is not thread-safe: charts are drawn one at a time, whatever thread
# draws them.
_DRAWING = threading.Lock()


def render_chart(weeks: list[tuple[datetime, int, int]]) -> bytes:
    """A small bar chart (PNG): meetings held per week, the planned number as a line."""
    with _DRAWING:
        return _draw(weeks)


def _draw(weeks: list[tuple[datetime, int, int]]) -> bytes:
    # A figure of its own, not pyplot's: nothing is shared between digests, and fixed margins
    # (room for six-digit counts and the slanted dates) rather than a layout pass, which took
    # a third of the drawing.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 2.4), dpi=100)
    figure.subplots_adjust(left=0.08, right=0.98, top=0.86, bottom=0.24)
    axes = figure.add_subplot()
    labels = [f"{start:%d %b}" for start, _, _ in weeks]
    positions = list(range(len(weeks)))
    axes.bar(positions, [h for _, h, _ in weeks], color="#2f81f7", label="held")
    axes.plot(positions, [p for _, _, p in weeks], color="#cf222e", marker="o", label="planned")
    axes.set_xticks(positions, labels, fontsize=7, rotation=45)
    axes.tick_params(axis="y", labelsize=8)
    axes.set_ylim(bottom=0)
    # Above the bars, where it hides none of them.
    axes.legend(fontsize=8, frameon=False, loc="lower left", bbox_to_anchor=(0, 1), ncols=2)
    axes.spines[["top", "right"]].set_visible(False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
