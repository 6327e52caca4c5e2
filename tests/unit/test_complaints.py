"""Reading spam complaints (ARF, RFC 5965): our own fixtures, written for this project."""

from __future__ import annotations

from dataclasses import astuple
from pathlib import Path

import pytest

from service.inbox.explain import inspect_bytes
from service.mail.reading.parse import parse_message

DATA = Path(__file__).resolve().parents[1] / "data"

REPORT_HEAD = (
    "From: fbl@mail.example\r\n"
    "To: mentorship@example.org\r\n"
    "Subject: Abuse report\r\n"
    "Message-ID: <r1@mail.example>\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/report; report-type="feedback-report"; boundary="b"\r\n\r\n'
    "--b\r\nContent-Type: text/plain\r\n\r\nA complaint.\r\n"
)


def report(fields: str, original: str, original_type: str = "text/rfc822-headers") -> bytes:
    return (
        REPORT_HEAD
        + f"--b\r\nContent-Type: message/feedback-report\r\n\r\n{fields}\r\n"
        + f"--b\r\nContent-Type: {original_type}\r\n\r\n{original}\r\n--b--\r\n"
    ).encode()


ORIGINAL_HEADERS = (
    "From: Mentoring <mentorship@example.org>\r\n"
    "To: Sam <SAM@hospital.example>\r\n"
    "Reply-To: mentorship+3-7-agenda12-abcdefghijklmnop@example.org\r\n"
    "Subject: Agenda\r\n"
    "Message-ID: <abc.def@example.org>\r\n"
)


def test_a_providers_report_names_the_recipient_and_our_original() -> None:
    parsed = parse_message((DATA / "arf_complaint.eml").read_bytes())
    assert parsed.kind == "complaint"
    assert parsed.bounce is None
    complaint = parsed.complaint
    assert complaint is not None
    assert complaint.feedback_type == "abuse"
    assert complaint.recipients == ("dana.mentee@outlook.example",)
    assert complaint.message_id == "perf-summary.3.7.k2x9q4@example.org"
    assert "mentorship+3-7-perf5-abcdefghijklmnop@example.org" in complaint.senders


def test_what_is_kept_of_a_complaint_holds_nothing_of_the_original_text() -> None:
    parsed = parse_message((DATA / "arf_complaint.eml").read_bytes())
    assert parsed.complaint is not None
    kept = repr(astuple(parsed.complaint))
    assert "quarterly" not in kept and "performance" not in kept


def test_the_original_as_headers_alone_and_no_original_rcpt_to() -> None:
    parsed = parse_message(report("Feedback-Type: abuse\r\nVersion: 1\r\n", ORIGINAL_HEADERS))
    assert parsed.kind == "complaint"
    assert parsed.complaint is not None
    assert parsed.complaint.recipients == ("sam@hospital.example",)
    assert parsed.complaint.message_id == "abc.def@example.org"


@pytest.mark.parametrize("feedback_type", ["not-spam", "auth-failure"])
def test_reports_that_are_not_complaints_are_machine_mail(feedback_type: str) -> None:
    parsed = parse_message(report(f"Feedback-Type: {feedback_type}\r\n", ORIGINAL_HEADERS))
    assert parsed.kind == "auto_reply"
    assert parsed.complaint is not None and not parsed.complaint.is_complaint


def test_a_report_without_its_feedback_part_is_no_complaint() -> None:
    raw = (REPORT_HEAD + "--b--\r\n").encode()
    parsed = parse_message(raw)
    assert parsed.complaint is None
    assert parsed.kind == "auto_reply"


def test_a_mangled_original_leaves_the_complaint_without_an_id() -> None:
    parsed = parse_message(
        report("Feedback-Type: abuse\r\nOriginal-Rcpt-To: sam@hospital.example\r\n", "\x00garbage")
    )
    assert parsed.kind == "complaint"
    assert parsed.complaint is not None
    assert parsed.complaint.message_id is None
    assert parsed.complaint.recipients == ("sam@hospital.example",)


def test_inspect_shows_a_complaint_s_identifiers() -> None:
    shown = inspect_bytes((DATA / "arf_complaint.eml").read_bytes())
    assert shown["kind"] == "complaint"
    assert list(shown["complaint"]["recipients"]) == ["dana.mentee@outlook.example"]
    assert shown["complaint"]["message_id"] == "perf-summary.3.7.k2x9q4@example.org"
