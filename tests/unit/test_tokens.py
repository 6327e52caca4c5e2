"""Signed reply addresses."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from service.config import Settings
from service.mail.kinds import About, Topic
from service.mail.tokens import ReplyToken, find_token, read_token, reply_address, tag_of

SECRET = b"test-secret"
SERVICE = "mentorship@mentormail.example"


def test_an_address_names_pairing_person_and_topic() -> None:
    address = reply_address(SECRET, SERVICE, ReplyToken(12, 34, About(Topic.AGREEMENT)))
    assert address.startswith("mentorship+12-34-agreement-")
    assert address.endswith("@mentormail.example")
    assert find_token(SECRET, SERVICE, ["someone@else.example", address]) == (
        ReplyToken(12, 34, About(Topic.AGREEMENT)),
        False,
    )


def test_clients_that_change_case_still_route() -> None:
    address = reply_address(SECRET, SERVICE, ReplyToken(1, 2, About(Topic.MEETING, 7)))
    assert find_token(SECRET, SERVICE, [address.upper()])[0] == ReplyToken(
        1, 2, About(Topic.MEETING, 7)
    )


def test_a_tampered_or_foreign_token_does_not_verify() -> None:
    address = reply_address(SECRET, SERVICE, ReplyToken(12, 34, About(Topic.AGREEMENT)))
    forged = address.replace("+12-", "+13-")
    assert find_token(SECRET, SERVICE, [forged]) == (None, True)
    assert find_token(b"other secret", SERVICE, [address]) == (None, True)
    assert read_token(SECRET, "12-34-agreement") is None


def test_plain_service_address_and_other_domains_are_not_tokens() -> None:
    assert find_token(SECRET, SERVICE, [SERVICE, "mentorship+x@other.example"]) == (None, False)


def test_every_topic_goes_out_and_comes_back_the_same() -> None:
    for topic in Topic:
        for ref in (None, 7, 999_999_999_999):
            token = ReplyToken(999_999_999_999, 5, About(topic, ref))
            assert find_token(SECRET, SERVICE, [reply_address(SECRET, SERVICE, token)]) == (
                token,
                False,
            )


def test_a_topic_this_version_does_not_know_is_taken_as_private() -> None:
    # An address signed by another version of ours routes; what it is about stays sealed.
    assert About.from_code("retired12") == About(Topic.PRIVATE)
    assert About.from_code("after12") == About(Topic.AFTER_MEETING, 12)
    assert About.from_code("after12").private and not About.from_code("agenda12").private
    assert About.from_code("general") == About(Topic.GENERAL)


@pytest.mark.parametrize("delimiter", ["-", "."])
def test_another_delimiter_goes_out_and_comes_back(delimiter: str) -> None:
    token = ReplyToken(3, 7, About(Topic.MEETING, 12))
    address = reply_address(SECRET, SERVICE, token, delimiter=delimiter)
    assert address.startswith(f"mentorship{delimiter}3-7-meeting12-") and "+" not in address
    assert find_token(SECRET, SERVICE, [address], delimiter=delimiter) == (token, False)
    # Read with another delimiter, it is nobody's: not ours, not tampered.
    assert find_token(SECRET, SERVICE, [address]) == (None, False)
    assert tag_of(SERVICE, SERVICE, delimiter=delimiter) == ""
    assert tag_of("sam@university.example", SERVICE, delimiter=delimiter) is None


@pytest.mark.parametrize(
    ("address", "delimiter", "refused"),
    [
        ("mentor+ship@mentormail.example", "+", True),
        ("mentor-ship@mentormail.example", "+", False),
        ("mentor-ship@mentormail.example", "-", True),
        ("mentor.ship@mentormail.example", ".", True),
        ("mentor.ship@mentormail.example", "-", False),
        ("mentor+ship@mentormail.example", "none", True),  # other replies keep `+`
    ],
)
def test_the_service_address_cannot_hold_its_delimiter(
    address: str, delimiter: str, refused: bool
) -> None:
    values = {"MENTORMAIL_ADDRESS": address, "MENTORMAIL_ADDRESS_DELIMITER": delimiter}
    if refused:
        with pytest.raises(ValidationError, match="address delimiter"):
            Settings(**values)  # type: ignore[arg-type]
    else:
        assert Settings(**values).service_address == address  # type: ignore[arg-type]


def test_only_the_known_delimiters_are_taken() -> None:
    with pytest.raises(ValidationError):
        Settings(MENTORMAIL_ADDRESS_DELIMITER="_")  # type: ignore[call-arg]
