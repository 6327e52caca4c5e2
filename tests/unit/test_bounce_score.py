from __future__ import annotations

from datetime import date, timedelta

import pytest

from service.outbox.bounce_score import BounceScore, scored

DAY = date(2027, 3, 1)


def bounce(state: BounceScore, day: date, *, permanent: bool = True) -> BounceScore:
    return scored(state, permanent=permanent, today=day, threshold=3.0)


def test_three_hard_bounces_on_three_days_disable_the_address() -> None:
    state = BounceScore()
    for offset in range(3):
        assert not state.disabled
        state = bounce(state, DAY + timedelta(days=offset))
    assert state.disabled and state.score == 3.0


def test_a_day_counts_once_however_many_bounces_it_brings() -> None:
    state = bounce(bounce(bounce(BounceScore(), DAY), DAY), DAY)
    assert state.score == 1.0 and not state.disabled


@pytest.mark.parametrize(("days", "expected"), [(6, 1.5), (8, 0.5)])
def test_soft_bounces_count_half_and_a_quiet_week_starts_again(days: int, expected: float) -> None:
    state = bounce(BounceScore(), DAY, permanent=True)
    state = bounce(state, DAY + timedelta(days=days), permanent=False)
    assert state.score == expected


def test_six_soft_bounces_in_a_row_disable_it_too() -> None:
    state = BounceScore()
    for offset in range(6):
        state = bounce(state, DAY + timedelta(days=offset), permanent=False)
    assert state.disabled
