"""The planning tick: next meetings issued, and the prompts around them queued, once each."""

from __future__ import annotations

import logging
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.app import AppContext
from service.meetings.cadence import (
    add_months,
    local_day,
    meeting_slot,
    next_planning_at,
    numbers_to_plan,
)
from service.meetings.invitations import add_meeting
from service.outbox.pacing import Pacer
from service.outbox.writer import OutboxWriter, Prepared
from service.program.people import Cast
from service.program.terms import Terms
from service.storage import statements
from service.storage.db import transaction
from service.storage.models import (
    Meeting,
    Pairing,
    PairingState,
)

log = logging.getLogger(__name__)
# Meetings go on while the pair re-evaluates how often to meet.
MEETING_STATES = (PairingState.ACTIVE, PairingState.REEVALUATING)
# The last meeting of a pairing that is phasing out still has its agenda and follow-up.
PROMPT_STATES = (*MEETING_STATES, PairingState.CLOSING)
HORIZON = 2  # meetings issued ahead: each its own event, so each can carry its own agenda
# Due pairings and meetings are handled this many to a transaction: what a chunk needs is
# read in one query a table, and its emails are stored in one statement.
PLAN_CHUNK = 50


def projected_end(signed_at: datetime, months: int) -> datetime:
    return add_months(signed_at, months)


async def plan_meetings(app: AppContext) -> int:
    """Issue the meetings that should now lie within each due pairing's horizon.

    Only pairings whose `plan_at` has come are read, so a tick costs what is due, not what
    the program holds. They are planned a chunk at a time under row locks (another worker
    skips locked rows and takes the next chunk), each next `plan_at` set in the same
    transaction, and a chunk's invitations stored in one statement.
    """
    now = app.clock.now()
    outbox = OutboxWriter(app.settings, app.secret)
    issued = 0
    # Sorted here, not by the database: asked for them in id order, SQLite reads the whole
    # table in that order rather than the few due through the plan_at index.
    due = sorted(
        p.id for p in await Pairing.filter(state__in=MEETING_STATES, plan_at__lte=now).only("id")
    )
    for start in range(0, len(due), PLAN_CHUNK):
        async with transaction() as connection:
            issued += await _plan_chunk(connection, outbox, due[start : start + PLAN_CHUNK], now)
    if issued:
        log.info("planning issued %d meeting(s)", issued)
    app.count("meetings_issued", issued)
    return issued


async def _plan_chunk(
    connection: BaseDBAsyncClient, outbox: OutboxWriter, ids: list[int], now: datetime
) -> int:
    locked = await (
        Pairing.filter(id__in=ids, state__in=MEETING_STATES, plan_at__lte=now)
        .select_for_update(skip_locked=True)
        .only("id")
        .using_db(connection)
    )
    if not locked:
        return 0  # planned by another worker meanwhile
    pairings = await statements.pairings_with_cast(connection, [p.id for p in locked])
    # The meetings' numbers and the first one's time, not whole rows: a weekly pairing a
    # year in has over fifty meetings, and planning needs only which numbers exist.
    ids = [pairing.id for pairing in pairings]
    numbers: dict[int, set[int]] = {pairing_id: set() for pairing_id in ids}
    for pairing_id, number in await (
        Meeting.filter(pairing_id__in=ids).using_db(connection).values_list("pairing_id", "number")
    ):
        numbers[pairing_id].add(number)
    firsts = {
        pairing_id: (starts_at, tzid)
        for pairing_id, starts_at, tzid in await Meeting.filter(pairing_id__in=ids, number=1)
        .using_db(connection)
        .values_list("pairing_id", "starts_at", "tzid")
    }
    invitations: list[Prepared] = []
    planned: list[Pairing] = []
    issued = 0
    pacer = Pacer(connection, now)
    await pacer.preload([p for pairing in pairings for p in (pairing.mentor, pairing.mentee)])
    for pairing in pairings:
        cast = Cast(pairing.id, pairing.program, pairing.mentor, pairing.mentee)
        count = await _plan_pairing(
            connection,
            outbox,
            pairing,
            cast,
            (firsts.get(pairing.id), numbers[pairing.id]),
            now,
            (invitations, pacer),
        )
        if count is not None:
            issued += count
            planned.append(pairing)
    await outbox.add_many(connection, invitations)
    if planned:
        await Pairing.bulk_update(planned, fields=["plan_at"], using_db=connection)
    return issued


async def _plan_pairing(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    cast: Cast,
    meetings: tuple[tuple[datetime, str] | None, set[int]],
    now: datetime,
    batch: tuple[list[Prepared], Pacer],
) -> int | None:
    """Meetings issued, their invitations prepared into the batch's list (its pacer counting
    them), `plan_at` set on the object for the caller to store; None when the pairing
    reached its projected end instead (phasing out takes it from there, and it stays due
    until then).
    `meetings`: the first meeting's start and zone, and the numbers already issued."""
    first, numbers = meetings
    if first is None or pairing.signed_at is None:
        pairing.plan_at = None  # nothing to plan from; activation sets it again
        return 0
    terms = Terms.from_json(pairing.terms)
    end = projected_end(pairing.signed_at, terms.projected_months)
    if now >= end:
        return None
    first_start, tzid = first
    anchor_day = pairing.anchor_day or local_day(first_start, tzid)
    wanted = numbers_to_plan(
        terms,
        tzid,
        anchor_day,
        numbers,
        now,
        horizon=HORIZON,
        until=end,
        first_number=pairing.anchor_number,
    )
    for number in wanted:
        slot = meeting_slot(terms, tzid, anchor_day, number, pairing.anchor_number)
        await add_meeting(
            connection, outbox, pairing, cast, number, slot, now, later=batch[0], pacer=batch[1]
        )
    pairing.plan_at = next_planning_at(
        terms, tzid, anchor_day, now, until=end, first_number=pairing.anchor_number
    )
    return len(wanted)
