"""Bounces from many mail systems: who could not be reached, and whether for good."""

from __future__ import annotations

import pytest

from service.mail.reading.parse import parse_message
from tests.corpora.cases import BOUNCE_CORPORA, CORPORA, MISSING, bounce_cases

pytestmark = pytest.mark.skipif(
    not all((CORPORA / name).is_dir() for name in BOUNCE_CORPORA), reason=MISSING
)


def test_every_bounced_address_is_found_with_its_kind() -> None:
    cases = [case for case in bounce_cases() if case.expected is not None]
    missed = []
    addresses = 0
    for case in cases:
        parsed = parse_message(case.raw)
        assert case.expected is not None
        found = {r.address: r for r in (parsed.bounce.recipients if parsed.bounce else ())}
        for address, permanent in case.expected.items():
            addresses += 1
            if parsed.kind != "bounce" or address not in found:
                missed.append(f"{case.id}: {address} not found (kind {parsed.kind})")
            elif found[address].permanent != permanent:
                missed.append(f"{case.id}: {address} should be {'hard' if permanent else 'soft'}")
            elif case.status is not None and found[address].status != case.status:
                missed.append(f"{case.id}: status {found[address].status}, not {case.status}")
    assert addresses >= 135
    assert not missed, "\n".join(missed)


def test_complaints_receipts_and_calendar_replies_are_not_bounces() -> None:
    for case in bounce_cases():
        if case.expected is None:
            parsed = parse_message(case.raw)
            assert parsed.kind != "bounce" and parsed.bounce is None, case.id
