"""One handler per topic: what a participant's reply does, given what it answers.

Every topic a participant's mail can have is here (a test checks it). The everyday ones
share one flow: `help` alone sends the list; otherwise the commands are applied in the order
written, the topic reads what the free text answers, the agenda topics are added, and the
writer is told what was understood.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from service.agreement.replies import answer_agreement
from service.agreement.rules import NOTHING_FOUND
from service.inbox.answers import answered, pass_on, send_help, understood
from service.inbox.commands import apply_commands
from service.inbox.confirming import confirm_asked
from service.inbox.outcome import Outcome
from service.inbox.reply import Reply, small_talk
from service.mail.kinds import Topic
from service.meetings.agenda import add_to_agenda
from service.meetings.calendar_answers import ACCEPT, answer_proposal
from service.meetings.reevaluation import answer_reevaluation, reevaluation_choice, says_choice
from service.performance.conversations import checkback_reply, followup_reply, mentor_reply
from service.program import grammar
from service.program.grammar import Grammar
from service.reflections.checkins import keep_reflection
from service.reflections.exercises import map_answer
from service.storage.models import InboundStatus, PairingState

TopicHandler = Callable[[Reply], Awaitable[Outcome]]
# What the free text of a reply answers, in the everyday flow: given the lines that say
# something, it acts and returns those it did not understand; or None when it read the
# whole text as its answer (a form), leaving nothing over.
FreeText = Callable[[Reply, list[str]], Awaitable[list[str] | None]]


async def _everyday(reply: Reply, free_text: FreeText | None = None) -> Outcome:
    """The flow of every everyday topic, on a reply read with the everyday grammar."""
    await confirm_asked(reply)
    helps = reply.read.named(grammar.HELP)
    if helps:
        await apply_commands(reply, helps)
        return await send_help(reply)
    await apply_commands(reply)
    reply.hold()
    free = reply.free_lines if free_text is None else await free_text(reply, reply.free_lines)
    if free is not None:
        reply.not_understood_lines(reply.read.unknown)
    if reply.agenda:
        added, not_added = await add_to_agenda(
            reply.connection,
            reply.pairing.id,
            reply.person.id,
            reply.agenda,
            reply.meeting_ref,
            reply.now,
        )
        reply.applied += added
        reply.not_understood += not_added
    elif free:
        await _free_lines(reply, free)
    return await answered(reply, f"{reply.about.topic.value} reply")


_RECORDS_ONLY = frozenset({"done", "task", "agenda", "agree", "set", "help", "share"})


async def _free_lines(reply: Reply, free: list[str]) -> None:
    """Lines that are no command and answer nothing asked: in a conversation the two share,
    passed on to the partner (with the questions asked about, which are theirs too); in a
    private one, said back with the closest commands."""
    if reply.private:
        reply.not_understood_lines(free)
        return
    # "Could we reschedule to Friday?" is asked of the partner too; "should I mark 2 done?"
    # is about our records alone.
    questions = [
        held.line
        for held in reply.held
        if "question" in held.why and not set(held.names) & _RECORDS_ONLY
    ]
    await pass_on(reply, [*free, *questions] if questions else free)


async def everyday(reply: Reply) -> Outcome:
    """A reply about the pairing's meetings and work in general."""
    reply.parse(Grammar.EVERYDAY)
    return await _everyday(reply)


async def agenda(reply: Reply) -> Outcome:
    """In answer to an agenda request, plain lines are topics too, in the order written."""
    read = reply.parse(Grammar.EVERYDAY)
    reply.read = read.free_lines_as(grammar.AGENDA, "text", lambda text: not small_talk(text))
    return await _everyday(reply)


async def _reflection(reply: Reply, free: list[str]) -> list[str]:
    if free:
        reply.applied.append(
            await keep_reflection(
                reply.connection,
                reply.outbox,
                reply.pairing,
                reply.person,
                reply.about.code,
                reply.own_words,
                share=reply.share,
                inbound_id=reply.row.id,
                now=reply.now,
            )
        )
    return []


