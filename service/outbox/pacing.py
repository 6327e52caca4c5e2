"""Spreading a person's mail that can wait over their quieter days, as the outbox holds it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient

from service.outbox.pacing_rules import day_span, local_day, paced
from service.storage.models import OutboundMessage, OutboundStatus, Person


class Pacer:
    """Chooses when mail that can wait goes, inside the caller's transaction: it reads each
    person's queued and sent mail once, and counts what it places itself, so a batch of
    prepared emails is spread as if each had been stored before the next."""

    def __init__(self, connection: BaseDBAsyncClient, now: datetime) -> None:
        self.connection = connection
        # From a day before, whatever the zone: each person's local day of `now` is whole.
        self.since = now - timedelta(days=1)
        self._counts: dict[int, Counter[date]] = {}

    async def when(self, person: Person, wanted: datetime, until: datetime) -> datetime:
        """The moment an email to `person` that could go at `wanted` goes, waiting for a
        quieter day of theirs no later than `until`."""
        counts = await self._load(person)
        at = paced(wanted, until, person.timezone, counts)
        counts[local_day(at, person.timezone)] += 1
        return at

    async def note(self, person: Person, at: datetime) -> None:
        """An email that cannot wait, placed in this batch but not stored yet."""
        counts = await self._load(person)
        counts[local_day(at, person.timezone)] += 1

    async def preload(self, people: Sequence[Person]) -> None:
        """Read the mail of many people at once (one query, not one each)."""
        missing = {person.id: person for person in people if person.id not in self._counts}
        if not missing:
            return
        for person in missing.values():
            self._counts[person.id] = Counter()
        # Read through the index on (status, not_before): the recent and the queued.
        rows = await (
            OutboundMessage.filter(
                status__in=(OutboundStatus.PENDING, OutboundStatus.SENT),
                not_before__gte=self.since,
                person_id__in=list(missing),
            )
            .using_db(self.connection)
            .values_list("person_id", "not_before")
        )
        for person_id, at in rows:
            person = missing[int(person_id)]
            self._counts[person.id][local_day(at, person.timezone)] += 1

    async def _load(self, person: Person) -> Counter[date]:
        await self.preload([person])
        return self._counts[person.id]


async def mail_of_day(connection: BaseDBAsyncClient, person: Person, now: datetime) -> int:
    """How many emails the person's own day of `now` brings them: sent, or going later that
    day (those queued in the caller's transaction too)."""
    start, end = day_span(local_day(now, person.timezone), person.timezone)
    return await (
        OutboundMessage.filter(
            status__in=(OutboundStatus.PENDING, OutboundStatus.SENT),
            person_id=person.id,
            not_before__gte=start,
            not_before__lt=end,
        )
        .using_db(connection)
        .count()
    )
