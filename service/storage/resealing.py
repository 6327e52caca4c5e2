"""Everything sealed, sealed again under the current secret: the second half of a rotation.

Run after the workers were started with the new MENTORMAIL_SECRET and the old one in
MENTORMAIL_OLD_SECRETS. A row is written back only if it still holds what was read, so a
worker that changed it meanwhile (under the new secret) is never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.models import Model

from service.storage.db import transaction
from service.storage.models import (
    InboundMessage,
    OutboundMessage,
    PerformanceConversation,
    Reflection,
    Task,
)
from service.storage.sealing import MAIL, PERFORMANCE, REFLECTION, TASK, reseal

# Rows read at once: mail is among them, and a message may be large.
CHUNK = 200


@dataclass(frozen=True)
class Sealed:
    """Where sealed values are kept: a table's column, for which purpose, in which rows."""

    name: str
    model: type[Model]
    column: str
    purpose: str
    rows: dict[str, Any]


SEALED = (
    Sealed("reflections", Reflection, "sealed", REFLECTION, {}),
    Sealed("performance conversations", PerformanceConversation, "sealed", PERFORMANCE, {}),
    Sealed("private action items", Task, "sealed", TASK, {}),
    Sealed("private mail sent", OutboundMessage, "raw_bytes", MAIL, {"sealed": True}),
    Sealed("private mail received", InboundMessage, "raw_bytes", MAIL, {"sealed": True}),
)


@dataclass
class Resealed:
    """What became of one kind of sealed value."""

    resealed: int = 0
    # Opened with none of the keys: left as it was (its secret is not listed).
    unreadable: int = 0
    # Changed by a worker between reading and writing: it sealed it under the current secret.
    changed: int = 0


async def reseal_all(secret: bytes) -> dict[str, Resealed]:
    """Seal every sealed value again under `secret`'s current key, by kind."""
    return {place.name: await _reseal_place(secret, place) for place in SEALED}


async def _reseal_place(secret: bytes, place: Sealed) -> Resealed:
    done = Resealed()
    after = 0
    while True:
        rows = await (
            place.model.filter(id__gt=after, **{f"{place.column}__isnull": False}, **place.rows)
            .order_by("id")
            .limit(CHUNK)
            .values_list("id", place.column)
        )
        if not rows:
            return done
        async with transaction() as connection:
            for row_id, value in rows:
                sealed = bytes(value)
                try:
                    again = reseal(secret, sealed, place.purpose)
                except ValueError:
                    done.unreadable += 1
                    continue
                written = (
                    await place.model.filter(id=row_id, **{place.column: sealed})
                    .using_db(connection)
                    .update(**{place.column: again})
                )
                if written:
                    done.resealed += 1
                else:
                    done.changed += 1
        after = rows[-1][0]
