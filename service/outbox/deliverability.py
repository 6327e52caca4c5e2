"""Addresses that do not take mail: scoring bounces, a spam complaint, stopping mail,
starting it again."""

from __future__ import annotations

import logging
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.mail.reading.bounces import Bounce
from service.outbox.bounce_score import BounceScore, scored
from service.storage.models import MailStopped, Person

log = logging.getLogger(__name__)

NOT_SENT = "not sent: mail to the address has stopped (repeated bounces or a spam complaint)"
# The same, as rows failed before complaints stopped mail too say it.
NOT_SENTS = (NOT_SENT, "not sent: the address was disabled after repeated bounces")
_FIELDS = ["bounce_score", "bounce_scored_on", "mail_disabled_at", "mail_stopped"]


async def apply_bounce(
    connection: BaseDBAsyncClient, bounce: Bounce, now: datetime, threshold: float
) -> list[int]:
    """Score each participant the bounce names; returns the ids of people disabled now."""
    disabled: list[int] = []
    for recipient in bounce.recipients:
        person = (
            await Person.filter(email=recipient.address)
            .select_for_update()
            .using_db(connection)
            .first()
        )
        if person is None:
            continue
        before = BounceScore(
            person.bounce_score, person.bounce_scored_on, person.mail_disabled_at is not None
        )
        after = scored(before, permanent=recipient.permanent, today=now.date(), threshold=threshold)
        if after == before:
            continue
        person.bounce_score = after.score
        person.bounce_scored_on = after.scored_on
        if after.disabled and not before.disabled:
            person.mail_disabled_at = now
            person.mail_stopped = MailStopped.BOUNCES
            disabled.append(person.id)
            log.warning("person %s: mail stopped after repeated bounces", person.id)
        await person.save(using_db=connection, update_fields=_FIELDS)
    return disabled


async def apply_complaint(connection: BaseDBAsyncClient, person: Person, now: datetime) -> bool:
    """A believed spam complaint: no more mail to the person, at once (no score: whoever
    marks our mail as spam must not get more of it). False when it had stopped already."""
    if person.mail_stopped == MailStopped.COMPLAINT:
        return False
    person.mail_disabled_at = person.mail_disabled_at or now
    person.mail_stopped = MailStopped.COMPLAINT
    log.warning("person %s: mail stopped after a spam complaint", person.id)
    await person.save(using_db=connection, update_fields=_FIELDS)
    return True


async def heard_from(connection: BaseDBAsyncClient, person: Person, *, answered: bool) -> None:
    """A person who writes to us again has a working address: start sending again.

    `answered`: the mail answered one of ours (its signed address or our keyed thread). A
    complaint is undone only so, by the person choosing to answer us; a new email whose
    From names them, which anybody can write, starts again only mail stopped by bounces.
    """
    if person.mail_disabled_at is None and not person.bounce_score:
        return
    if person.mail_stopped == MailStopped.COMPLAINT and not answered:
        return
    if person.mail_disabled_at is not None:
        log.info("person %s wrote again: mail resumes", person.id)
    # (The field's type does not say it may be None: the ORM's own setter takes it.)
    person.update_from_dict(
        {
            "mail_disabled_at": None,
            "mail_stopped": None,
            "bounce_score": 0,
            "bounce_scored_on": None,
        }
    )
    await person.save(using_db=connection, update_fields=_FIELDS)
