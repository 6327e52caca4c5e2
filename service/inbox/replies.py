"""Applying a routed reply from a participant: the agreement form, help, and the rest."""

from __future__ import annotations

import re
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.action_items.store import add_task, complete_task
from service.agreement.activation import activate
from service.agreement.requests import request_agreement
from service.inbox.outcome import Outcome
from service.mail.reading.parse import ParsedMessage
from service.meetings.cadence import faster, slower
from service.meetings.calendar_answers import ACCEPT, answer_proposal
from service.meetings.pausing import pause_pairing, resume_pairing
from service.meetings.replan import change_frequency, reschedule_meeting
from service.outbox.writer import OutboxWriter, recipient_context
from service.performance.conversations import (
    TOPICS as PERFORMANCE_TOPICS,
)
from service.performance.conversations import (
    checkback_reply,
    followup_reply,
    mentor_reply,
    request_conversation,
)
from service.phase_out.closing import begin_phase_out
from service.program.grammar import (
    Command,
    ParseResult,
    help_text,
    is_available,
    parse_commands,
)
from service.program.people import Cast
from service.program.terms import Change, Terms, apply_changes, parse_frequency
from service.reflections.checkins import REFLECTIVE_TOPICS, keep_reflection
from service.reflections.exercises import map_answer
from service.storage import statements
from service.storage.models import (
    HelpNote,
    InboundMessage,
    InboundStatus,
    Pairing,
    PairingState,
    Person,
    Program,
)

PRIVATE_TOPICS = (*REFLECTIVE_TOPICS, "map")


async def understood(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    row: InboundMessage,
    pairing: Pairing,
    person: Person,
    *,
    role: str,
    topic: str,
    applied: list[str],
    not_understood: list[str],
    now: datetime,
    private: bool = False,
    program: Program | None = None,
) -> None:
    """The short "here is what I understood" answer; skipped on request unless something failed.

    `private` when it answers a private matter: then it is stored sealed like the matter.
    `program` is the pairing's, when the caller has read it already.
    """
    if not person.wants_receipts and not not_understood:
        return
    if program is None:
        program = await Program.get(id=pairing.program_id, using_db=connection)
    await outbox.add_answer(
        connection,
        kind="understood",
        dedupe_key=f"understood:inbound:{row.id}",
        to=(person.name, person.email),
        person=person,
        pairing=pairing,
        topic=topic,
        now=now,
        in_reply_to=row.message_id if not row.message_id.startswith("sha256:") else None,
        context={
            **recipient_context(person.name, person.email, role, program.name),
            "applied": applied,
            "not_understood": not_understood,
            "help_text": help_text(topic if topic == "agreement" else "general", role),
        },
        private=private,
    )


