"""Emails greet people as a program coordinator would: "Dear Zoë"."""

from __future__ import annotations

import pytest

from service.mail.writing.greeting import greeting_of


@pytest.mark.parametrize(
    ("name", "greeting"),
    [
        ("Dr. Zoë O'Brien", "Zoë"),
        ("Dr. Zoë O'Brien, MD", "Zoë"),
        ("Prof. Dr. Kwame Mensah", "Kwame"),
        ("professor Claire Dubois", "Claire"),
        ("Sam Okafor", "Sam"),
        ("Léa", "Léa"),
        ("Dr.", "Dr."),
    ],
)
def test_the_first_given_name_without_titles(name: str, greeting: str) -> None:
    assert greeting_of(name) == greeting


def test_the_rosters_greeting_wins() -> None:
    assert greeting_of("Tanaka Aiko", "Aiko") == "Aiko"
    assert greeting_of("Dr. Mei-Ling Chen", "  Dr.  Chen ") == "Dr. Chen"
