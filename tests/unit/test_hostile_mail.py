"""Whatever arrives, reading it never fails, never takes long and never lets a header through."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from service.mail.reading.parse import parse_message
from tests.hostile import hostile_messages


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")  # long examples
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
@given(hostile_messages())
def test_hostile_mail_is_read_without_error(raw: bytes) -> None:
    # How long it takes is measured by `python -m bench` (parse_worst_s), not here.
    parsed = parse_message(raw)
    for value in (parsed.subject, parsed.from_name or "", parsed.from_addr or ""):
        assert "\n" not in value and "\r" not in value and "\u2028" not in value
    assert len(parsed.visible_text) <= 200_000


def test_inputs_that_would_make_the_parser_slow_are_cut_and_said_so() -> None:
    from bench import parse as hostile

    subject = parse_message(hostile.encoded_words())
    assert "header field too long: cut" in subject.defects
    assert subject.visible_text.strip() == "done 1" and len(subject.subject) <= 998
    parts = parse_message(hostile.many_parts())
    assert "too many parts: the rest was not read" in parts.defects
    assert parts.visible_text.strip() == "done 0"
    nested = parse_message(hostile.deep_nesting())
    assert "too many multiparts: the rest was not read" in nested.defects
    # A plain message of many "-- " lines is not a multipart: nothing is cut from it.
    tails = parse_message(hostile.signature_tails())
    assert tails.defects == [] and tails.visible_text.strip() == "done 2"


def test_a_bounce_of_endless_lines_is_read_from_its_start() -> None:
    filler = "> x\r\n" * 20_000
    raw = (
        "From: MAILER-DAEMON@mx.example.net\r\nTo: mentormail@example.org\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n"
        "\r\nFinal-Recipient: rfc822; gone@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"--b\r\nContent-Type: text/plain\r\n\r\n{filler}--b--\r\n"
    ).encode()
    parsed = parse_message(raw)
    assert parsed.kind == "bounce" and parsed.bounce is not None
    assert [(r.address, r.permanent) for r in parsed.bounce.recipients] == [
        ("gone@example.net", True)
    ]
