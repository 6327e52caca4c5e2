"""Whatever arrives, reading it never fails, never takes long and never lets a header through."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings

from service.mail.inbound import parse_message
from tests.hostile import hostile_messages

# One second of CPU per message is the budget (DESIGN: a reply parser must not be quadratic).
BUDGET = 1.0


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")  # long examples
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
@given(hostile_messages())
def test_hostile_mail_is_read_quickly_without_error(raw: bytes) -> None:
    started = time.process_time()
    parsed = parse_message(raw)
    spent = time.process_time() - started
    assert spent < BUDGET, f"{spent:.2f} s on a {len(raw)}-byte message"
    for value in (parsed.subject, parsed.from_name or "", parsed.from_addr or ""):
        assert "\n" not in value and "\r" not in value and "\u2028" not in value
    assert len(parsed.visible_text) <= 200_000
