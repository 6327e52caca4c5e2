"""Reading inbound mail: our own fixtures in tests/data, written for this project."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.utils import getaddresses
from pathlib import Path

import pytest

from service.inbox.explain import inspect_bytes
from service.mail.reading.authentication import dmarc_failed
from service.mail.reading.parse import parse_message, reads_as_absence_notice
from service.mail.reading.quotes import split_reply

DATA = Path(__file__).resolve().parents[1] / "data"


def load(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_gmail_reply_keeps_the_new_lines_and_drops_the_quote() -> None:
    parsed = parse_message(load("gmail_reply.eml"))
    assert parsed.kind == "reply"
    assert parsed.from_addr == "sam.okafor@gmail.example"
    assert parsed.visible_text == "Goal 1: Submit an abstract to the annual meeting\nI agree"
    assert parsed.in_reply_to == "a1b2@mentormail.example"
    assert parsed.recipients == ["mentorship+3-7-agreement-abcdefghijklmnop@mentormail.example"]


def test_outlook_reply_in_latin1_with_its_header_block() -> None:
    parsed = parse_message(load("outlook_reply.eml"))
    assert parsed.from_addr == "zoe@hospital.example"
    assert parsed.from_name == "O'Brien, Zoe"
    assert parsed.visible_text == "Frequency: every 2 weeks\nI agree"
    assert parsed.signature == "Best regards,\nZoë"


def test_apple_mail_base64_with_boilerplate() -> None:
    parsed = parse_message(load("apple_reply.eml"))
    assert parsed.visible_text == "done 2\nagenda: fellowship options"


def test_html_only_mail_is_converted_and_its_blockquote_dropped() -> None:
    parsed = parse_message(load("html_only.eml"))
    assert "done 4" in parsed.visible_text
    assert "task: send CV to Dr. Lee by Dec 3" in parsed.visible_text
    assert "done 5" not in parsed.visible_text
    assert "color:red" not in parsed.text


def test_an_out_of_office_message_is_an_auto_reply() -> None:
    assert parse_message(load("out_of_office.eml")).kind == "auto_reply"


def test_broken_mime_is_read_without_raising_and_headers_stay_on_one_line() -> None:
    parsed = parse_message(load("broken_mime.eml"))
    assert "\n" not in parsed.subject and "\r" not in parsed.subject
    assert parsed.message_id == "broken-1@example.org"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\x01\x02",
        b"Subject: " + b"x" * 100_000 + b"\r\n\r\nbody",
        b"From: a@b.example\r\nContent-Type: multipart/mixed\r\n\r\nno boundary",
        b"From: a@b.example\r\nSubject: =?utf-7?B?K2FHVQ==?=\r\n\r\n" + b"y" * 300_000,
        b"From a@b Mon Jan  1 00:00:00 2026\nFrom: a@b.example\n\nmbox body\n",
    ],
)
def test_hostile_input_never_raises(raw: bytes) -> None:
    parsed = parse_message(raw)
    assert parsed.kind in ("reply", "unknown", "auto_reply", "bounce", "itip")


def test_an_mbox_separator_line_is_not_mistaken_for_a_header() -> None:
    parsed = parse_message(b"From a@b Mon Jan  1 00:00:00 2026\nFrom: a@b.example\n\ndone 2\n")
    assert parsed.from_addr == "a@b.example" and parsed.visible_text == "done 2"


@pytest.mark.parametrize(
    ("text", "visible"),
    [
        ("done 2\n\nAm Mo., 30. Nov. 2026 um 15:00 Uhr schrieb mentormail <m@x>:\n> x", "done 2"),
        ("done 2\n\nLe lun. 30 nov. 2026 à 15:00, mentormail <m@x> a écrit :\n> x", "done 2"),
        ("done 2\n-----Original Message-----\nFrom: x\n", "done 2"),
        ("done 2\n\nSent from my Android\n", "done 2"),
        ("done 2\n\n---------- Forwarded message ---------\nFrom: x", "done 2"),
    ],
)
def test_quote_headers_in_several_languages(text: str, visible: str) -> None:
    assert split_reply(text)[0] == visible


def test_inspect_shape_for_bare_bodies() -> None:
    result = inspect_bytes(load("bare_body.txt"))
    assert set(result) == {
        "kind",
        "from",
        "visible_text",
        "signature",
        "commands",
        "held",
        "itip",
        "bounce",
        "complaint",
    }
    assert result["from"] is None
    assert result["signature"] == "Léa Martin\nUniversity Hospital"
    assert result["commands"] == [{"name": "done", "args": {"ref": "2"}}]
    assert result["held"] == []


def test_only_our_servers_dmarc_verdict_is_believed() -> None:
    ours = "mx.example.org; spf=fail smtp.mailfrom=x.example; dmarc=fail header.from=a.example"
    theirs = "mx.elsewhere.example; dmarc=fail header.from=a.example"
    passing = "mx.example.org; dkim=pass header.d=a.example; dmarc=pass header.from=a.example"
    assert dmarc_failed([passing, ours], "MX.example.org")
    assert not dmarc_failed([theirs, passing], "mx.example.org")
    assert not dmarc_failed([ours], None), "without an authserv-id no verdict is read"
    assert not dmarc_failed(["mx.example.org; ((( broken"], "mx.example.org")


def test_mail_from_the_null_sender_is_never_a_reply() -> None:
    raw = (
        b"Return-Path: <>\r\nFrom: Sam <sam@example.org>\r\nTo: reply@example.net\r\n"
        b"Subject: Re: agenda\r\nMessage-ID: <n1@example.org>\r\n\r\ndone 1\r\n"
    )
    # Read as a mail system's report (naming no one here): recorded, never answered.
    assert parse_message(raw).kind == "bounce"
    assert parse_message(
        raw.replace(b"Return-Path: <>", b"Return-Path: <sam@example.org>")
    ).kind == ("reply")


@pytest.mark.parametrize(
    ("text", "notice"),
    [
        ("Thank you for your message. I am out of the office with limited access.", True),
        ("Thank you for your email! I'm currently away until 4 January.", True),
        ("I am currently out of the office until Monday 5 January.", True),
        ("Automatic reply: I will answer when I am back.", True),
        ("I am away until 4 January.", False),  # a person could write that
        ("Thank you for your message. I am happy to meet on Friday.", False),
        ("Thank you for the agenda, I will bring the draft.", False),
        ("I met my goals, thanks.", False),
    ],
)
def test_an_unmarked_absence_notice_is_told_from_a_person(text: str, notice: bool) -> None:
    assert reads_as_absence_notice(text) is notice


def test_a_bounce_names_its_recipients_in_one_order_whatever_the_run() -> None:
    # A report the vendor detectors read (they answer with sets): the order must not follow
    # the interpreter's hash seed, or two workers would take the same people's rows in
    # different orders.
    addresses = [f"member{n}@example.net" for n in (5, 2, 7, 1, 4, 3)]
    notice = "".join(f"<{a}>:\nThis account has been disabled.\n\n" for a in addresses)
    raw = (
        "From: MAILER-DAEMON@yahoo.com\r\nTo: mentorship@mentormail.example\r\n"
        "Subject: Delivery failure\r\nMessage-ID: <b1@yahoo.com>\r\n\r\n"
        "Message from yahoo.com.\nUnable to deliver message to the following address(es).\n\n"
        f"{notice}--- Original message follows.\n"
    ).encode()
    bounce = parse_message(raw).bounce
    assert bounce is not None
    assert [r.address for r in bounce.recipients] == sorted(addresses)


@pytest.mark.parametrize(
    "field",
    [
        "Sam Lee <Sam.Lee+mentoring@Mail.University.example>",
        "sam@university.example, Zoe Smith <zoe@hospital.example>",
        "sam@university.example,zoe@hospital.example",
        '"Lee, Sam" <sam@university.example>',
        "Dr. Sam Lee <sam@university.example>",
        "Sam  Lee <sam@university.example>",
        "sam@university.example (Sam Lee)",
        "<sam@university.example>",
        "sam@localhost",
        "sam..lee@university.example",
        "sam@university.example.",
        "undisclosed-recipients:;",
        "sam@exam ple.org",
        "Sam Lee <sam@exam ple.org>, zoe@hospital.example",
    ],
)
def test_address_fields_read_as_the_standard_parser_reads_them(field: str) -> None:
    raw = (
        f"From: Sam Lee <sam@university.example>\r\nTo: {field}\r\nCc: {field}\r\n"
        "Subject: hi\r\nMessage-ID: <s2@example.org>\r\n\r\ntask: something\r\n"
    ).encode()
    standard = message_from_bytes(raw, policy=policy.default)
    fields = [str(standard["To"]), str(standard["Cc"])]
    assert parse_message(raw).recipients == [
        address.lower() for _, address in getaddresses(fields) if "@" in address
    ]


@pytest.mark.parametrize("sender", ["x\xa4@y.example", "sam@exam ple.org", "a@b"])
def test_a_sender_address_no_mail_could_reach_is_no_sender(sender: str) -> None:
    raw = (
        f"From: {sender}\r\nTo: reply@example.net\r\nSubject: hi\r\n"
        "Message-ID: <s1@example.org>\r\n\r\ntask: something\r\n"
    ).encode()
    parsed = parse_message(raw)
    assert parsed.from_addr is None
    assert "sender address is not one mail can be sent to" in parsed.defects
