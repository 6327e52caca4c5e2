"""The reply grammar of DESIGN §3."""

from __future__ import annotations

from datetime import date

import pytest

from service.program.grammar import Grammar, help_text, parse

TODAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    ("line", "name", "args"),
    [
        ("done 2", "done", {"ref": "2"}),
        ("DONE #12.", "done", {"ref": "12"}),
        ("[x] 2", "done", {"ref": "2"}),
        ("✓ 3", "done", {"ref": "3"}),
        ("done: draft aims", "done", {"text": "draft aims"}),
        ("task: send CV to Dr. Lee by Dec 3", "task", {"text": "send CV to Dr. Lee by Dec 3"}),
        (
            "Task: book the room for mentor",
            "task",
            {"text": "book the room for mentor", "for": "mentor"},
        ),
        ("agenda: discuss fellowship options", "agenda", {"text": "discuss fellowship options"}),
        ("Reschedule: Tue Dec 9 3pm", "reschedule", {"when": "Tue Dec 9 3pm"}),
        ("frequency: monthly", "frequency", {"value": "monthly"}),
        ("Pause", "pause", {}),
        ("resume.", "resume", {}),
        ("phase out", "phase_out", {}),
        ("help", "help", {}),
        ("help: we have not met in months", "help", {"text": "we have not met in months"}),
        ("- agenda: bulleted", "agenda", {"text": "bulleted"}),
        ("2. done 5", "done", {"ref": "5"}),
        ("Performance conversation", "performance", {}),
        ("performance conversation: Tue Dec 9 3pm", "performance", {"when": "Tue Dec 9 3pm"}),
    ],
)
def test_each_command(line: str, name: str, args: dict[str, str]) -> None:
    result = parse(line)
    assert [(c.name, c.args) for c in result.commands] == [(name, args)]


def test_free_text_and_attempts_are_told_apart() -> None:
    result = parse("Thanks for a great meeting!\ndone soon-ish\n\nagenda")
    assert result.commands == []
    assert result.free_text == ["Thanks for a great meeting!"]
    assert result.unknown == ["done soon-ish", "agenda"]


def test_agreement_form_lines_and_agreeing() -> None:
    result = parse(
        "Goal 1: Write my K99\nfrequency:  every 2 weeks\nRe-evaluate after: 4 months\n"
        "Reschedule by: phone\nI agree.",
        Grammar.AGREEMENT,
    )
    assert [(c.name, c.args) for c in result.commands] == [
        ("set", {"field": "goal1", "value": "Write my K99"}),
        ("set", {"field": "frequency", "value": "every 2 weeks"}),
        ("set", {"field": "reevaluate_months", "value": "4 months"}),
        ("set", {"field": "reschedule_channel", "value": "phone"}),
        ("agree", {}),
    ]


@pytest.mark.parametrize("line", ["I agree", "i agree to the above", "Agreed!", "I agree."])
def test_ways_of_agreeing(line: str) -> None:
    assert [c.name for c in parse(line, Grammar.AGREEMENT).commands] == ["agree"]


def test_agreeing_is_not_a_command_outside_the_agreement() -> None:
    assert parse("I agree").commands == []


def test_help_offers_only_what_the_service_applies() -> None:
    text = str(help_text(Grammar.EVERYDAY, None, today=TODAY))
    offered = ("agenda:", "help", "done 2", "task:", "reschedule:", "frequency:", "phase out")
    for command in (*offered, "pause", "resume"):
        assert command in text
    assert "I agree" in str(help_text(Grammar.AGREEMENT, None, today=TODAY))
    assert "I agree" not in text


def test_a_mentee_is_not_offered_the_mentor_s_commands() -> None:
    assert "performance conversation" in str(help_text(Grammar.EVERYDAY, "mentor", today=TODAY))
    assert "performance conversation" not in str(help_text(Grammar.EVERYDAY, "mentee", today=TODAY))


@pytest.mark.parametrize(
    ("line", "name", "args"),
    [
        ("nudge 12", "nudge", {"number": "12"}),
        ("Pause #7.", "pause", {"number": "7"}),
        ("- resume 7", "resume", {"number": "7"}),
        ("close 3", "close", {"number": "3"}),
        ("details 40", "details", {"number": "40"}),
        ("digest now", "digest", {"every": "now"}),
        ("Digest Monthly", "digest", {"every": "Monthly"}),
        ("import", "import", {}),
        ("unsubscribe", "unsubscribe", {}),
        ("help", "help", {}),
    ],
)
def test_each_coordinator_command(line: str, name: str, args: dict[str, str]) -> None:
    result = parse(line, Grammar.COORDINATOR)
    assert [(c.name, c.args) for c in result.commands] == [(name, args)]


def test_a_reply_is_read_once_in_the_order_it_was_written() -> None:
    result = parse("Hi Sam,\n1. agenda: grants\n2. my poster\ndone 3\nnudge 4")
    assert [line.written for line in result.lines] == [
        "Hi Sam,",
        "1. agenda: grants",
        "2. my poster",
        "done 3",
        "nudge 4",
    ]
    assert [c.name for c in result.commands] == ["agenda", "done"]
    # A coordinator's command is not one in a participant's reply, nor the other way round.
    assert result.free_text == ["Hi Sam,", "my poster", "nudge 4"]
    assert parse("pause", Grammar.COORDINATOR).commands == []


def test_coordinators_are_offered_their_own_commands() -> None:
    offered = str(help_text(Grammar.COORDINATOR, "coordinator", today=TODAY))
    for command in ("nudge 12", "pause 12", "close 12", "details 12", "digest now", "import"):
        assert command in offered
    assert "agenda:" not in offered
    assert "nudge" not in str(help_text(Grammar.EVERYDAY, None, today=TODAY))
