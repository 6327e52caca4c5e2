"""Asking both people to agree: the guide's agreement, pre-filled, as an email form."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from service.agreement.times import Zones, form_rows
from service.mail import kinds
from service.mail.kinds import About, Topic
from service.outbox.writer import OutboxWriter, Reader
from service.program.locales import zone_label
from service.program.people import who
from service.program.schedule import local_view
from service.program.terms import GROUND_RULES, WEEKDAYS, Terms, notice_label
from service.storage.models import Pairing, Person, Program


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
) -> None:
    """Send the agreement form (of the current terms version) to both, or to `only`."""
    terms = Terms.from_json(pairing.terms)
    for person, role, partner, partner_role in (
        (mentor, "mentor", mentee, "mentee"),
        (mentee, "mentee", mentor, "mentor"),
    ):
        if only is not None and person.id != only.id:
            continue
        partner_agreed = (
            pairing.mentee_agreed_at if role == "mentor" else pairing.mentor_agreed_at
        ) is not None
        await outbox.add(
            connection,
            kind=kinds.AGREEMENT_REQUEST,
            dedupe_key=f"agreement_request:pairing:{pairing.id}:v{pairing.terms_version}"
            f":person:{person.id}",
            to=Reader.participant(person, role, program.name, pairing.id),
            # The version tells an answer to an older form from one to this.
            about=About(Topic.AGREEMENT, pairing.terms_version),
            now=now,
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
            },
        )
