"""The slowest of a set of hostile inputs through the inbound parser (target: ≤ 1 s each).

Each input aims at a known way to make mail parsers slow: one enormous line, deep nesting,
thousands of headers, pathological HTML, quote markers by the thousand, a calendar with
thousands of events, a signature-like tail repeated, encoded words by the thousand.
"""

from __future__ import annotations

import base64
import gc
import time
from collections.abc import Callable

from service.mail.reading.parse import parse_message

HEAD = (
    "From: Sam <sam@university.example>\r\nTo: mentorship+1-2-after3-abcd@bench.example\r\n"
    "Subject: Re: After your meeting\r\nMessage-ID: <hostile@university.example>\r\n"
)


def _plain(body: str, extra: str = "") -> bytes:
    return (HEAD + extra + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode()


def one_huge_line() -> bytes:
    return _plain("done 2 " + "x" * 8_000_000)


def deep_nesting() -> bytes:
    depth = 2000
    parts = "".join(
        f'--b{i}\r\nContent-Type: multipart/mixed; boundary="b{i + 1}"\r\n\r\n'
        for i in range(depth)
    )
    return (
        HEAD + 'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n' + parts + "done 1\r\n"
    ).encode()


def many_headers() -> bytes:
    extra = "".join(f"X-Junk-{i}: {'y' * 60}\r\n" for i in range(50_000))
    return _plain("done 1", extra)


def nested_html() -> bytes:
    markup = "<div>" * 50_000 + "done 3" + "</div>" * 50_000
    return (
        HEAD + "Content-Type: text/html; charset=utf-8\r\n\r\n" + "<html><body>" + markup
    ).encode()


def unclosed_tags() -> bytes:
    markup = "<table><tr><td><p><b><i>" * 30_000
    return (HEAD + "Content-Type: text/html; charset=utf-8\r\n\r\n" + markup).encode()


def quote_markers() -> bytes:
    lines = "\r\n".join(">" * (i % 200) + " On Mon wrote: done 2" for i in range(60_000))
    return _plain("task: read the paper by Friday\r\n\r\n" + lines)


def big_calendar() -> bytes:
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:{i}@x\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:20270101T100000Z\r\n"
        f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:sam@university.example\r\nEND:VEVENT\r\n"
        for i in range(20_000)
    )
    ics = f"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nVERSION:2.0\r\n{events}END:VCALENDAR\r\n"
    body = base64.encodebytes(ics.encode()).decode()
    return (
        HEAD + 'Content-Type: text/calendar; method=REPLY; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n" + body
    ).encode()


def signature_tails() -> bytes:
    return _plain("done 2\r\n" + "-- \r\nSam\r\nSent from my phone\r\n" * 100_000)


def encoded_words() -> bytes:
    subject = " ".join(
        "=?utf-8?b?" + base64.b64encode("Zoë".encode()).decode() + "?=" for _ in range(20_000)
    )
    return (
        HEAD.replace("Subject: Re: After your meeting", "Subject: " + subject)
        + "Content-Type: text/plain\r\n\r\ndone 1"
    ).encode()


def many_parts() -> bytes:
    parts = "".join(
        f"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\ndone {i}\r\n" for i in range(20_000)
    )
    return (
        HEAD + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' + parts + "--b--\r\n"
    ).encode()


CASES: tuple[Callable[[], bytes], ...] = (
    one_huge_line,
    deep_nesting,
    many_headers,
    nested_html,
    unclosed_tags,
    quote_markers,
    big_calendar,
    signature_tails,
    encoded_words,
    many_parts,
)


def inputs(generated: int) -> list[tuple[str, bytes]]:
    """The crafted cases, the shared corpora's pathological replies (when present), and
    `generated` messages from the test suite's hostile-mail strategy."""
    found = [(case.__name__, case()) for case in CASES]
    try:
        from tests.corpora.cases import slow_cases

        found += [(name, raw) for name, raw, _ in slow_cases()]
    except ImportError:  # pragma: no cover - the tests are not shipped with the package
        pass
    if generated:
        from hypothesis import HealthCheck, given, settings

        from tests.hostile import hostile_messages

        @settings(
            max_examples=generated,
            database=None,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(hostile_messages())
        def collect(raw: bytes) -> None:
            found.append((f"generated {len(found)}", raw))

        collect()
    return found


def run(generated: int = 200) -> dict[str, float | str]:
    worst, name, count = 0.0, "", 0
    for label, raw in inputs(generated):
        count += 1
        gc.collect()  # a collection of the inputs held so far is not the parser's time
        started = time.process_time()
        parse_message(raw)
        seconds = time.process_time() - started
        if seconds > worst:
            worst, name = seconds, label
    return {"parse_worst_s": round(worst, 3), "parse_worst_case": name, "parse_inputs": count}
