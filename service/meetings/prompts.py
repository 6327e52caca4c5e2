"""The prompts around each meeting: the agenda request, the agenda, the after-meeting
questions and the mentor's check-in, each once, in the reader's daytime; a question on a
quieter day of theirs when it can wait, and held after several went unanswered."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from service.action_items.store import describe
from service.app import AppContext
from service.mail import kinds
from service.mail.kinds import About, Topic
from service.meetings.invitations import meeting_name
from service.meetings.planning import PLAN_CHUNK, PROMPT_STATES
from service.meetings.prompt_rules import (
    ASKING_KINDS,
    PROMPT_MARGIN,
    Prompt,
    backing_off,
    meeting_prompts,
    takes_stock,
)
from service.outbox.pacing import Pacer
from service.outbox.writer import OutboxWriter, Prepared
from service.program import guide
from service.program.grammar import Grammar, help_text
from service.program.people import Cast
from service.program.schedule import (
    format_span,
    local_today,
    next_after,
    within_waking_hours,
)
from service.program.terms import Terms
from service.storage import statements
from service.storage.db import transaction
from service.storage.models import (
    AgendaItem,
    InboundMessage,
    InboundStatus,
    Meeting,
    OutboundMessage,
    OutboundStatus,
    Pairing,
    Person,
    Task,
    TaskState,
)


async def plan_prompts(app: AppContext) -> int:
    """Queue the prompts now due around each meeting, each reaching people in their daytime.

    Only meetings whose `prompt_at` has come are read, a chunk at a time under row locks
    (another worker skips locked rows and takes the next chunk), and each meeting's next
    `prompt_at` is set in the same transaction as its prompts. A private meeting's one
    prompt, the mentor's summary after it, is the performance conversation's own.
    """
    now = app.clock.now()
    outbox = OutboxWriter(app.settings, app.secret)
    queued = 0
    # Sorted here, not by the database (see plan_meetings).
    due = sorted(m.id for m in await Meeting.filter(prompt_at__lte=now, private=False).only("id"))
    for start in range(0, len(due), PLAN_CHUNK):
        async with transaction() as connection:
            queued += await _prompt_chunk(connection, outbox, due[start : start + PLAN_CHUNK], now)
    app.count("prompts_queued", queued)
    return queued


@dataclass
class _Loaded:
    """What a chunk of meetings' prompts read, one query per table."""

    pairings: dict[int, Pairing]
    casts: dict[int, Cast]
    open_tasks: dict[int, list[Task]]
    agenda: dict[int, list[AgendaItem]]
    # (pairing, person): the questions they left unanswered in a row (see `_unanswered`).
    unanswered: Counter[tuple[int, int]]

    @classmethod
    async def load(cls, connection: BaseDBAsyncClient, meetings: list[Meeting]) -> _Loaded:
        pairing_ids = {meeting.pairing_id for meeting in meetings}
        pairings = {
            pairing.id: pairing
            for pairing in await statements.pairings_with_cast(connection, sorted(pairing_ids))
        }
        casts = {
            pairing_id: Cast(pairing_id, p.program, p.mentor, p.mentee)
            for pairing_id, p in pairings.items()
        }
        tasks: dict[int, list[Task]] = {pairing_id: [] for pairing_id in pairing_ids}
        for task in (
            await Task.filter(pairing_id__in=pairing_ids, state=TaskState.OPEN)
            .order_by("number")
            .using_db(connection)
        ):
            tasks[task.pairing_id].append(task)
        agenda: dict[int, list[AgendaItem]] = {meeting.id: [] for meeting in meetings}
        for item in (
            await AgendaItem.filter(meeting_id__in=list(agenda)).order_by("id").using_db(connection)
        ):
            agenda[item.meeting_id].append(item)
        unanswered = await _unanswered(connection, pairing_ids)
        return cls(pairings, casts, tasks, agenda, unanswered)


async def _unanswered(
    connection: BaseDBAsyncClient, pairing_ids: set[int]
) -> Counter[tuple[int, int]]:
    """(pairing, person): the questions queued for the person in the pairing since they
    last wrote in it (anything they wrote, as the digest counts silence). A pairing has a
    few of each a month: read whole."""
    last: dict[tuple[int, int], datetime] = {}
    for pairing_id, person_id, received in await (
        InboundMessage.filter(
            pairing_id__in=pairing_ids,
            status=InboundStatus.PROCESSED,
            person_id__isnull=False,
        )
        .using_db(connection)
        .values_list("pairing_id", "person_id", "received_at")
    ):
        key = (int(pairing_id), int(person_id))
        last[key] = max(received, last.get(key, received))
    counts: Counter[tuple[int, int]] = Counter()
    for pairing_id, person_id, created in await (
        OutboundMessage.filter(
            pairing_id__in=pairing_ids,
            kind__in=ASKING_KINDS,
            status__in=(OutboundStatus.PENDING, OutboundStatus.SENT),
        )
        .using_db(connection)
        .values_list("pairing_id", "person_id", "created_at")
    ):
        key = (int(pairing_id), int(person_id))
        if key not in last or created > last[key]:
            counts[key] += 1
    return counts


