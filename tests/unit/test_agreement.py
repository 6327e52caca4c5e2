"""Agreement terms: defaults, the reply form, and changes read from a reply."""

from __future__ import annotations

from datetime import time

import pytest

from service.agreement.times import change_line, since_seen
from service.program.grammar import Grammar, parse
from service.program.terms import (
    Change,
    Frequency,
    Terms,
    apply_changes,
    parse_frequency,
    parse_minutes,
    parse_notice_hours,
    parse_time_of_day,
    parse_weekday,
    web_link,
)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("weekly", "weekly"),
        ("Every 2 weeks", "every 2 weeks"),
        ("biweekly", "every 2 weeks"),
        ("every three weeks", "every 3 weeks"),
        ("Monthly.", "monthly"),
        ("every 2 months", "every 2 months"),
        ("quarterly", "quarterly"),
    ],
)
def test_frequencies_people_write(text: str, label: str) -> None:
    assert parse_frequency(text).label == label


@pytest.mark.parametrize("text", ["sometimes", "every 0 weeks", "every 40 weeks", ""])
def test_frequencies_that_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="weekly"):
        parse_frequency(text)


def test_small_value_readers() -> None:
    assert parse_minutes("1.5 hours") == 90
    assert parse_minutes("45") == 45
    assert parse_time_of_day("3:30 pm") == time(15, 30)
    assert parse_time_of_day("09:05") == time(9, 5)
    assert parse_weekday("thu") == 3
    assert parse_weekday("Tuesdays") == 1
    assert parse_notice_hours("2 days") == 48
    with pytest.raises(ValueError):
        parse_minutes("5 minutes")
    with pytest.raises(ValueError):
        parse_time_of_day("13pm")


def test_terms_survive_json() -> None:
    terms = Terms(goals=("Write an abstract",), frequency=Frequency("weeks", 2))
    assert Terms.from_json(terms.to_json()) == terms


def test_the_form_lists_every_field_in_order() -> None:
    labels = [label for label, _ in Terms().form()]
    assert labels[:4] == ["Goal 1", "Goal 2", "Goal 3", "Meeting length"]
    assert labels[-1] == "Reschedule by"
    assert dict(Terms().form())["Frequency"] == "monthly"


def test_changes_apply_and_bad_values_are_named_without_stopping_the_rest() -> None:
    result = apply_changes(
        Terms(),
        [
            Change("goal1", "Submit the K99"),
            Change("frequency", "every 2 weeks"),
            Change("time", "25:00"),
        ],
    )
    assert result.terms.goals == ("Submit the K99",)
    assert result.terms.frequency == Frequency("weeks", 2)
    assert result.terms.time_of_day == time(15, 0)
    assert len(result.errors) == 1 and result.errors[0].startswith("Time:")
    assert len(result.applied) == 2


def test_clearing_a_goal_and_an_impossible_reevaluation_point() -> None:
    terms = Terms(goals=("a", "b"))
    result = apply_changes(terms, [Change("goal1", ""), Change("reevaluate_months", "18")])
    assert result.terms.goals == ("b",)
    assert result.terms.reevaluate_months == 6
    assert any("Re-evaluate" in e for e in result.errors)


def test_where_to_meet_is_a_line_of_the_form_and_its_video_link_is_found() -> None:
    link = "https://meet.example.org/j/81?pwd=x"
    result = apply_changes(Terms(), [Change("location", f"  Zoom,   please:  {link}. ")])
    assert result.terms.location == f"Zoom, please: {link}."
    assert dict(result.terms.form())["Where"] == f"Zoom, please: {link}."
    assert web_link(result.terms.location) == link, "the full stop is not part of the link"
    assert web_link("Room 4.12, Building B") is None
    assert Terms.from_json(result.terms.to_json()) == result.terms
    # Agreements stored before the place was a term read as "not agreed yet".
    old = {k: v for k, v in Terms().to_json().items() if k != "location"}
    assert Terms.from_json(old).location == ""
    too_long = apply_changes(Terms(), [Change("location", "x" * 301)])
    assert too_long.terms.location == "" and too_long.errors[0].startswith("Where:")


@pytest.mark.parametrize(
    ("line", "value", "agrees"),
    [
        ("Frequency: monthly. I agree", "monthly", True),
        ("Goal 1: Publish a paper, and I agree.", "Publish a paper", True),
        ("Frequency: every 2 weeks", "every 2 weeks", False),
        # Words inside the value are the value's.
        ("Goal 1: Learn why I agree with peers", "Learn why I agree with peers", False),
    ],
)
def test_i_agree_after_a_form_line_is_read_apart_from_its_value(
    line: str, value: str, agrees: bool
) -> None:
    (read,) = parse(line, Grammar.AGREEMENT).lines
    assert read.command is not None
    assert read.command.args["value"] == value
    assert ("agrees" in read.command.args) == agrees


def test_changes_whose_form_never_went_are_said_with_the_next() -> None:
    waiting = [["Goal 1", "", "Submit an abstract"], ["Frequency", "monthly", "weekly"]]
    now = [
        ("Goal 1", "Submit an abstract", "Submit two abstracts"),
        ("Frequency", "weekly", "monthly"),
    ]
    # Goal 1 from what the reader saw (empty) to now; Frequency is back where they saw it.
    assert since_seen(waiting, now) == [("Goal 1", "", "Submit two abstracts")]
    assert since_seen([], now) == now
    assert change_line(("Goal 1", "", "Submit two abstracts")) == (
        "Goal 1: (empty) → Submit two abstracts"
    )
