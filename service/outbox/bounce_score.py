"""Bounce scoring per address: when to stop sending to an address that does not take mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

HARD = 1.0
SOFT = 0.5
# A score nobody added to for this long starts again: one bad week long ago is forgotten.
STALE_AFTER = timedelta(days=7)


@dataclass(frozen=True)
class BounceScore:
    score: float = 0.0
    scored_on: date | None = None
    disabled: bool = False


def scored(current: BounceScore, *, permanent: bool, today: date, threshold: float) -> BounceScore:
    """The score after one more bounce: one a day at most, hard 1, soft 0.5."""
    if current.scored_on == today:
        return current
    fresh = current.scored_on is not None and today - current.scored_on <= STALE_AFTER
    score = (current.score if fresh else 0.0) + (HARD if permanent else SOFT)
    return BounceScore(score, today, current.disabled or score >= threshold)
