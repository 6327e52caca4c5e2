"""Signed reply addresses."""

from __future__ import annotations

from service.mail.tokens import ReplyToken, find_token, read_token, reply_address

SECRET = b"test-secret"
SERVICE = "mentorship@mentormail.example"


def test_an_address_names_pairing_person_and_topic() -> None:
    address = reply_address(SECRET, SERVICE, ReplyToken(12, 34, "agreement"))
    assert address.startswith("mentorship+12-34-agreement-")
    assert address.endswith("@mentormail.example")
    assert find_token(SECRET, SERVICE, ["someone@else.example", address]) == (
        ReplyToken(12, 34, "agreement"),
        False,
    )


def test_clients_that_change_case_still_route() -> None:
    address = reply_address(SECRET, SERVICE, ReplyToken(1, 2, "meeting7"))
    assert find_token(SECRET, SERVICE, [address.upper()])[0] == ReplyToken(1, 2, "meeting7")


def test_a_tampered_or_foreign_token_does_not_verify() -> None:
    address = reply_address(SECRET, SERVICE, ReplyToken(12, 34, "agreement"))
    forged = address.replace("+12-", "+13-")
    assert find_token(SECRET, SERVICE, [forged]) == (None, True)
    assert find_token(b"other secret", SERVICE, [address]) == (None, True)
    assert read_token(SECRET, "12-34-agreement") is None


def test_plain_service_address_and_other_domains_are_not_tokens() -> None:
    assert find_token(SECRET, SERVICE, [SERVICE, "mentorship+x@other.example"]) == (None, False)
