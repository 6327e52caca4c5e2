"""How long the outbox keeps trying a message the mail server will not take yet."""

from __future__ import annotations

from datetime import timedelta

from service.outbox.retry_rules import DEFAULT_WINDOW, WAITS, retry_after, tries_in, waited


def test_the_waits_grow_to_a_few_hours_and_stay_there() -> None:
    assert [retry_after(n) for n in range(1, 8)] == [*WAITS, WAITS[-1], WAITS[-1]]


def test_a_message_is_tried_for_five_days_before_it_is_given_up() -> None:
    tries = tries_in(DEFAULT_WINDOW)
    assert waited(tries - 1) >= timedelta(days=5), "the last try comes after five days"
    assert waited(tries - 2) < timedelta(days=5), "and not a wait later than needed"
    assert retry_after(tries) is None


def test_the_window_is_a_setting() -> None:
    # At 0, 1 min, 6 min, 36 min and 2 h 36 min: the last is the first after the hour.
    assert tries_in(timedelta(hours=1)) == 5
    assert tries_in(timedelta(days=10)) > tries_in(DEFAULT_WINDOW)
