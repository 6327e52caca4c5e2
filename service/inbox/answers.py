"""What the service answers: "here is what I understood", the list of commands, a polite
refusal (one a day at most), never quoting what was written."""

from __future__ import annotations

from datetime import date, datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.action_items.reminders import take_waiting_reminder
from service.coordinators.digest import to_coordinator
from service.coordinators.help_notes import pass_help_note
from service.inbox.commands import CoordinatorMail
from service.inbox.outcome import Outcome
from service.inbox.receipts import gather, may_wait
from service.inbox.reply import Reply
from service.mail import kinds
from service.mail.kinds import About, Topic
from service.mail.reading.parse import ParsedMessage
from service.mail.writing.compose import reply_subject, thread_references
from service.outbox.writer import OutboxWriter, Reader
from service.program.grammar import Grammar, help_text
from service.program.people import Cast
from service.program.schedule import local_today
from service.reflections.checkins import KEPT
from service.storage.models import InboundMessage, InboundStatus, Pairing, Program, Refusal

# Mail that is itself the answer to a reply when applying it sends one to its writer: the
# agreement form as it now stands, the agreement as both signed it, the performance
# follow-up as drafted or as sent.
ANSWERING_KINDS = (
    kinds.AGREEMENT_REQUEST.name,
    kinds.AGREEMENT_SIGNED.name,
    kinds.PERFORMANCE_FOLLOWUP_DRAFT.name,
    kinds.PERFORMANCE_FOLLOWUP.name,
)
# A meeting's calendar, moved or cancelled, or the letter that the relationship is phasing
# out: the answer to a reply that did nothing else.
ONE_EVENT_KINDS = (kinds.INVITATION.name, kinds.CANCELLATION.name, kinds.CLOSURE.name)


def answered_by_other_mail(reply: Reply) -> bool:
    """Whether applying the reply sent its writer an email that says all it did: one
    email for one event, never two."""
    if reply.sent_writer(ANSWERING_KINDS):
        return True
    # A private reflection kept, besides, was promised by the email that asked for it.
    said = [line for line in reply.applied if line != KEPT]
    return len(said) == 1 and reply.sent_writer(ONE_EVENT_KINDS)


def answers_thread(row: InboundMessage) -> str | None:
    """The Message-ID an answer replies to: the message's own, when it had one."""
    return None if row.message_id.startswith("sha256:") else row.message_id


async def understood(reply: Reply) -> None:
    """The short "here is what I understood" answer, in the reply's own thread ("Re:" its
    subject, In-Reply-To and References naming it); skipped on request, or when applying
    the reply sent its writer an email that says it all, unless something was not
    understood. A reply to it goes on where the answered reply was, and it is as private
    as that reply."""
    person = reply.person
    # Something the writer must hear of (a line not understood, a question, a note, lines
    # passed on) is always answered.
    needs = reply.not_understood or reply.held or reply.notes or reply.passed_on
    if not needs and (not person.wants_receipts or answered_by_other_mail(reply)):
        return
    # Their action items' reminder of today, not gone yet, goes inside this answer.
    reminders = None
    if not reply.private:
        reminders = await take_waiting_reminder(
            reply.connection, reply.pairing.id, person, reply.now, reply.outbox.secret
        )
    if not needs and reminders is None and await may_wait(reply):
        # A day already full: a reflection kept, as the email asking for it promised, is
        # no reason for another email; other answers wait for the morning, together.
        if all(line == KEPT for line in reply.applied):
            return
        if await gather(reply, _answering(reply)):
            return
    grammar = Grammar.AGREEMENT if reply.grammar == Grammar.AGREEMENT else Grammar.EVERYDAY
    thread = answers_thread(reply.row)
    await reply.outbox.add_answer(
        reply.connection,
        kind=kinds.UNDERSTOOD,
        dedupe_key=f"understood:inbound:{reply.row.id}",
        to=Reader.participant(person, reply.role, reply.program.name, reply.pairing.id),
        about=_answering(reply),
        now=reply.now,
        in_reply_to=thread,
        references=None if thread is None else thread_references(reply.parsed.references, thread),
        context={
            "subject": reply_subject(reply.parsed.subject),
            "applied": reply.applied,
            "not_understood": reply.not_understood,
            "held": [held.as_context() for held in reply.held],
            "passed_on": {"to": reply.passed_to, "lines": reply.passed_on}
            if reply.passed_on
            else None,
            "notes": reply.notes,
            "reminders": reminders,
            "gathered": None,
            "help_text": help_text(grammar, reply.role, today=_today(reply)),
        },
        private=reply.private,
    )


def _today(reply: Reply) -> date:
    """The writer's own day, which the examples in their answer are made from."""
    return local_today(reply.now, reply.person.timezone)


# What a note passed on may answer: the shared conversations (a reply to it goes on there).
_PASSED_ON_ABOUT = frozenset(kinds.PARTNER_NOTE.topics)


