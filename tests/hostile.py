"""Hostile and random inbound mail, for property tests of the inbound path."""

from __future__ import annotations

from hypothesis import strategies as st

SERVICE = "mentorship@mentormail.example"


def _message(headers: list[tuple[str, str]], body: bytes) -> bytes:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers).encode("utf-8", "replace")
    return head + b"\r\n" + body


_header_values = st.one_of(
    st.text(max_size=200),
    # Encoded newlines and folding tricks that a careless writer would copy into our mail.
    st.sampled_from(
        [
            "=?utf-8?q?Sam=0ABcc:_evil@example.com?=",
            "=?utf-8?b?U2FtDQpCY2M6IGV2aWxAZXhhbXBsZS5jb20=?=",
            "Sam\u2028Bcc: evil@example.com",
            "=?x-unknown?q?broken?=",
            "=?utf-8?q?" + "A" * 5000 + "?=",
            "<" * 1000,
            '"' * 999,
        ]
    ),
)

_charsets = st.sampled_from(["utf-8", "latin-1", "x-unknown", "utf-7", "utf-16", "", "us-ascii"])
_encodings = st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "binary"])

_bodies = st.one_of(
    st.binary(max_size=5000),
    st.text(max_size=5000).map(lambda t: t.encode("utf-8", "replace")),
    # A very long line, and many near-misses of the "On … wrote:" line.
    st.integers(10_000, 2_000_000).map(lambda n: b"x" * n),
    st.integers(100, 20_000).map(lambda n: b"On Mon, 1 Jan 2027 at 10:00, a@b.example wrote\n" * n),
    st.integers(100, 20_000).map(lambda n: b"> " * n + b"\n" + b">\n" * n),
    st.integers(100, 5_000).map(lambda n: b"From: x\nSent: y\n" * n),
    st.integers(100, 50_000).map(lambda n: b"<blockquote>" * n + b"text" + b"</div>" * n),
)


@st.composite
def hostile_messages(draw: st.DrawFn) -> bytes:
    """A message a person, a broken client or an attacker could send to the service."""
    shape = draw(st.sampled_from(["raw", "simple", "multipart", "nested", "calendar", "report"]))
    if shape == "raw":
        return draw(st.binary(max_size=20_000))
    sender = draw(st.sampled_from(["sam@university.example", "", "<>", "a" * 300, "x@y"]))
    headers = [
        ("From", draw(st.one_of(st.just(sender), _header_values))),
        ("To", draw(st.one_of(st.just(SERVICE), _header_values))),
        ("Subject", draw(_header_values)),
        ("Message-ID", draw(st.one_of(st.just("<m@x>"), _header_values))),
        ("MIME-Version", "1.0"),
    ]
    charset, encoding = draw(_charsets), draw(_encodings)
    body = draw(_bodies)
    if shape == "simple":
        ctype = draw(st.sampled_from(["text/plain", "text/html", "text/calendar", "image/png"]))
        headers += [
            ("Content-Type", f"{ctype}; charset={charset}"),
            ("Content-Transfer-Encoding", encoding),
        ]
        return _message(headers, body)
    if shape == "calendar":
        headers += [("Content-Type", "text/calendar; method=REPLY; charset=utf-8")]
        ics = b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:x\r\n" + body
        return _message(
            headers, ics + draw(st.sampled_from([b"", b"END:VEVENT\r\nEND:VCALENDAR\r\n"]))
        )
    if shape == "report":
        headers[0] = ("From", "MAILER-DAEMON@mx.example")
        headers += [("Content-Type", 'multipart/report; report-type=delivery-status; boundary="b"')]
        return _message(
            headers,
            b"--b\r\nContent-Type: message/delivery-status\r\n\r\n" + body + b"\r\n--b--\r\n",
        )
    depth = draw(st.integers(1, 300)) if shape == "nested" else 1
    boundary = draw(st.sampled_from(["b", "", "a" * 100, "b\r\nBcc: x"]))
    headers += [("Content-Type", f'multipart/mixed; boundary="{boundary}"')]
    inner = body
    for level in range(depth):
        inner = (
            f"--{boundary}{level}\r\nContent-Type: multipart/alternative; "
            f'boundary="{boundary}{level + 1}"\r\n\r\n'
        ).encode() + inner
    parts = draw(st.integers(1, 500)) if shape == "multipart" else 1
    chunk = (
        (
            f"--{boundary}\r\nContent-Type: text/plain; charset={charset}\r\n"
            f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
        ).encode()
        + body[:2000]
        + b"\r\n"
    )
    return _message(
        headers, chunk * parts + inner + draw(st.sampled_from([b"", f"--{boundary}--".encode()]))
    )