async def agreement_reply(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    person: Person,
    parsed: ParsedMessage,
    row: InboundMessage,
    now: datetime,
    *,
    answered_version: int,
) -> Outcome:
    role = "mentor" if person.id == pairing.mentor_id else "mentee"
    result = parse_commands(parsed.visible_text, "agreement")
    applied: list[str] = []
    not_understood = list(result.unknown)
    if pairing.state == PairingState.CLOSED:
        await understood(
            connection,
            outbox,
            row,
            pairing,
            person,
            role=role,
            topic="general",
            applied=[],
            not_understood=[
                "This mentoring pair was closed by your program coordinator before it began, "
                "so nothing was changed. Please contact them with any question."
            ],
            now=now,
        )
        return Outcome(InboundStatus.PROCESSED, "pairing closed before it started")
    if pairing.state != PairingState.AGREEING:
        everyday = parse_commands(parsed.visible_text, "general").commands
        if any(c.name not in ("help", "frequency") for c in everyday):
            # An old thread used for everyday commands: apply them as any other reply.
            return await general_reply(connection, outbox, pairing, person, parsed, row, now)
        applied.append("Your agreement is already signed by both of you; nothing was changed.")
        await understood(
            connection,
            outbox,
            row,
            pairing,
            person,
            role=role,
            topic="agreement",
            applied=applied,
            not_understood=not_understood,
            now=now,
        )
        return Outcome(InboundStatus.PROCESSED, "agreement already signed")
    changes = [Change(c.args["field"], c.args["value"]) for c in result.commands if c.name == "set"]
    agrees = any(c.name == "agree" for c in result.commands)
    outdated = answered_version < pairing.terms_version
    if agrees and outdated:
        # They agreed to a form that has changed since: agreeing must mean the current terms.
        agrees = False
        applied.append(
            'Your "I agree" was not counted: it answered an earlier version of the agreement, '
            "which has changed since. The current version is on its way to you; please agree "
            "to that one."
        )
    terms = Terms.from_json(pairing.terms)
    changed = apply_changes(terms, changes)
    not_understood.extend(changed.errors)
    partner_id = pairing.mentee_id if role == "mentor" else pairing.mentor_id
    partner = await Person.get(id=partner_id, using_db=connection)
    terms_changed = changed.terms != terms
    if terms_changed:
        pairing.terms = changed.terms.to_json()
        pairing.terms_version += 1
        applied.extend(f"Changed {line}" for line in changed.applied)
        # The partner agreed to different terms: they are asked again.
        if role == "mentor":
            pairing.mentee_agreed_at = None
        else:
            pairing.mentor_agreed_at = None
    if agrees:
        if role == "mentor":
            pairing.mentor_agreed_at = now
        else:
            pairing.mentee_agreed_at = now
        applied.append(
            "You agreed to the agreement" + (" as changed above." if terms_changed else ".")
        )
    pairing.updated_at = now
    await pairing.save(using_db=connection)
    program = await Program.get(id=pairing.program_id, using_db=connection)
    mentor = person if role == "mentor" else partner
    mentee = partner if role == "mentor" else person
    if pairing.mentor_agreed_at is not None and pairing.mentee_agreed_at is not None:
        await activate(connection, outbox, pairing, now)
        applied.append(
            f"You have both agreed: the signed agreement and the first meeting's "
            f"invitation are on their way to you and {partner.name}."
        )
    else:
        if terms_changed:
            await request_agreement(
                connection, outbox, pairing, program, mentor, mentee, now, only=partner
            )
            applied.append(f"{partner.name} has been sent the changed agreement to agree to.")
        if outdated:
            # Show them the form as it stands now, their own changes included.
            await request_agreement(
                connection, outbox, pairing, program, mentor, mentee, now, only=person
            )
        if agrees:
            applied.append(f"Waiting for {partner.name} to agree.")
        elif not terms_changed and not outdated:
            not_understood.append('No change and no "I agree" was found in your reply.')
    await understood(
        connection,
        outbox,
        row,
        pairing,
        person,
        role=role,
        topic="agreement",
        applied=applied,
        not_understood=not_understood,
        now=now,
        program=program,
    )
    return Outcome(InboundStatus.PROCESSED, "agreement reply", applied)


_TOPIC = re.compile(r"([a-z]+?)(\d+)")
# "Hi Zoë," or "Thanks!" above the topics is not a topic.
_SMALL_TALK = re.compile(r"^(?:hi|hello|dear|hey|thanks|thank you|best|cheers)\b.{0,40}$", re.I)
MAX_AGENDA_ITEMS = 20


_REEVAL_WORDS = {
    "keep": "keep",
    "same": "keep",
    "keep it": "keep",
    "no change": "keep",
    "more often": "faster",
    "increase": "faster",
    "more": "faster",
    "less often": "slower",
    "decrease": "slower",
    "less": "slower",
}


async def _reevaluation_answer(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    person: Person,
    result: ParseResult,
    now: datetime,
) -> str | None:
    """keep / more often / less often, in answer to the re-evaluation; ends re-evaluating."""
    choice = next(
        (
            _REEVAL_WORDS[w]
            for w in (line.lower().strip(" .!") for line in result.free_text)
            if w in _REEVAL_WORDS
        ),
        None,
    )
    answered = choice is not None or any(c.name == "frequency" for c in result.commands)
    if not answered:
        return None
    pairing.state = PairingState.ACTIVE
    pairing.reevaluated_at = now
    await pairing.save(using_db=connection)
    if choice is None:
        return None  # the frequency: line says what happened
    current = Terms.from_json(pairing.terms).frequency
    new = {"keep": current, "faster": faster(current), "slower": slower(current)}[choice]
    return await change_frequency(connection, outbox, pairing, person, new, now)


