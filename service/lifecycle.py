"""Where a pairing's life moves on by itself: the hooks the planning tick calls."""

from __future__ import annotations

import logging
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.models import Pairing, PairingState

log = logging.getLogger(__name__)


async def projected_end_reached(
    connection: BaseDBAsyncClient, pairing: Pairing, now: datetime
) -> None:
    """The agreed length is over: the pairing starts phasing out.

    No meeting is planned past the projected end; the pairing moves to `closing`, which
    stops the cadence's prompts. This is where the phasing-out flow (the guide's closure
    questions, a final reflection, the coordinator told that the pairing closed) begins.
    """
    pairing.state = PairingState.CLOSING
    pairing.plan_at = None
    pairing.updated_at = now
    await pairing.save(using_db=connection, update_fields=["state", "plan_at", "updated_at"])
    log.info("pairing %s reached its projected end: closing", pairing.id)
