"""`mentormail check`'s own message, which a worker must never act on, and its DNS advice."""

from __future__ import annotations

import pytest

from service.check.dns import records
from service.check.round_trip import CHECK_TOKEN, check_message
from service.config import Settings
from service.inbox import rules
from service.mail.reading.parse import parse_message
from service.mail.tokens import find_token, reply_address

SECRET = b"k" * 32


def settings(**values: str) -> Settings:
    return Settings(MENTORMAIL_ADDRESS="mentorship@mentors.example", **values)


@pytest.mark.parametrize("delimiter", ["+", "-", "none"])
def test_the_check_s_message_routes_by_its_token_and_every_worker_ignores_it(
    delimiter: str,
) -> None:
    config = settings(MENTORMAIL_ADDRESS_DELIMITER=delimiter)
    to = reply_address(SECRET, config.service_address, CHECK_TOKEN, delimiter=config.delimiter)
    raw, message_id = check_message(config, to, "0123abcd")
    parsed = parse_message(raw)
    assert parsed.message_id == message_id.strip("<>")
    token, tampered = find_token(
        SECRET, config.service_address, parsed.recipients, delimiter=config.delimiter
    )
    assert token == CHECK_TOKEN and not tampered
    verdicts = [rule(parsed, config) for rule in rules.MESSAGE_RULES]
    ignored = [v.reason for v in verdicts if v is not None and v.status == "ignored"]
    # Two rules stop it before routing, each enough alone: automatic mail, and our own.
    assert ignored == ["auto_reply: recorded, never answered", "our own mail came back"]
    assert CHECK_TOKEN.pairing_id == 0 and not CHECK_TOKEN.about.topic.for_coordinators


@pytest.mark.parametrize(
    ("relay", "spf"),
    [
        ("smtp.office365.com", "v=spf1 include:spf.protection.outlook.com ~all"),
        ("smtp-relay.gmail.com", "v=spf1 include:_spf.google.com ~all"),
        ("smtp.postmarkapp.com", "v=spf1 a:smtp.postmarkapp.com ~all"),
        ("93.184.215.14", "v=spf1 ip4:93.184.215.14 ~all"),
        ("127.0.0.1", "v=spf1 mx ~all"),
    ],
)
def test_the_dns_advice_names_the_relay_in_spf(relay: str, spf: str) -> None:
    advice = {(r.name, r.type): r for r in records("mentorship@mentors.example", relay)}
    assert advice[("mentors.example", "TXT")].value == spf
    dmarc = advice[("_dmarc.mentors.example", "TXT")].value
    assert dmarc == "v=DMARC1; p=none; rua=mailto:dmarc-reports@mentors.example"
    assert ("<selector>._domainkey.mentors.example", "TXT or CNAME") in advice
    assert "mentorship+…@mentors.example" in advice[("mentors.example", "MX")].why