async def _apply_commands(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    person: Person,
    commands: list[Command],
    now: datetime,
    meeting_id: int | None = None,
) -> tuple[list[str], list[str]]:
    applied: list[str] = []
    not_understood: list[str] = []
    for command in commands:
        if command.name == "reschedule":
            # The meeting the email was about, when it is still ahead; else the next one.
            meeting = await statements.upcoming_meeting(connection, pairing.id, now, meeting_id)
            if meeting is None:
                not_understood.append(f"{command.line} (there is no upcoming meeting to move)")
                continue
            done, problem = await reschedule_meeting(
                connection, outbox, pairing, person, meeting, command.args["when"], now
            )
            applied += [done] if done else []
            not_understood += [f"{command.line} ({problem})"] if problem else []
            continue
        if command.name == "task":
            applied.append(await add_task(connection, outbox.secret, pairing, person, command, now))
        elif command.name == "done":
            done, problem = await complete_task(connection, outbox.secret, pairing, command, now)
            applied += [done] if done else []
            not_understood += [problem] if problem else []
        elif command.name == "frequency":
            try:
                frequency = parse_frequency(command.args["value"])
            except ValueError as exc:
                not_understood.append(f"{command.line} ({exc})")
                continue
            applied.append(
                await change_frequency(connection, outbox, pairing, person, frequency, now)
            )
        elif command.name == "phase_out":
            applied.append(
                await begin_phase_out(
                    connection, outbox, pairing, now, path="participant", by=person
                )
            )
        elif command.name == "pause":
            applied.append(
                await pause_pairing(
                    connection,
                    outbox,
                    pairing,
                    now,
                    f"{person.name} paused your mentoring meetings for now; write resume to "
                    "start them again.",
                )
            )
        elif command.name == "resume":
            applied.append(await resume_pairing(connection, outbox, pairing, now))
        elif command.name == "performance":
            done, problem = await request_conversation(
                connection, outbox, pairing, person, command.args.get("when"), now
            )
            applied += [done] if done else []
            not_understood += [problem] if problem else []
        elif command.name not in ("agenda", "share"):
            suffix = "" if is_available(command.name) else " (this command is not available yet)"
            not_understood.append(command.line + suffix)
    return applied, not_understood


async def _help_note(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    person: Person,
    role: str,
    program: Program,
    note: str,
    row: InboundMessage,
    now: datetime,
) -> None:
    """A participant's note to the program's coordinators: theirs alone, never a digest's."""
    assert program.coordinator_email
    # Kept for the program's digest (its coordinators only), and sent at once.
    await HelpNote.create(
        using_db=connection, pairing=pairing, person=person, text=note[:4000], created_at=now
    )
    cast = await Cast.load(connection, pairing)
    partner, _ = cast.partner_of(person)
    name = "Program coordinator"
    await outbox.add(
        connection,
        kind="help_note",
        dedupe_key=f"help_note:inbound:{row.id}",
        to=(name, program.coordinator_email),
        now=now,
        context={
            **recipient_context(name, program.coordinator_email, "coordinator", program.name),
            "writer": {"name": person.name, "email": person.email, "role": role},
            "partner": {"name": partner.name},
            "pairing_number": pairing.id,
            "note": note[:4000],
        },
    )


