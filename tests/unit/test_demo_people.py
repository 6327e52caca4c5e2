"""The demo's people: each pair its own people, their addresses spelt as their names are."""

from __future__ import annotations

import random

from service.demo.people import make_people


def test_no_two_people_of_a_demo_share_a_name_or_an_address() -> None:
    people = [person for pair in make_people(100, random.Random(7)) for person in pair]
    assert len({p.name for p in people}) == len(people) == 200
    assert len({p.email for p in people}) == 200


def test_addresses_are_spelt_from_the_names() -> None:
    people = {p.name: p.email for pair in make_people(20, random.Random(7)) for p in pair}
    assert people["Dr. Henrik Løvås"] == "henrik.lovas@hospital.example"
    assert people["Dr. Zoë O'Brien"] == "zoe.obrien@hospital.example"
    assert all(email.isascii() for email in people.values())
