"""Performance conversations (the guide's "hard conversations"), from the mentor's request
to the check-back at the action items' last due date.

    performance conversation  ->  a private meeting, invitations to the two of them
    after the meeting         ->  performance_summary_request to the mentor (topic perf<id>)
    the mentor's summary      ->  performance_followup_draft to the mentor (topic perfdraft<id>)
    `send`                    ->  performance_followup to the mentee, the mentor in copy
                                  (topic perfup<id>); the action items become private tasks
    `confirm` / corrections   ->  performance_reply to the mentor
    the last due date         ->  performance_checkback to both (topic perfcheck<id>);
                                  a mentor's "no" brings the guide's advice on transitions

Everything written here is sealed at rest, the mail included; no coordinator, digest, log
line or error report names a conversation, let alone what was said in it.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from service.action_items.store import create_task, task_text
from service.mail import kinds
from service.mail.kinds import About, Topic
from service.mail.writing.greeting import greeting_of
from service.mail.writing.words import counted
from service.meetings.invitations import days_off, send_calendar
from service.meetings.planning import PROMPT_STATES
from service.meetings.reschedule_rules import MAX_AHEAD, read_new_time
from service.outbox.writer import OutboxWriter
from service.performance.rules import (
    FIVE_STEPS,
    FORM,
    TRANSITION_ADVICE,
    FollowUp,
    has_form,
    improved,
    read_summary,
)
from service.program.holidays import DaysOff, first_working_day
from service.program.people import Cast
from service.program.schedule import format_date, format_span, local_instant, within_waking_hours
from service.program.terms import Terms
from service.storage.db import transaction
from service.storage.models import (
    Meeting,
    Pairing,
    PairingState,
    PerformanceConversation,
    PerformanceState,
    Person,
    Reflection,
    Task,
    TaskState,
)
from service.storage.sealing import PERFORMANCE as PURPOSE
from service.storage.sealing import REFLECTION, seal, unseal

TOPICS = ("perf", "perfdraft", "perfup", "perfcheck")
# At least this much notice for the private meeting, and the first working day after it.
NOTICE = timedelta(days=2)
# The check-back comes on the last due date, in the person's morning.
CHECK_BACK_AT = time(9, 0)
OPEN_STATES = (
    PerformanceState.SCHEDULED,
    PerformanceState.SUMMARY,
    PerformanceState.DRAFTED,
    PerformanceState.SENT,
    PerformanceState.CHECKING,
)
_SEND = re.compile(
    r"^(?:send|send it|please send|yes,? send(?: it)?|ok,? send(?: it)?)[.!]?$", re.I
)
_CONFIRM = re.compile(r"^(?:confirm|confirmed|i confirm|agreed|i agree)[.!]?$", re.I)


def _sealed(secret: bytes, follow_up: FollowUp) -> bytes:
    return seal(secret, follow_up.to_json(), PURPOSE)


def _opened(secret: bytes, conversation: PerformanceConversation) -> FollowUp:
    if conversation.sealed is None:
        return FollowUp()
    return FollowUp.from_json(unseal(secret, bytes(conversation.sealed), PURPOSE))


def _default_start(terms: Terms, tzid: str, now: datetime, off: DaysOff) -> datetime:
    """The first working day at least two days ahead (no weekend, no day off of the
    program's), at the pair's agreed time."""
    day = first_working_day(now.astimezone(ZoneInfo(tzid)).date() + NOTICE, off)
    return local_instant(day, terms.time_of_day, tzid)


async def open_conversation(
    connection: BaseDBAsyncClient, pairing_id: int
) -> PerformanceConversation | None:
    return await (
        PerformanceConversation.filter(pairing_id=pairing_id, state__in=OPEN_STATES)
        .order_by("-id")
        .using_db(connection)
        .first()
    )


async def request_conversation(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    writer: Person,
    when: str | None,
    now: datetime,
) -> tuple[str | None, str | None]:
    """`performance conversation [: <day and time>]` from the mentor: a private meeting.

    Returns (what was done, what could not be done), in words for the writer.
    """
    refused = await _refusal(connection, pairing, writer, now)
    if refused is not None:
        return None, refused
    terms = Terms.from_json(pairing.terms)
    tzid = writer.timezone
    cast = await Cast.load(connection, pairing)
    start = _asked_start(when, terms, tzid, now, days_off(cast.program))
    if isinstance(start, str):
        return None, start
    meeting = await _private_meeting(connection, outbox, pairing, terms, start, tzid, now)
    await send_calendar(connection, outbox, meeting, pairing, cast, "REQUEST", now)
    await PerformanceConversation.create(
        using_db=connection,
        pairing=pairing,
        meeting=meeting,
        state=PerformanceState.SCHEDULED,
        created_at=now,
        updated_at=now,
    )
    label = format_span(start, meeting.ends_at, tzid)
    return (
        f"A private conversation with {cast.mentee.name} is planned for {label}; you both get "
        "a calendar invitation marked private (reply reschedule: to it for another time). "
        "Afterwards you get the guide's five steps and a short form for the follow-up email.",
        None,
    )


async def _refusal(
    connection: BaseDBAsyncClient, pairing: Pairing, writer: Person, now: datetime
) -> str | None:
    """Why the writer cannot ask for a conversation now, or None when they can (a scheduled
    one whose meeting was cancelled is closed first, to start anew)."""
    if writer.id != pairing.mentor_id:
        return (
            "performance conversation (only a mentor can ask for one; to raise something "
            "in confidence, write help: followed by your note)"
        )
    if pairing.state not in (PairingState.ACTIVE, PairingState.REEVALUATING):
        return "performance conversation (your mentoring relationship is not active)"
    current = await open_conversation(connection, pairing.id)
    if current is None:
        return None
    meeting = await Meeting.get_or_none(id=current.meeting_id, using_db=connection)
    if meeting is not None and meeting.cancelled and current.state == "scheduled":
        current.state = PerformanceState.CLOSED
        current.updated_at = now
        await current.save(using_db=connection)
        return None
    return "performance conversation (one is already under way; its emails say what comes next)"


def _asked_start(
    when: str | None, terms: Terms, tzid: str, now: datetime, off: DaysOff
) -> datetime | str:
    """When the private meeting starts: the time the mentor gave, or the default one; or, as
    a string, why the time given cannot be used."""
    if not when:
        return _default_start(terms, tzid, now, off)
    read = read_new_time(when, now, tzid, terms.time_of_day, "performance conversation: ")
    if read.start is None:
        return f"performance conversation: {when} ({read.problem})"
    if read.start < now + timedelta(hours=1) or read.start > now + MAX_AHEAD:
        return f"performance conversation: {when} (give a time from an hour to four months ahead)"
    return read.start


async def _private_meeting(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    terms: Terms,
    start: datetime,
    tzid: str,
    now: datetime,
) -> Meeting:
    """The conversation's meeting: private, of the agreed length, numbered outside the
    cadence's numbering (-1, -2, …)."""
    lowest = (
        await Meeting.filter(pairing_id=pairing.id, number__lt=0)
        .order_by("number")
        .using_db(connection)
        .first()
    )
    domain = outbox.settings.service_address.partition("@")[2]
    end = start + timedelta(minutes=terms.meeting_minutes)
    return await Meeting.create(
        using_db=connection,
        pairing=pairing,
        number=(lowest.number if lowest else 0) - 1,
        uid=f"{uuid.uuid4()}@{domain}",
        sequence=0,
        starts_at=start,
        ends_at=end,
        tzid=tzid,
        private=True,
        prompt_at=end,
        created_at=now,
    )


async def summaries_due(outbox: OutboxWriter, now: datetime) -> int:
    """The private meetings that are over: each one's mentor is asked for the summary.
    Returns emails queued."""
    queued = 0
    due = await Meeting.filter(prompt_at__lte=now, private=True).values_list("id", flat=True)
    for meeting_id in sorted(due):
        async with transaction() as connection:
            meeting = await (
                Meeting.filter(id=meeting_id, prompt_at__lte=now, private=True)
                .select_for_update(skip_locked=True)
                .using_db(connection)
                .first()
            )
            if meeting is None:
                continue  # asked by another worker meanwhile
            pairing = await Pairing.get(id=meeting.pairing_id, using_db=connection)
            if meeting.cancelled or pairing.state not in PROMPT_STATES:
                meeting.prompt_at = None
            elif now < meeting.ends_at:
                meeting.prompt_at = meeting.ends_at  # moved later meanwhile
            else:
                queued += await ask_for_summary(connection, outbox, meeting, pairing, now)
                meeting.prompt_at = None
            await meeting.save(using_db=connection, update_fields=["prompt_at"])
    return queued


async def ask_for_summary(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    meeting: Meeting,
    pairing: Pairing,
    now: datetime,
) -> int:
    """The private meeting is over: ask the mentor for the summary. Returns emails queued."""
    conversation = await (
        PerformanceConversation.filter(meeting_id=meeting.id, state=PerformanceState.SCHEDULED)
        .using_db(connection)
        .first()
    )
    if conversation is None:
        return 0
    conversation.state = PerformanceState.SUMMARY
    conversation.updated_at = now
    await conversation.save(using_db=connection)
    cast = await Cast.load(connection, pairing)
    mentor, mentee = cast.mentor, cast.mentee
    terms = Terms.from_json(pairing.terms)
    added = await outbox.add(
        connection,
        kind=kinds.PERFORMANCE_SUMMARY_REQUEST,
        dedupe_key=f"performance_summary_request:conversation:{conversation.id}",
        to=cast.reader(mentor),
        about=About(Topic.PERFORMANCE_SUMMARY, conversation.id),
        now=now,
        not_before=within_waking_hours(now, mentor.timezone),
        context={
            "partner": {"name": mentee.name, "email": mentee.email},
            "meeting": {"label": format_span(meeting.starts_at, meeting.ends_at, mentor.timezone)},
            "steps": list(FIVE_STEPS),
            "goals": list(terms.goals),
            "form": [{"label": label, "value": ""} for _, label, _ in FORM],
        },
    )
    return int(added)


def _items_context(follow_up: FollowUp) -> list[dict[str, str]]:
    return [
        {"text": item.text, "due": format_date(item.due) if item.due else "no date yet"}
        for item in follow_up.items
    ]


def _form_context(follow_up: FollowUp) -> list[dict[str, str]]:
    rows = [
        {"label": "Summary", "value": follow_up.summary},
        {"label": "Expectation not met", "value": follow_up.expectation},
        {"label": "Incidents", "value": follow_up.incidents},
    ]
    rows += [
        {"label": "Action item", "value": f"{i.text} by {format_date(i.due)}" if i.due else i.text}
        for i in follow_up.items
    ] or [{"label": "Action item", "value": ""}]
    return rows


async def _send_draft(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    conversation: PerformanceConversation,
    pairing: Pairing,
    follow_up: FollowUp,
    now: datetime,
) -> None:
    cast = await Cast.load(connection, pairing)
    mentor, mentee = cast.mentor, cast.mentee
    terms = Terms.from_json(pairing.terms)
    conversation.draft_version += 1
    conversation.sealed = _sealed(outbox.secret, follow_up)
    conversation.state = PerformanceState.DRAFTED
    conversation.updated_at = now
    await conversation.save(using_db=connection)
    await outbox.add(
        connection,
        kind=kinds.PERFORMANCE_FOLLOWUP_DRAFT,
        dedupe_key=(
            f"performance_followup_draft:conversation:{conversation.id}"
            f":v{conversation.draft_version}"
        ),
        to=cast.reader(mentor),
        about=About(Topic.PERFORMANCE_DRAFT, conversation.id),
        now=now,
        context={
            "partner": {"name": mentee.name, "email": mentee.email},
            "mentor": {"name": mentor.name},
            "mentee": {
                "name": mentee.name,
                "greeting": greeting_of(mentee.name, mentee.greeting),
            },
            "sent": False,
            "version": conversation.draft_version,
            "follow_up": _followup_context(follow_up, terms),
            "problems": follow_up.problems(),
            "sweeping": follow_up.sweeping(),
            "form": _form_context(follow_up),
        },
    )


def _followup_context(follow_up: FollowUp, terms: Terms) -> dict[str, object]:
    return {
        "summary": follow_up.summary,
        "expectation": follow_up.expectation,
        "incidents": follow_up.incidents,
        "actions": _items_context(follow_up),
        "goals": list(terms.goals),
    }


async def _send_followup(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    conversation: PerformanceConversation,
    pairing: Pairing,
    follow_up: FollowUp,
    now: datetime,
) -> str:
    """The follow-up to the mentee, a copy to the mentor; the action items become tasks."""
    cast = await Cast.load(connection, pairing)
    mentor, mentee = cast.mentor, cast.mentee
    terms = Terms.from_json(pairing.terms)
    tasks = [
        await create_task(
            connection, pairing, mentee, item.text, item.due, now, secret=outbox.secret
        )
        for item in follow_up.items
    ]
    last_due = follow_up.last_due
    assert last_due is not None
    conversation.state = PerformanceState.SENT
    conversation.sent_at = now
    conversation.check_back_at = datetime.combine(
        last_due, CHECK_BACK_AT, tzinfo=ZoneInfo(mentor.timezone)
    ).astimezone(now.tzinfo)
    conversation.updated_at = now
    await conversation.save(using_db=connection)
    context = _followup_context(follow_up, terms)
    context["actions"] = [
        {"number": task.number, **item}
        for task, item in zip(tasks, _items_context(follow_up), strict=True)
    ]
    for person, *_ in cast.sides():
        await outbox.add(
            connection,
            kind=kinds.PERFORMANCE_FOLLOWUP,
            dedupe_key=f"performance_followup:conversation:{conversation.id}:person:{person.id}",
            # One email as the guide asks: to the mentee, the mentor in copy. Each reads
            # their own copy, with their own reply address.
            to=cast.reader(person),
            shown_to=(mentee.name, mentee.email),
            cc=(mentor.name, mentor.email),
            about=About(Topic.PERFORMANCE_FOLLOWUP, conversation.id),
            now=now,
            context={
                "mentor": {"name": mentor.name},
                "mentee": {
                    "name": mentee.name,
                    "greeting": greeting_of(mentee.name, mentee.greeting),
                },
                "sent": True,
                "follow_up": context,
            },
        )
    return (
        f"The follow-up went to {mentee.name}, with you in copy. Their "
        f"{counted(len(tasks), 'action item')} with reminders; on {format_date(last_due)} you both "
        "are asked whether things have improved."
    )


async def mentor_reply(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    person: Person,
    conversation_id: int,
    text: str,
    now: datetime,
) -> tuple[list[str], list[str]]:
    """The mentor's answer to the summary request or to a draft: the form, edits, or `send`."""
    conversation = await _conversation(connection, pairing, conversation_id)
    if conversation is None or person.id != pairing.mentor_id:
        return [], ["This reply is not about a conversation of yours; nothing was changed."]
    if conversation.state not in (PerformanceState.SUMMARY, PerformanceState.DRAFTED):
        if conversation.state == PerformanceState.SCHEDULED:
            return [], ["The private conversation has not happened yet; nothing was changed."]
        return ["The follow-up was already sent; nothing was changed."], []
    local_today = now.astimezone(ZoneInfo(person.timezone)).date()
    before = _opened(outbox.secret, conversation)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    send = any(_SEND.match(line) for line in lines)
    follow_up = before
    if has_form(text):
        follow_up = read_summary(text, local_today, before=before, tzid=person.timezone)
    elif not send:
        return [], [
            "No summary was found in your reply: please fill in the form's lines "
            '("Summary: …", "Action item: … by <date>").'
        ]
    if send and follow_up == before and conversation.state == PerformanceState.DRAFTED:
        problems = follow_up.problems()
        if problems:
            return [], ["The follow-up was not sent yet: " + " ".join(problems)]
        return [await _send_followup(connection, outbox, conversation, pairing, follow_up, now)], []
    await _send_draft(connection, outbox, conversation, pairing, follow_up, now)
    return [
        "Your draft follow-up is on its way to you alone: read it, then reply send (or change "
        "any line of the form)."
    ], []


async def _conversation(
    connection: BaseDBAsyncClient, pairing: Pairing, conversation_id: int
) -> PerformanceConversation | None:
    return await (
        PerformanceConversation.filter(id=conversation_id, pairing_id=pairing.id)
        .using_db(connection)
        .first()
    )


async def followup_reply(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    person: Person,
    conversation_id: int,
    text: str,
    inbound_id: int,
    now: datetime,
) -> list[str]:
    """The mentee confirms the follow-up or corrects it: either way, it reaches the mentor."""
    conversation = await _conversation(connection, pairing, conversation_id)
    if conversation is None:
        return ["This reply is not about a conversation of yours; nothing was changed."]
    if person.id == pairing.mentor_id:
        return [
            "This copy is for your records: your mentee's confirmation or corrections reach "
            "you by email."
        ]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    confirmed = any(_CONFIRM.match(line) for line in lines)
    corrections = [line for line in lines if not _CONFIRM.match(line)]
    if not confirmed and not corrections:
        return []
    if confirmed and conversation.confirmed_at is None:
        conversation.confirmed_at = now
        conversation.updated_at = now
        await conversation.save(using_db=connection)
    cast = await Cast.load(connection, pairing)
    mentor, mentee = cast.mentor, cast.mentee
    await outbox.add(
        connection,
        kind=kinds.PERFORMANCE_REPLY,
        dedupe_key=f"performance_reply:inbound:{inbound_id}",
        to=cast.reader(mentor),
        about=About(Topic.PERFORMANCE_FOLLOWUP, conversation.id),
        now=now,
        context={
            "partner": {"name": mentee.name, "email": mentee.email},
            "confirmed": confirmed,
            "corrections": "\n".join(corrections)[:4000],
        },
    )
    if corrections:
        return [f"Your corrections reached {mentor.name}."]
    return [f"Thank you: {mentor.name} knows you confirmed the follow-up."]


async def checkback_due(outbox: OutboxWriter, now: datetime) -> int:
    """At the last due date: ask both whether things improved. Returns emails queued."""
    queued = 0
    due = await PerformanceConversation.filter(
        state=PerformanceState.SENT, check_back_at__lte=now
    ).values_list("id", flat=True)
    for conversation_id in due:
        async with transaction() as connection:
            conversation = await (
                PerformanceConversation.filter(
                    id=conversation_id, state=PerformanceState.SENT, check_back_at__lte=now
                )
                .select_for_update()
                .using_db(connection)
                .first()
            )
            if conversation is None:
                continue  # another worker asked meanwhile
            conversation.state = PerformanceState.CHECKING
            conversation.check_back_at = None
            conversation.updated_at = now
            await conversation.save(using_db=connection)
            pairing = await Pairing.get(id=conversation.pairing_id, using_db=connection)
            if pairing.state == PairingState.CLOSED:
                continue
            queued += await _ask_check_back(connection, outbox, conversation, pairing, now)
    return queued


async def _ask_check_back(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    conversation: PerformanceConversation,
    pairing: Pairing,
    now: datetime,
) -> int:
    cast = await Cast.load(connection, pairing)
    tasks = await (
        Task.filter(pairing_id=pairing.id, private=True, created_at__gte=conversation.sent_at)
        .order_by("number")
        .using_db(connection)
    )
    items = [
        {
            "number": task.number,
            "text": task_text(task, outbox.secret),
            "due": format_date(task.due_date) if task.due_date else "",
            "done": task.state == TaskState.DONE,
        }
        for task in tasks
    ]
    queued = 0
    for person, _role, partner, _ in cast.sides():
        queued += await outbox.add(
            connection,
            kind=kinds.PERFORMANCE_CHECKBACK,
            dedupe_key=f"performance_checkback:conversation:{conversation.id}:person:{person.id}",
            to=cast.reader(person),
            about=About(Topic.PERFORMANCE_CHECKBACK, conversation.id),
            now=now,
            not_before=within_waking_hours(now, person.timezone),
            context={
                "partner": {"name": partner.name, "email": partner.email},
                "items": items,
            },
        )
    return queued


async def checkback_reply(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    person: Person,
    conversation_id: int,
    text: str,
    now: datetime,
) -> list[str]:
    """Has it improved? The mentor's answer closes the conversation; a no brings advice."""
    conversation = await _conversation(connection, pairing, conversation_id)
    if conversation is None:
        return ["This reply is not about a conversation of yours; nothing was changed."]
    answer = improved(text)
    if person.id != pairing.mentor_id:
        # The mentee's view is theirs: kept sealed like a reflection, passed on to no one.
        if not text.strip():
            return []
        await Reflection.create(
            using_db=connection,
            pairing=pairing,
            person=person,
            topic=f"perfcheck{conversation.id}",
            sealed=seal(outbox.secret, text.strip()[:4000], REFLECTION),
            created_at=now,
        )
        return ["Thank you; your answer is kept for you alone."]
    if answer is None:
        return ['Please answer "yes" or "no": has the situation improved?']
    conversation.improved = answer
    conversation.state = PerformanceState.CLOSED
    conversation.updated_at = now
    await conversation.save(using_db=connection)
    if answer:
        return ["Good to hear it has improved. This conversation is now closed."]
    return ["Thank you for saying so.", *TRANSITION_ADVICE]