async def pass_on(reply: Reply, lines: list[str]) -> None:
    """The writer's lines that are meant for their partner ("can we meet on zoom
    instead?"), passed on to them in one email; the writer is told, in their answer, what
    went and to whom. Never from a private conversation."""
    assert not reply.private
    if not lines:
        return
    cast = await Cast.load(reply.connection, reply.pairing)
    partner, _role = cast.partner_of(reply.person)
    about = reply.about if reply.about.topic in _PASSED_ON_ABOUT else About(Topic.GENERAL)
    await reply.outbox.add(
        reply.connection,
        kind=kinds.PARTNER_NOTE,
        dedupe_key=f"partner_note:inbound:{reply.row.id}",
        to=cast.reader(partner),
        about=about,
        now=reply.now,
        context={
            "partner": {"name": reply.person.name, "email": reply.person.email},
            "lines": lines,
        },
    )
    reply.passed_on += lines
    reply.passed_to = partner.name


def _answering(reply: Reply) -> About:
    """What a reply to an answer is about: the same as the answered reply, kept private
    when that reply was, however it began."""
    if reply.private and not reply.about.private:
        return About(Topic.PRIVATE)
    return reply.about


async def answered(reply: Reply, what: str) -> Outcome:
    """The reply's outcome once applied, with its answer queued when there is anything to
    say."""
    if not reply.answered_anything:
        return Outcome(
            InboundStatus.PROCESSED, "empty reply", private=reply.private, about=reply.about
        )
    await understood(reply)
    return Outcome(
        InboundStatus.PROCESSED, what, reply.applied, private=reply.private, about=reply.about
    )


async def send_help(reply: Reply) -> Outcome:
    """`help` sends the list of commands; `help: <note>` also passes the note, in confidence,
    to the program's coordinators. Nothing else in the reply is applied."""
    notes = [c.args["text"] for c in reply.helps if c.args.get("text")]
    note = "\n".join(notes + reply.read.free_text)
    forwarded = bool(notes) and bool(reply.program.coordinator_email)
    if forwarded:
        await pass_help_note(
            reply.connection,
            reply.outbox,
            reply.pairing,
            reply.person,
            reply.role,
            reply.program,
            note,
            reply.row.id,
            reply.now,
        )
    await reply.outbox.add(
        reply.connection,
        kind=kinds.HELP,
        dedupe_key=f"help:inbound:{reply.row.id}",
        to=Reader.participant(reply.person, reply.role, reply.program.name, reply.pairing.id),
        about=About(Topic.PRIVATE if reply.private else Topic.GENERAL),
        now=reply.now,
        context={
            "help_text": help_text(Grammar.EVERYDAY, reply.role, today=_today(reply)),
            "note_received": forwarded,
            # A note was written, but the program has no coordinator address to take it.
            "note_unsent": bool(notes) and not forwarded,
        },
    )
    reason = "help note sent" if forwarded else "help sent"
    return Outcome(InboundStatus.PROCESSED, reason, private=reply.private, about=reply.about)


async def coordinator_reply(mail: CoordinatorMail) -> None:
    """What a coordinator's commands did, with the commands they may write."""
    program = await Program.get(id=mail.coordinator.program_id, using_db=mail.connection)
    await to_coordinator(
        mail.connection,
        mail.outbox,
        mail.coordinator,
        program,
        kind=kinds.COORDINATOR_REPLY,
        dedupe_key=f"coordinator_reply:inbound:{mail.row.id}",
        now=mail.now,
        context={
            "done": mail.done,
            "problems": mail.problems,
            "commands": help_text(
                Grammar.COORDINATOR,
                "coordinator",
                today=local_today(mail.now, program.timezone),
                pairing=await _first_pairing(mail),
            ),
        },
        in_reply_to=answers_thread(mail.row),
        attachments=mail.attachments,
    )


async def _first_pairing(mail: CoordinatorMail) -> int | None:
    """A pairing the coordinator has, for their commands' examples."""
    first = (
        await Pairing.filter(program_id__in=list(mail.program_ids))
        .order_by("id")
        .using_db(mail.connection)
        .only("id")
        .first()
    )
    return None if first is None else first.id


async def refuse(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    parsed: ParsedMessage,
    kind: str,
    text: str,
    now: datetime,
) -> None:
    """At most one refusal per address, kind and day; never quoting what they wrote."""
    address = parsed.from_addr
    assert address is not None
    day = now.date()
    seen = await Refusal.get_or_none(address=address, kind=kind, day=day, using_db=connection)
    if seen is not None:
        seen.count += 1
        await seen.save(using_db=connection)
        return
    await Refusal.create(using_db=connection, address=address, kind=kind, day=day)
    # A stranger has no program; the service speaks for itself.
    name = parsed.from_name or address
    await outbox.add(
        connection,
        kind=kinds.REFUSAL,
        dedupe_key=f"refusal:{address}:{kind}:{day.isoformat()}",
        to=Reader(name, address, "stranger", outbox.settings.service_name),
        now=now,
        context={"reason": text},
    )
