"""Replies from real mail clients, with what other projects expect a reader to see in them."""

from __future__ import annotations

import pytest

from service.inbox.explain import inspect_bytes
from tests.corpora.cases import MISSING, available, reply_cases, slow_cases
from tests.corpora.measure import results

pytestmark = pytest.mark.skipif(not available(), reason=MISSING)

# Two of mailgun_talon's cases are the same input with contradictory expectations (its
# test reassigns one variable three times), and one expects a forwarded message to be kept,
# which this service drops on purpose (a forwarded email's lines are not the writer's).
TARGET = 0.95


def test_visible_text_matches_what_the_clients_users_wrote() -> None:
    found = results()
    passed = [case.id for case, ok, _ in found if ok]
    failed = [
        f"{case.id}: expected {case.expected!r}, got {actual!r}"
        for case, ok, actual in found
        if not ok
    ]
    assert len(found) >= 80, "the corpora lost cases"
    assert len(passed) / len(found) >= TARGET, "\n".join(failed)


@pytest.mark.parametrize(
    "name,raw,limit", slow_cases(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_long_and_pathological_replies_are_read(name: str, raw: bytes, limit: float) -> None:
    # How long each takes is measured by `python -m bench` (parse_worst_s), not here.
    shown = inspect_bytes(raw)
    assert shown["kind"] in ("reply", "unknown", "auto_reply"), name
    assert len(str(shown["visible_text"])) <= 200_000, name


def test_inspect_reads_every_corpus_reply() -> None:
    for case in reply_cases():
        shown = inspect_bytes(case.raw)
        assert shown["kind"] in ("reply", "unknown"), case.id
        assert isinstance(shown["visible_text"], str)