async def _prompt_chunk(
    connection: BaseDBAsyncClient, outbox: OutboxWriter, ids: list[int], now: datetime
) -> int:
    meetings = await (
        Meeting.filter(id__in=ids, prompt_at__lte=now, private=False)
        .select_for_update(skip_locked=True)
        .order_by("id")
        .using_db(connection)
    )
    if not meetings:
        return 0  # handled by another worker meanwhile
    loaded = await _Loaded.load(connection, meetings)
    pacer = Pacer(connection, now)
    await pacer.preload([p for cast in loaded.casts.values() for p in (cast.mentor, cast.mentee)])
    queued = 0
    rows: list[Prepared] = []
    for meeting in meetings:
        pairing = loaded.pairings[meeting.pairing_id]
        terms = Terms.from_json(pairing.terms)
        prompts = meeting_prompts(
            meeting.number, meeting.starts_at, meeting.ends_at, terms.frequency
        )
        if meeting.cancelled or pairing.state not in PROMPT_STATES:
            meeting.prompt_at = None
        else:
            rows += await _prompts(outbox, pacer, meeting, pairing, terms, prompts, loaded, now)
            meeting.prompt_at = next_after((p.due for p in prompts), now)
    queued += await outbox.add_many(connection, rows)
    await Meeting.bulk_update(meetings, fields=["prompt_at"], using_db=connection)
    return queued


async def _prompts(
    outbox: OutboxWriter,
    pacer: Pacer,
    meeting: Meeting,
    pairing: Pairing,
    terms: Terms,
    prompts: list[Prompt],
    loaded: _Loaded,
    now: datetime,
) -> list[Prepared]:
    due = [p for p in prompts if p.due <= now < p.stale]
    if not due:
        return []  # a catch-up after the moment passed: too late to help
    rows = []
    cast = loaded.casts[pairing.id]
    open_items = [describe(t, outbox.secret) for t in loaded.open_tasks[pairing.id]]
    for prompt in due:
        for person, role, partner, _ in cast.sides():
            if prompt.audience not in (role, "both"):
                continue
            send_at = within_waking_hours(now, person.timezone)
            if send_at >= prompt.stale:
                continue
            silence = (pairing.id, person.id)
            unanswered = 0
            if prompt.kind in ASKING_KINDS:
                going = backing_off(loaded.unanswered[silence])
                if going == "hold":
                    continue
                unanswered = loaded.unanswered[silence] if going == "ask" else 0
                loaded.unanswered[silence] += 1
            if prompt.may_wait:
                send_at = await pacer.when(person, send_at, prompt.stale - PROMPT_MARGIN)
            else:
                await pacer.note(person, send_at)
            rows.append(
                outbox.prepare(
                    kind=kinds.KINDS[prompt.kind],
                    dedupe_key=f"{prompt.kind}:meeting:{meeting.id}:person:{person.id}",
                    to=cast.reader(person),
                    about=About(TOPICS[prompt.kind], meeting.id),
                    now=now,
                    not_before=send_at,
                    context=prompt_context(
                        prompt.kind,
                        meeting,
                        terms,
                        cast,
                        person,
                        role,
                        partner,
                        open_items,
                        [item.text for item in loaded.agenda[meeting.id]],
                        unanswered,
                        today=local_today(send_at, person.timezone),
                    ),
                )
            )
    return rows


# What replies to each prompt are about.
TOPICS = {
    "agenda_request": Topic.AGENDA,
    "agenda": Topic.AGENDA,
    "after_meeting": Topic.AFTER_MEETING,
    "mentor_checkin": Topic.CHECKIN,
}


def prompt_context(
    kind: str,
    meeting: Meeting,
    terms: Terms,
    cast: Cast,
    person: Person,
    role: str,
    partner: Person,
    open_items: list[str],
    agenda_items: list[str],
    unanswered: int = 0,
    *,
    today: date,
) -> dict[str, Any]:
    """What a prompt's template is given; a question's `unanswered`, when it asks whether
    its reader still wants these, says how many went unanswered (0: it does not ask)."""
    context: dict[str, Any] = {
        "partner": {"name": partner.name, "email": partner.email},
        "meeting": {
            "label": format_span(meeting.starts_at, meeting.ends_at, person.timezone),
            "number": meeting.number,
            "name": meeting_name(meeting),
        },
        "help_text": help_text(Grammar.EVERYDAY, role, today=today),
    }
    if kind in ASKING_KINDS:
        context["unanswered"] = unanswered
    if kind == "agenda_request":
        first = meeting.number == 1
        context |= {
            "goals": list(terms.goals),
            "open_items": open_items,
            "checklist": list(guide.FIRST_MEETING_CHECKLIST) if first else [],
            "during": list(guide.DURING_FIRST_MEETING) if first else [],
            "talking_points": list(guide.FIRST_MEETING_TALKING_POINTS) if first else [],
        }
    elif kind == "agenda":
        context |= {"items": agenda_items, "goals": list(terms.goals), "open_items": []}
    elif kind == "after_meeting":
        questions = guide.AFTER_FIRST_MEETING if meeting.number == 1 else guide.AFTER_EACH_MEETING
        stock = meeting.number > 1 and takes_stock(meeting.number, terms.frequency)
        context["questions"] = list(questions) + (list(guide.ONGOING_SUCCESS) if stock else [])
        # Where the taking-stock questions start in the numbered list (0: not this time).
        context["stock_from"] = len(questions) + 1 if stock else 0
        # The guide's "between meetings" checklist, for the mentee, after the first one.
        first_for_mentee = meeting.number == 1 and role == "mentee"
        context["between"] = list(guide.BETWEEN_MEETINGS) if first_for_mentee else []
    elif kind == "mentor_checkin":
        context["questions"] = list(guide.MENTOR_CHECKIN)
    return context
