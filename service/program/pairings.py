"""Every pairing (of one program, when given), in order of number, a chunk at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator

from service.storage.models import Pairing

# Pairings read at a time when a whole program is walked: a statement then names at most
# this many (a database takes some 32,000 values a statement, a program may have 100,000
# pairings), and memory holds no more.
CHUNK = 1000


async def pairings_by_number(
    program_id: int | None = None, *related: str
) -> AsyncIterator[list[Pairing]]:
    """Every pairing (of one program, when given) in order of number, CHUNK at a time,
    with the `related` rows read alongside."""
    after = 0
    while True:
        query = Pairing.filter(id__gt=after)
        if program_id is not None:
            query = query.filter(program_id=program_id)
        chunk = await query.order_by("id").limit(CHUNK).select_related(*related)
        if not chunk:
            return
        yield chunk
        after = chunk[-1].id
