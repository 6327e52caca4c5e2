"""Addresses that do not take mail: scoring bounces, stopping mail, starting it again."""

from __future__ import annotations

import logging
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.mail.reading.bounces import Bounce
from service.outbox.bounce_score import BounceScore, scored
from service.storage.models import Person

log = logging.getLogger(__name__)

NOT_SENT = "not sent: the address was disabled after repeated bounces"


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
            disabled.append(person.id)
            log.warning("person %s: mail stopped after repeated bounces", person.id)
        await person.save(
            using_db=connection,
            update_fields=["bounce_score", "bounce_scored_on", "mail_disabled_at"],
        )
    return disabled


async def heard_from(connection: BaseDBAsyncClient, person: Person) -> None:
    """A person who writes to us again has a working address: start sending again."""
    if person.mail_disabled_at is None and not person.bounce_score:
        return
    if person.mail_disabled_at is not None:
        log.info("person %s wrote again: mail resumes", person.id)
    person.mail_disabled_at = None
    person.bounce_score = 0
    person.bounce_scored_on = None
    await person.save(
        using_db=connection,
        update_fields=["bounce_score", "bounce_scored_on", "mail_disabled_at"],
    )
