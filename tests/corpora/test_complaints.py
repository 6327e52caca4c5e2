"""Spam complaints from mailbox providers (AOL's and Yahoo's feedback loops), read in place."""

from __future__ import annotations

import pytest

from service.mail.reading.parse import parse_message
from tests.corpora.cases import CORPORA, MISSING

COMPLAINTS = CORPORA / "mailgun_flanker" / "complaints"

pytestmark = pytest.mark.skipif(not COMPLAINTS.is_dir(), reason=MISSING)

# What each report says: the recipient (AOL redacts it) and the original's Message-ID.
EXPECTED = {
    "aol.eml": (("redacted@aol.com",), "20101117174130.28884.55421@luna"),
    "yahoo.eml": (("user@yahoo.com",), "20120711015015.4A8BE2E088E@www.example.com"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_providers_complaint_is_read_with_its_recipient_and_original(name: str) -> None:
    parsed = parse_message((COMPLAINTS / name).read_bytes())
    assert parsed.kind == "complaint"
    assert parsed.complaint is not None
    assert parsed.complaint.feedback_type == "abuse"
    assert (parsed.complaint.recipients, parsed.complaint.message_id) == EXPECTED[name]
