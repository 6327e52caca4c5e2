"""The guide's exercises: the mentee's mentoring map and the mentor's reflection.

Both are queued when the pairing becomes active: the mentor's reflection at once (it is
about the first meeting), the mentoring map a week later (once the mentee has met their
mentor), each a day or two later when that day already brings its reader other mail.
Answers are kept sealed like any reflection.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tortoise.backends.base.client import BaseDBAsyncClient

from service.mail import kinds
from service.mail.kinds import About, Topic
from service.outbox.pacing import Pacer
from service.outbox.writer import OutboxWriter
from service.program.guide import (
    MENTOR_REFLECTION,
    MENTORING_MAP,
    MENTORING_TEAM_ADVICE,
    read_mentoring_map,
)
from service.program.schedule import within_waking_hours
from service.storage.models import Pairing

if TYPE_CHECKING:
    from service.program.people import Cast

MAP_AFTER = timedelta(days=7)
# Neither is urgent: each waits this long at most for a day with less mail.
MAY_WAIT = timedelta(days=2)


async def queue_exercises(
    connection: BaseDBAsyncClient,
    outbox: OutboxWriter,
    pairing: Pairing,
    cast: Cast,
    first_meeting_label: str,
    now: datetime,
) -> None:
    mentor, mentee = cast.mentor, cast.mentee
    pacer = Pacer(connection, now)
    reflection_at = within_waking_hours(now, mentor.timezone)
    map_at = within_waking_hours(now + MAP_AFTER, mentee.timezone)
    await outbox.add(
        connection,
        kind=kinds.MENTOR_REFLECTION,
        dedupe_key=f"mentor_reflection:pairing:{pairing.id}",
        to=cast.reader(mentor),
        about=About(Topic.MENTOR_REFLECTION, pairing.id),
        now=now,
        not_before=await pacer.when(mentor, reflection_at, reflection_at + MAY_WAIT),
        context={
            "partner": {"name": mentee.name, "email": mentee.email},
            "first_meeting": first_meeting_label,
            "questions": list(MENTOR_REFLECTION),
        },
    )
    await outbox.add(
        connection,
        kind=kinds.MENTORING_MAP,
        dedupe_key=f"mentoring_map:pairing:{pairing.id}",
        to=cast.reader(mentee),
        about=About(Topic.MENTORING_MAP, pairing.id),
        now=now,
        not_before=await pacer.when(mentee, map_at, map_at + MAY_WAIT),
        context={
            "partner": {"name": mentor.name, "email": mentor.email},
            "categories": [{"name": name, "about": about} for name, about in MENTORING_MAP],
        },
    )


def map_answer(text: str) -> list[str]:
    """What to tell the mentee about their map: who covers what, and the unmet needs with
    the guide's advice on building a mentoring team."""
    filled = read_mentoring_map(text)
    said = [f"Your mentoring map: {name}: {who}." for name, who in filled.items()]
    unmet = [name for name, _ in MENTORING_MAP if name not in filled]
    if unmet:
        said.append("Not covered yet: " + ", ".join(unmet) + ".")
        said += list(MENTORING_TEAM_ADVICE)
    return said
