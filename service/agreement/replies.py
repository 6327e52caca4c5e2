"""An answer to the agreement form, applied: the terms stored, the partner asked again when
they changed, and the pairing activated once both have agreed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.agreement.activation import activate
from service.agreement.requests import request_agreement
from service.agreement.rules import Agreement, answer
from service.agreement.times import Zones, form_changes
from service.outbox.writer import OutboxWriter
from service.program.terms import Change, Terms
from service.storage.models import Pairing, Person, Program


async def answer_agreement(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    person: Person,
    changes: Sequence[Change],
    agrees: bool,
    answered_version: int,
    now: datetime,
) -> tuple[list[str], list[str]]:
    """Apply one person's answer while the pair is agreeing; returns (what was done, what
    could not be), in words for them."""
    role = "mentor" if person.id == pairing.mentor_id else "mentee"
    before = Agreement(
        Terms.from_json(pairing.terms),
        pairing.terms_version,
        pairing.mentor_agreed_at is not None,
        pairing.mentee_agreed_at is not None,
    )
    partner_id = pairing.mentee_id if role == "mentor" else pairing.mentor_id
    partner = await Person.get(id=partner_id, using_db=connection)
    mentor_zone = person.timezone if role == "mentor" else partner.timezone
    zones = Zones(mentor_zone, person.timezone, partner.timezone, pairing.start_date)
    answered = answer(before, role, changes, agrees, answered_version, zones)
    after = answered.agreement
    pairing.terms = after.terms.to_json()
    pairing.terms_version = after.version
    if not after.mentor_agreed:
        pairing.mentor_agreed_at = None
    if not after.mentee_agreed:
        pairing.mentee_agreed_at = None
    if answered.agreed:
        if role == "mentor":
            pairing.mentor_agreed_at = now
        else:
            pairing.mentee_agreed_at = now
    pairing.updated_at = now
    await pairing.save(using_db=connection)
    applied = list(answered.applied)
    if after.signed:
        await activate(connection, outbox, pairing, now, writer=person)
        applied.append(
            f"You have both agreed: the signed agreement and the first meeting's "
            f"invitation are on their way to you and {partner.name}."
        )
        return applied, answered.problems
    program = await Program.get(id=pairing.program_id, using_db=connection)
    mentor, mentee = (person, partner) if role == "mentor" else (partner, person)
    if answered.changed:
        # The partner reads what changed, and who changed it, in their own zone.
        theirs = Zones(mentor_zone, partner.timezone, person.timezone, pairing.start_date)
        await request_agreement(
            connection,
            outbox,
            pairing,
            program,
            mentor,
            mentee,
            now,
            only=partner,
            may_wait=True,
            changed=(person.name, form_changes(before.terms, after.terms, theirs)),
        )
        applied.append(f"{partner.name} has been sent the changed agreement to agree to.")
    if answered.outdated:
        # Show them the form as it stands now, their own changes included.
        await request_agreement(
            connection, outbox, pairing, program, mentor, mentee, now, only=person
        )
    if answered.agreed:
        applied.append(f"Waiting for {partner.name} to agree.")
    return applied, answered.problems
