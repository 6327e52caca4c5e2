"""Real mail from other projects (in ../shared/corpora), turned into cases for our parsers.

The files stay where they are: tests read them in place and skip, saying so, when they are
absent. Each case is one expectation the other project's own tests make, restated as what a
reader of the reply would check.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

CORPORA = Path(
    os.environ.get("MENTORMAIL_CORPORA", Path(__file__).resolve().parents[3] / "shared" / "corpora")
)
MISSING = f"the shared corpora are not at {CORPORA} (set MENTORMAIL_CORPORA to measure on them)"
REPLY_CORPORA = ("github_email_reply_parser", "zapier_email_reply_parser", "mailgun_talon")


@dataclass(frozen=True)
class ReplyCase:
    """One expectation about the text a person wrote, after what they quoted is gone.

    `stage` says which text is compared: "visible" (quotes, signature and client boilerplate
    removed, as commands are read) or "reply" (only the quoted original removed: one
    project's expectations keep signatures).
    """

    corpus: str
    name: str
    raw: bytes
    stage: str
    check: Callable[[str], bool]
    expected: str

    @property
    def id(self) -> str:
        return f"{self.corpus}:{self.name}"


def available() -> bool:
    return all((CORPORA / name / "MANIFEST.txt").is_file() for name in REPLY_CORPORA)


def _lines(text: str) -> str:
    """Trailing spaces on lines are not part of what anyone wrote (and one upstream strips them)."""
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def _contains(needle: str) -> Callable[[str], bool]:
    return lambda text: needle in text


def _lacks(needle: str) -> Callable[[str], bool]:
    return lambda text: needle not in text


def _exact(expected: str) -> Callable[[str], bool]:
    return lambda actual: _lines(actual) == _lines(expected)


def _no_whitespace(expected: str) -> Callable[[str], bool]:
    return lambda actual: re.sub(r"\s", "", actual) == re.sub(r"\s", "", expected)


def _load(corpus: str, name: str) -> Any:
    return json.loads((CORPORA / corpus / name).read_text(encoding="utf-8"))


def _body_cases(corpus: str) -> Iterator[ReplyCase]:
    for entry in _load(corpus, "expectations.json"):
        raw = (CORPORA / corpus / entry["file"]).read_bytes()
        name = Path(entry["file"]).stem
        if "visible_text" in entry:
            expected = entry["visible_text"]
            yield ReplyCase(corpus, name, raw, "visible", _exact(expected), expected)
        if "visible_text_stripped" in entry:
            expected = entry["visible_text_stripped"]
            yield ReplyCase(corpus, name, raw, "visible", _exact(expected), expected)
        for needle in entry.get("visible_text_contains", []):
            yield ReplyCase(corpus, f"{name} contains", raw, "visible", _contains(needle), needle)
        for needle in entry.get("visible_text_not_contains", []):
            yield ReplyCase(
                corpus, f"{name} lacks", raw, "visible", _lacks(needle), f"not {needle}"
            )


def _first_plain(raw: bytes) -> bytes:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return str(part.get_content()).encode()
    raise ValueError("no text/plain part")


def _talon_cases() -> Iterator[ReplyCase]:
    corpus = "mailgun_talon"
    for entry in _load(corpus, "expectations.json")["replies"]:
        path = CORPORA / corpus / entry["file"]
        expected = entry["expected_visible_text"]
        if path.suffix == ".eml":
            # Upstream reads the first text/plain part; so does this case (the whole
            # message is measured too, through the full parser, in the inbound tests).
            raw = _first_plain(path.read_bytes())
            yield ReplyCase(corpus, path.stem, raw, "reply", _exact(expected), expected)
        else:
            # An HTML-only reply: sent as the mail clients send it, as a text/html message.
            raw = _html_message(path.read_bytes())
            yield ReplyCase(
                corpus, f"{path.stem}.html", raw, "reply", _no_whitespace(expected), expected
            )
    inline = _load(corpus, "inline_cases.json")
    for entry in inline["extract_from_plain"]:
        if entry["decorators"]:
            continue  # upstream patches its own limits for these: nothing a reader checks
        raw = entry["input"].encode()
        expected = entry["expected"]
        yield ReplyCase(corpus, entry["test"], raw, "reply", _exact(expected), expected)


def _html_message(markup: bytes) -> bytes:
    return (
        b"From: Alex <alex@example.com>\r\nTo: someone@example.com\r\nSubject: Re: Hello\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + markup
    )


def reply_cases() -> list[ReplyCase]:
    cases: list[ReplyCase] = []
    cases += _body_cases("github_email_reply_parser")
    cases += _body_cases("zapier_email_reply_parser")
    cases += _talon_cases()
    return cases


def slow_cases() -> list[tuple[str, bytes, float]]:
    """Inputs upstream keeps under a time limit (long quotes, pathological lines)."""
    found: list[tuple[str, bytes, float]] = []
    if not available():
        return found  # collected even when the corpora are absent: the tests then skip
    for corpus in ("github_email_reply_parser", "zapier_email_reply_parser"):
        for entry in _load(corpus, "expectations.json"):
            if "max_seconds" in entry:
                raw = (CORPORA / corpus / entry["file"]).read_bytes()
                found.append((f"{corpus}:{Path(entry['file']).stem}", raw, entry["max_seconds"]))
    return found


@dataclass(frozen=True)
class BounceCase:
    """A message and the recipients (address -> permanent?) a reader must find in it;
    `expected` is None for mail that is not a bounce at all."""

    corpus: str
    name: str
    raw: bytes
    expected: dict[str, bool] | None
    status: str | None = None

    @property
    def id(self) -> str:
        return f"{self.corpus}:{self.name}"


BOUNCE_CORPORA = ("flufl_bounce", "mailgun_flanker", "apple_ccs_calendarserver_imip")


def bounce_cases() -> list[BounceCase]:
    cases: list[BounceCase] = []
    corpus = "flufl_bounce"
    for entry in _load(corpus, "expectations.json"):
        addresses = entry["expected_bounced_addresses"]
        if not addresses:
            continue  # upstream: that one detector finds nothing here (another may)
        raw = (CORPORA / corpus / entry["file"]).read_bytes()
        permanent = entry["failure_kind"] == "permanent"
        expected = {a.lower(): permanent for a in addresses}
        cases.append(BounceCase(corpus, Path(entry["file"]).stem, raw, expected))
    corpus = "mailgun_flanker"
    for entry in _load(corpus, "expectations.json"):
        if entry.get("is_bounce"):
            raw = (CORPORA / corpus / entry["file"]).read_bytes()
            address = entry["bounced_address_in_text"].lower()
            cases.append(
                BounceCase(corpus, entry["file"], raw, {address: True}, entry["expected_status"])
            )
    # Reports that are not bounces: spam complaints and a read receipt.
    for path in sorted((CORPORA / corpus / "complaints").glob("*.eml")):
        cases.append(BounceCase(corpus, f"complaints/{path.name}", path.read_bytes(), None))
    path = CORPORA / corpus / "disposition-notification.eml"
    cases.append(BounceCase(corpus, path.name, path.read_bytes(), None))
    corpus = "apple_ccs_calendarserver_imip"
    for entry in _load(corpus, "expectations.json"):
        if "is_dsn" not in entry:
            continue
        raw = (CORPORA / corpus / entry["file"]).read_bytes()
        name = Path(entry["file"]).name
        if entry["is_dsn"]:
            expected = {entry["final_recipient_header"].lower(): True}
            cases.append(BounceCase(corpus, name, raw, expected, entry["status_header"]))
        else:
            cases.append(BounceCase(corpus, name, raw, None))
    return cases
