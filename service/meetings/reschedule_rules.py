"""Moving a meeting: the new time read from a reply, and whether the move can be made."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from service.program.schedule import local_instant
from service.program.when import ask, example_when, read_when

MAX_AHEAD = timedelta(days=120)


@dataclass(frozen=True)
class NewTime:
    start: datetime | None  # UTC
    problem: str | None = None


def read_new_time(
    text: str, now: datetime, tzid: str, keep: time, command: str = "reschedule: "
) -> NewTime:
    """`Dec 9 3pm`, `Thursday at 10`, `tomorrow at noon` in the writer's own zone.

    A day without a time (`Dec 9`) keeps the meeting's time of day, `keep`, in that zone.
    Words that leave the day open ("3/1", "Tue Dec 9" when the 9th is a Wednesday) are asked
    about: the problem offers each reading as a `command` line to send back.
    """
    local_now = now.astimezone(ZoneInfo(tzid))
    written = read_when(text, local_now)
    if written.asks:
        return NewTime(None, ask(written, command, tzid))
    if written.problem is not None:
        return NewTime(None, written.problem)
    if written.day is None or written.span not in ("time", "day"):
        example = f"{command}{example_when(local_now.date(), '3pm')}"
        return NewTime(None, f"give a day and a time, as in '{example}'")
    return NewTime(local_instant(written.day, written.at if written.at is not None else keep, tzid))


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
