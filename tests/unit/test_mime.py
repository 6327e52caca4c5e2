"""The MIME writer: what it writes must read back, in every client's parser, as what was meant."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from service.mail.writing.compose import Rendered, build_message
from service.mail.writing.mime import (
    Part,
    address,
    alternative,
    header_value,
    message_bytes,
    text_part,
)


def parsed(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def compose(rendered: Rendered, **extra: object) -> EmailMessage:
    raw = build_message(
        "agreement_request",
        rendered,
        from_addr=("Mentorship Office", "office@example.org"),
        to=("Zoë Ångström-Łukasiewicz " * 6, "zoe@example.org"),
        reply_to="reply+token@example.org",
        message_id="id1@example.org",
        date=datetime(2026, 11, 26, 9, tzinfo=UTC),
        **extra,  # type: ignore[arg-type]
    )
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF, only CRLF
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    return parsed(raw)


def test_headers_read_back_whole_however_long_or_foreign() -> None:
    subject = "Ihre Vereinbarung für das Mentoring-Programm – bitte bestätigen " * 3
    message = compose(Rendered(subject.strip(), "Hello\n", "<p>Hello</p>"))
    assert message["Subject"] == subject.strip()[:250].strip()
    assert message["To"].addresses[0].display_name == ("Zoë Ångström-Łukasiewicz " * 6).strip()
    assert message["To"].addresses[0].addr_spec == "zoe@example.org"
    assert message["Message-ID"] == "<id1@example.org>"
    assert message["MIME-Version"] == "1.0"


def test_text_and_html_read_back_exactly_with_long_lines_quoted() -> None:
    long_line = "ü" * 700  # 1,400 bytes: too long for 8bit
    text = f"Dear Zoë,\n\n{long_line}\nsee you\n"
    message = compose(Rendered("Hi", text, "<p>Zoë</p>"))
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    assert plain["Content-Transfer-Encoding"] == "quoted-printable"
    assert plain.get_content().replace("\r\n", "\n") == text
    assert html["Content-Transfer-Encoding"] == "8bit"
    assert html.get_content().strip() == "<p>Zoë</p>"


def test_attachments_and_inline_images_keep_their_bytes_and_names() -> None:
    data = bytes(range(256)) * 10
    message = compose(
        Rendered("Files", "See attached.\n", "<p>See attached.</p>"),
        attachments=[("Zoë's record.txt", "text/plain", data)],
    )
    files = list(message.iter_attachments())
    assert [f.get_filename() for f in files] == ["Zoë's record.txt"]
    assert files[0].get_payload(decode=True) == data
    pictured = compose(
        Rendered("Chart", "See the chart.\n", '<img src="cid:chart">'),
        inline=[("chart", "image/png", b"\x89PNG fake")],
    )
    image = next(p for p in pictured.walk() if p.get_content_type() == "image/png")
    assert image["Content-ID"] == "<chart>"
    assert image.get_payload(decode=True) == b"\x89PNG fake"
    related = next(p for p in pictured.walk() if p.get_content_type() == "multipart/related")
    assert [p.get_content_type() for p in related.iter_parts()] == ["text/html", "image/png"]


def test_a_body_holding_a_boundary_like_line_is_still_read_as_one_part() -> None:
    text = "--=_mm\n--=_mm0.alternative\n--=_mm.mixed--\n"
    raw = message_bytes([("Subject", "x")], alternative(text, "<p>x</p>"))
    plain = parsed(raw).get_body(("plain",))
    assert plain is not None and plain.get_content().replace("\r\n", "\n") == text


@pytest.mark.parametrize("value", ["a\nBcc: victim@example.org", "a\r\nX: y", "a\rb", "tail\n"])
def test_a_header_value_that_would_start_a_line_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="Subject"):
        message_bytes([("Subject", value)], Part("text/plain", body=b"x"))


def test_folded_values_stay_one_header() -> None:
    ascii_value = ("word " * 60).strip()
    assert header_value(ascii_value) == ascii_value  # 299 characters: within a line's limit
    foreign = ("wörd " * 60).strip()
    folded = header_value(foreign)
    assert folded.count("\r\n ") > 3
    assert all(len(line) <= 76 for line in folded.split("\r\n"))
    raw = message_bytes([("Subject", folded), ("X-Plain", ascii_value)], text_part("x", "plain"))
    assert parsed(raw)["Subject"] == foreign and parsed(raw)["X-Plain"] == ascii_value


def test_text_that_spells_an_encoded_word_reads_back_as_that_text() -> None:
    name = "=?utf-8?q?Eve=0D=0ABcc:_victim@evil.example?="
    raw = message_bytes(
        [("To", address(name, "eve@example.org")), ("Subject", header_value(name))],
        text_part("x", "plain"),
    )
    message = parsed(raw)
    assert message["To"].addresses[0].display_name == name
    assert message["Subject"] == name
