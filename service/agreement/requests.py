"""Asking both people to agree: the guide's agreement, pre-filled, as an email form."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from service.agreement.times import FormChange, Zones, change_line, form_rows, since_seen
from service.mail import kinds
from service.mail.kinds import About, Topic
from service.outbox.pacing import Pacer
from service.outbox.writer import OutboxWriter, Reader
from service.program.locales import zone_label
from service.program.people import who
from service.program.schedule import local_view, within_waking_hours
from service.program.terms import GROUND_RULES, WEEKDAYS, Terms, notice_label
from service.storage.models import OutboundMessage, OutboundStatus, Pairing, Person, Program

# How long a partner's change to the agreement may wait for its reader's quieter day.
FORM_MAY_WAIT = timedelta(hours=36)


def terms_context(terms: Terms, tzid: str, reader_tz: str, on: date) -> dict[str, Any]:
    """The terms for a template; `local` is the agreed time in the reader's own zone."""
    local = local_view(terms, tzid, reader_tz, on)
    return {
        "goals": list(terms.goals),
        "meeting_minutes": terms.meeting_minutes,
        "frequency_label": terms.frequency.label,
        "first_months": "4–6",
        "reevaluate_months": terms.reevaluate_months,
        "projected_months": terms.projected_months,
        "reschedule_notice": notice_label(terms.reschedule_notice_hours),
        "reschedule_channel": terms.reschedule_channel,
        "location": terms.location,
        "weekday_label": WEEKDAYS[terms.weekday].capitalize(),
        "time_label": terms.time_of_day.strftime("%H:%M"),
        "timezone": zone_label(tzid),
        "local": None if local is None else {**asdict(local), "zone": zone_label(local.tzid)},
    }


async def request_agreement(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    program: Program,
    mentor: Person,
    mentee: Person,
    now: datetime,
    *,
    only: Person | None = None,
    may_wait: bool = False,
    changed: tuple[str, list[FormChange]] | None = None,
) -> None:
    """Send the agreement form (of the current terms version) to both, or to `only`. A
    form still waiting to go is replaced by this newer one. `may_wait`: a partner's change,
    which waits for the next morning when the reader's day already brought them mail (a
    second change that day then replaces it: one form, not two, saying both). `changed`:
    who changed the terms and each change, said at the top instead of the welcome."""
    terms = Terms.from_json(pairing.terms)
    pacer = Pacer(connection, now)
    for person, role, partner, partner_role in (
        (mentor, "mentor", mentee, "mentee"),
        (mentee, "mentee", mentor, "mentor"),
    ):
        if only is not None and person.id != only.id:
            continue
        partner_agreed = (
            pairing.mentee_agreed_at if role == "mentor" else pairing.mentor_agreed_at
        ) is not None
        changes = changed[1] if changed else []
        if changed:
            # Changes whose form is still waiting never reached them: said with these.
            for row in await _waiting_forms(connection, pairing.id, person.id):
                changes = since_seen(row.gathered or [], changes)
        await drop_waiting_forms(connection, pairing.id, person.id)
        key = f"agreement_request:pairing:{pairing.id}:v{pairing.terms_version}:person:{person.id}"
        await outbox.add(
            connection,
            kind=kinds.AGREEMENT_REQUEST,
            dedupe_key=key,
            to=Reader.participant(person, role, program.name, pairing.id),
            # The version tells an answer to an older form from one to this.
            about=About(Topic.AGREEMENT, pairing.terms_version),
            now=now,
            not_before=await pacer.when(
                person, within_waking_hours(now, person.timezone), now + FORM_MAY_WAIT
            )
            if may_wait
            else now,
            context={
                "partner": who(partner, partner_role),
                "terms": terms_context(terms, mentor.timezone, person.timezone, pairing.start_date),
                "ground_rules": list(GROUND_RULES),
                "form": [
                    {"label": label, "value": value}
                    for label, value in form_rows(
                        terms,
                        Zones(
                            mentor.timezone, person.timezone, partner.timezone, pairing.start_date
                        ),
                    )
                ],
                "partner_agreed": partner_agreed,
                "changed_by": changed[0] if changed else None,
                "changes": [change_line(change) for change in changes],
            },
        )
        if changes:
            # Kept with the form while it waits, for a later change's form to say too.
            sent = OutboundMessage.filter(dedupe_key=key, status=OutboundStatus.PENDING)
            await sent.using_db(connection).update(gathered=[list(c) for c in changes])


async def _waiting_forms(
    connection: BaseDBAsyncClient, pairing_id: int, person_id: int
) -> list[OutboundMessage]:
    return await OutboundMessage.filter(
        pairing_id=pairing_id,
        person_id=person_id,
        kind=kinds.AGREEMENT_REQUEST.name,
        status=OutboundStatus.PENDING,
    ).using_db(connection)


async def drop_waiting_forms(
    connection: BaseDBAsyncClient, pairing_id: int, person_id: int | None = None
) -> None:
    """Forms of the pairing (to one person, or to both) that have not gone yet: a newer
    version, or the signed agreement, makes them moot, and nobody has read them."""
    waiting = OutboundMessage.filter(
        pairing_id=pairing_id, kind=kinds.AGREEMENT_REQUEST.name, status=OutboundStatus.PENDING
    )
    if person_id is not None:
        waiting = waiting.filter(person_id=person_id)
    await waiting.using_db(connection).delete()