async def reflection(reply: Reply) -> Outcome:
    """The after-meeting questions, the mentor's check-in, reflection and closure: the free
    text is the writer's reflection, kept sealed for them (shared on `share`)."""
    reply.parse(Grammar.EVERYDAY)
    return await _everyday(reply, _reflection)


async def _map(reply: Reply, free: list[str]) -> list[str] | None:
    # The mentoring map is a form ("Sponsorship: Dr. Lee"), kept sealed like a reflection,
    # and answered with the needs it leaves open.
    text = reply.parsed.visible_text
    reply.applied += map_answer(text)
    await keep_reflection(
        reply.connection,
        reply.outbox,
        reply.pairing,
        reply.person,
        reply.about.code,
        [text],
        share=False,
        inbound_id=reply.row.id,
        now=reply.now,
    )
    return None


async def mentoring_map(reply: Reply) -> Outcome:
    reply.parse(Grammar.EVERYDAY)
    return await _everyday(reply, _map)


async def _reevaluation(reply: Reply, free: list[str]) -> list[str]:
    said = await answer_reevaluation(
        reply.connection,
        reply.outbox,
        reply.pairing,
        reply.person,
        reevaluation_choice(reply.read.free_text),
        bool(reply.read.named(grammar.FREQUENCY)),
        reply.now,
    )
    if said is None:
        return free
    reply.applied.append(said)
    return [line for line in free if not says_choice(line)]


async def reevaluation(reply: Reply) -> Outcome:
    """keep, more often or less often, in answer to the re-evaluation."""
    reply.parse(Grammar.EVERYDAY)
    return await _everyday(reply, _reevaluation)


async def _proposal(reply: Reply, free: list[str]) -> list[str]:
    assert reply.about.ref is not None
    accepted = await answer_proposal(
        reply.connection,
        reply.outbox,
        reply.pairing,
        reply.person,
        reply.about.ref,
        reply.parsed.visible_text,
        reply.now,
    )
    if accepted is None:
        return free
    reply.record(*accepted)
    return [line for line in free if not ACCEPT.match(line.strip())]


async def proposal(reply: Reply) -> Outcome:
    """`accept` in answer to a new time the partner's calendar proposed."""
    reply.parse(Grammar.EVERYDAY)
    return await _everyday(reply, _proposal)


async def agreement(reply: Reply) -> Outcome:
    """The agreement form's lines and "I agree", while the pair is agreeing; an old thread
    used for everyday commands once it is signed."""
    if reply.pairing.state == PairingState.CLOSED:
        reply.notes.append(
            "This mentoring pair was closed by your program coordinator before it began, "
            "so nothing was changed. Please contact them with any question."
        )
        await understood(reply)
        return Outcome(
            InboundStatus.PROCESSED, "pairing closed before it started", about=reply.about
        )
    if reply.pairing.state != PairingState.AGREEING:
        read = reply.parse(Grammar.EVERYDAY)
        if any(c.syntax not in (grammar.HELP, grammar.FREQUENCY) for c in read.commands):
            return await _everyday(reply)
        # What may be written now is the everyday commands: the answer offers those, not
        # the form's lines it says are over.
        reply.grammar = Grammar.EVERYDAY
        reply.applied.append(
            "Your agreement is already signed by both of you; nothing was changed."
        )
        reply.hold()
        # The agreement's thread is over: nothing written here is passed on.
        reply.not_understood_lines(read.unknown + reply.free_lines)
        await understood(reply)
        return Outcome(
            InboundStatus.PROCESSED, "agreement already signed", reply.applied, about=reply.about
        )
    reply.parse(Grammar.AGREEMENT)
    await confirm_asked(reply)
    read = reply.read
    await apply_commands(reply, read.named(grammar.SET, grammar.AGREE))
    reply.hold()
    reply.not_understood_lines(read.unknown)
    version = reply.about.ref or reply.pairing.terms_version
    applied, problems = await answer_agreement(
        reply.connection,
        reply.outbox,
        reply.pairing,
        reply.person,
        reply.changes,
        reply.agrees,
        version,
        reply.now,
    )
    reply.applied += applied
    # "No change and no I agree" is ours to say, not a line of theirs; and only when the
    # reply held nothing else we answer.
    nothing = NOTHING_FOUND in problems
    reply.not_understood += [problem for problem in problems if problem != NOTHING_FOUND]
    await pass_on(reply, reply.free_lines)
    if nothing and not reply.held:
        reply.notes.append(NOTHING_FOUND)
    await understood(reply)
    return Outcome(InboundStatus.PROCESSED, "agreement reply", reply.applied, about=reply.about)


