"""Topics for a meeting, as the participants send them in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.storage import statements

MAX_AGENDA_ITEMS = 20


async def add_to_agenda(
    connection: BaseDBAsyncClient,
    pairing_id: int,
    author_id: int,
    texts: Sequence[str],
    meeting_id: int | None,
    now: datetime,
) -> tuple[list[str], list[str]]:
    """Add topics, in the order written, to the meeting the email was about while it is
    ahead, else to the next one; returns (what was done, what could not be), in words."""
    meeting = await statements.upcoming_meeting(connection, pairing_id, now, meeting_id)
    if meeting is None:
        return (
            ["There is no upcoming meeting to add these topics to."],
            [f"agenda: {text}" for text in texts],
        )
    kept = [" ".join(text.split())[:500] for text in texts[:MAX_AGENDA_ITEMS]]
    await statements.add_agenda_items(connection, meeting.id, author_id, kept, now)
    return [f"Added to the agenda of meeting {meeting.number}: {text}" for text in kept], []
