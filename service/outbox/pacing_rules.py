"""How much mail one person gets in a day: mail that can wait goes on a quieter day."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# The most emails anyone should get from us in one of their days.
DAILY_LIMIT = 3
# Mail that can wait takes a day holding fewer than this: a day that already brings
# something leaves its room to what cannot wait (an answer to their reply, a moved meeting).
ROOM_FOR_WAITING = 1
# A day's mail that waited goes out at this local hour.
MORNING = time(8, 0)


def local_day(when: datetime, tzid: str) -> date:
    return when.astimezone(ZoneInfo(tzid)).date()


def day_span(day: date, tzid: str) -> tuple[datetime, datetime]:
    """When the reader's own `day` begins and when the next one does, in UTC: compared with
    stored instants, which SQLite compares as the text it keeps."""
    zone = ZoneInfo(tzid)
    start = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    return start, end


def paced(wanted: datetime, until: datetime, tzid: str, counts: Mapping[date, int]) -> datetime:
    """When an email that could go at `wanted`, and may wait until `until`, goes: at
    `wanted` when that day of the reader's (`tzid`) holds fewer than ROOM_FOR_WAITING
    emails (`counts`, by local day), else the next morning of a day that does. When no day
    up to `until` has room, the quietest of them, the earliest on a tie."""
    zone = ZoneInfo(tzid)
    best: tuple[int, datetime] | None = None
    at = wanted
    while at <= until:
        held = counts.get(local_day(at, tzid), 0)
        if held < ROOM_FOR_WAITING:
            return at
        if best is None or held < best[0]:
            best = (held, at)
        following = at.astimezone(zone).date() + timedelta(days=1)
        at = datetime.combine(following, MORNING, tzinfo=zone).astimezone(wanted.tzinfo)
    return wanted if best is None else best[1]
