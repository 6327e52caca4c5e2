"""The planning tick: keep every active pairing's next meetings issued, exactly once."""

from __future__ import annotations

import calendar
import logging
from datetime import UTC, datetime

from service.app import AppContext
from service.db import transaction
from service.domain.agreement import Terms
from service.domain.cadence import local_day, meeting_slot, numbers_to_plan
from service.models import Meeting, Pairing, PairingState
from service.outbox import OutboxWriter
from service.pairings import Cast, add_meeting

log = logging.getLogger(__name__)
HORIZON = 2  # meetings issued ahead: each its own event, so each can carry its own agenda


def projected_end(signed_at: datetime, months: int) -> datetime:
    index = signed_at.year * 12 + signed_at.month - 1 + months
    year, month = index // 12, index % 12 + 1
    day = min(signed_at.day, calendar.monthrange(year, month)[1])
    return datetime(year, month, day, tzinfo=UTC)


async def plan_meetings(app: AppContext) -> int:
    """Issue the meetings that should now lie within each active pairing's horizon."""
    now = app.clock.now()
    outbox = OutboxWriter(app.settings, app.secret)
    issued = 0
    pairing_ids = await Pairing.filter(state=PairingState.ACTIVE).values_list("id", flat=True)
    for pairing_id in pairing_ids:
        async with transaction() as connection:
            # The row lock makes two workers planning at once wait for each other.
            pairing = (
                await Pairing.filter(id=pairing_id, state=PairingState.ACTIVE)
                .select_for_update()
                .using_db(connection)
                .first()
            )
            if pairing is None or pairing.signed_at is None:
                continue
            meetings = await Meeting.filter(pairing_id=pairing.id).using_db(connection)
            first = next((m for m in meetings if m.number == 1), None)
            if first is None:
                continue
            terms = Terms.from_json(pairing.terms)
            first_day = local_day(first.starts_at, first.tzid)
            until = projected_end(pairing.signed_at, terms.projected_months)
            wanted = numbers_to_plan(
                terms,
                first.tzid,
                first_day,
                {m.number for m in meetings},
                now,
                horizon=HORIZON,
                until=until,
            )
            if not wanted:
                continue
            cast = await Cast.load(connection, pairing)
            for number in wanted:
                slot = meeting_slot(terms, first.tzid, first_day, number)
                await add_meeting(connection, outbox, pairing, cast, number, slot, now)
                issued += 1
    if issued:
        log.info("planning issued %d meeting(s)", issued)
    app.count("meetings_issued", issued)
    return issued
