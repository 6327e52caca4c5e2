"""The agreed re-evaluation: both asked whether to keep, increase or decrease the frequency,
and their answer re-plans the cadence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.app import AppContext
from service.mail import kinds
from service.mail.kinds import About, Topic
from service.meetings.cadence import add_months, faster, slower
from service.meetings.replan import change_frequency
from service.outbox.writer import OutboxWriter
from service.program.grammar import Grammar, help_text
from service.program.people import Cast
from service.program.schedule import local_today, within_waking_hours
from service.program.terms import Terms
from service.storage.db import transaction
from service.storage.models import Meeting, Pairing, PairingState, Person

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


async def plan_reevaluations(app: AppContext) -> int:
    """At the agreed point, ask both whether to keep, increase or decrease the frequency."""
    now = app.clock.now()
    outbox = OutboxWriter(app.settings, app.secret)
    queued = 0
    due = await Pairing.filter(state=PairingState.ACTIVE, reevaluate_at__lte=now).values_list(
        "id", flat=True
    )
    for pairing_id in due:
        async with transaction() as connection:
            pairing = await (
                Pairing.filter(id=pairing_id, state=PairingState.ACTIVE, reevaluate_at__lte=now)
                .select_for_update()
                .using_db(connection)
                .first()
            )
            if pairing is None or pairing.signed_at is None:
                continue
            terms = Terms.from_json(pairing.terms)
            point = add_months(pairing.signed_at, terms.reevaluate_months)
            if point > now:  # the agreed point moved later: look again then
                pairing.reevaluate_at = point
                await pairing.save(using_db=connection, update_fields=["reevaluate_at"])
                continue
            pairing.state = PairingState.REEVALUATING
            pairing.reevaluate_at = None
            pairing.updated_at = now
            await pairing.save(using_db=connection)
            cast = await Cast.load(connection, pairing)
            held = (
                await Meeting.filter(
                    pairing_id=pairing.id, cancelled=False, private=False, ends_at__lt=now
                )
                .using_db(connection)
                .count()
            )
            for person, role, partner, _ in cast.sides():
                queued += await outbox.add(
                    connection,
                    kind=kinds.REEVALUATION,
                    dedupe_key=f"reevaluation:pairing:{pairing.id}:person:{person.id}",
                    to=cast.reader(person),
                    about=About(Topic.REEVALUATION, pairing.id),
                    now=now,
                    not_before=within_waking_hours(now, person.timezone),
                    context={
                        "partner": {"name": partner.name, "email": partner.email},
                        "months": terms.reevaluate_months,
                        "frequency": terms.frequency.label,
                        "held": held,
                        "goals": list(terms.goals),
                        "help_text": help_text(
                            Grammar.EVERYDAY,
                            role,
                            today=local_today(
                                within_waking_hours(now, person.timezone), person.timezone
                            ),
                        ),
                    },
                )
    app.count("reevaluations_queued", queued)
    return queued


def reevaluation_choice(lines: Sequence[str]) -> str | None:
    """keep, faster or slower: the first line that says one of them."""
    return next(
        (
            _REEVAL_WORDS[w]
            for w in (line.lower().strip(" .!") for line in lines)
            if w in _REEVAL_WORDS
        ),
        None,
    )


def says_choice(line: str) -> bool:
    return line.lower().strip(" .!") in _REEVAL_WORDS


async def answer_reevaluation(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    person: Person,
    choice: str | None,
    frequency_written: bool,
    now: datetime,
) -> str | None:
    """keep / more often / less often (or a `frequency:` line) in answer to the
    re-evaluation: it ends. Returns what was done, in words, when the choice says it."""
    if choice is None and not frequency_written:
        return None
    pairing.state = PairingState.ACTIVE
    pairing.reevaluated_at = now
    await pairing.save(using_db=connection)
    if choice is None:
        return None  # the frequency: line says what happened
    current = Terms.from_json(pairing.terms).frequency
    new = {"keep": current, "faster": faster(current), "slower": slower(current)}[choice]
    return await change_frequency(connection, outbox, pairing, person, new, now)