async def performance_form(reply: Reply) -> Outcome:
    """The mentor's summary form, or their answer to the draft: read whole, no commands."""
    assert reply.about.ref is not None
    reply.parse(Grammar.FORM)
    done, problems = await mentor_reply(
        reply.connection,
        reply.outbox,
        reply.pairing,
        reply.person,
        reply.about.ref,
        reply.parsed.visible_text,
        reply.now,
    )
    reply.applied += done
    reply.not_understood += problems
    return await _private_answer(reply)


async def performance_followup(reply: Reply) -> Outcome:
    """The mentee's confirmation or corrections of the follow-up; everyday commands apply
    (`done 4` for an action item)."""
    assert reply.about.ref is not None
    await _performance_commands(reply)
    reply.applied += await followup_reply(
        reply.connection,
        reply.outbox,
        reply.pairing,
        reply.person,
        reply.about.ref,
        "\n".join(reply.read.free_text),
        reply.row.id,
        reply.now,
    )
    return await _private_answer(reply)


async def performance_checkback(reply: Reply) -> Outcome:
    """Has it improved? The mentor's answer closes the conversation."""
    assert reply.about.ref is not None
    await _performance_commands(reply)
    reply.applied += await checkback_reply(
        reply.connection,
        reply.outbox,
        reply.pairing,
        reply.person,
        reply.about.ref,
        "\n".join(reply.read.free_text),
        reply.now,
    )
    return await _private_answer(reply)


async def _performance_commands(reply: Reply) -> None:
    """Everyday commands, but for `help`: its list would come without the conversation's
    own answer, which is what this reply is for."""
    read = reply.parse(Grammar.EVERYDAY)
    await apply_commands(reply, [c for c in read.commands if c.syntax is not grammar.HELP])
    reply.not_understood += [c.line for c in read.named(grammar.HELP)]


async def _private_answer(reply: Reply) -> Outcome:
    """Every word of a performance conversation stays between the two: the reply, its
    answer and the outcome's reason say no more than "private"."""
    if reply.applied or reply.not_understood:
        await understood(reply)
    return Outcome(InboundStatus.PROCESSED, "private reply", private=True, about=reply.about)


HANDLERS: dict[Topic, TopicHandler] = {
    Topic.GENERAL: everyday,
    Topic.PRIVATE: everyday,
    Topic.MEETING: everyday,
    Topic.PRIVATE_MEETING: everyday,
    Topic.TASK: everyday,
    Topic.PRIVATE_TASK: everyday,
    Topic.AGENDA: agenda,
    Topic.AFTER_MEETING: reflection,
    Topic.CHECKIN: reflection,
    Topic.MENTOR_REFLECTION: reflection,
    Topic.CLOSURE: reflection,
    Topic.MENTORING_MAP: mentoring_map,
    Topic.REEVALUATION: reevaluation,
    Topic.PROPOSAL: proposal,
    Topic.PRIVATE_PROPOSAL: proposal,
    Topic.AGREEMENT: agreement,
    Topic.PERFORMANCE_SUMMARY: performance_form,
    Topic.PERFORMANCE_DRAFT: performance_form,
    Topic.PERFORMANCE_FOLLOWUP: performance_followup,
    Topic.PERFORMANCE_CHECKBACK: performance_checkback,
}
