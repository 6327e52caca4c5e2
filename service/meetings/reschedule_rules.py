"""Moving a meeting: the new time read from a reply, and whether the move can be made."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateparser.date import DateDataParser

from service.program.schedule import local_instant

MAX_AHEAD = timedelta(days=120)
EXAMPLE = "reschedule: Tue Dec 9 3pm"
# "Thursday at 10" means 10:00; the parser would read the 10 as a day of the month.
_BARE_HOUR = re.compile(r"\bat (\d{1,2})(?![\d:.]|\s*[ap]\.?m)", re.IGNORECASE)


@dataclass(frozen=True)
class NewTime:
    start: datetime | None  # UTC
    problem: str | None = None


def read_new_time(text: str, now: datetime, tzid: str, keep: time) -> NewTime:
    """`Tue Dec 9 3pm`, `Thursday at 10`, `tomorrow at noon` in the writer's own zone.

    A day without a time (`Dec 9`) keeps the meeting's time of day, `keep`, in that zone.
    """
    local_now = now.astimezone(ZoneInfo(tzid)).replace(tzinfo=None)
    parser = DateDataParser(
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": local_now,
            "DATE_ORDER": "MDY",
            "RETURN_TIME_AS_PERIOD": True,
        },
    )
    data = parser.get_date_data(_BARE_HOUR.sub(r"at \1:00", text.strip()))
    if data.date_obj is None or data.period not in ("time", "day"):
        return NewTime(None, f"give a day and a time, as in '{EXAMPLE}'")
    day = data.date_obj.date()
    at = data.date_obj.time().replace(second=0, microsecond=0) if data.period == "time" else keep
    return NewTime(local_instant(day, at, tzid))


@dataclass(frozen=True)
class MoveCheck:
    problem: str | None
    late: bool  # inside the agreed notice: made, with a word to talk to the partner


def check_move(
    start: datetime,
    *,
    old_start: datetime,
    now: datetime,
    following: datetime | None,
    notice_hours: int,
) -> MoveCheck:
    """Whether a meeting now at `old_start` may move to `start`."""
    late = old_start - now < timedelta(hours=notice_hours)
    if start == old_start:
        return MoveCheck("the meeting is already at that time", late)
    if start <= now:
        return MoveCheck("that time has already passed", late)
    if start > now + MAX_AHEAD:
        return MoveCheck("that is more than four months ahead", late)
    if following is not None and start >= following:
        return MoveCheck("that is not before the following meeting", late)
    return MoveCheck(None, late)
