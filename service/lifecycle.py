"""Where a pairing's life moves on by itself: the hooks the planning tick calls."""

from __future__ import annotations

import logging
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.closing import begin_phase_out
from service.models import Pairing
from service.outbox import OutboxWriter

log = logging.getLogger(__name__)


async def projected_end_reached(
    connection: BaseDBAsyncClient, outbox: OutboxWriter, pairing: Pairing, now: datetime
) -> None:
    """The agreed length is over: the pairing starts phasing out.

    No meeting is planned past the projected end; the phasing-out flow sets up a last
    meeting, sends both the guide's closure questions and closes the pairing after it.
    """
    log.info("pairing %s reached its projected end", pairing.id)
    await begin_phase_out(connection, outbox, pairing, now, path="projected_end")