async def general_reply(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    person: Person,
    parsed: ParsedMessage,
    row: InboundMessage,
    now: datetime,
    *,
    topic: str = "general",
    program: Program | None = None,
) -> Outcome:
    """Replies to meeting emails: agenda topics now; help; the rest is shown back.
    `program` is the pairing's, when the caller has read it already."""
    role = "mentor" if person.id == pairing.mentor_id else "mentee"
    result = parse_commands(parsed.visible_text, "general")
    if program is None:
        program = await Program.get(id=pairing.program_id, using_db=connection)
    helps = [c for c in result.commands if c.name == "help"]
    if helps:
        # "help: <note>" goes to the program's coordinators, in confidence; "help" alone
        # sends the list of commands.
        note = "\n".join([c.args["text"] for c in helps if c.args.get("text")] + result.free_text)
        forwarded = bool(helps[0].args.get("text")) and bool(program.coordinator_email)
        if forwarded:
            await _help_note(connection, outbox, pairing, person, role, program, note, row, now)
        await outbox.add(
            connection,
            kind="help",
            dedupe_key=f"help:inbound:{row.id}",
            to=(person.name, person.email),
            person=person,
            pairing=pairing,
            now=now,
            context={
                **recipient_context(person.name, person.email, role, program.name),
                "help_text": help_text("general", role),
                "note_received": forwarded,
                # A note was written, but the program has no coordinator address to take it.
                "note_unsent": bool(helps[0].args.get("text")) and not forwarded,
            },
        )
        return Outcome(InboundStatus.PROCESSED, "help note sent" if forwarded else "help sent")
    match = _TOPIC.fullmatch(topic)
    about, ref = (match.group(1), int(match.group(2))) if match else (topic, None)
    if about in PERFORMANCE_TOPICS and ref is not None:
        return await _performance_reply(
            connection, outbox, pairing, person, role, about, ref, parsed, row, now
        )
    # Reflections, check-in answers, the mentoring map and anything touching a performance
    # conversation: the stored reply is sealed and the outcome says no more than "private".
    private = about in PRIVATE_TOPICS or any(c.name == "performance" for c in result.commands)
    free = [line for line in result.free_text if not _SMALL_TALK.match(line)]
    # Topics in the order they were written; in answer to an agenda request, plain lines
    # are topics too.
    topics: list[str] = []
    for line in parsed.visible_text.splitlines():
        single = parse_commands(line, "general")
        topics += [c.args["text"] for c in single.commands if c.name == "agenda"]
        if about == "agenda":
            topics += [text for text in single.free_text if not _SMALL_TALK.match(text)]
    applied, not_understood = await _apply_commands(
        connection,
        outbox,
        pairing,
        person,
        result.commands,
        now,
        meeting_id=ref if about in ("meeting", "agenda") else None,
    )
    if about == "proposal" and ref is not None:
        accepted = await answer_proposal(
            connection, outbox, pairing, person, ref, parsed.visible_text, now
        )
        if accepted is not None:
            done, problem = accepted
            applied += [done] if done else []
            not_understood += [problem] if problem else []
            free = [line for line in free if not ACCEPT.match(line.strip())]
    if about == "reeval":
        answer = await _reevaluation_answer(connection, outbox, pairing, person, result, now)
        if answer:
            applied.append(answer)
            free = [line for line in free if line.lower().strip(" .!") not in _REEVAL_WORDS]
    if about == "map":
        # The mentoring map is a form ("Sponsorship: Dr. Lee"), kept sealed like a
        # reflection, and answered with the needs it leaves open.
        applied += map_answer(parsed.visible_text)
        await keep_reflection(
            connection,
            outbox,
            pairing,
            person,
            topic,
            [parsed.visible_text],
            share=False,
            inbound_id=row.id,
            now=now,
        )
        free = []
    else:
        not_understood += result.unknown
    if topics:
        meeting = await statements.upcoming_meeting(connection, pairing.id, now, ref)
        if meeting is None:
            not_understood += [f"agenda: {t}" for t in topics]
            applied.append("There is no upcoming meeting to add these topics to.")
        else:
            texts = [" ".join(text.split())[:500] for text in topics[:MAX_AGENDA_ITEMS]]
            await statements.add_agenda_items(connection, meeting.id, person.id, texts, now)
            applied += [f"Added to the agenda of meeting {meeting.number}: {t}" for t in texts]
    elif free and about in REFLECTIVE_TOPICS:
        # The writer's lines as written ("3. no" keeps its number), commands left out.
        own_words = [
            line.strip()
            for line in parsed.visible_text.splitlines()
            if line.strip() and not parse_commands(line, "general").commands
        ]
        kept = await keep_reflection(
            connection,
            outbox,
            pairing,
            person,
            topic,
            own_words,
            share=any(c.name == "share" for c in result.commands),
            inbound_id=row.id,
            now=now,
        )
        applied.append(kept)
    elif free:
        applied.append("Your message was received.")
    if not applied and not not_understood:
        return Outcome(InboundStatus.PROCESSED, "empty reply", private=private)
    await understood(
        connection,
        outbox,
        row,
        pairing,
        person,
        role=role,
        topic="general",
        applied=applied,
        not_understood=not_understood,
        now=now,
        private=private,
        program=program,
    )
    return Outcome(InboundStatus.PROCESSED, f"{about} reply", applied, private=private)


async def _performance_reply(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    person: Person,
    role: str,
    about: str,
    ref: int,
    parsed: ParsedMessage,
    row: InboundMessage,
    now: datetime,
) -> Outcome:
    """A reply in a performance conversation: every word of it stays between the two."""
    text = parsed.visible_text
    applied: list[str] = []
    not_understood: list[str] = []
    if about in ("perf", "perfdraft"):
        # The mentor's form: "Action item: …" lines are the follow-up's, not new tasks.
        applied, not_understood = await mentor_reply(
            connection, outbox, pairing, person, ref, text, now
        )
    else:
        # Everyday commands still work here (`done 4` for an action item); the rest answers.
        result = parse_commands(text, "general")
        applied, not_understood = await _apply_commands(
            connection, outbox, pairing, person, result.commands, now
        )
        own_words = "\n".join(result.free_text)
        if about == "perfup":
            applied += await followup_reply(
                connection, outbox, pairing, person, ref, own_words, row.id, now
            )
        else:
            applied += await checkback_reply(
                connection, outbox, pairing, person, ref, own_words, now
            )
    if applied or not_understood:
        await understood(
            connection,
            outbox,
            row,
            pairing,
            person,
            role=role,
            topic="general",
            applied=applied,
            not_understood=not_understood,
            now=now,
            private=True,
        )
    return Outcome(InboundStatus.PROCESSED, "private reply", private=True)
