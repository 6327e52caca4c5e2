"""What to send around each meeting, and when: the guide's before- and after-meeting steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from service.program.terms import Frequency

AGENDA_REQUEST_BEFORE = timedelta(days=5)
AGENDA_BEFORE = timedelta(days=1)
AFTER_MEETING_DELAY = timedelta(hours=2)
QUARTER = timedelta(days=91)
# A prompt that could not go out in time is dropped rather than sent when it no longer helps.
STALE_AFTER = timedelta(days=3)
# A prompt that may wait for its reader's quieter day goes this long before it goes stale.
PROMPT_MARGIN = timedelta(days=1)


# The mentee's questions around meetings, whose silence is counted (as the digest counts
# it; the mentor's check-in is for reflection, answered or not): after BACK_OFF_AFTER of
# them in a row go unanswered, the next one asks whether they still want them, and the
# ones after it are held until the mentee writes again.
ASKING_KINDS = ("agenda_request", "after_meeting")
BACK_OFF_AFTER = 3


def backing_off(unanswered: int) -> Literal["send", "ask", "hold"]:
    """What the next question does for someone who left the last `unanswered` in a row
    unanswered: goes as usual, goes asking whether they still want these, or is held (the
    meetings, their invitations and agendas go on; any reply of theirs starts it again)."""
    if unanswered < BACK_OFF_AFTER:
        return "send"
    return "ask" if unanswered == BACK_OFF_AFTER else "hold"


@dataclass(frozen=True)
class Prompt:
    kind: str  # the template
    audience: str  # "mentee", "mentor" or "both"
    due: datetime  # UTC, before quiet hours are applied
    stale: datetime  # after this it is not sent at all
    # Whether it may wait (until PROMPT_MARGIN before `stale`) for a day that brings its
    # reader less mail: a question may; the agenda, the day before the meeting, may not.
    may_wait: bool = True


def takes_stock(number: int, frequency: Frequency) -> bool:
    """The meetings after which both take stock: the mentor's check-in, the mentee's
    "ongoing success" questions. Every other meeting, or every meeting when two of them
    span more than a quarter."""
    return number % 2 == 0 or 2 * timedelta(days=frequency.approx_days) > QUARTER


def meeting_prompts(
    number: int, start: datetime, end: datetime, frequency: Frequency
) -> list[Prompt]:
    """The prompts one meeting brings, per DESIGN §2.3–2.4."""
    prompts = [
        Prompt("agenda_request", "mentee", start - AGENDA_REQUEST_BEFORE, start - AGENDA_BEFORE),
        Prompt("agenda", "both", start - AGENDA_BEFORE, start, may_wait=False),
        Prompt("after_meeting", "mentee", end + AFTER_MEETING_DELAY, end + STALE_AFTER),
    ]
    if takes_stock(number, frequency):
        prompts.append(
            Prompt("mentor_checkin", "mentor", end + AFTER_MEETING_DELAY, end + STALE_AFTER)
        )
    return prompts
